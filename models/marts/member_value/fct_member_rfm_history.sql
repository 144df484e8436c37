-- One row per shop, member and snapshot date: the member's RFM as it stood at
-- every month end from their first valid purchase, plus as_of_date itself as
-- the latest (partial-month) snapshot. Every snapshot of int_member_rfm_scored,
-- where RFM is scored (docs/decisions/0010, 0013): a refund counts from its
-- refund_date on, scores are computed among the shop's members at that snapshot.
with

scored as (
    select * from {{ ref('int_member_rfm_scored') }}
),

final as (
    select
        shop_id,
        member_id,
        rfm_segment,
        recency_band,
        recency_days,
        frequency,
        purchase_days,
        monetary,
        average_order_value,
        r_score,
        f_score,
        m_score,
        loyalty_ladder_step,
        is_partial_month,
        snapshot_date,
        as_of_date,
        first_purchase_date,
        last_purchase_date
    from scored
)

select * from final
