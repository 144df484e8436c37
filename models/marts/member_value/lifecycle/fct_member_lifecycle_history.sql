-- One row per shop, member of dim_members and snapshot date: the lifecycle
-- stage at every month end from the month the member was first seen, and at
-- as_of_date (every member, as in fct_member_lifecycle; docs/decisions/0125).
-- The snapshot dates are int_member_evaluation_dates' history snapshots (the
-- month ends of int_months_spined, as_of_date for its own month) and as_of_date.
--
-- The stage at a date is fct_member_lifecycle's rule evaluated at that date
-- (docs/decisions/0012), with what is known at as_of_date: valid purchases
-- (int_member_purchase_days: refunds dated up to as_of_date applied, as for
-- fct_member_lifecycle's entry dates) and interest events on or before the
-- date. Buyers by purchase days: loyal (at least loyal_min_purchase_days in
-- the loyal window ending on the date), repeat (two or more), new (one,
-- within the new-buyer window), sleeping (one, longer ago); non-buyers
-- potential (a favourite or cart), else registered. The as_of_date row equals
-- fct_member_lifecycle (tests/marts/member_value/lifecycle).
--
-- Set-based, like fct_member_lifecycle: a purchase day adds one to both counts
-- on its day and leaves the loyal window loyal_window_days later; running sums
-- over each member's count changes and snapshot dates (one pass, the snapshots
-- carried through it) give the counts at every snapshot, without pairing
-- snapshots with earlier purchase days.

with

members as (
    select * from {{ ref('dim_members') }}
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

member_snapshots as (
    select
        members.shop_id,
        members.member_id,
        evaluation_dates.evaluation_date as snapshot_date
    from members
    cross join evaluation_dates
    where
        evaluation_dates.is_as_of_date
        or evaluation_dates.evaluation_date >= members.first_seen_date
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
        {{ member_analytics.as_of_date() }} as as_of_date,
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

final as (
    select
        staged.shop_id,
        staged.member_id,
        staged.lifecycle_stage,
        {{ member_analytics.lifecycle_stage_rule('staged.lifecycle_stage') }} as stage_rule,
        cast(stage_actions.stage_order as int) as stage_order,
        cast(staged.purchase_days_to_date as bigint) as number_of_purchase_days,
        cast(staged.purchase_days_in_loyal_window as bigint) as purchase_days_in_loyal_window,
        staged.first_favorite_or_cart_date is not null as has_favorite_or_cart,
        staged.snapshot_date = staged.as_of_date as is_as_of_date,
        cast({{ dbt.last_day('staged.snapshot_date', 'month') }} as date) > staged.snapshot_date as is_partial_month,
        staged.snapshot_date,
        staged.as_of_date,
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
)

select * from final
