"""Compare the public marts of two builds (DuckDB and Spark) value by value.

Public marts and their keys come from the project's YAML: every model under
models/marts with an enforced contract, keyed by its
`unique_combination_of_columns` test. A new public mart is therefore compared
as soon as it exists, without touching this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from member_analytics.env import project_root
from member_analytics.publish.contracts import current_contracts

ROOT = project_root()
# Only final ratios are doubles; they may differ in the last bits between engines.
RATIO_TOLERANCE = 1e-9


# Marts that keep rows logged by earlier builds (the campaign assignment log, docs/decisions/0123):
# a warehouse built day after day holds the assignments of every day it was built, a new one
# only its own day's, by design. They are compared on the rows a build makes from the data of
# its day: the day's own assignments (the latest logged day) and the imported ones.
_TODAYS_ASSIGNMENTS = ("assignment_source = 'import' or assignment_date = "
                       "(select max(assignment_date) from {table} where assignment_source = 'build')")
BUILD_LOG_ROWS = {
    "fct_campaign_assignment_log": "assignment_date = (select max(assignment_date) from {table})",
    "fct_campaign_assignments": _TODAYS_ASSIGNMENTS,
    "fct_campaign_outcomes": _TODAYS_ASSIGNMENTS,
}


@dataclass(frozen=True)
class Mart:
    name: str
    schema: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    double_columns: tuple[str, ...]
    rows_compared: str | None = None  # a predicate ({table}: the table) when not every row is compared

    def rows_of(self, table: str) -> str:
        """The table, or the subquery of its rows compared."""
        if self.rows_compared is None:
            return table
        return f"(select * from {table} where {self.rows_compared.format(table=table)}) as compared_rows"


def public_marts(project_root: Path = ROOT) -> list[Mart]:
    """Every contracted mart under models/marts, with its key and columns."""
    return [
        Mart(name, "marts", tuple(contract["key"]) or tuple(contract["columns"])[:1], tuple(contract["columns"]),
             tuple(column for column, data_type in contract["columns"].items() if data_type == "double"),
             BUILD_LOG_ROWS.get(name))
        for name, contract in current_contracts(project_root).items()
    ]


def sql_differences(connection, mart: Mart, left: str, right: str) -> dict[str, int]:
    """Differences between two tables of one mart, counted in SQL on one DuckDB connection
    (both attached): rows whose key is only in `left` or only in `right`, rows with the
    same key and another value (doubles within RATIO_TOLERANCE, everything else exact,
    nulls equal), the difference in row counts, and keys held by more than one row on
    either side (a mart's key is unique, so the join above assumes it). All zero when equal."""
    def quoted(column: str) -> str:
        return '"' + column.replace('"', '""') + '"'

    left, right = mart.rows_of(left), mart.rows_of(right)
    on = " and ".join(f"l.{quoted(c)} is not distinct from r.{quoted(c)}" for c in mart.key)
    differs = []
    for column in mart.columns:
        if column in mart.key:
            continue
        a, b = f"l.{quoted(column)}", f"r.{quoted(column)}"
        if column in mart.double_columns:
            differs.append(f"(({a} is null) <> ({b} is null) or abs({a} - {b}) > "
                           f"{RATIO_TOLERANCE} * greatest(1.0, abs({a}), abs({b})))")
        else:
            differs.append(f"{a} is distinct from {b}")
    left_only, right_only, changed = connection.execute(
        "select count(*) filter (where r._present is null),"
        " count(*) filter (where l._present is null),"
        f" count(*) filter (where l._present and r._present and ({' or '.join(differs) or 'false'}))"
        f" from (select *, true as _present from {left}) as l"
        f" full outer join (select *, true as _present from {right}) as r on {on}").fetchone()
    left_rows = connection.execute(f"select count(*) from {left}").fetchone()[0]
    right_rows = connection.execute(f"select count(*) from {right}").fetchone()[0]
    keys = ", ".join(quoted(c) for c in mart.key)
    duplicated = sum(connection.execute(
        f"select count(*) from (select {keys} from {table} group by all having count(*) > 1)").fetchone()[0]
        for table in (left, right))
    return {"only_left": left_only, "only_right": right_only, "different": changed,
            "row_count_difference": abs(left_rows - right_rows), "duplicated_keys": duplicated}


def _normalise(value):
    """One representation per value whatever engine or driver produced it."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, Decimal):
        return value.normalize() if value == value.to_integral_value() else value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def compare(mart: Mart, left: pd.DataFrame, right: pd.DataFrame, limit: int = 20) -> list[str]:
    """Differences between two extracts of one mart, as readable lines (empty when equal).
    Rows are matched on the mart's key; each value is normalised once (_normalise), doubles
    compared within RATIO_TOLERANCE, everything else exactly."""
    problems = []
    if len(left) != len(right):
        problems.append(f"{mart.name}: {len(left)} rows vs {len(right)} rows")
    key = list(mart.key)
    left_rows, right_rows = _rows_by_key(left, key, mart.columns), _rows_by_key(right, key, mart.columns)
    only_left = sorted(set(left_rows) - set(right_rows), key=str)
    only_right = sorted(set(right_rows) - set(left_rows), key=str)
    if only_left:
        problems.append(f"{mart.name}: {len(only_left)} keys only in the first build, e.g. {only_left[:3]}")
    if only_right:
        problems.append(f"{mart.name}: {len(only_right)} keys only in the second build, e.g. {only_right[:3]}")
    doubles = [column in mart.double_columns for column in mart.columns]
    for key_value in sorted(set(left_rows) & set(right_rows), key=str):
        left_values, right_values = left_rows[key_value], right_rows[key_value]
        if left_values == right_values:  # every value equal (a double equal is within the tolerance too)
            continue
        for column, is_double, a, b in zip(mart.columns, doubles, left_values, right_values):
            if is_double and a is not None and b is not None:
                equal = math.isclose(float(a), float(b), rel_tol=RATIO_TOLERANCE, abs_tol=RATIO_TOLERANCE)
            else:
                equal = a == b
            if not equal:
                problems.append(f"{mart.name} {dict(zip(key, key_value))}: {column} = {a!r} vs {b!r}")
                if len(problems) >= limit:
                    return problems
    return problems


def _rows_by_key(frame: pd.DataFrame, key: list[str], columns: tuple[str, ...]) -> dict[tuple, tuple]:
    """{normalised key: the normalised values of `columns`} for every row of `frame` (a
    later row with the same key replaces an earlier one)."""
    if frame.empty:  # no rows (an empty Spark table is read back without columns too)
        return {}
    key_at = [frame.columns.get_loc(column) for column in key]
    column_at = [frame.columns.get_loc(column) for column in columns]
    rows = {}
    for row in frame.itertuples(index=False, name=None):
        values = [_normalise(value) for value in row]
        rows[tuple(values[at] for at in key_at)] = tuple(values[at] for at in column_at)
    return rows


# Tables that are not public marts but whose answers are promised too: the quarantine.
QUARANTINE = ("audit.fct_rejected_rows", "audit.rpt_row_reconciliation")


def compare_builds(old: Path, new: Path, marts: list[Mart] | None = None,
                   also: tuple[str, ...] = QUARANTINE) -> list[tuple[str, int | None, dict[str, int]]]:
    """Every public mart (or `marts`) of two DuckDB builds, table by table:
    (name, rows in the new build, sql_differences); a table missing from either build
    is reported as {"missing": 1}. The `also` tables have no key: they are compared
    whole, EXCEPT ALL both ways. All zero: the two builds give the same answers."""
    import duckdb  # noqa: PLC0415 (a dependency of the project, imported where used)

    found = []
    with duckdb.connect() as connection:
        for alias, path in (("old_build", old), ("new_build", new)):
            connection.execute(f"attach '{str(path).replace(chr(39), chr(39) * 2)}' as {alias} (read_only)")
        tables = {f"{catalog}.{schema}.{table}" for catalog, schema, table in connection.execute(
            "select table_catalog, table_schema, table_name from information_schema.tables").fetchall()}
        for mart in marts if marts is not None else public_marts():
            left, right = f"old_build.{mart.schema}.{mart.name}", f"new_build.{mart.schema}.{mart.name}"
            if not {left, right} <= tables:
                found.append((mart.name, None, {"missing": 1}))
                continue
            rows = connection.execute(f"select count(*) from {right}").fetchone()[0]
            found.append((mart.name, rows, sql_differences(connection, mart, left, right)))
        for table in also:
            left, right = f"old_build.{table}", f"new_build.{table}"
            if not {left, right} <= tables:
                found.append((table, None, {"missing": 1}))
                continue
            only_left, only_right = (connection.execute(
                f"select count(*) from (select * from {a} except all select * from {b})").fetchone()[0]
                for a, b in ((left, right), (right, left)))
            rows = connection.execute(f"select count(*) from {right}").fetchone()[0]
            found.append((table, rows, {"only_left": only_left, "only_right": only_right}))
    return found
