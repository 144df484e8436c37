-- One row per shop, member and snapshot date (int_months_spined: every month
-- end from the first kept order, and as_of_date itself): the member's RFM as it
-- stood at that date: R from the days since the last purchase in bands, or
-- relative like F and M (var member_analytics__rfm__recency_scoring), F and M
-- among the shop's members at that snapshot only (macro rfm_scores;
-- docs/decisions/0010), with the segment (seed rfm_segment_map, the rows of
-- the mode), the recency band and the ladder rung. The one place RFM is
-- scored: fct_member_rfm_history selects every snapshot, fct_member_rfm the
-- as_of_date one.
--
-- Each order counts at the snapshots on or after its date; a refund counts from its
-- refund_date on (a later refund does not change earlier snapshots, and a full
-- refund ends the order's life as a purchase from that date).
--
-- Why the as_of_date snapshot is the order rules' own as-of state
-- (int_orders_valued, which fct_orders publishes), so the current mart keeps the
-- answer it had when it read is_valid_purchase and net_amount: at snapshot_date = as_of_date the orders taken are those dated on
-- or before as_of_date (not is_after_as_of_date), the refund applied is
-- refund_amount when refund_date <= as_of_date, else 0 (int_orders_valued'
-- applied_refund_amount; its refund_date column is null only when the refund is
-- 0), and validity is the same is_valid_purchase over gross_amount (paid_amount as
-- decimal(18, 2)) and that refund: so `purchases_at_as_of_date` holds exactly the
-- orders with is_valid_purchase, and gross_amount − refund is their net_amount.
-- When as_of_date is a month end, int_months_spined has one snapshot on it (the
-- month end, is_partial_month false), not two, so the same rows are selected.
--
-- A view, and is_as_of_date_snapshot (which snapshot set a row belongs to: the
-- as_of_date one, or a month end before it) is a column of the grain. It is in
-- every score's window partition (where it changes no score: one snapshot_date
-- has one value of it) so that fct_member_rfm's `where is_as_of_date_snapshot`
-- passes the windows down to the union of the two routes below and prunes the
-- month-end one: the current mart scores one snapshot, whether as_of_date is a var or read from
-- int_as_of_date, and does not wait for the history.
--
-- Two routes to the same measures, one per snapshot set (docs/decisions/0111):
-- the as_of_date snapshot aggregates the orders directly, as it always did;
-- the month ends before it are accumulated per member and month from the
-- changes (an order counting from its month, a refund changing it from the
-- refund's month), so the history no longer joins every order to every later
-- month end. The month-end route marks its rows is_as_of_date_snapshot with a
-- constant false, so fct_member_rfm's filter prunes it entirely.
with

orders as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

-- The same orders, imported a second time on purpose for the month-end route:
-- a CTE read by both routes is materialised by DuckDB, which made
-- fct_member_rfm (whose filter prunes the month-end route) copy every order
-- first (about +40% CPU at medium).
orders_for_month_ends as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

snapshot_months as (
    select
        *,
        snapshot_date = as_of_date as is_as_of_date_snapshot
    from {{ ref('int_months_spined') }}
),

-- the map's rows for the recency scoring mode of this build
segment_map as (
    select * from {{ ref('rfm_segment_map') }}
    where recency_scoring = '{{ member_analytics.rfm_recency_scoring() }}'
),

-- The as_of_date snapshot: every order on or before it, its refund applied
-- when dated on or before it.
as_of_date_snapshot as (
    select * from snapshot_months
    where is_as_of_date_snapshot
),

orders_at_as_of_date as (
    select
        orders.shop_id,
        orders.member_id,
        orders.status,
        orders.gross_amount,
        case
            when orders.refund_date <= as_of_date_snapshot.snapshot_date then orders.refund_amount
            else cast(0 as decimal(18, 2))
        end as applied_refund_amount,
        as_of_date_snapshot.is_partial_month,
        as_of_date_snapshot.is_as_of_date_snapshot,
        orders.ordered_date,
        as_of_date_snapshot.snapshot_date,
        as_of_date_snapshot.as_of_date
    from orders
    inner join as_of_date_snapshot
        on orders.ordered_date <= as_of_date_snapshot.snapshot_date
),

purchases_at_as_of_date as (
    select * from orders_at_as_of_date
    where {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'applied_refund_amount') }}
),

members_at_as_of_date as (
    select
        shop_id,
        member_id,
        snapshot_date,
        is_partial_month,
        is_as_of_date_snapshot,
        as_of_date,
        count(*) as frequency,
        count(distinct ordered_date) as purchase_days,
        sum(gross_amount - applied_refund_amount) as monetary,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from purchases_at_as_of_date
    group by shop_id, member_id, snapshot_date, is_partial_month, is_as_of_date_snapshot, as_of_date
),

-- The month ends before as_of_date. A month end's snapshot takes the orders
-- dated in its month or before, and a refund dated in its month or before: an
-- order's state changes only at the month of its date and at the month of its
-- refund (the later of the two), so its validity and net amount are intervals
-- of months [start_month_number, end_month_number), end null when open.
month_end_snapshots as (
    select
        *,
        {{ member_analytics.month_number('snapshot_date') }} as snapshot_month_number
    from snapshot_months
    where not is_as_of_date_snapshot
),

order_months as (
    select
        shop_id,
        member_id,
        status,
        gross_amount,
        refund_amount,
        ordered_date,
        {{ member_analytics.month_number('ordered_date') }} as ordered_month_number,
        case
            when refund_date is not null
                then greatest(
                    {{ member_analytics.month_number('refund_date') }},
                    {{ member_analytics.month_number('ordered_date') }}
                )
        end as refund_month_number
    from orders_for_month_ends
),

-- the intervals in which an order is a valid purchase, with its net amount
purchase_intervals as (
    select
        shop_id,
        member_id,
        gross_amount as net_amount,
        ordered_date,
        ordered_month_number as start_month_number,
        refund_month_number as end_month_number
    from order_months
    where
        {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'cast(0 as decimal(18, 2))') }}
        and (refund_month_number is null or refund_month_number > ordered_month_number)

    union all

    select
        shop_id,
        member_id,
        gross_amount - refund_amount as net_amount,
        ordered_date,
        refund_month_number as start_month_number,
        cast(null as int) as end_month_number
    from order_months
    where
        refund_month_number is not null
        and {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'refund_amount') }}
),

purchase_changes as (
    select
        shop_id,
        member_id,
        ordered_date,
        start_month_number as month_number,
        1 as count_change,
        net_amount as net_amount_change
    from purchase_intervals

    union all

    select
        shop_id,
        member_id,
        ordered_date,
        end_month_number as month_number,
        -1 as count_change,
        -net_amount as net_amount_change
    from purchase_intervals
    where end_month_number is not null
),

-- A purchase day counts while at least one of its orders is a valid purchase.
day_changes as (
    select
        shop_id,
        member_id,
        ordered_date,
        month_number,
        sum(count_change) as count_change
    from purchase_changes
    group by shop_id, member_id, ordered_date, month_number
),

day_counts as (
    select
        *,
        sum(count_change) over (
            partition by shop_id, member_id, ordered_date
            order by month_number
            rows between unbounded preceding and current row
        ) as valid_orders
    from day_changes
),

day_transitions as (
    select
        shop_id,
        member_id,
        ordered_date,
        month_number,
        case when valid_orders > 0 then 1 else 0 end
        - case when valid_orders - count_change > 0 then 1 else 0 end as day_change
    from day_counts
),

-- the runs of months in which a day counts: [start, end), end null when open
day_runs as (
    select
        shop_id,
        member_id,
        ordered_date,
        day_change,
        month_number as start_month_number,
        lead(month_number) over (
            partition by shop_id, member_id, ordered_date
            order by month_number
        ) as end_month_number
    from day_transitions
    where day_change <> 0
),

monthly_changes as (
    select
        shop_id,
        member_id,
        month_number,
        sum(count_change) as count_change,
        sum(net_amount_change) as net_amount_change,
        sum(day_change) as day_change,
        min(open_day) as first_open_day,
        max(open_day) as last_open_day
    from (
        select
            shop_id,
            member_id,
            month_number,
            count_change,
            net_amount_change,
            0 as day_change,
            cast(null as date) as open_day
        from purchase_changes

        union all

        select
            shop_id,
            member_id,
            month_number,
            0 as count_change,
            cast(0 as decimal(18, 2)) as net_amount_change,
            day_change,
            cast(null as date) as open_day
        from day_transitions
        where day_change <> 0

        union all

        select
            shop_id,
            member_id,
            start_month_number as month_number,
            0 as count_change,
            cast(0 as decimal(18, 2)) as net_amount_change,
            0 as day_change,
            ordered_date as open_day
        from day_runs
        where day_change = 1 and end_month_number is null
    ) as changes
    group by shop_id, member_id, month_number
),

-- a day whose run ends (all its orders refunded away) counts at the month
-- ends of its run only
closed_run_days as (
    select
        day_runs.shop_id,
        day_runs.member_id,
        month_end_snapshots.snapshot_month_number as month_number,
        min(day_runs.ordered_date) as first_closed_day,
        max(day_runs.ordered_date) as last_closed_day
    from day_runs
    inner join month_end_snapshots
        on
            day_runs.start_month_number <= month_end_snapshots.snapshot_month_number
            and day_runs.end_month_number > month_end_snapshots.snapshot_month_number
    where day_runs.day_change = 1
    group by day_runs.shop_id, day_runs.member_id, month_end_snapshots.snapshot_month_number
),

-- The running measures at each month with a change; they hold until the
-- member's next change (next_change_month_number).
accumulated as (
    select
        shop_id,
        member_id,
        month_number,
        sum(count_change) over (
            partition by shop_id, member_id
            order by month_number
            rows between unbounded preceding and current row
        ) as frequency,
        sum(day_change) over (
            partition by shop_id, member_id
            order by month_number
            rows between unbounded preceding and current row
        ) as purchase_days,
        sum(net_amount_change) over (
            partition by shop_id, member_id
            order by month_number
            rows between unbounded preceding and current row
        ) as monetary,
        min(first_open_day) over (
            partition by shop_id, member_id
            order by month_number
            rows between unbounded preceding and current row
        ) as first_open_day,
        max(last_open_day) over (
            partition by shop_id, member_id
            order by month_number
            rows between unbounded preceding and current row
        ) as last_open_day,
        lead(month_number) over (
            partition by shop_id, member_id
            order by month_number
        ) as next_change_month_number
    from monthly_changes
),

-- each month end takes the running measures of the member's latest change on
-- or before it (no month number reaches the sentinel 2147483647)
accumulated_at_month_ends as (
    select
        accumulated.shop_id,
        accumulated.member_id,
        month_end_snapshots.snapshot_month_number as month_number,
        month_end_snapshots.snapshot_date,
        month_end_snapshots.is_partial_month,
        month_end_snapshots.as_of_date,
        accumulated.frequency,
        accumulated.purchase_days,
        accumulated.monetary,
        accumulated.first_open_day,
        accumulated.last_open_day
    from accumulated
    inner join month_end_snapshots
        on
            accumulated.month_number <= month_end_snapshots.snapshot_month_number
            and coalesce(accumulated.next_change_month_number, 2147483647) > month_end_snapshots.snapshot_month_number
    where accumulated.frequency > 0
),

members_at_month_ends as (
    select
        accumulated_at_month_ends.shop_id,
        accumulated_at_month_ends.member_id,
        accumulated_at_month_ends.snapshot_date,
        accumulated_at_month_ends.is_partial_month,
        false as is_as_of_date_snapshot,
        accumulated_at_month_ends.as_of_date,
        cast(accumulated_at_month_ends.frequency as bigint) as frequency,
        cast(accumulated_at_month_ends.purchase_days as bigint) as purchase_days,
        accumulated_at_month_ends.monetary,
        coalesce(
            case
                when accumulated_at_month_ends.first_open_day <= closed_run_days.first_closed_day
                    then accumulated_at_month_ends.first_open_day
                else closed_run_days.first_closed_day
            end,
            accumulated_at_month_ends.first_open_day
        ) as first_purchase_date,
        coalesce(
            case
                when accumulated_at_month_ends.last_open_day >= closed_run_days.last_closed_day
                    then accumulated_at_month_ends.last_open_day
                else closed_run_days.last_closed_day
            end,
            accumulated_at_month_ends.last_open_day
        ) as last_purchase_date
    from accumulated_at_month_ends
    left join closed_run_days
        on
            accumulated_at_month_ends.shop_id = closed_run_days.shop_id
            and accumulated_at_month_ends.member_id = closed_run_days.member_id
            and accumulated_at_month_ends.month_number = closed_run_days.month_number
),

members as (
    select * from members_at_as_of_date
    union all
    select * from members_at_month_ends
),

measured as (
    select
        *,
        cast({{ dbt.datediff('last_purchase_date', 'snapshot_date', 'day') }} as int) as recency_days
    from members
),

scored as (
    select
        *,
        {{ member_analytics.rfm_scores('shop_id, snapshot_date, is_as_of_date_snapshot') }}
    from measured
),

final as (
    select
        scored.shop_id,
        scored.member_id,
        segment_map.rfm_segment,
        {{ member_analytics.recency_band('scored.recency_days') }} as recency_band,
        scored.recency_days,
        cast(scored.frequency as bigint) as frequency,
        cast(scored.purchase_days as bigint) as purchase_days,
        cast(scored.monetary as decimal(38, 2)) as monetary,
        {{ member_analytics.money_per('scored.monetary', 'scored.frequency') }} as average_order_value,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ member_analytics.loyalty_ladder_step('scored.frequency') }} as loyalty_ladder_step,
        scored.is_partial_month,
        scored.is_as_of_date_snapshot,
        scored.snapshot_date,
        scored.as_of_date,
        scored.first_purchase_date,
        scored.last_purchase_date
    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score
            and scored.m_score = segment_map.m_score
)

select * from final
