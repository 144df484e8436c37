-- One row per shop and member with at least one valid purchase by as_of_date:
-- recency, frequency and monetary value, their 1–5 scores within the shop, the
-- segment, the recency band and the loyalty-ladder rung. int_member_rfm_current,
-- where the as_of_date snapshot is scored (docs/decisions/0010, 0129), which is
-- also the history's as_of_date snapshot: refunds dated up to as_of_date are
-- applied, orders after as_of_date are not purchases (int_member_rfm_current says
-- why that is fct_orders' as-of state, month end or not). A view on DuckDB (a table
-- on Spark), like the RFM history (docs/decisions/0120, 0131): the rows are stored
-- once, in int_member_rfm_current, and this mart only names its columns.
{{ config(materialized=member_analytics.history_view_materialization()) }}
with

scored as (
    select * from {{ ref('int_member_rfm_current') }}
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
