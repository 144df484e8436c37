-- One row per shop, member and snapshot date: the member's RFM as it stood at
-- every month end from their first valid purchase, plus as_of_date itself as
-- the latest (partial-month) snapshot. One query over all snapshots: each
-- order joins the snapshots on or after its date; a refund counts from its
-- refund_date on (a later refund does not change earlier snapshots, and a
-- full refund ends the order's life as a purchase from that date). Scores
-- are computed among the shop's members at that snapshot only (macro
-- rfm_scores, partitioned by shop and snapshot).
with

orders as (
    select * from {{ ref('fct_orders') }}
    where not is_after_as_of_date
),

snapshot_months as (
    select * from {{ ref('int_months_spined') }}
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
        as_of_date,
        count(*) as frequency,
        count(distinct ordered_date) as purchase_days,
        sum(gross_amount - applied_refund_amount) as monetary,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from purchases_at_snapshots
    group by shop_id, member_id, snapshot_date, is_partial_month, as_of_date
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
        {{ member_analytics.rfm_scores('shop_id, snapshot_date') }}
    from measured
),

final as (
    {{ member_analytics.rfm_scored_members_select(snapshot_columns=['is_partial_month', 'snapshot_date']) }}
)

select * from final
