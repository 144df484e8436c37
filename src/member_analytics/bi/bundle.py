"""BI-ready export bundles: the public marts of all shops or of a list of shops
(docs/decisions/0063).

A bundle is a folder with
- member_analytics.duckdb: schema `marts` with the public marts only;
- parquet/<mart>.parquet: the same tables as Parquet files;
- dashboard.html: the dashboard of exactly these shops (when the dashboard
  module is installed);
- bundle.json: what is inside (shops, marts, rows, as_of_date, source).

Left out: staging, intermediate and audit schemas (so no rejected rows), marts
tagged personal_data and every column tagged personal_data (hashed phone and
nickname, birthday). Marts whose contract says head_office_only (rows about
several shops at once, e.g. rpt_shop_overlap: docs/decisions/0126) go only into
the head-office bundle (no shops given), never into a bundle of selected shops,
even one listing every shop; a mart that names several shops (a column such as
shop_id_a) without a shop_id and without that flag stops the export. Rows are
those of the bundle's shops only; shop ids are passed to the queries as
parameters, never written into SQL. The bundle is
written to a temporary folder and renamed into place, so a reader never sees a
half-written bundle.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb

from member_analytics.exports.contacts import SAFE_SHOP
from member_analytics.publish.contracts import HEAD_OFFICE_ONLY, committed_contracts


class BundleError(ValueError):
    """A request the export cannot serve (unknown or unsafe shop, no build)."""


def _quote(identifier: str) -> str:
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", identifier):
        raise BundleError(f"unexpected identifier {identifier!r} in contracts/public_marts.json")
    return f'"{identifier}"'


def warehouse_shops(warehouse: Path) -> list[str]:
    """The shops of a built warehouse."""
    if not warehouse.exists():
        raise BundleError(f"no warehouse at {warehouse}: run the build first (bin/run)")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return [row[0] for row in connection.execute(
            "select distinct shop_id from marts.dim_members order by shop_id").fetchall()]


def export_bundle(warehouse: Path, out: Path, shops: list[str] | None = None, name: str | None = None,
                  dashboard: bool = True) -> Path:
    """Write the bundle folder out/<name> and return its path."""
    for shop in shops or []:
        if not SAFE_SHOP.match(shop):
            raise BundleError(f"shop id {shop!r} is not a valid shop id (letters, digits, _ . -)")
    name = name or ("all_shops" if not shops else shops[0] if len(shops) == 1 else "shops_" + "_".join(sorted(shops)))
    if not SAFE_SHOP.match(name):
        raise BundleError(f"bundle name {name!r} cannot be a folder name")
    known = warehouse_shops(warehouse)
    wanted = sorted(set(shops)) if shops else known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise BundleError(f"unknown shop(s) {', '.join(unknown)}; the warehouse has {', '.join(known)}")
    contracts = committed_contracts()
    if not contracts:
        raise BundleError("contracts/public_marts.json is missing: the bundle does not know the public marts")

    final = out / name
    staging = out / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "parquet").mkdir(parents=True)
    try:
        _write(warehouse, staging, wanted, contracts, dashboard, head_office=not shops)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if final.exists():
        old = out / f".{name}.old"
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
        staging.rename(final)
        shutil.rmtree(old)
    else:
        staging.rename(final)
    return final


def _names_other_shops(contract: dict) -> bool:
    """A mart without a single shop_id whose columns name shops (shop_id_a, other_shop_id):
    its rows are about several shops, so a bundle of selected shops cannot filter it."""
    return "shop_id" not in contract["columns"] and any(
        column.startswith("shop_id") or column.endswith("shop_id") for column in contract["columns"])


def _write(warehouse: Path, staging: Path, wanted: list[str], contracts: dict, dashboard: bool,
           head_office: bool = False) -> None:
    bundle_db = staging / "member_analytics.duckdb"
    contents = {"shops": wanted, "head_office": head_office, "marts": {}, "left_out": {}}
    if not head_office:
        unflagged = [mart for mart, contract in contracts.items()
                     if _names_other_shops(contract) and not contract.get(HEAD_OFFICE_ONLY)
                     and not contract["personal_data"]]
        if unflagged:
            raise BundleError(f"mart(s) {', '.join(unflagged)} hold rows about several shops but their contract is "
                              "not head_office_only: a bundle of selected shops cannot filter them")
    with duckdb.connect(str(bundle_db)) as connection:
        connection.execute("attach ? as published (read_only)", [str(warehouse)])
        connection.execute("create temp table bundle_shops (shop_id varchar)")
        connection.executemany("insert into bundle_shops values (?)", [[shop] for shop in wanted])
        connection.execute("create schema marts")
        for mart, contract in contracts.items():
            if contract["personal_data"]:
                contents["left_out"][mart] = "the whole mart (tagged personal_data)"
                continue
            if contract.get(HEAD_OFFICE_ONLY) and not head_office:
                contents["left_out"][mart] = "the whole mart (head office only: rows about several shops)"
                continue
            columns = [column for column in contract["columns"] if column not in contract["personal_data_columns"]]
            if contract["personal_data_columns"]:
                contents["left_out"][mart] = "columns " + ", ".join(contract["personal_data_columns"])
            select = ", ".join(_quote(column) for column in columns)
            where = ("where shop_id in (select shop_id from bundle_shops)" if "shop_id" in contract["columns"]
                     else "")
            order = ", ".join(_quote(column) for column in contract["key"]) or "all"
            connection.execute(
                f"create table marts.{_quote(mart)} as select {select} from published.marts.{_quote(mart)} "
                f"{where} order by {order}")
            connection.table(f"marts.{mart}").write_parquet(str(staging / "parquet" / f"{mart}.parquet"))
            contents["marts"][mart] = connection.execute(f"select count(*) from marts.{_quote(mart)}").fetchone()[0]
        as_of_date = connection.execute("select cast(as_of_date as varchar) from marts.rpt_build_metadata").fetchone()
        contents["as_of_date"] = as_of_date[0] if as_of_date else None
        connection.execute("detach published")
    if dashboard:
        try:
            from member_analytics.bi.dashboard import build_dashboard
        except ImportError:
            contents["dashboard"] = None
        else:
            build_dashboard(bundle_db, staging / "dashboard.html", wanted)
            contents["dashboard"] = "dashboard.html"
    contents["source_warehouse"] = str(warehouse)
    (staging / "bundle.json").write_text(json.dumps(contents, indent=2, ensure_ascii=False) + "\n")
