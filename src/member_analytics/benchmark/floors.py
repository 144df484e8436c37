"""The floors: two hand-written queries (current RFM, product pairs by
self-join) on the raw files, timed right after the build, and how close their
answers are to the marts. The same SQL runs on Spark (spark_floors.py).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import duckdb
import yaml


# The floors keep the project's default pair thresholds (dbt_project.yml), so
# they return the same pairs as fct_product_pairs.
MIN_PAIR_BASKETS = 3
MIN_SUPPORT = 0.0001
# Each floor runs this many times; its time is the fastest run.
FLOOR_RUNS = 3


# ----------------------------------------------------------------------------- the floors

_RENDERED_ENV_VAR = re.compile(r"\{\{\s*env_var\(\s*'([^']+)'\s*(?:,\s*'([^']*)'\s*)?\)\s*\}\}")


def profile_duckdb_settings(profiles_yml: Path, env: dict[str, str]) -> dict[str, str]:
    """The DuckDB `config_options` (and any `settings`) of the profile's duckdb output, env_var() calls rendered."""
    profile = yaml.safe_load(profiles_yml.read_text(encoding="utf-8"))["member_analytics"]
    output = profile["outputs"]["duckdb"]
    settings = {**output.get("config_options", {}), **output.get("settings", {})}

    def render(value) -> str:
        return _RENDERED_ENV_VAR.sub(lambda match: env.get(match.group(1), match.group(2) or ""), str(value))

    return {name: render(value) for name, value in settings.items()}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_parquet(path: Path, engine: str) -> str:
    """A Parquet file as a table expression: DuckDB's read_parquet or Spark SQL's parquet.`path`."""
    return f"parquet.`{path}`" if engine == "spark" else f"read_parquet({_literal(str(path))})"


def purchases_sql(orders_path: Path, as_of_date: str, engine: str = "duckdb") -> str:
    """CTEs `typed_orders` and `purchases`: the raw orders with the contract's
    purchase and refund rule applied roughly (no dirty-row rejection, no
    de-duplication of versions): refunded = refunded_amount, else all of it when
    the status is refunded; the refund counts when dated (refunded_at, else
    updated_at, else ordered_at) up to as_of_date; a purchase is paid, shipped,
    completed or refunded with refunded < paid, or free with a paid status,
    placed up to as_of_date. `engine`: duckdb or spark (the same SQL, its own file reader)."""
    as_of = f"date {_literal(dt.date.fromisoformat(as_of_date).isoformat())}"
    return f"""
typed_orders as (
    select
        shop_id,
        order_id,
        member_id,
        lower(trim(status)) as status,
        cast(try_cast(ordered_at as timestamp) as date) as ordered_date,
        try_cast(paid_amount as decimal(18, 2)) as paid_amount,
        try_cast(refunded_amount as decimal(18, 2)) as refunded_amount,
        cast(coalesce(try_cast(refunded_at as timestamp), try_cast(updated_at as timestamp),
                      try_cast(ordered_at as timestamp)) as date) as refund_date
    from {_read_parquet(orders_path, engine)}
),

refunds_applied as (
    select
        *,
        case
            when refund_date <= {as_of}
                then coalesce(refunded_amount, case when status = 'refunded' then paid_amount else 0 end)
            else 0
        end as refunded
    from typed_orders
    where ordered_date <= {as_of}
),

purchases as (
    select
        shop_id,
        order_id,
        member_id,
        ordered_date,
        paid_amount - refunded as net_amount
    from refunds_applied
    where
        (status in ('paid', 'shipped', 'completed', 'refunded') and refunded < paid_amount)
        or (paid_amount = 0 and status in ('paid', 'shipped', 'completed'))
)"""


def _score(order_by: str, engine: str = "duckdb") -> str:
    divide = "div" if engine == "spark" else "//"
    return (f"cast(1 + (5 * (rank() over (partition by shop_id order by {order_by}) - 1))"
            f" {divide} count(*) over (partition by shop_id) as int)")


def _create_table_as(table: str, engine: str) -> str:
    """DuckDB: create or replace. Spark (plain Parquet tables, no Delta): the
    caller drops the table first (spark_floor_statements)."""
    return f"create table {table} using parquet as" if engine == "spark" else f"create or replace table {table} as"


def rfm_floor_sql(raw: Path, as_of_date: str, engine: str = "duckdb") -> str:
    """Current RFM per shop and member in one query from the raw orders: recency
    days, frequency (valid orders), monetary (net), R in day bands (as macro
    recency_score with the default vars) and F, M from rank() within the shop
    (as macro rfm_score)."""
    return f"""
{_create_table_as("floor_member_rfm", engine)}
with
{purchases_sql(raw / "orders.parquet", as_of_date, engine)},

members as (
    select
        shop_id,
        member_id,
        count(*) as frequency,
        sum(net_amount) as monetary,
        {f"datediff(date {_literal(as_of_date)}, max(ordered_date))" if engine == "spark"
         else f"date {_literal(as_of_date)} - max(ordered_date)"} as recency_days
    from purchases
    group by shop_id, member_id
)

select
    *,
    case
        when recency_days <= 30 then 5 when recency_days <= 90 then 4
        when recency_days <= 180 then 3 when recency_days <= 270 then 2 else 1
    end as r_score,
    {_score("frequency asc", engine)} as f_score,
    {_score("monetary asc", engine)} as m_score
from members
"""


def pairs_floor_sql(raw: Path, as_of_date: str, engine: str = "duckdb") -> str:
    """Product pairs by self-join in one query: a basket is the distinct products
    of a valid order (raw order_items joined to the purchases); per shop and pair
    a < b the baskets holding both, support, both confidences and lift, with
    the project's default min_pair_baskets and min_support."""
    return f"""
{_create_table_as("floor_product_pairs", engine)}
with
{purchases_sql(raw / "orders.parquet", as_of_date, engine)},

baskets as (
    select distinct
        items.shop_id,
        items.order_id,
        items.product_id
    from {_read_parquet(raw / "order_items.parquet", engine)} as items
    inner join purchases
        on items.shop_id = purchases.shop_id and items.order_id = purchases.order_id
),

basket_totals as (
    select shop_id, count(distinct order_id) as n
    from baskets
    group by shop_id
),

item_counts as (
    select shop_id, product_id, count(*) as n_item
    from baskets
    group by shop_id, product_id
),

pair_counts as (
    select
        a.shop_id,
        a.product_id as product_id_a,
        b.product_id as product_id_b,
        count(*) as n_ab
    from baskets as a
    inner join baskets as b
        on a.shop_id = b.shop_id and a.order_id = b.order_id and a.product_id < b.product_id
    group by a.shop_id, a.product_id, b.product_id
    having count(*) >= {MIN_PAIR_BASKETS}
)

select
    pair_counts.*,
    counts_a.n_item as n_a,
    counts_b.n_item as n_b,
    basket_totals.n,
    pair_counts.n_ab / basket_totals.n as support,
    pair_counts.n_ab / counts_a.n_item as confidence_a_to_b,
    pair_counts.n_ab / counts_b.n_item as confidence_b_to_a,
    pair_counts.n_ab * basket_totals.n / (counts_a.n_item * counts_b.n_item) as lift
from pair_counts
inner join basket_totals on pair_counts.shop_id = basket_totals.shop_id
inner join item_counts as counts_a
    on pair_counts.shop_id = counts_a.shop_id and pair_counts.product_id_a = counts_a.product_id
inner join item_counts as counts_b
    on pair_counts.shop_id = counts_b.shop_id and pair_counts.product_id_b = counts_b.product_id
where pair_counts.n_ab >= {MIN_SUPPORT} * basket_totals.n
"""


def connect_floors(path: Path, settings: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB file with the profile's settings (memory limit, temp directory, ...)."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    connection = duckdb.connect(str(path))
    for name, value in settings.items():
        if name == "temp_directory":
            Path(value).mkdir(parents=True, exist_ok=True)
        connection.execute(f"set {name} = {_literal(value)}").fetchall()
    return connection


def run_floors(connection: duckdb.DuckDBPyConnection, raw: Path, as_of_date: str,
               runs: int = FLOOR_RUNS) -> dict[str, dict]:
    """Time each floor `runs` times (CREATE OR REPLACE TABLE AS, so the result is
    computed and written each time); its time is the fastest run, a floor."""
    floors = {}
    for name, sql, table in (("rfm", rfm_floor_sql(raw, as_of_date), "floor_member_rfm"),
                             ("pairs", pairs_floor_sql(raw, as_of_date), "floor_product_pairs")):
        times = []
        for _run in range(runs):
            started = time.perf_counter()
            connection.execute(sql).fetchall()
            times.append(time.perf_counter() - started)
        rows = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
        floors[name] = {"seconds": min(times), "runs_seconds": times, "rows": rows}
    return floors


def floor_agreement(connection: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, dict]:
    """How close the floors' answers are to the marts (not timed): members with the
    same frequency and monetary, pairs with the same n_ab. The floors skip the
    contract's rejections and de-duplication, so a few differences are expected."""
    connection.execute(f"attach {_literal(str(warehouse))} as built (read_only)").fetchall()
    try:
        rfm = connection.execute("""
            select count(*), count(floor.member_id),
                   count(*) filter (where floor.frequency = mart.frequency and floor.monetary = mart.monetary)
            from built.marts.fct_member_rfm as mart
            left join floor_member_rfm as floor
                on mart.shop_id = floor.shop_id and mart.member_id = floor.member_id
        """).fetchall()[0]
        pairs = connection.execute("""
            select count(*), count(floor.n_ab), count(*) filter (where floor.n_ab = mart.n_ab)
            from built.marts.fct_product_pairs as mart
            left join floor_product_pairs as floor
                on mart.shop_id = floor.shop_id and mart.product_id_a = floor.product_id_a
                and mart.product_id_b = floor.product_id_b
        """).fetchall()[0]
    finally:
        connection.execute("detach built").fetchall()
    return {"rfm": {"mart_rows": rfm[0], "also_in_floor": rfm[1], "equal_frequency_and_monetary": rfm[2]},
            "pairs": {"mart_rows": pairs[0], "also_in_floor": pairs[1], "equal_n_ab": pairs[2]}}
