"""The dashboard's query layer: every read of the warehouse the dashboard makes,
as named queries over the public marts (schema `marts`).

    QUERIES: name -> Query (the marts it reads, its SQL)
    MARTS_READ: every public mart these queries read (models/exposures lists the same)
    fetch(connection, name, shops) -> DataFrame
    missing_marts(connection), shop_ids(connection), as_of_date(connection)

Each chart asks for its query by name (charts.py) and draws the frame it gets;
no chart holds SQL. Every query returns rows per shop with additive measures
only, so any set of shops sums (rates are recomputed from the summed counts),
and binds the shops as the list parameter $shops: shop ids never reach SQL text.

The governed metrics (models/semantic, docs/decisions/0081) are MetricFlow's;
MetricFlow needs the dbt project, which a BI bundle does not carry, and takes
seconds a query. The `shop_kpis` query is therefore the same definitions in SQL
over the marts the metrics read (`Query.metrics` names the metric each column
equals; pytests/dbt/test_bi.py checks those metrics against the same marts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

# Rows shown by the ranked charts.
TOP_PAIRS = 15
TOP_BUNDLES = 20


@dataclass(frozen=True)
class Query:
    """A named read of the public marts: grouped by shop, shops bound as $shops."""

    name: str
    marts: tuple[str, ...]
    sql: str
    metrics: dict[str, str] = field(default_factory=dict)  # column -> governed metric it equals


_QUERIES: tuple[Query, ...] = (
    Query("rfm_segments", ("fct_member_rfm",), """
        select shop_id, rfm_segment, count(*) as members, cast(sum(monetary) as double) as monetary
        from marts.fct_member_rfm
        where list_contains($shops, shop_id)
        group by shop_id, rfm_segment"""),
    Query("segment_transitions", ("fct_member_segment_changes",), """
        select
            shop_id, cast(snapshot_date as string) as snapshot_date, previous_value, new_value, count(*) as members,
            sum(previous_r_score + previous_f_score + previous_m_score) as previous_score_sum,
            sum(r_score + f_score + m_score) as new_score_sum
        from marts.fct_member_segment_changes
        where changed_attribute = 'rfm_segment' and list_contains($shops, shop_id)
        group by all"""),
    Query("segment_changes_by_month", ("fct_member_segment_changes",), """
        select
            shop_id, cast(snapshot_date as string) as snapshot_date,
            count(*) filter (where not is_downgrade) as upgrades,
            count(*) filter (where is_downgrade) as downgrades
        from marts.fct_member_segment_changes
        where changed_attribute = 'rfm_segment' and list_contains($shops, shop_id)
        group by all"""),
    Query("tier_distribution", ("fct_member_tiers_current",), """
        select shop_id, scheme_name, tier_name, tier_rank, count(*) as members
        from marts.fct_member_tiers_current
        where list_contains($shops, shop_id)
        group by all"""),
    Query("tier_changes_by_month", ("fct_member_tier_changes",), """
        select
            shop_id, scheme_name,
            cast(cast(date_trunc('month', change_date) as date) as string) as change_month,
            change_direction, count(*) as changes
        from marts.fct_member_tier_changes
        where list_contains($shops, shop_id)
        group by all"""),
    Query("activity_loyalty_matrix", ("rpt_activity_loyalty_matrix",), """
        select
            shop_id, activity_group, loyalty_level, cell_name, diagnosis, suggested_action,
            sum(members) as members, cast(sum(net_revenue_in_window) as double) as net_revenue
        from marts.rpt_activity_loyalty_matrix
        where list_contains($shops, shop_id)
        group by all"""),
    Query("lifecycle_funnel", ("fct_member_lifecycle",), """
        select shop_id, lifecycle_stage, stage_order, suggested_action, count(*) as members
        from marts.fct_member_lifecycle
        where list_contains($shops, shop_id)
        group by all"""),
    Query("lifecycle_flow", ("rpt_lifecycle_flow",), """
        select
            shop_id, cast(snapshot_date as string) as snapshot_date,
            cast(previous_snapshot_date as string) as previous_snapshot_date,
            from_stage, to_stage, from_stage_order, to_stage_order, sum(members) as members
        from marts.rpt_lifecycle_flow
        where list_contains($shops, shop_id)
        group by all"""),
    Query("churn_risk_bands", ("fct_member_forecasts",), """
        select
            shop_id, churn_risk_band, count(*) as members,
            sum(expected_purchases_365d) as expected_purchase_days, sum(predicted_clv_365d) as predicted_value
        from marts.fct_member_forecasts
        where churn_risk_band is not null and list_contains($shops, shop_id)
        group by all"""),
    Query("forecast_holdout", ("rpt_forecast_holdout_deciles",), """
        select
            shop_id, prediction_decile, sum(members) as members,
            sum(predicted_purchase_days) as predicted_purchase_days, sum(actual_purchase_days) as actual_purchase_days
        from marts.rpt_forecast_holdout_deciles
        where list_contains($shops, shop_id)
        group by all"""),
    Query("campaign_lift", ("rpt_campaign_lift",), """
        select
            shop_id, audience, sum(treatment_members) as treatment_members, sum(holdout_members) as holdout_members,
            sum(treatment_conversions) as treatment_conversions, sum(holdout_conversions) as holdout_conversions,
            sum(incremental_net_revenue) as incremental_net_revenue
        from marts.rpt_campaign_lift
        where list_contains($shops, shop_id)
        group by all"""),
    Query("cohort_retention", ("rpt_cohort_retention",), """
        select
            shop_id, cast(first_purchase_month as string) as first_purchase_month, months_since_first_purchase,
            sum(cohort_size) as cohort_size, sum(purchasing_members) as purchasing_members
        from marts.rpt_cohort_retention
        where list_contains($shops, shop_id)
        group by all"""),
    Query("top_product_pairs", ("fct_product_pairs",), f"""
        select
            shop_id, product_id_a, product_id_b, product_name_a, product_name_b,
            n_ab, support, confidence_a_to_b, lift
        from marts.fct_product_pairs
        where list_contains($shops, shop_id)
        qualify row_number() over (
            partition by shop_id order by lift desc, n_ab desc, product_id_a, product_id_b) <= {TOP_PAIRS}"""),
    Query("bundle_candidates", ("rpt_bundle_candidates",), f"""
        select
            shop_id, bundle_rank, product_id_a, product_id_b, product_name_a, product_name_b,
            n_ab, lift, cast(combined_price as double) as combined_price
        from marts.rpt_bundle_candidates
        where list_contains($shops, shop_id)
        qualify row_number() over (
            partition by shop_id order by lift desc, n_ab desc, product_id_a, product_id_b) <= {TOP_BUNDLES}"""),
    Query("audiences_today", ("rpt_audience_summary",), """
        select shop_id, audience, audience_name, priority, sum(members) as members,
            sum(reachable_members) as reachable_members
        from marts.rpt_audience_summary
        where list_contains($shops, shop_id)
        group by all"""),
    Query("service_event_trends", ("rpt_service_events_monthly", "rpt_promotion_periods"), """
        select
            'month' as kind, shop_id, cast(event_month as string) as event_month, cast(null as string) as promotion_id,
            number_of_orders, number_of_returns_exchanges, number_of_complaints, number_of_cancels
        from marts.rpt_service_events_monthly
        where list_contains($shops, shop_id)
        union all
        select distinct
            'promotion' as kind, shop_id, cast(promotion_date as string) as event_month, promotion_id,
            0 as number_of_orders, 0 as number_of_returns_exchanges, 0 as number_of_complaints,
            0 as number_of_cancels
        from marts.rpt_promotion_periods
        where list_contains($shops, shop_id)"""),
    Query("promotion_periods", ("rpt_promotion_periods",), """
        select
            shop_id, cast(promotion_date as string) as promotion_date, promotion_id, period, period_order,
            number_of_orders, number_of_returns_exchanges, number_of_complaints, number_of_bad_reviews
        from marts.rpt_promotion_periods
        where list_contains($shops, shop_id)"""),
    Query("shop_kpis", ("dim_members", "fct_member_rfm", "fct_orders", "fct_member_activity", "rpt_audience_summary"),
          """
        select
            members.shop_id,
            members.members,
            coalesce(rfm.buyers, 0) as buyers,
            coalesce(orders.valid_orders, 0) as valid_orders,
            coalesce(orders.net_revenue, 0) as net_revenue,
            coalesce(activity.active_members, 0) as active_members,
            coalesce(audiences.reachable_members, 0) as contacts_today
        from (
            select shop_id, count(*) as members from marts.dim_members
            where list_contains($shops, shop_id) group by shop_id
        ) as members
        left join (
            select shop_id, count(*) as buyers from marts.fct_member_rfm
            where list_contains($shops, shop_id) group by shop_id
        ) as rfm on members.shop_id = rfm.shop_id
        left join (
            select
                shop_id, count(*) as valid_orders, cast(sum(net_amount) as double) as net_revenue
            from marts.fct_orders
            where is_valid_purchase and list_contains($shops, shop_id) group by shop_id
        ) as orders on members.shop_id = orders.shop_id
        left join (
            select shop_id, count(*) filter (where activity_group = 'high') as active_members
            from marts.fct_member_activity
            where list_contains($shops, shop_id) group by shop_id
        ) as activity on members.shop_id = activity.shop_id
        left join (
            select shop_id, sum(reachable_members) as reachable_members from marts.rpt_audience_summary
            where list_contains($shops, shop_id) group by shop_id
        ) as audiences on members.shop_id = audiences.shop_id
    """, {
              "members": "members", "buyers": "buyers", "valid_orders": "valid_orders",
              "net_revenue": "net_revenue", "active_members": "active_members",
              "contacts_today": "reachable_audience_members"}),
)
QUERIES: dict[str, Query] = {query.name: query for query in _QUERIES}

_SHOPS_SQL = "select distinct shop_id from marts.dim_members order by shop_id"
_AS_OF_DATE_SQL = "select max(as_of_date) from marts.rpt_build_metadata"
# Every public mart the dashboard reads: the queries', the shop list's and the build date's.
MARTS_READ: tuple[str, ...] = tuple(dict.fromkeys(
    ("dim_members", *(mart for query in _QUERIES for mart in query.marts), "rpt_build_metadata")))


def fetch(connection: duckdb.DuckDBPyConnection, name: str, shops: list[str]) -> pd.DataFrame:
    """The rows of query `name` for these shops."""
    return connection.execute(QUERIES[name].sql, {"shops": shops}).df()


def missing_marts(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The marts of MARTS_READ that the warehouse lacks (schema marts)."""
    existing = {row[0] for row in connection.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    return sorted(set(MARTS_READ) - existing)


def shop_ids(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The shops of the warehouse (those with members)."""
    return [row[0] for row in connection.execute(_SHOPS_SQL).fetchall()]


def as_of_date(connection: duckdb.DuckDBPyConnection) -> str:
    """The build's as_of_date."""
    return str(connection.execute(_AS_OF_DATE_SQL).fetchone()[0])
