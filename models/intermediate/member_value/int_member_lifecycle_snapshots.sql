-- One row per shop, member of int_members_unified and snapshot date (every month
-- end from the month the member was first seen, and as_of_date for every member):
-- the member's lifecycle stage at that date, and at their previous snapshot.
-- fct_member_lifecycle_history publishes every row, adding the build's as_of_date
-- (docs/decisions/0125, 0133); fct_member_lifecycle the as_of_date rows (0136).
--
-- The stage at a date is the lifecycle rule (macro lifecycle_buyer_stage, as in
-- the stage runs) evaluated at that date (docs/decisions/0012), with what is
-- known at as_of_date: valid purchases (int_member_purchase_days: refunds dated
-- up to as_of_date applied, as for the stage runs' entry dates) and interest
-- events on or before the date. Buyers by purchase days: loyal (at least
-- loyal_min_purchase_days in the loyal window ending on the date), repeat (two or
-- more), new (one, within the new-buyer window), sleeping (one, longer ago);
-- non-buyers potential (a favourite or cart), else registered.
--
-- Set-based, like the stage runs: a purchase day adds one to both counts
-- on its day and leaves the loyal window loyal_window_days later; running sums
-- over each member's count changes and snapshot dates (one pass, the snapshots
-- carried through it) give the counts at every snapshot, without pairing
-- snapshots with earlier purchase days.
--
-- Incremental on DuckDB (docs/decisions/0133): a member's stage at a date reads
-- only their own data, so a daily run recomputes the changed members (every
-- snapshot) and every member's snapshots from the cutoff on (the earlier of the
-- previous and the current as_of_date: the as_of_date row and any month end
-- passed since); the month ends before it stand for the others. The members'
-- latest month end before the cutoff is evaluated too, for the previous-snapshot
-- columns of the first row after it, and not written again.
-- depends_on: {{ ref('int_incremental_changed_members') }}, {{ ref('int_as_of_date') }}
{{ config(**member_analytics.member_keyed_config('delete_lifecycle_snapshots()')) }}
{%- set scope = member_analytics.lifecycle_snapshot_scope() if is_incremental() else none %}
{%- do member_analytics.require_incremental_selection(scope.state if scope else none) %}
{%- if scope %}
    {#- the latest month end before the cutoff, or the cutoff -#}
    {%- set anchor = 'coalesce((select max(evaluation_date) from ' ~ ref('int_member_evaluation_dates')
        ~ ' where (is_history_snapshot_date or is_as_of_date) and evaluation_date < ' ~ scope.cutoff ~ '), '
        ~ scope.cutoff ~ ')' %}
{%- endif %}
with

members as (
    select * from {{ ref('int_members_unified') }}
),

evaluation_dates as (
    select * from {{ ref('int_member_evaluation_dates') }}
    where is_history_snapshot_date or is_as_of_date
),

interest as (
    select * from {{ ref('int_interest_events_aggregated_to_members') }}
),

stage_actions as (
    select * from {{ ref('lifecycle_stage_actions') }}
),

purchase_days as (
    select * from {{ ref('int_member_purchase_days') }}
),

first_purchases as (
    select
        shop_id,
        member_id,
        min(purchase_date) as first_purchase_date
    from purchase_days
    group by shop_id, member_id
),

-- the dates every member is evaluated at: all of them, or in a daily run those
-- from the latest month end before the cutoff on (its row is read for the
-- previous-snapshot columns of the first row after it)
recent_dates as (
    select * from evaluation_dates
    {%- if scope %}
    where evaluation_date >= {{ anchor }}
    {%- endif %}
),

member_snapshots as (
    select
        members.shop_id,
        members.member_id,
        recent_dates.evaluation_date as snapshot_date
    from members
    cross join recent_dates
    where recent_dates.is_as_of_date or recent_dates.evaluation_date >= members.first_seen_date
    {%- if scope %}
    -- a daily run: the earlier dates, for the changed members only
    union all
    select
        members.shop_id,
        members.member_id,
        evaluation_dates.evaluation_date as snapshot_date
    from members
    cross join evaluation_dates
    where
        evaluation_dates.evaluation_date < {{ anchor }}
        and evaluation_dates.evaluation_date >= members.first_seen_date
        and {{ member_analytics.is_changed_member(scope.state, 'members') }}
    {%- endif %}
),

-- the count changes on their days, and each snapshot as a day without change
count_changes as (
    {{ member_analytics.lifecycle_count_changes('purchase_days', 'change_date', ', 0 as is_snapshot') }}
    union all
    select
        shop_id,
        member_id,
        snapshot_date as change_date,
        0 as purchase_days_change,
        0 as loyal_window_change,
        1 as is_snapshot
    from member_snapshots
),

-- running sums over each member's changes in date order; a range frame takes
-- every change of the same day with it (a snapshot on a purchase day counts
-- that purchase), so no grouping by day is needed
counted as (
    select
        shop_id,
        member_id,
        change_date,
        is_snapshot,
        sum(purchase_days_change) over (
            partition by shop_id, member_id
            order by change_date
            range between unbounded preceding and current row
        ) as purchase_days_to_date,
        sum(loyal_window_change) over (
            partition by shop_id, member_id
            order by change_date
            range between unbounded preceding and current row
        ) as purchase_days_in_loyal_window
    from count_changes
),

measured as (
    select
        counted.shop_id,
        counted.member_id,
        counted.purchase_days_to_date,
        counted.purchase_days_in_loyal_window,
        counted.change_date as snapshot_date,
        case when counted.purchase_days_to_date > 0 then first_purchases.first_purchase_date end
            as first_purchase_date,
        case when interest.first_interest_date <= counted.change_date then interest.first_interest_date end
            as first_favorite_or_cart_date
    from counted
    left join first_purchases
        on
            counted.shop_id = first_purchases.shop_id
            and counted.member_id = first_purchases.member_id
    left join interest
        on
            counted.shop_id = interest.shop_id
            and counted.member_id = interest.member_id
    where counted.is_snapshot = 1
),

staged as (
    select
        *,
        case
            when purchase_days_to_date > 0
                then {{ member_analytics.lifecycle_buyer_stage(
                    'purchase_days_to_date', 'purchase_days_in_loyal_window', 'first_purchase_date', 'snapshot_date') }}
            when first_favorite_or_cart_date is not null then 'potential'
            else 'registered'
        end as lifecycle_stage
    from measured
),

sequenced as (
    select
        staged.shop_id,
        staged.member_id,
        staged.lifecycle_stage,
        {{ member_analytics.lifecycle_stage_rule('staged.lifecycle_stage') }} as stage_rule,
        cast(stage_actions.stage_order as int) as stage_order,
        cast(staged.purchase_days_to_date as bigint) as number_of_purchase_days,
        cast(staged.purchase_days_in_loyal_window as bigint) as purchase_days_in_loyal_window,
        staged.first_favorite_or_cart_date is not null as has_favorite_or_cart,
        cast({{ dbt.last_day('staged.snapshot_date', 'month') }} as date) > staged.snapshot_date as is_partial_month,
        staged.snapshot_date,
        staged.first_purchase_date,
        staged.first_favorite_or_cart_date,
        -- the member's previous snapshot (null at their first): read by
        -- fct_member_lifecycle_changes and rpt_lifecycle_flow
        lag(staged.lifecycle_stage) over (
            partition by staged.shop_id, staged.member_id order by staged.snapshot_date
        ) as previous_lifecycle_stage,
        cast(lag(stage_actions.stage_order) over (
            partition by staged.shop_id, staged.member_id order by staged.snapshot_date
        ) as int) as previous_stage_order,
        lag(staged.snapshot_date) over (
            partition by staged.shop_id, staged.member_id order by staged.snapshot_date
        ) as previous_snapshot_date
    from staged
    left join stage_actions
        on staged.lifecycle_stage = stage_actions.lifecycle_stage
),

-- a daily run writes the rows its pre-hook deleted: the month end before the
-- cutoff was read for the previous-snapshot columns only
final as (
    select * from sequenced
    where {{ member_analytics.in_member_state_scope(scope, 'snapshot_date', 'sequenced') }}
)

select * from final
