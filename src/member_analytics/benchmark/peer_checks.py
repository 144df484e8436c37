"""The peers' answers (Parquet) against the marts: aggregate checks, not timed
(decision 0090 says why they may differ).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from member_analytics.benchmark.floors import _literal


# ----------------------------------------------------------------------------- the peers

# Per peer: the mart, the join keys, and the checks (name -> SQL aggregate over
# `mart full join peer`). Money is compared in cents (the peers keep integer cents).
_PEER_CHECKS = {
    "rfm": ("fct_member_rfm", "mart.shop_id = peer.shop_id and mart.member_id = peer.member_id", {
        "buyers": ("count(mart.member_id)", "count(peer.member_id)"),
        "sum of monetary (cents)": ("cast(sum(mart.monetary * 100) as bigint)", "sum(peer.monetary_cents)"),
        "sum of frequency": ("sum(mart.frequency)", "sum(peer.frequency)"),
        "members with equal frequency and monetary": (
            "count(*) filter (where mart.frequency = peer.frequency and mart.monetary * 100 = peer.monetary_cents)",
            None),
        "members with equal recency and r, f, m scores": (
            "count(*) filter (where mart.recency_days = peer.recency_days and mart.r_score = peer.r_score "
            "and mart.f_score = peer.f_score and mart.m_score = peer.m_score)", None),
    }),
    "cohorts": ("rpt_cohort_retention",
                "mart.shop_id = peer.shop_id and mart.first_purchase_month = cast(peer.first_purchase_month as date) "
                "and mart.months_since_first_purchase = peer.months_since_first_purchase", {
                    "rows (cohort x month)": ("count(mart.shop_id)", "count(peer.shop_id)"),
                    "buyers (cohort sizes at month 0)": (
                        "sum(mart.cohort_size) filter (where mart.months_since_first_purchase = 0)",
                        "sum(peer.cohort_size) filter (where peer.months_since_first_purchase = 0)"),
                    "sum of purchasing members": ("sum(mart.purchasing_members)", "sum(peer.purchasing_members)"),
                    "rows with equal size, purchasing members and cumulative net": (
                        "count(*) filter (where mart.cohort_size = peer.cohort_size "
                        "and mart.purchasing_members = peer.purchasing_members "
                        "and mart.cumulative_net_revenue * 100 = peer.cumulative_net_cents)", None),
                }),
    "pairs": ("fct_product_pairs",
              "mart.shop_id = peer.shop_id and mart.product_id_a = peer.product_id_a "
              "and mart.product_id_b = peer.product_id_b", {
                  "pairs above min support": ("count(mart.shop_id)", "count(peer.shop_id)"),
                  "sum of n_ab": ("sum(mart.n_ab)", "sum(peer.n_ab)"),
                  "pairs with equal n_ab and N": (
                      "count(*) filter (where mart.n_ab = peer.n_ab and mart.n = peer.n)", None),
                  "largest difference of support, confidences, lift": (
                      "greatest(max(abs(mart.support - peer.support)), "
                      "max(abs(mart.confidence_a_to_b - peer.confidence_a_to_b)), "
                      "max(abs(mart.confidence_b_to_a - peer.confidence_b_to_a)), max(abs(mart.lift - peer.lift)))",
                      None),
              }),
}


def peer_agreement(connection: duckdb.DuckDBPyConnection, warehouse: Path, answers: dict[str, Path]) -> dict:
    """Aggregate checks of each peer's answer (Parquet) against its mart (not
    timed): per check the mart's figure and the peer's, or one figure about
    both (rows with equal values, the largest difference of the ratios)."""
    connection.execute(f"attach {_literal(str(warehouse))} as built (read_only)").fetchall()
    agreement = {}
    try:
        for name, path in answers.items():
            mart, join, checks = _PEER_CHECKS[name]
            columns = [expression for pair in checks.values() for expression in pair if expression]
            values = iter(connection.execute(
                f"select {', '.join(columns)} from built.marts.{mart} as mart "
                f"full join read_parquet({_literal(str(path))}) as peer on {join}").fetchall()[0])
            agreement[name] = {check: {"mart": next(values), "peer": next(values)} if peer else {"both": next(values)}
                               for check, (_mart, peer) in checks.items()}
    finally:
        connection.execute("detach built").fetchall()
    return agreement
