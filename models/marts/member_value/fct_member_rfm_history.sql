-- One row per shop, member and snapshot date: the member's RFM as it stood at
-- every month end from their first valid purchase, plus as_of_date itself as
-- the latest (partial-month) snapshot. Every snapshot of int_member_rfm_scored,
-- where RFM is scored (docs/decisions/0010, 0013): a refund counts from its
-- refund_date on, scores are computed among the shop's members at that snapshot.
-- A view on DuckDB (docs/decisions/0120; a table on Spark, which recomputes every
-- build): int_member_rfm_scored stores the snapshots and a daily run rewrites only
-- those it scores again; as_of_date, the build's, is the one column every row
-- would otherwise change on every day (from rpt_build_metadata, one row).
{{ config(materialized=member_analytics.history_view_materialization()) }}
with

scored as (
    select * from {{ ref('int_member_rfm_scored') }}
),

build as (
    select as_of_date from {{ ref('rpt_build_metadata') }}
),

final as (
    select
        scored.shop_id,
        scored.member_id,
        scored.rfm_segment,
        scored.recency_band,
        scored.recency_days,
        scored.frequency,
        scored.purchase_days,
        scored.monetary,
        scored.average_order_value,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        scored.loyalty_ladder_step,
        scored.is_partial_month,
        scored.snapshot_date,
        build.as_of_date,
        scored.first_purchase_date,
        scored.last_purchase_date
    from scored
    cross join build
)

select * from final
