-- rpt_lifecycle_flow reconciles with the history and the changes, per shop,
-- snapshot and stage (docs/decisions/0125):
-- - summed by to_stage: the members in the stage at the snapshot;
-- - summed by from_stage (less none): the members in the stage at the previous
--   snapshot of the calendar (nobody leaves the history);
-- - its rows with is_change: the changes of fct_member_lifecycle_changes.
-- A row returned is a difference (flow, expected).
with

flow as (
    select * from {{ ref('rpt_lifecycle_flow') }}
),

history as (
    select * from {{ ref('fct_member_lifecycle_history') }}
),

changes as (
    select * from {{ ref('fct_member_lifecycle_changes') }}
),

calendar as (
    select distinct
        snapshot_date,
        previous_snapshot_date
    from flow
),

flow_in as (
    select
        shop_id,
        snapshot_date,
        to_stage as lifecycle_stage,
        sum(members) as members
    from flow
    group by shop_id, snapshot_date, to_stage
),

flow_out as (
    select
        shop_id,
        previous_snapshot_date as snapshot_date,
        from_stage as lifecycle_stage,
        sum(members) as members
    from flow
    where from_stage <> 'none'
    group by shop_id, previous_snapshot_date, from_stage
),

flow_changes as (
    select
        shop_id,
        snapshot_date,
        concat(from_stage, ' -> ', to_stage) as transition,
        sum(members) as members
    from flow
    where is_change
    group by shop_id, snapshot_date, from_stage, to_stage
),

stage_counts as (
    select
        shop_id,
        snapshot_date,
        lifecycle_stage,
        count(*) as members
    from history
    group by shop_id, snapshot_date, lifecycle_stage
),

-- the stage counts at every snapshot that has a next one in the calendar
stage_counts_before_next as (
    select stage_counts.*
    from stage_counts
    inner join calendar
        on stage_counts.snapshot_date = calendar.previous_snapshot_date
),

change_counts as (
    select
        shop_id,
        snapshot_date,
        transition,
        count(*) as members
    from changes
    group by shop_id, snapshot_date, transition
),

differences as (
    select
        'in' as check_name,
        coalesce(flow_in.shop_id, stage_counts.shop_id) as shop_id,
        coalesce(flow_in.snapshot_date, stage_counts.snapshot_date) as snapshot_date,
        coalesce(flow_in.lifecycle_stage, stage_counts.lifecycle_stage) as checked_value,
        flow_in.members as flow_members,
        stage_counts.members as expected_members
    from flow_in
    full outer join stage_counts
        on
            flow_in.shop_id = stage_counts.shop_id
            and flow_in.snapshot_date = stage_counts.snapshot_date
            and flow_in.lifecycle_stage = stage_counts.lifecycle_stage
    where flow_in.members is null or stage_counts.members is null or flow_in.members <> stage_counts.members
    union all
    select
        'out' as check_name,
        coalesce(flow_out.shop_id, stage_counts_before_next.shop_id) as shop_id,
        coalesce(flow_out.snapshot_date, stage_counts_before_next.snapshot_date) as snapshot_date,
        coalesce(flow_out.lifecycle_stage, stage_counts_before_next.lifecycle_stage) as checked_value,
        flow_out.members as flow_members,
        stage_counts_before_next.members as expected_members
    from flow_out
    full outer join stage_counts_before_next
        on
            flow_out.shop_id = stage_counts_before_next.shop_id
            and flow_out.snapshot_date = stage_counts_before_next.snapshot_date
            and flow_out.lifecycle_stage = stage_counts_before_next.lifecycle_stage
    where
        flow_out.members is null
        or stage_counts_before_next.members is null
        or flow_out.members <> stage_counts_before_next.members
    union all
    select
        'changes' as check_name,
        coalesce(flow_changes.shop_id, change_counts.shop_id) as shop_id,
        coalesce(flow_changes.snapshot_date, change_counts.snapshot_date) as snapshot_date,
        coalesce(flow_changes.transition, change_counts.transition) as checked_value,
        flow_changes.members as flow_members,
        change_counts.members as expected_members
    from flow_changes
    full outer join change_counts
        on
            flow_changes.shop_id = change_counts.shop_id
            and flow_changes.snapshot_date = change_counts.snapshot_date
            and flow_changes.transition = change_counts.transition
    where flow_changes.members is null or change_counts.members is null or flow_changes.members <> change_counts.members
)

select * from differences
