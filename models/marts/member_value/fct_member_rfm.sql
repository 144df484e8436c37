-- One row per shop and member with at least one valid purchase by as_of_date:
-- recency, frequency and monetary value, their 1–5 scores within the shop, the
-- segment, the recency band and the loyalty-ladder rung. The as_of_date snapshot
-- of int_member_rfm_scored, where RFM is scored (docs/decisions/0010): refunds
-- dated up to as_of_date are applied, orders after as_of_date are not purchases
-- (int_member_rfm_scored says why that is fct_orders' as-of state, month end or
-- not).
with

scored as (
    select * from {{ ref('int_member_rfm_scored') }}
    where is_as_of_date_snapshot
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
        snapshot_date as as_of_date,
        first_purchase_date,
        last_purchase_date
    from scored
)

select * from final
