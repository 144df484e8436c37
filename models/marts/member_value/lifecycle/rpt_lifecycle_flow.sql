-- One row per shop, snapshot date (every month end and as_of_date),
-- from_stage and to_stage with at least one member: the members who were in
-- from_stage at the previous snapshot and are in to_stage at this one
-- (fct_member_lifecycle_history), those who stayed included (from_stage =
-- to_stage), so that a snapshot's rows sum to its stage counts both ways:
-- by to_stage, the members per stage now; by from_stage, the members per stage
-- at the previous snapshot. from_stage 'none': members in the history for
-- the first time (first seen in the month, or at the calendar's first snapshot).
-- The rows with is_change are the changes of fct_member_lifecycle_changes
-- (docs/decisions/0125).
with

history as (
    select * from {{ ref('fct_member_lifecycle_history') }}
),

evaluation_dates as (
    select * from {{ ref('int_member_evaluation_dates') }}
    where is_history_snapshot_date or is_as_of_date
),

calendar as (
    select
        evaluation_date as snapshot_date,
        lag(evaluation_date) over (order by evaluation_date) as previous_snapshot_date
    from evaluation_dates
),

sequenced as (
    select
        shop_id,
        member_id,
        lifecycle_stage,
        previous_lifecycle_stage as previous_stage,
        stage_order,
        previous_stage_order,
        is_partial_month,
        snapshot_date
    from history
),

flows as (
    select
        shop_id,
        coalesce(previous_stage, 'none') as from_stage,
        lifecycle_stage as to_stage,
        count(*) as members,
        coalesce(max(previous_stage_order), 0) as from_stage_order,
        max(stage_order) as to_stage_order,
        is_partial_month,
        snapshot_date
    from sequenced
    group by
        shop_id,
        coalesce(previous_stage, 'none'),
        lifecycle_stage,
        is_partial_month,
        snapshot_date
),

final as (
    select
        flows.shop_id,
        flows.from_stage,
        flows.to_stage,
        cast(flows.members as bigint) as members,
        cast(flows.from_stage_order as int) as from_stage_order,
        cast(flows.to_stage_order as int) as to_stage_order,
        flows.from_stage <> flows.to_stage as is_change,
        flows.is_partial_month,
        flows.snapshot_date,
        calendar.previous_snapshot_date
    from flows
    left join calendar
        on flows.snapshot_date = calendar.snapshot_date
)

select * from final
