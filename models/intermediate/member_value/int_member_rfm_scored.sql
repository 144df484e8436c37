-- One row per shop, member and snapshot date (int_months_spined: every month
-- end from the first kept order, and as_of_date itself): the member's RFM as it
-- stood at that date, scored among the shop's members at that snapshot only
-- (macro rfm_scores; docs/decisions/0010), with the segment (seed
-- rfm_segment_map), the recency band and the ladder rung. The one place RFM is
-- scored: fct_member_rfm_history selects every snapshot, fct_member_rfm the
-- as_of_date one.
--
-- Each order joins the snapshots on or after its date; a refund counts from its
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
-- decimal(18, 2)) and that refund: so `purchases_at_snapshots` holds exactly the
-- orders with is_valid_purchase, and gross_amount − refund is their net_amount.
-- When as_of_date is a month end, int_months_spined has one snapshot on it (the
-- month end, is_partial_month false), not two, so the same rows are selected.
--
-- A view, and is_as_of_date_snapshot (which snapshot set a row belongs to: the
-- as_of_date one, or a month end before it) is a column of the grain. It is in
-- every score's window partition (where it changes no score: one snapshot_date
-- has one value of it) so that fct_member_rfm's `where is_as_of_date_snapshot`
-- passes the windows and the aggregate down to the snapshot calendar: the current
-- mart scores one snapshot, whether as_of_date is a var or read from
-- int_as_of_date, and does not wait for the history.
with

orders as (
    select * from {{ ref('int_orders_valued') }}
    where not is_after_as_of_date
),

snapshot_months as (
    select
        *,
        snapshot_date = as_of_date as is_as_of_date_snapshot
    from {{ ref('int_months_spined') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

orders_at_snapshots as (
    select
        orders.shop_id,
        orders.member_id,
        orders.status,
        orders.gross_amount,
        case
            when orders.refund_date <= snapshot_months.snapshot_date then orders.refund_amount
            else cast(0 as decimal(18, 2))
        end as applied_refund_amount,
        snapshot_months.is_partial_month,
        snapshot_months.is_as_of_date_snapshot,
        orders.ordered_date,
        snapshot_months.snapshot_date,
        snapshot_months.as_of_date
    from orders
    inner join snapshot_months
        on orders.ordered_date <= snapshot_months.snapshot_date
),

purchases_at_snapshots as (
    select * from orders_at_snapshots
    where {{ member_analytics.is_valid_purchase('status', 'gross_amount', 'applied_refund_amount') }}
),

members as (
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
    from purchases_at_snapshots
    group by shop_id, member_id, snapshot_date, is_partial_month, is_as_of_date_snapshot, as_of_date
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
        cast(scored.monetary as decimal(18, 2)) as monetary,
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
