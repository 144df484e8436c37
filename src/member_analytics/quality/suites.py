"""The two Great Expectations suites, as code (docs/decisions/0070).

Each check bounds one column of a suite's frame: one row per shop, one column
per `<table>__<metric>` of the profile models in models/audit/quality (SQL
aggregates, so the frames stay a few rows long at any scale). A bound is a
number fixed by a definition (RFM scores are 1-5) or the name of a threshold
var, whose value of this very build is read from audit.rpt_quality_thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_INPUT = "raw_input"
PUBLISHED_MARTS = "published_marts"

VAR_PREFIX = "member_analytics__quality__"


@dataclass(frozen=True)
class Check:
    """`min_value <= column <= max_value` for every shop (null: not measured, passes).

    A bound is a number or a threshold var name without its prefix
    (`max_rejected_share` is the var member_analytics__quality__max_rejected_share).
    """

    column: str
    meaning: str
    min_value: float | str | None = None
    max_value: float | str | None = None

    def threshold_vars(self) -> list[str]:
        return [VAR_PREFIX + bound for bound in (self.min_value, self.max_value) if isinstance(bound, str)]


# Contract tables whose rows carry a code the staging models check (order status,
# behaviour and service event types): their unknown_code share is bounded.
CODED_TABLES = ("orders", "behavior_events", "service_events")
CONTRACT_TABLES = ("orders", "order_items", "members", "products", "behavior_events", "service_events",
                   "points_events", "campaign_sends", "campaign_assignments")
# Tables a shop sends every day: how old their latest row is, is bounded.
DAILY_TABLES = ("orders", "behavior_events")

RAW_CHECKS: tuple[Check, ...] = (
    Check("orders__kept_rows", "every shop has kept orders", min_value="min_orders_per_shop"),
    *(Check(f"{table}__rejected_share", f"share of the shop's raw {table} rows rejected",
            max_value="max_rejected_share") for table in CONTRACT_TABLES),
    *(Check(f"{table}__unknown_code_share", f"share of the shop's raw {table} rows with an unknown code",
            max_value="max_unknown_code_share") for table in CODED_TABLES),
    Check("orders__paid_amount_p50", "median paid amount of kept orders (yuan)",
          min_value="min_paid_amount_median", max_value="max_paid_amount_median"),
    Check("orders__paid_amount_p99", "99th percentile of the paid amount of kept orders (yuan)",
          max_value="max_paid_amount_p99"),
    *(Check(f"{table}__days_since_latest_row", f"days from the latest kept {table} row to as_of_date",
            max_value="max_days_since_latest_row") for table in DAILY_TABLES),
    Check("orders__order_day_coverage", "share of the coverage window's days with a kept order",
          min_value="min_order_day_coverage"),
    Check("orders__buyers_not_in_members_share",
          "share of the shop's buyers found in no members row (shops with members only)",
          max_value="max_buyers_not_in_members_share"),
)

# Added only when there is a previous published build to compare with.
PREVIOUS_CHECKS: tuple[Check, ...] = (
    Check("orders__kept_orders_drop_vs_previous",
          "fall in kept orders since the previous published build, as a share of its count "
          "(1 when the shop is gone)", max_value="max_order_drop_share"),
    Check("orders__paid_amount_p50_change_vs_previous",
          "relative change of the median paid amount since the previous published build",
          max_value="max_paid_amount_median_change"),
)

SCORE_RANGE = (1, 5)  # RFM scores are quintiles 1-5 by definition (docs/decisions/0010)

MART_CHECKS: tuple[Check, ...] = (
    *(Check(f"{table}__{score}_{extreme}", f"{extreme} {score} in {table}",
            min_value=SCORE_RANGE[0], max_value=SCORE_RANGE[1])
      for table in ("fct_member_rfm", "fct_member_rfm_history")
      for score in ("r_score", "f_score", "m_score")
      for extreme in ("min", "max")),
    Check("fct_member_rfm__buyers_without_segment", "buyers whose scores map to no RFM segment", max_value=0),
    Check("fct_member_rfm__largest_segment_share", "the largest RFM segment's share of the shop's buyers (lost left out)",
          max_value="max_rfm_segment_share"),
    Check("fct_member_tiers_current__buyer_schemes_without_current_tier",
          "buyer × scheme pairs with no current tier", max_value=0),
    Check("fct_member_tiers_current__buyer_schemes_with_several_current_tiers",
          "buyer × scheme pairs with more than one current tier", max_value=0),
    Check("fct_member_tiers_current__current_tiers_of_non_buyers",
          "current tiers of members who are not buyers", max_value=0),
    Check("fct_member_points_ledger__min_balance_after", "lowest running points balance in the ledger",
          min_value=0),
    Check("fct_member_points_balance__min_balance_points", "lowest member points balance", min_value=0),
)
