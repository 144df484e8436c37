-- One row per shop, buyer (a member with a valid purchase day:
-- int_member_purchase_days) and run of one lifecycle stage: the stage, the day
-- the run starts and the day the next run starts (null for the last). The
-- stage on any day is the one of the run that day falls in (from the member's
-- first purchase day on); fct_member_lifecycle takes the run holding
-- as_of_date, whose start is the date the member entered their current stage
-- (docs/decisions/0012, 0136).
--
-- A buyer's stage can change only on a candidate day: a purchase day, the day
-- a purchase day leaves the loyal window (loyal_window_days later), or the day
-- the new-buyer window ends (new_buyer_window_days + 1 after the first
-- purchase). The stage is evaluated on each candidate day with the counts to
-- date (running sums of the count changes, without pairing days with earlier
-- purchase days), and a run starts on a candidate day whose stage differs
-- from the candidate day before it (or on the first). Candidate days after
-- as_of_date are kept: a run's start never depends on a later day.
--
-- Member-keyed, incremental on DuckDB (docs/decisions/0136): a member's runs
-- read only their own purchase days, which change only when their orders do
-- (int_incremental_changed_order_members, as for int_orders_valued: refunds
-- and orders dated past a moving as_of_date included). A daily run deletes
-- and recomputes the runs of those members; a changed lifecycle var
-- recomputes every member. No as_of_date column.
-- depends_on: {{ ref('int_incremental_changed_order_members') }}
{{ config(**member_analytics.member_keyed_config(
    'delete_changed_members(changes="int_incremental_changed_order_members")')) }}
{%- set state = member_analytics.incremental_state() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(state) %}
{%- set new_window_days = member_analytics.validated_number('member_analytics__lifecycle__new_buyer_window_days') %}

with

purchase_days as (
    select purchase_days.* from {{ ref('int_member_purchase_days') }} as purchase_days
    where
        {{ member_analytics.is_changed_member(state, 'purchase_days', 'int_incremental_changed_order_members') }}
),

first_purchases as (
    select
        shop_id,
        member_id,
        min(purchase_date) as first_purchase_date
    from purchase_days
    group by shop_id, member_id
),

candidate_changes as (
    {{ member_analytics.lifecycle_count_changes('purchase_days', 'stage_date') }}
    union all
    select
        shop_id,
        member_id,
        cast({{ dbt.dateadd('day', new_window_days ~ ' + 1', 'first_purchase_date') }} as date) as stage_date,
        0 as purchase_days_change,
        0 as loyal_window_change
    from first_purchases
),

candidate_days as (
    select
        shop_id,
        member_id,
        stage_date,
        sum(purchase_days_change) as purchase_days_change,
        sum(loyal_window_change) as loyal_window_change
    from candidate_changes
    group by shop_id, member_id, stage_date
),

counted as (
    select
        candidate_days.shop_id,
        candidate_days.member_id,
        candidate_days.stage_date,
        first_purchases.first_purchase_date,
        sum(candidate_days.purchase_days_change) over (
            partition by candidate_days.shop_id, candidate_days.member_id
            order by candidate_days.stage_date
            rows between unbounded preceding and current row
        ) as purchase_days_to_date,
        sum(candidate_days.loyal_window_change) over (
            partition by candidate_days.shop_id, candidate_days.member_id
            order by candidate_days.stage_date
            rows between unbounded preceding and current row
        ) as purchase_days_in_loyal_window
    from candidate_days
    inner join first_purchases
        on
            candidate_days.shop_id = first_purchases.shop_id
            and candidate_days.member_id = first_purchases.member_id
),

staged as (
    select
        shop_id,
        member_id,
        stage_date,
        {{ member_analytics.lifecycle_buyer_stage(
            'purchase_days_to_date', 'purchase_days_in_loyal_window', 'first_purchase_date', 'stage_date') }}
            as lifecycle_stage
    from counted
),

sequenced as (
    select
        shop_id,
        member_id,
        stage_date,
        lifecycle_stage,
        lag(lifecycle_stage) over (
            partition by shop_id, member_id
            order by stage_date
        ) as previous_stage
    from staged
),

run_starts as (
    select
        shop_id,
        member_id,
        lifecycle_stage,
        stage_date as run_start_date
    from sequenced
    where previous_stage is null or previous_stage <> lifecycle_stage
),

final as (
    select
        shop_id,
        member_id,
        lifecycle_stage,
        run_start_date,
        lead(run_start_date) over (
            partition by shop_id, member_id
            order by run_start_date
        ) as next_run_start_date
    from run_starts
)

select * from final
