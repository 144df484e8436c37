"""Read the compact profile tables from the warehouse (read-only, closed
after) and shape them into the frames the suites validate: one row per shop,
one column per `<table>__<metric>`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

THRESHOLDS = "audit.rpt_quality_thresholds"
RAW_PROFILE = "audit.rpt_quality_raw_profile"
MARTS_PROFILE = "audit.rpt_quality_marts_profile"


class QualityError(RuntimeError):
    """The checks cannot run: no warehouse, or a profile table was not built."""


def _read(warehouse: Path, sql: str, needs: str) -> pd.DataFrame:
    if not Path(warehouse).exists():
        raise QualityError(f"no warehouse at {warehouse}")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        try:
            return connection.execute(sql).df()
        except duckdb.CatalogException as error:
            raise QualityError(f"{warehouse}: {needs} is missing; build it first "
                               f"(bin/dbt build -s +tag:quality_raw, or the whole project)") from error


def thresholds(warehouse: Path) -> dict[str, float]:
    """The quality threshold vars of the build that made the warehouse."""
    frame = _read(warehouse, f"select threshold_name, threshold_value from {THRESHOLDS}", THRESHOLDS)
    return dict(zip(frame["threshold_name"], frame["threshold_value"].astype(float)))


def wide(warehouse: Path, table: str) -> pd.DataFrame:
    """A profile table (shop × table × metric) as one row per shop and one
    column per `<table>__<metric>`; a null metric is NaN."""
    frame = _read(warehouse, f"select shop_id, table_name, metric_name, metric_value from {table}", table)
    if frame.empty:
        return pd.DataFrame({"shop_id": pd.Series(dtype="string")})
    frame["column"] = frame["table_name"] + "__" + frame["metric_name"]
    result = frame.pivot(index="shop_id", columns="column", values="metric_value").astype(float)
    result.columns.name = None
    return result.reset_index().sort_values("shop_id", ignore_index=True)


def previous_orders(warehouse: Path) -> dict[str, dict[str, float]]:
    """Per shop: kept orders and their median paid amount in marts.fct_orders
    (every kept order, as the raw profile counts them, the median as the
    profile's `quantile` macro computes it); {} when there is none."""
    if not Path(warehouse).exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        try:
            rows = connection.execute(
                """
                select shop_id, count(*), quantile_cont(cast(gross_amount as double), 0.5)
                from marts.fct_orders
                group by shop_id
                order by shop_id
                """
            ).fetchall()
        except duckdb.CatalogException:
            return {}
    return {shop: {"kept_orders": int(count), "paid_amount_p50": None if median is None else float(median)}
            for shop, count, median in rows}


def with_previous(frame: pd.DataFrame, previous: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Add the comparisons with the previous build: the fall in kept orders as a
    share of the previous count (0 when they rose; 1 for a shop that is gone)
    and the relative change of the median paid amount. A shop of the previous
    build missing now gets a row of its own."""
    before = pd.DataFrame(
        [{"shop_id": shop, "previous_kept_orders": float(values.get("kept_orders") or 0),
          "previous_paid_amount_p50": values.get("paid_amount_p50")}
         for shop, values in previous.items()],
        columns=["shop_id", "previous_kept_orders", "previous_paid_amount_p50"],
    )
    merged = frame.merge(before, on="shop_id", how="outer").sort_values("shop_id", ignore_index=True)
    current = merged.get("orders__kept_rows", pd.Series(float("nan"), index=merged.index)).fillna(0.0)
    earlier = merged["previous_kept_orders"].astype(float)
    merged["orders__kept_orders_drop_vs_previous"] = ((earlier - current) / earlier).clip(lower=0).where(earlier > 0)
    median_now = merged.get("orders__paid_amount_p50", pd.Series(float("nan"), index=merged.index)).astype(float)
    median_before = merged["previous_paid_amount_p50"].astype(float)
    merged["orders__paid_amount_p50_change_vs_previous"] = (
        (median_now / median_before - 1).abs().where(median_before > 0))
    return merged
