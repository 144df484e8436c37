"""Today's contact lists: the unsuppressed rows of fct_campaign_audiences,
one CSV per shop (docs/decisions/0060).

The columns are what a shop's messaging tool needs to send: the member id (the
tool resolves the address for the channel from it, as the marketplaces' CRM
tools do), the audience, the action, the channel and the product or category.
No phone number, name, birth date or reason text leaves the warehouse.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

COLUMNS = ["member_id", "audience", "priority", "suggested_action", "channel", "product_id", "product_name",
           "category", "as_of_date"]
SAFE_SHOP = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ExportError(ValueError):
    """A request the export cannot serve (unknown shop, unsafe name, no build)."""


def export_contacts(warehouse: Path, out: Path, shops: list[str] | None = None) -> dict[str, int]:
    """Write out/<shop_id>.csv per shop and return the rows written per shop."""
    if not warehouse.exists():
        raise ExportError(f"no warehouse at {warehouse}: run the build first (bin/run)")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        try:
            known = [row[0] for row in connection.execute(
                "select distinct shop_id from marts.rpt_audience_summary order by shop_id").fetchall()]
        except duckdb.CatalogException as error:
            raise ExportError(f"{warehouse} has no campaign marts: run the build first (bin/run)") from error
        wanted = known if not shops else shops
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise ExportError(f"unknown shop(s) {', '.join(unknown)}; the warehouse has {', '.join(known)}")
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        for shop in wanted:
            if not SAFE_SHOP.match(shop):
                raise ExportError(f"shop id {shop!r} cannot be a file name")
            rows = connection.execute(
                f"select {', '.join(COLUMNS)} from marts.fct_campaign_audiences "
                "where shop_id = ? and not is_suppressed order by priority, audience, member_id",
                [shop]).fetchall()
            with open(out / f"{shop}.csv", "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(COLUMNS)
                writer.writerows(["" if value is None else value for value in row] for row in rows)
            written[shop] = len(rows)
    return written
