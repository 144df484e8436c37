"""`member-analytics benchmark`: how long a full build takes, and how that compares.

Per scale, in one invocation (docs/benchmark.md):
  1. generate the sample dataset (timed);
  2. run a full `dbt build` (models, seeds, unit and data tests) through bin/dbt in
     an isolated folder with its own warehouse, target and logs, measuring wall
     time, the build process's peak memory and DuckDB's spill;
  3. right after it, time two hand-written DuckDB queries on the same raw files
     (the floors): current RFM, and product pairs by self-join;
  4. then the peers, what users would run instead (member_analytics.peers:
     pandas RFM and cohorts, mlxtend pairs), each in its own process under a
     memory and time cap, and check their answers against the marts;
  5. assemble the report: the slowest models, each mart as a multiple of its
     floor, the tier and points marts as a multiple of fct_member_rfm, how many
     times faster the project is than each peer, targets.
Between scales: growth of build time against growth of orders. The report is
rewritten after every scale (DIR/benchmark.json, DIR/benchmark.md), so a scale
that fails or is interrupted leaves the earlier ones on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import yaml

from member_analytics import peers as peer_module

SCALE_ORDER = ("tiny", "small", "medium", "large")
# Marts compared with the RFM floor (current RFM from raw orders).
RFM_FLOOR_MARTS = (
    "fct_member_rfm",
    "fct_member_rfm_history",
    "fct_member_segment_changes",
    "fct_member_lifecycle",
    "rpt_cohort_retention",
    "rpt_loyalty_ladder",
)
# Models under these folders are compared with the product-pairs floor ...
PAIRS_FLOOR_FOLDERS = ("models/marts/co_purchase/",)
# ... and these with fct_member_rfm's own time.
RFM_MART_FOLDERS = ("models/marts/tiers_points/", "models/intermediate/tiers_points/")
RFM_MART = "fct_member_rfm"
PAIRS_MART = "fct_product_pairs"
# The floors keep the project's default pair thresholds (dbt_project.yml), so
# they return the same pairs as fct_product_pairs.
MIN_PAIR_BASKETS = 3
MIN_SUPPORT = 0.0001
# Issue 12's targets on this machine, at the large scale (8 GB = 8e9 bytes).
BUILD_SECONDS_TARGET = 600.0
PEAK_MEMORY_TARGET_BYTES = 8_000_000_000
FLOOR_MULTIPLE_TARGET = 3.0
LATEST_VALID_DATE = "2030-12-31"
# Each floor runs this many times; its time is the fastest run.
FLOOR_RUNS = 3
# The peers' caps (each peer is one process): resident memory, as the build's
# target, and wall time.
PEER_MEMORY_BYTES = 8_000_000_000
PEER_TIMEOUT_SECONDS = 1800.0
PEER_TOOLS = {"rfm": "pandas", "cohorts": "pandas", "pairs": "mlxtend"}
NOT_YET_MEASURED = (
    "the daily incremental run against the full build: a separate command, member-analytics benchmark-daily "
    "(measured at small and medium; docs/benchmark.md)",
)


@dataclass(frozen=True)
class PeerOptions:
    """Whether to run the peers after each build, and their caps."""

    enabled: bool = True
    memory_bytes: int = PEER_MEMORY_BYTES
    timeout_seconds: float = PEER_TIMEOUT_SECONDS


# ----------------------------------------------------------------------------- folders

@dataclass(frozen=True)
class ScaleFolder:
    """Where one scale's data, warehouse, dbt target and logs live: DIR/<scale>/."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "member_analytics.duckdb"

    @property
    def temp_dir(self) -> Path:
        return self.warehouse_dir / "tmp"

    @property
    def floors(self) -> Path:
        return self.warehouse_dir / "floors.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def build_log(self) -> Path:
        return self.root / "build.log"

    @property
    def peers(self) -> Path:
        return self.root / "peers"

    def scratch(self) -> tuple[Path, ...]:
        """The folders deleted after the scale (unless --keep-data) and before a rerun."""
        return self.raw, self.warehouse_dir, self.target, self.logs, self.peers

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """`base` with every path dbt touches pointed into this folder (like pytests' DbtProject)."""
        env = dict(base)
        env.update(
            MEMBER_ANALYTICS_RAW_DATA_PATH=str(self.raw),
            MEMBER_ANALYTICS_WAREHOUSE_DIR=str(self.warehouse_dir),
            MEMBER_ANALYTICS_DUCKDB_PATH=str(self.warehouse),
            MEMBER_ANALYTICS_DUCKDB_TEMP_DIR=str(self.temp_dir),
            DBT_TARGET_PATH=str(self.target),
            DBT_LOG_PATH=str(self.logs),
        )
        return env


def project_home() -> Path:
    """The project folder (bin/_env.sh exports it; else the checkout this module is in)."""
    home = os.environ.get("MEMBER_ANALYTICS_HOME")
    return Path(home) if home else Path(__file__).resolve().parents[2]


def folder_bytes(path: Path) -> int:
    """Total size of the files under path (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except FileNotFoundError:  # DuckDB removes spill files as it goes
                pass
    return total


# ----------------------------------------------------------------------------- the build

@dataclass
class BuildMeasure:
    """What one `dbt build` process cost."""

    returncode: int
    wall_seconds: float
    peak_rss_bytes: int
    peak_spill_bytes: int


class _SpillSampler(threading.Thread):
    """Polls the size of DuckDB's temp directory (spilled data) while the build runs."""

    def __init__(self, temp_dir: Path, interval: float = 0.5):
        super().__init__(daemon=True)
        self.temp_dir = temp_dir
        self.interval = interval
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, folder_bytes(self.temp_dir))
            self.stopped.wait(self.interval)


def build_vars(truth: dict) -> dict[str, str]:
    """The sample's as_of_date and a fixed latest valid date (as pytests/dbt/conftest.py)."""
    return {"as_of_date": truth["as_of_date"],
            "member_analytics__validation__latest_valid_date": LATEST_VALID_DATE}


def run_build(home: Path, folder: ScaleFolder, truth: dict) -> BuildMeasure:
    """`bin/dbt build` in the scale's folder. Peak memory is the kernel's maximum
    resident set of that one child (os.wait4): dbt runs DuckDB in its own process,
    and bin/dbt execs dbt, so the child is the whole build."""
    command = [str(home / "bin" / "dbt"), "build", "--vars", json.dumps(build_vars(truth))]
    folder.temp_dir.mkdir(parents=True, exist_ok=True)
    sampler = _SpillSampler(folder.temp_dir)
    with folder.build_log.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=folder.env(dict(os.environ)), stdout=log,
                                   stderr=subprocess.STDOUT, cwd="/")
        sampler.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.stopped.set()
    sampler.join()
    return BuildMeasure(process.returncode, wall, usage.ru_maxrss * 1024, sampler.peak)


def read_manifest(target: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """From dbt's manifest: every model's file path and its parent models, by model name."""
    path = target / "manifest.json"
    if not path.exists():
        return {}, {}
    manifest = json.loads(path.read_text(encoding="utf-8"))
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    paths = {node["name"]: node["original_file_path"] for node in models.values()}
    parents = {node["name"]: [models[parent]["name"] for parent in manifest["parent_map"].get(uid, [])
                              if parent in models]
               for uid, node in models.items()}
    return paths, parents


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
    days, frequency (valid orders), monetary (net), and 1-5 scores from rank()
    within the shop (as macro rfm_score)."""
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
    {_score("recency_days desc", engine)} as r_score,
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


def run_peers(folder: ScaleFolder, as_of_date: str, options: PeerOptions) -> list[dict]:
    """Each peer in its own process under the caps, one after the other."""
    return [peer_module.run_peer_capped(name, folder.raw, as_of_date, folder.peers,
                                        folder.root / f"peer_{name}.log", options.memory_bytes,
                                        options.timeout_seconds)
            for name in peer_module.PEERS]


def compare_peers(runs: list[dict], model_seconds: dict[str, float], parents: dict[str, list[str]],
                  build_wall_seconds: float | None) -> dict:
    """How many times faster the project is than each peer that ran: from the
    raw files, the peer's time over the mart with every model upstream of it;
    the compute step, the peer's time after reading and checking the files
    over the mart's own time (its inputs already built). And all peers together
    over the three marts with their upstream models counted once, and over the build."""
    rows = []
    for run in runs:
        mart = run["mart"]
        own = model_seconds.get(mart)
        lineage = lineage_seconds(mart, model_seconds, parents) if own is not None and parents else None
        compute = None if run.get("read_seconds") is None else run["seconds"] - run["read_seconds"]
        rows.append({**run, "mart_seconds": own, "mart_lineage_seconds": lineage,
                     "faster_with_upstream": _ratio(run["seconds"], lineage),
                     "peer_compute_seconds": compute, "faster_compute_step": _ratio(compute, own)})
    marts = [run["mart"] for run in runs if run["mart"] in model_seconds]
    together = set(marts).union(*(_ancestors(mart, parents) for mart in marts))
    ran = all(run["seconds"] is not None for run in runs) and len(marts) == len(runs)
    peer_seconds = sum(run["seconds"] for run in runs) if ran else None
    lineage = sum(model_seconds.get(name, 0.0) for name in together) if ran and parents else None
    return {"runs": rows, "together": {
        "peer_seconds": peer_seconds, "marts_with_upstream_seconds": lineage,
        "faster_with_upstream": _ratio(peer_seconds, lineage), "build_wall_seconds": build_wall_seconds,
        "faster_than_build": _ratio(peer_seconds, build_wall_seconds)}}


# ----------------------------------------------------------------------------- the report

def _node_name(unique_id: str) -> str:
    """model.member_analytics.<name>, test.member_analytics.<name>[.<hash>] -> <name>."""
    return unique_id.split(".")[2]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _ancestors(model: str, parents: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(parents.get(model, []))
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(parents.get(parent, []))
    return seen


def lineage_seconds(model: str, model_seconds: dict[str, float], parents: dict[str, list[str]]) -> float:
    """The model's time plus that of every model upstream of it: what it costs from raw."""
    return model_seconds[model] + sum(model_seconds.get(name, 0.0) for name in _ancestors(model, parents))


def _compared(model: str, model_seconds: dict[str, float], parents: dict[str, list[str]],
              base_seconds: float | None) -> dict:
    lineage = lineage_seconds(model, model_seconds, parents) if parents else None
    return {"model": model, "seconds": model_seconds[model], "multiple": _ratio(model_seconds[model], base_seconds),
            "lineage_seconds": lineage, "lineage_multiple": _ratio(lineage, base_seconds)}


def summarise_build(run_results: dict, model_paths: dict[str, str], floors: dict[str, float],
                    parents: dict[str, list[str]] | None = None) -> dict:
    """Per-node times of one build (dbt's run_results.json) turned into the report's
    figures: totals by resource type, every model's time, the ten slowest models,
    each mart as a multiple of its floor (`floors`: seconds of "rfm" and "pairs"),
    and the tier and points models as a multiple of fct_member_rfm's time.
    `model_paths` (model -> file path) says which folder a model is in; `parents`
    (model -> parent models), when given, adds each mart's lineage time."""
    parents = parents or {}
    seconds_by_type: dict[str, float] = {}
    nodes_by_type: dict[str, int] = {}
    statuses: dict[str, int] = {}
    model_seconds: dict[str, float] = {}
    test_seconds: dict[str, float] = {}
    failed = []
    for result in run_results.get("results", []):
        kind = result["unique_id"].split(".")[0]
        seconds = float(result.get("execution_time") or 0.0)
        seconds_by_type[kind] = seconds_by_type.get(kind, 0.0) + seconds
        nodes_by_type[kind] = nodes_by_type.get(kind, 0) + 1
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        if result["status"] in ("error", "fail", "runtime error"):
            failed.append(result["unique_id"])
        if kind == "model":
            model_seconds[_node_name(result["unique_id"])] = seconds
        elif kind == "test":
            test_seconds[_node_name(result["unique_id"])] = seconds
    ordered = dict(sorted(model_seconds.items(), key=lambda item: (-item[1], item[0])))
    total_model_seconds = sum(model_seconds.values())
    rfm_floor, pairs_floor = floors.get("rfm"), floors.get("pairs")
    pairs_marts = sorted((name for name, path in model_paths.items()
                          if name in model_seconds and path.startswith(PAIRS_FLOOR_FOLDERS)),
                         key=lambda name: (name != PAIRS_MART, name))
    tier_models = sorted(name for name, path in model_paths.items()
                         if name in model_seconds and path.startswith(RFM_MART_FOLDERS))
    vs_floor = ([dict(_compared(name, model_seconds, parents, rfm_floor), floor="rfm")
                 for name in RFM_FLOOR_MARTS if name in model_seconds]
                + [dict(_compared(name, model_seconds, parents, pairs_floor), floor="pairs")
                   for name in pairs_marts])
    rfm_mart_seconds = model_seconds.get(RFM_MART)
    return {
        "elapsed_seconds": run_results.get("elapsed_time"),
        "dbt_version": run_results.get("metadata", {}).get("dbt_version"),
        "statuses": statuses,
        "failed": failed,
        "nodes_by_resource_type": nodes_by_type,
        "seconds_by_resource_type": seconds_by_type,
        "model_seconds": ordered,
        "slowest_models": [{"model": name, "seconds": seconds, "share_of_model_time": _ratio(seconds,
                                                                                               total_model_seconds)}
                           for name, seconds in list(ordered.items())[:10]],
        "slowest_tests": [{"test": name, "seconds": seconds} for name, seconds in
                          sorted(test_seconds.items(), key=lambda item: (-item[1], item[0]))[:5]],
        "vs_floor": vs_floor,
        "vs_fct_member_rfm": [{"model": name, "seconds": model_seconds[name],
                               "multiple": _ratio(model_seconds[name], rfm_mart_seconds)}
                              for name in tier_models],
    }


def _multiple_of(summary: dict, model: str) -> float | None:
    return next((row["multiple"] for row in summary.get("vs_floor", []) if row["model"] == model), None)


def targets(scale: dict) -> list[dict]:
    """Issue 12's targets (set for the large scale) against one scale's figures."""
    summary = scale.get("build_summary", {})
    rows = [
        ("full build (wall) within 10 min", BUILD_SECONDS_TARGET, scale.get("build", {}).get("wall_seconds"), "s"),
        ("peak memory of the build under 8 GB", PEAK_MEMORY_TARGET_BYTES,
         scale.get("build", {}).get("peak_rss_bytes"), "bytes"),
        (f"{RFM_MART} within 3x the RFM floor", FLOOR_MULTIPLE_TARGET, _multiple_of(summary, RFM_MART), "x"),
        (f"{PAIRS_MART} within 3x the pairs floor", FLOOR_MULTIPLE_TARGET, _multiple_of(summary, PAIRS_MART), "x"),
    ]
    return [{"target": name, "limit": limit, "measured": measured, "unit": unit,
             "passed": None if measured is None else measured <= limit}
            for name, limit, measured, unit in rows]


def _path(record: dict, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        record = (record or {}).get(key)
    return record


GROWTH_FIGURES = {
    "orders_ratio": ("rows", "orders"),
    "build_wall_ratio": ("build", "wall_seconds"),
    "model_seconds_ratio": ("build_summary", "seconds_by_resource_type", "model"),
    "peak_rss_ratio": ("build", "peak_rss_bytes"),
    "warehouse_bytes_ratio": ("warehouse_bytes",),
    "rfm_floor_ratio": ("floors", "rfm", "seconds"),
    "pairs_floor_ratio": ("floors", "pairs", "seconds"),
}


def growth(scales: list[dict]) -> list[dict]:
    """Ratios between consecutive scales. build_vs_orders is the build-time ratio
    divided by the order-count ratio: 1 is linear, below 1 the fixed costs
    (dbt start, ~550 nodes) still weigh, above 1 worse than linear."""
    rows = []
    for smaller, larger in zip(scales, scales[1:], strict=False):
        row = {"from": smaller["scale"], "to": larger["scale"]}
        row.update({name: _ratio(_path(larger, keys), _path(smaller, keys)) for name, keys in GROWTH_FIGURES.items()})
        row["build_vs_orders"] = _ratio(row["build_wall_ratio"], row["orders_ratio"])
        rows.append(row)
    return rows


def machine_facts() -> dict:
    """Cores, memory, CPU, versions: what the figures were measured on."""
    memory = cpu = None
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    return {"cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)), "memory_bytes": memory,
            "cpu": cpu, "platform": platform.platform(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "load_average_at_start": list(os.getloadavg())}


# ----------------------------------------------------------------------------- rendering

def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} s" if value >= 10 else f"{value:,.2f} s"


def _bytes(value: int | None) -> str:
    if value is None:
        return "–"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:,.2f} {unit}"
    return f"{value} B"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}×"


def _measured(row: dict) -> str:
    if row["unit"] == "s":
        return _seconds(row["measured"])
    if row["unit"] == "bytes":
        return _bytes(row["measured"])
    return _times(row["measured"])


def _limit(row: dict) -> str:
    return {"s": f"≤ {row['limit'] / 60:.0f} min", "bytes": f"< {_bytes(row['limit'])}"}.get(
        row["unit"], f"≤ {row['limit']:g}×")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _floor_time(floor: dict) -> str:
    runs = floor.get("runs_seconds") or []
    return _seconds(floor["seconds"]) + (f" (best of {', '.join(_seconds(t) for t in runs)})" if len(runs) > 1 else "")


def _verdict(passed: bool | None) -> str:
    return "–" if passed is None else "pass" if passed else "FAIL"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            + ["| " + " | ".join(row) + " |" for row in rows] + [""])


def _scale_overview(scales: list[dict]) -> list[str]:
    rows = [[s["scale"], f"{s['rows'].get('members', 0):,}", f"{s['rows']['orders']:,}",
             f"{s['rows'].get('order_items', 0):,}", _bytes(s.get("raw_bytes")),
             _seconds(s.get("generation_seconds")), _seconds(s["build"]["wall_seconds"]),
             _seconds(s["build_summary"].get("elapsed_seconds")), _bytes(s["build"]["peak_rss_bytes"]),
             _bytes(s["build"]["peak_spill_bytes"]), _bytes(s.get("warehouse_bytes")),
             "ok" if s["build"]["returncode"] == 0 else f"FAILED ({s['build']['returncode']})"]
            for s in scales]
    return _table(["scale", "members (raw)", "orders (raw)", "items (raw)", "raw files", "generation",
                   "build (wall)", "dbt elapsed", "peak memory", "peak spill", "warehouse", "build"], rows)


def _faster(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return f"{ratio:,.1f}× faster" if ratio >= 1 else f"{1 / ratio:,.1f}× slower"


def _peer_outcome(run: dict) -> str:
    if run["status"] == "ok":
        reading = f" (reading and checks {_seconds(run['read_seconds'])})" if run.get("read_seconds") else ""
        return f"ran in {_seconds(run['seconds'])}{reading}"
    if run["status"] == "out_of_memory":
        after = f" after {_seconds(run['wall_seconds'])}" if run.get("wall_seconds") else ""
        return f"out of memory at {_bytes(run['memory_cap_bytes'])}{after}"
    if run["status"] == "timeout":
        return f"did not finish in {run['timeout_seconds']:,.0f} s"
    return f"failed (exit {run['returncode']}): {run['message']}"


def _figure(value) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:.1e}"


def _peer_section(scale: dict) -> list[str]:
    peers, agreement = scale.get("peers"), scale.get("peer_agreement") or {}
    if not peers:
        return []
    load = peers.get("load_average_at_start")
    lines = ["Peers: what users would run instead, each in its own Python process after the build and the "
             "floors, from reading the raw files to its answer written to Parquet (one run"
             + (f"; load average {load[0]:.1f} when they started" if load else "") + "). *Project from raw* is "
             "the peer's time over the mart's with every model upstream of it (both start from the raw files); "
             "*compute step* is the peer's time after reading and checking the files over the mart's own time "
             "(its inputs already built):", ""]
    lines += _table(["peer", "outcome", "peak memory", "mart", "mart with upstream", "project from raw",
                     "peer after reading", "mart own time", "compute step"],
                    [[f"{row['peer']} ({PEER_TOOLS[row['peer']]})", _peer_outcome(row),
                      _bytes(row["peak_rss_bytes"]), row["mart"], _seconds(row["mart_lineage_seconds"]),
                      _faster(row["faster_with_upstream"]), _seconds(row["peer_compute_seconds"]),
                      _seconds(row["mart_seconds"]), _faster(row["faster_compute_step"])] for row in peers["runs"]])
    together = peers["together"]
    if together["peer_seconds"] is not None:
        lines += [f"The three peers together: {_seconds(together['peer_seconds'])}; the three marts with "
                  f"everything upstream of them (each model once): {_seconds(together['marts_with_upstream_seconds'])}"
                  f" (project {_faster(together['faster_with_upstream'])}); the whole build (every mart, seed, "
                  f"unit and data test): {_seconds(together['build_wall_seconds'])} "
                  f"(the three peers take {_times(together['faster_than_build'])} its time).", ""]
    if agreement:
        lines += ["The peers' answers against the marts (decision 0090 says why they may differ):", ""]
        lines += _table(["peer", "check", "mart", "peer"],
                        [[name, check, _figure(values.get("mart", values.get("both"))),
                          _figure(values["peer"]) if "peer" in values else "(both)"]
                         for name, checks in agreement.items() for check, values in checks.items()])
    return lines


def _scale_section(scale: dict) -> list[str]:
    summary, floors = scale["build_summary"], scale["floors"]
    lines = [f"## {scale['scale']}", ""]
    lines += ["Targets (issue 12 sets them for the large scale):", ""]
    lines += _table(["target", "limit", "measured", "result"],
                    [[row["target"], _limit(row), _measured(row), _verdict(row["passed"])]
                     for row in scale["targets"]])
    agreement = scale.get("floor_agreement") or {}
    rfm_agree, pairs_agree = agreement.get("rfm", {}), agreement.get("pairs", {})
    lines += ["Floors (hand-written DuckDB queries on the same raw files, run right after the build):", ""]
    lines += _table(["floor", "time", "rows", "agreement with the mart"], [
        ["RFM (current, from raw orders)", _floor_time(floors["rfm"]), f"{floors['rfm']['rows']:,}",
         f"{rfm_agree.get('equal_frequency_and_monetary', '–'):,} of {rfm_agree.get('mart_rows', '–'):,} "
         "fct_member_rfm members with equal frequency and monetary" if rfm_agree else "–"],
        ["product pairs (self-join)", _floor_time(floors["pairs"]), f"{floors['pairs']['rows']:,}",
         f"{pairs_agree.get('equal_n_ab', '–'):,} of {pairs_agree.get('mart_rows', '–'):,} "
         "fct_product_pairs pairs with equal n_ab" if pairs_agree else "–"],
    ])
    lines += ["Marts as a multiple of their floor. *Own* is the model's own time in the build; "
              "*with upstream* adds every model it depends on (staging, fct_orders, ...), which is "
              "what the floor does from the raw files:", ""]
    lines += _table(["mart", "floor", "own time", "× floor", "with upstream", "× floor"],
                    [[row["model"], row["floor"], _seconds(row["seconds"]), _times(row["multiple"]),
                      _seconds(row["lineage_seconds"]), _times(row["lineage_multiple"])]
                     for row in summary["vs_floor"]])
    if summary["vs_fct_member_rfm"]:
        lines += [f"Tier and points models as a multiple of {RFM_MART}'s own time:", ""]
        lines += _table(["model", "time", f"× {RFM_MART}"],
                        [[row["model"], _seconds(row["seconds"]), _times(row["multiple"])]
                         for row in summary["vs_fct_member_rfm"]])
    lines += _peer_section(scale)
    lines += ["Ten slowest models:", ""]
    lines += _table(["model", "time", "share of model time"],
                    [[row["model"], _seconds(row["seconds"]),
                      "–" if row["share_of_model_time"] is None else f"{row['share_of_model_time']:.0%}"]
                     for row in summary["slowest_models"]])
    kinds = summary["seconds_by_resource_type"]
    lines += ["Time by node type (sum of node times; two threads run at once, so the sum exceeds the "
              "wall time): " + "; ".join(f"{kind}: {_count(summary['nodes_by_resource_type'][kind], 'node')}, "
                                         f"{_seconds(seconds)}" for kind, seconds in sorted(kinds.items())),
              "", "Slowest data tests: " + ", ".join(f"{row['test']} {_seconds(row['seconds'])}"
                                                     for row in summary["slowest_tests"]), ""]
    if summary["failed"]:
        lines += ["**Failed nodes:** " + ", ".join(summary["failed"]), ""]
    return lines


def _growth_table(growth_rows: list[dict]) -> list[str]:
    return _table(["from → to", "orders", "build (wall)", "build ÷ orders", "model time", "peak memory",
                   "warehouse", "RFM floor", "pairs floor"],
                  [[f"{row['from']} → {row['to']}", _times(row["orders_ratio"]),
                    _times(row["build_wall_ratio"]), f"{row['build_vs_orders']:.2f}"
                    if row["build_vs_orders"] is not None else "–", _times(row["model_seconds_ratio"]),
                    _times(row["peak_rss_ratio"]), _times(row["warehouse_bytes_ratio"]),
                    _times(row["rfm_floor_ratio"]), _times(row["pairs_floor_ratio"])]
                   for row in growth_rows])


def render_markdown(report: dict) -> str:
    """benchmark.md: the machine, an overview per scale, the growth, each scale in detail."""
    machine, scales = report["machine"], report["scales"]
    lines = ["# member_analytics benchmark", "",
             f"Run {report['started_at']} with `{report['command']}` (seed {report['seed']}).", "",
             f"Machine: {machine['cores']} cores ({machine['usable_cores']} usable), "
             f"{_bytes(machine['memory_bytes'])} memory, {machine['cpu']}; {machine['platform']}; "
             f"Python {machine['python']}, DuckDB {machine['duckdb']}, dbt {report.get('dbt_version') or '–'}. "
             f"DuckDB settings of the profile (build and floors): "
             + ", ".join(f"{name} = {value}" for name, value in report["duckdb_settings"].items()
                         if name != "temp_directory") + ".", "",
             "Load average (1, 5, 15 min) at the start: "
             + ", ".join(f"{value:.1f}" for value in machine["load_average_at_start"])
             + "; other jobs share this machine, so compare ratios rather than absolute times.", ""]
    lines += _scale_overview(scales)
    if report["growth"]:
        lines += ["Growth between consecutive scales (build time ratio vs order-count ratio; "
                  "*build ÷ orders* = 1 is linear):", ""]
        lines += _growth_table(report["growth"])
    for scale in scales:
        lines += _scale_section(scale)
    lines += ["## Not measured yet", ""] + [f"- {note}" for note in report["not_measured"]] + [""]
    lines += ["Every model's time is in benchmark.json (`scales[].build_summary.model_seconds`); "
              "how to read the figures: docs/benchmark.md.", ""]
    return "\n".join(lines)


def write_report(report: dict, out: Path) -> None:
    (out / "benchmark.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "benchmark.md").write_text(render_markdown(report), encoding="utf-8")


# ----------------------------------------------------------------------------- one scale

def _say(message: str) -> None:
    print(message, flush=True)


def _clear(folder: ScaleFolder) -> None:
    for path in folder.scratch():
        shutil.rmtree(path, ignore_errors=True)


def benchmark_scale(scale: str, out: Path, seed: int, home: Path, peer_options: PeerOptions = PeerOptions()) -> dict:
    """Generate, build, run the floors and the peers, and summarise one scale."""
    from member_analytics.generator import generate

    folder = ScaleFolder(out / scale)
    _clear(folder)
    folder.root.mkdir(parents=True, exist_ok=True)

    _say(f"== {scale}: generating the sample dataset into {folder.raw}")
    started = time.perf_counter()
    truth = generate(folder.raw, scale=scale, seed=seed, file_format="parquet")
    generation_seconds = time.perf_counter() - started
    rows = {table: counts["raw"] for table, counts in truth["row_counts"].items()}
    _say(f"   {generation_seconds:.1f}s: {rows['orders']:,} orders, {rows['order_items']:,} items")

    _say(f"== {scale}: dbt build (log: {folder.build_log})")
    build = run_build(home, folder, truth)
    _say(f"   {build.wall_seconds:.1f}s, exit {build.returncode}, peak memory {_bytes(build.peak_rss_bytes)}")
    if build.returncode != 0:
        _say("".join(folder.build_log.read_text(encoding="utf-8").splitlines(keepends=True)[-40:]))

    settings = profile_duckdb_settings(Path(os.environ.get("DBT_PROFILES_DIR", home / "profiles")) / "profiles.yml",
                                       folder.env(dict(os.environ)))
    _say(f"== {scale}: floors (memory_limit {settings.get('memory_limit')})")
    with connect_floors(folder.floors, settings) as connection:
        floors = run_floors(connection, folder.raw, truth["as_of_date"])
        agreement = floor_agreement(connection, folder.warehouse) if build.returncode == 0 else None
    _say("   " + ", ".join(f"{name} {floor['seconds']:.2f}s" for name, floor in floors.items()))

    peer_runs, peer_checks, peer_load = [], None, list(os.getloadavg())
    if peer_options.enabled:
        _say(f"== {scale}: peers (each capped at {_bytes(peer_options.memory_bytes)} resident, "
             f"{peer_options.timeout_seconds:,.0f} s)")
        peer_runs = run_peers(folder, truth["as_of_date"], peer_options)
        _say("   " + ", ".join(f"{run['peer']} {_peer_outcome(run)}" for run in peer_runs))
        answers = {run["peer"]: Path(run["path"]) for run in peer_runs if run["status"] == "ok"}
        if build.returncode == 0 and answers:
            with duckdb.connect() as connection:
                peer_checks = peer_agreement(connection, folder.warehouse, answers)

    run_results_path = folder.target / "run_results.json"
    run_results = json.loads(run_results_path.read_text(encoding="utf-8")) if run_results_path.exists() else {}
    if run_results_path.exists():
        shutil.copy(run_results_path, folder.root / "run_results.json")
    model_paths, parents = read_manifest(folder.target)
    build_summary = summarise_build(run_results, model_paths,
                                    {name: floor["seconds"] for name, floor in floors.items()}, parents)
    result = {
        "scale": scale,
        "as_of_date": truth["as_of_date"],
        "rows": rows,
        "raw_bytes": folder_bytes(folder.raw),
        "generation_seconds": generation_seconds,
        "build": vars(build),
        "warehouse_bytes": folder_bytes(folder.warehouse)
        + folder_bytes(folder.warehouse.with_name(folder.warehouse.name + ".wal")),
        "floors": floors,
        "floor_agreement": agreement,
        "build_summary": build_summary,
        "peers": dict(compare_peers(peer_runs, build_summary["model_seconds"], parents, build.wall_seconds),
                      load_average_at_start=peer_load) if peer_runs else None,
        "peer_agreement": peer_checks,
        "load_average_after": list(os.getloadavg()),
        "duckdb_settings": settings,
    }
    result["targets"] = targets(result)
    return result


def _checked_scales(scales: list[str]) -> tuple[list[str], Path]:
    """The scales, known and smallest first, and the project folder (with its bin/dbt)."""
    from member_analytics.generator import SCALES

    unknown = [scale for scale in scales if scale not in SCALES]
    if unknown:
        raise SystemExit(f"unknown scale(s) {unknown}: choose from {', '.join(SCALE_ORDER)}")
    home = project_home()
    if not (home / "bin" / "dbt").exists():
        raise SystemExit(f"no bin/dbt under {home}: set MEMBER_ANALYTICS_HOME to the project folder")
    return sorted(dict.fromkeys(scales), key=SCALE_ORDER.index), home


def run(scales: list[str], out: Path, seed: int = 42, keep_data: bool = False,
        command: str = "member-analytics benchmark", peer_options: PeerOptions = PeerOptions()) -> int:
    """Benchmark each scale (smallest first) and write DIR/benchmark.{json,md}
    after each one. Returns 0 when every build succeeded."""
    scales, home = _checked_scales(scales)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    report = {"command": command, "started_at": dt.datetime.now().isoformat(timespec="seconds"),
              "seed": seed, "machine": machine_facts(), "peer_options": asdict(peer_options),
              "scales": [], "growth": [],
              "not_measured": list(NOT_YET_MEASURED)}
    for scale in scales:
        result = benchmark_scale(scale, out, seed, home, peer_options)
        if not keep_data:
            _clear(ScaleFolder(out / scale))
        report["scales"].append(result)
        report["growth"] = growth(report["scales"])
        report["dbt_version"] = report.get("dbt_version") or result["build_summary"]["dbt_version"]
        report["duckdb_settings"] = result["duckdb_settings"]
        write_report(report, out)
        _say(f"== report: {out / 'benchmark.md'}")
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _say(f"   (the benchmark process itself peaked at {_bytes(own_peak)}, mostly the generator)")
    return 0 if all(scale["build"]["returncode"] == 0 for scale in report["scales"]) else 1



# ============================================================================= the Spark target
#
# `member-analytics benchmark --target spark`: the same full `dbt build` on the
# profile's `spark` output (dbt-spark `method: session`, pyspark in local mode,
# docs/benchmark.md "Scaling past one machine"). Per scale: generation, the build
# (wall time, peak resident memory of the process tree: dbt's Python and Spark's
# driver JVM), Spark's shuffle and spill folder, the warehouse folder, and Spark's
# event log turned into task time and shuffle bytes per model; then the two floors
# written for Spark SQL (run in their own Spark session) and, as a baseline from the
# same invocation, the DuckDB floors. No peers (they are DuckDB-side only).

SPARK_CONF = {
    # The event log gives each model's task time and shuffle bytes (parse_event_log).
    "spark.eventLog.enabled": "true",
    "spark.eventLog.compress": "false",
    "spark.eventLog.rolling.enabled": "false",
}
# How often the process tree's memory and the shuffle folder are sampled.
SPARK_SAMPLE_SECONDS = 0.5


@dataclass(frozen=True)
class SparkFolder:
    """One scale's Spark paths, inside the scale's folder (DIR/<scale>/)."""

    scale: ScaleFolder

    @property
    def spark_warehouse(self) -> Path:  # the profile's spark.sql.warehouse.dir
        return self.scale.warehouse_dir / "spark-warehouse"

    @property
    def local_dir(self) -> Path:  # SPARK_LOCAL_DIRS: shuffle files and spills
        return self.scale.warehouse_dir / "spark-local"

    @property
    def conf_dir(self) -> Path:  # SPARK_CONF_DIR: spark-defaults.conf (the event log)
        return self.scale.warehouse_dir / "spark-conf"

    @property
    def event_dir(self) -> Path:
        return self.scale.warehouse_dir / "spark-events"

    @property
    def floors_dir(self) -> Path:
        return self.scale.warehouse_dir / "spark-floors"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        env = self.scale.env(base)
        env.update(SPARK_CONF_DIR=str(self.conf_dir), SPARK_LOCAL_DIRS=str(self.local_dir))
        return env

    def prepare(self) -> None:
        for path in (self.local_dir, self.conf_dir, self.event_dir, self.scale.temp_dir):
            path.mkdir(parents=True, exist_ok=True)
        conf = {**SPARK_CONF, "spark.eventLog.dir": self.event_dir.as_uri()}
        (self.conf_dir / "spark-defaults.conf").write_text(
            "".join(f"{name} {value}\n" for name, value in conf.items()), encoding="utf-8")


def process_tree_rss(root_pid: int, proc: Path = Path("/proc")) -> dict[str, int]:
    """Resident bytes of a process and all its descendants, by command name
    (java, python, ...), read from /proc (0 for processes that ended meanwhile)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    rss: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text(encoding="utf-8")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        names[pid] = fields.get("Name", "").strip()
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        value = fields.get("VmRSS", "0 kB").split()
        rss[pid] = int(value[0]) * 1024 if value else 0
    by_name: dict[str, int] = {}
    stack = [root_pid] if root_pid in names else []
    while stack:
        pid = stack.pop()
        kind = "java" if names[pid] == "java" else "python" if names[pid].startswith("python") or \
            names[pid] == "dbt" else names[pid]
        by_name[kind] = by_name.get(kind, 0) + rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return by_name


class _TreeSampler(threading.Thread):
    """Peak resident memory of a process tree (total and per kind) and the peak
    size of a folder (Spark's shuffle and spill files), sampled while it runs."""

    def __init__(self, pid: int, folder: Path, interval: float = SPARK_SAMPLE_SECONDS):
        super().__init__(daemon=True)
        self.pid, self.folder, self.interval = pid, folder, interval
        self.peak_total = 0
        self.peak_by_kind: dict[str, int] = {}
        self.peak_folder = 0
        self.samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            by_kind = process_tree_rss(self.pid)
            # Only dbt's Python and Spark's JVM: a short-lived child forked by the JVM
            # (chmod, ls via jspawnhelper) shows the JVM's pages until it execs.
            self.peak_total = max(self.peak_total, by_kind.get("java", 0) + by_kind.get("python", 0))
            for kind, value in by_kind.items():
                self.peak_by_kind[kind] = max(self.peak_by_kind.get(kind, 0), value)
            self.peak_folder = max(self.peak_folder, folder_bytes(self.folder))
            self.samples += 1
            self.stopped.wait(self.interval)


def run_spark_build(home: Path, folder: SparkFolder, truth: dict, driver_memory: str | None = None) -> dict:
    """`bin/dbt build --target spark` in the scale's folder, sampling the process
    tree's memory (dbt's Python + Spark's JVM, which runs as a child of dbt) and the
    shuffle/spill folder. Writes the measure to DIR/<scale>/spark_build.json."""
    folder.prepare()
    env = folder.env(dict(os.environ))
    if driver_memory:
        env["MEMBER_ANALYTICS_SPARK_DRIVER_MEMORY"] = driver_memory
    command = [str(home / "bin" / "dbt"), "build", "--target", "spark", "--vars", json.dumps(build_vars(truth))]
    with folder.scale.build_log.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
        sampler = _TreeSampler(process.pid, folder.local_dir)
        sampler.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    measure = {"returncode": os.waitstatus_to_exitcode(status), "wall_seconds": wall,
               "peak_rss_bytes": sampler.peak_total, "peak_rss_by_process": sampler.peak_by_kind,
               "peak_shuffle_dir_bytes": sampler.peak_folder, "memory_samples": sampler.samples,
               "cpu_seconds": usage.ru_utime + usage.ru_stime,
               "driver_memory": env.get("MEMBER_ANALYTICS_SPARK_DRIVER_MEMORY", "6g (profile default)")}
    (folder.scale.root / "spark_build.json").write_text(json.dumps(measure, indent=1) + "\n", encoding="utf-8")
    return measure


# ----------------------------------------------------------------------------- Spark's event log

# The table a write command creates or fills, in the physical plan's "Arguments"
# line (the plan's description, not the SQL text: dbt-spark's session runs
# spark.sql(), whose executions are all described as "sql at ...").
_TABLE_IN_PLAN = re.compile(r"(?:Command|AsSelect)\nArguments: [^\n]*?`spark_catalog`\.`\w+`\.`(\w+?)(?:__dbt_tmp)?`")


def event_log_file(event_dir: Path) -> Path | None:
    """The (uncompressed, not rolled) event log of the build's Spark application."""
    files = sorted((path for path in event_dir.glob("*") if path.is_file() and not path.name.startswith(".")),
                   key=lambda path: path.stat().st_size)
    return files[-1] if files else None


def parse_event_log(lines, model_names: set[str] | None = None) -> dict:
    """Per model (the table a SQL execution writes, from its physical plan; jobs
    count for their root execution), from Spark's event log (one JSON event a line):
    task time (executor run time, summed over tasks; and its CPU time, which other
    jobs on the machine inflate less), tasks, shuffle bytes written
    and read, bytes spilled to disk, input bytes. Executions that create no model
    (tests, introspection, the raw-file registration) are summed as `(other)`.
    Also the totals and the task count per task-time bucket."""
    execution_model: dict[int, str] = {}
    job_execution: dict[int, int] = {}
    stage_job: dict[int, int] = {}
    per_model: dict[str, dict] = {}
    short_tasks = 0
    total = {"tasks": 0, "task_seconds": 0.0, "cpu_seconds": 0.0, "shuffle_write_bytes": 0, "shuffle_read_bytes": 0,
             "spill_bytes": 0, "input_bytes": 0, "sql_executions": 0, "jobs": 0}
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        kind = event.get("Event", "")
        if kind.endswith("SQLExecutionStart"):
            total["sql_executions"] += 1
            match = _TABLE_IN_PLAN.search(event.get("physicalPlanDescription", "") or "")
            name = match.group(1) if match else None
            if name and (model_names is None or name in model_names):
                execution_model[event["executionId"]] = name
        elif kind == "SparkListenerJobStart":
            total["jobs"] += 1
            properties = event.get("Properties") or {}
            execution = properties.get("spark.sql.execution.root.id", properties.get("spark.sql.execution.id"))
            if execution is not None:
                job_execution[event["Job ID"]] = int(execution)
            for stage in event.get("Stage IDs", []):
                stage_job[stage] = event["Job ID"]
        elif kind == "SparkListenerTaskEnd":
            metrics = event.get("Task Metrics") or {}
            job = stage_job.get(event.get("Stage ID"))
            model = execution_model.get(job_execution.get(job), "(other)") if job is not None else "(other)"
            row = per_model.setdefault(model, {"tasks": 0, "task_seconds": 0.0, "cpu_seconds": 0.0,
                                               "shuffle_write_bytes": 0,
                                               "shuffle_read_bytes": 0, "spill_bytes": 0, "input_bytes": 0})
            read = metrics.get("Shuffle Read Metrics") or {}
            figures = {
                "tasks": 1,
                "task_seconds": (metrics.get("Executor Run Time") or 0) / 1000,
                "cpu_seconds": (metrics.get("Executor CPU Time") or 0) / 1e9,
                "shuffle_write_bytes": (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0),
                "shuffle_read_bytes": read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0),
                "spill_bytes": metrics.get("Disk Bytes Spilled", 0),
                "input_bytes": (metrics.get("Input Metrics") or {}).get("Bytes Read", 0),
            }
            for name, value in figures.items():
                row[name] += value
                total[name] += value
            short_tasks += figures["task_seconds"] < 0.1
    total["tasks_under_100ms"] = short_tasks
    ordered = dict(sorted(per_model.items(), key=lambda item: -item[1]["task_seconds"]))
    return {"total": total, "models": ordered}


def summarise_event_log(event_dir: Path, model_names: set[str] | None = None) -> dict | None:
    path = event_log_file(event_dir)
    if path is None:
        return None
    with path.open(encoding="utf-8") as lines:
        parsed = parse_event_log(lines, model_names)
    parsed["event_log_bytes"] = path.stat().st_size
    return parsed


# ----------------------------------------------------------------------------- the floors on Spark

def spark_floor_statements(raw: Path, as_of_date: str) -> dict[str, tuple[str, str]]:
    """Per floor: its table and its Spark SQL (the DuckDB floors' query with Spark's
    file reader, datediff and div)."""
    return {"rfm": ("floor_member_rfm", rfm_floor_sql(raw, as_of_date, "spark")),
            "pairs": ("floor_product_pairs", pairs_floor_sql(raw, as_of_date, "spark"))}


def spark_floors_main(raw: str, as_of_date: str, warehouse: str, driver_memory: str, out: str,
                      runs: int = FLOOR_RUNS) -> None:
    """Run in its own process (`python -m member_analytics.benchmark spark-floors ...`):
    a Spark session configured as the profile's spark output (local[*], the driver
    memory, 4 shuffle partitions, UI off), each floor `runs` times as drop + create
    table as (so the answer is computed and written); its time is the fastest run.
    The session's start (JVM, ~10 s) is not in the floors' times."""
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (SparkSession.builder.master("local[*]").appName("member_analytics floors")
             .config("spark.driver.memory", driver_memory)
             .config("spark.sql.warehouse.dir", str(Path(warehouse) / "spark-warehouse"))
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.sources.default", "parquet")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    session_seconds = time.perf_counter() - started
    floors = {}
    for name, (table, sql) in spark_floor_statements(Path(raw), as_of_date).items():
        times = []
        for _run in range(runs):
            began = time.perf_counter()
            spark.sql(f"drop table if exists {table}")
            spark.sql(sql)
            times.append(time.perf_counter() - began)
        rows = spark.sql(f"select count(*) from {table}").collect()[0][0]
        floors[name] = {"seconds": min(times), "runs_seconds": times, "rows": rows}
    spark.stop()
    Path(out).write_text(json.dumps({"session_start_seconds": session_seconds, "floors": floors}, indent=1) + "\n",
                         encoding="utf-8")


def run_spark_floors(folder: SparkFolder, as_of_date: str, driver_memory: str) -> dict:
    """The Spark floors in a child process (its own JVM); peak memory of that tree too."""
    out = folder.scale.root / "spark_floors.json"
    out.unlink(missing_ok=True)
    folder.floors_dir.mkdir(parents=True, exist_ok=True)
    command = [os.environ.get("MEMBER_ANALYTICS_PYTHON", sys.executable), "-m", "member_analytics.benchmark",
               "spark-floors", str(folder.scale.raw), as_of_date, str(folder.floors_dir), driver_memory, str(out)]
    env = dict(os.environ, SPARK_LOCAL_DIRS=str(folder.local_dir))
    with (folder.scale.root / "spark_floors.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(folder.floors_dir))
        sampler = _TreeSampler(process.pid, folder.local_dir)
        sampler.start()
        returncode = process.wait()
    sampler.stopped.set()
    sampler.join()
    if returncode != 0 or not out.exists():
        return {"returncode": returncode, "floors": None, "peak_rss_bytes": sampler.peak_total}
    result = {**json.loads(out.read_text(encoding="utf-8")), "returncode": 0, "peak_rss_bytes": sampler.peak_total}
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def spark_floor_agreement(folder: SparkFolder) -> dict | None:
    """The Spark floors' answers against the marts Spark built (Parquet folders read
    with DuckDB; not timed): members with equal frequency and monetary, pairs with equal n_ab."""
    marts = folder.spark_warehouse / "marts.db"
    floors = folder.floors_dir / "spark-warehouse"
    paths = {name: path for name, path in (("rfm_mart", marts / "fct_member_rfm"),
                                           ("pairs_mart", marts / "fct_product_pairs"),
                                           ("rfm_floor", floors / "floor_member_rfm"),
                                           ("pairs_floor", floors / "floor_product_pairs"))}
    if not all(any(path.glob("*.parquet")) for path in paths.values()):
        return None
    read = {name: f"read_parquet({_literal(str(path / '*.parquet'))})" for name, path in paths.items()}
    with duckdb.connect() as connection:
        rfm = connection.execute(f"""
            select count(*), count(floor.member_id),
                   count(*) filter (where floor.frequency = mart.frequency and floor.monetary = mart.monetary)
            from {read['rfm_mart']} as mart left join {read['rfm_floor']} as floor
                on mart.shop_id = floor.shop_id and mart.member_id = floor.member_id""").fetchall()[0]
        pairs = connection.execute(f"""
            select count(*), count(floor.n_ab), count(*) filter (where floor.n_ab = mart.n_ab)
            from {read['pairs_mart']} as mart left join {read['pairs_floor']} as floor
                on mart.shop_id = floor.shop_id and mart.product_id_a = floor.product_id_a
                and mart.product_id_b = floor.product_id_b""").fetchall()[0]
    return {"rfm": {"mart_rows": rfm[0], "also_in_floor": rfm[1], "equal_frequency_and_monetary": rfm[2]},
            "pairs": {"mart_rows": pairs[0], "also_in_floor": pairs[1], "equal_n_ab": pairs[2]}}


# ----------------------------------------------------------------------------- a build cut short

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOG_RESULT = re.compile(
    r"\d+ of \d+ (?P<verb>OK created sql \w+ model|OK loaded seed file|PASS|FAIL \d+|WARN \d+|"
    r"ERROR creating sql \w+ model|ERROR) (?P<name>[\w.:]+)[ .]*\[.*? in (?P<seconds>[\d.]+)s\]")


def run_results_from_log(text: str) -> dict:
    """dbt's per-node results as in run_results.json, read from its console log: for a
    build that was stopped before dbt wrote run_results.json (the report says so).
    Models and seeds are named schema.name in the log, unit tests model::test."""
    results = []
    for line in _ANSI.sub("", text).splitlines():
        match = _LOG_RESULT.search(line)
        if not match:
            continue
        verb, name = match.group("verb"), match.group("name")
        if "model" in verb:
            kind, name = "model", name.split(".")[-1]
        elif "seed" in verb:
            kind, name = "seed", name.split(".")[-1]
        else:
            kind = "unit_test" if "::" in name else "test"
        status = {"OK": "success", "PASS": "pass", "FAIL": "fail", "WARN": "warn", "ERROR": "error"}[verb.split()[0]]
        results.append({"unique_id": f"{kind}.member_analytics.{name}", "status": status,
                        "execution_time": float(match.group("seconds"))})
    return {"results": results, "elapsed_time": None, "metadata": {}, "from_log": True}


# ----------------------------------------------------------------------------- one scale on Spark

def benchmark_spark_scale(scale: str, out: Path, seed: int, home: Path, driver_memory: str,
                          resume: bool = False) -> dict:
    """Generate, build on Spark, run the floors on Spark and on DuckDB, summarise.
    With `resume`, a scale folder that already holds the raw files (truth.json), a
    finished build (spark_build.json) or the Spark floors' times (spark_floors.json)
    does not redo them."""
    from member_analytics.generator import generate

    folder = SparkFolder(ScaleFolder(out / scale))
    truth_path, build_path = folder.scale.root / "truth.json", folder.scale.root / "spark_build.json"
    if resume and truth_path.exists():
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        _say(f"== {scale}: reusing the sample dataset in {folder.scale.raw}")
    else:
        _clear(folder.scale)
        for stale in (truth_path, build_path):
            stale.unlink(missing_ok=True)
        folder.scale.root.mkdir(parents=True, exist_ok=True)
        _say(f"== {scale}: generating the sample dataset into {folder.scale.raw}")
        started = time.perf_counter()
        truth = generate(folder.scale.raw, scale=scale, seed=seed, file_format="parquet")
        truth["generation_seconds"] = time.perf_counter() - started
        truth_path.write_text(json.dumps(truth, default=str) + "\n", encoding="utf-8")
    rows = {table: counts["raw"] for table, counts in truth["row_counts"].items()}

    if resume and build_path.exists():
        build = json.loads(build_path.read_text(encoding="utf-8"))
        _say(f"== {scale}: reusing the finished Spark build ({build['wall_seconds']:.0f} s)")
    else:
        _say(f"== {scale}: dbt build --target spark (log: {folder.scale.build_log})")
        build = run_spark_build(home, folder, truth, driver_memory)
    # A build measured before the sampler counted only java + python: their peaks'
    # sum bounds the tree's peak from above (a transient fork was counted as well).
    kinds = build.get("peak_rss_by_process", {})
    build["peak_rss_bytes"] = min(build["peak_rss_bytes"], kinds.get("java", 0) + kinds.get("python", 0)) \
        if kinds else build["peak_rss_bytes"]
    # The overview's "peak spill" column: for Spark, its shuffle and spill folder.
    build.setdefault("peak_spill_bytes", build["peak_shuffle_dir_bytes"])
    _say(f"   {build['wall_seconds']:.1f}s, exit {build['returncode']}, peak memory {_bytes(build['peak_rss_bytes'])}")

    floors_path = folder.scale.root / "spark_floors.json"
    if resume and floors_path.exists():
        _say(f"== {scale}: reusing the Spark floors' times in {floors_path}")
        spark_floors = json.loads(floors_path.read_text(encoding="utf-8"))
    else:
        _say(f"== {scale}: floors on Spark (own session, driver memory {driver_memory})")
        spark_floors = run_spark_floors(folder, truth["as_of_date"], driver_memory)
    floors = spark_floors.get("floors") or {}
    _say("   " + (", ".join(f"{name} {floor['seconds']:.2f}s" for name, floor in floors.items()) or "failed"))
    settings = profile_duckdb_settings(Path(os.environ.get("DBT_PROFILES_DIR", home / "profiles")) / "profiles.yml",
                                       folder.env(dict(os.environ)))
    _say(f"== {scale}: floors on DuckDB (the baseline, memory_limit {settings.get('memory_limit')})")
    with connect_floors(folder.scale.floors, settings) as connection:
        duckdb_floors = run_floors(connection, folder.scale.raw, truth["as_of_date"])
    _say("   " + ", ".join(f"{name} {floor['seconds']:.2f}s" for name, floor in duckdb_floors.items()))

    run_results_path = folder.scale.target / "run_results.json"
    if run_results_path.exists():
        run_results = json.loads(run_results_path.read_text(encoding="utf-8"))
        shutil.copy(run_results_path, folder.scale.root / "run_results.json")
    else:  # stopped before the end: what finished, from dbt's log
        run_results = run_results_from_log(folder.scale.build_log.read_text(encoding="utf-8", errors="replace"))
    model_paths, parents = read_manifest(folder.scale.target)
    build_summary = summarise_build(run_results, model_paths,
                                    {name: floor["seconds"] for name, floor in floors.items()}, parents)
    build_summary["partial_from_log"] = bool(run_results.get("from_log"))
    build_summary["nodes_finished"] = len(run_results.get("results", []))
    build_summary["vs_duckdb_floor"] = [
        {"model": row["model"], "floor": row["floor"],
         "multiple": _ratio(row["seconds"], duckdb_floors[row["floor"]]["seconds"]),
         "lineage_multiple": _ratio(row["lineage_seconds"], duckdb_floors[row["floor"]]["seconds"])}
        for row in build_summary["vs_floor"]]
    events = summarise_event_log(folder.event_dir)
    if events:
        (folder.scale.root / "spark_events_summary.json").write_text(json.dumps(events, indent=1) + "\n",
                                                                     encoding="utf-8")
    result = {
        "scale": scale,
        "target": "spark",
        "as_of_date": truth["as_of_date"],
        "rows": rows,
        "raw_bytes": folder_bytes(folder.scale.raw),
        "generation_seconds": truth.get("generation_seconds"),
        "build": build,
        "warehouse_bytes": folder_bytes(folder.spark_warehouse),
        "floors": floors,
        "spark_floors_session": {key: spark_floors.get(key) for key in
                                 ("session_start_seconds", "peak_rss_bytes", "returncode")},
        "floor_agreement": spark_floor_agreement(folder) if build["returncode"] == 0 and floors else None,
        "duckdb_floors": duckdb_floors,
        "build_summary": build_summary,
        "spark_events": events,
        "load_average_after": list(os.getloadavg()),
    }
    result["targets"] = targets(result)
    return result


def run_spark(scales: list[str], out: Path, seed: int = 42, keep_data: bool = False,
              command: str = "member-analytics benchmark --target spark", driver_memory: str = "6g",
              resume: bool = False) -> int:
    """Benchmark each scale on Spark (smallest first), rewriting DIR/benchmark.{json,md}
    after each one. Returns 0 when every build succeeded."""
    scales, home = _checked_scales(scales)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    report = {"command": command, "target": "spark", "started_at": dt.datetime.now().isoformat(timespec="seconds"),
              "seed": seed, "machine": machine_facts(), "driver_memory": driver_memory,
              "spark": _spark_versions(), "scales": [], "growth": []}
    for scale in scales:
        result = benchmark_spark_scale(scale, out, seed, home, driver_memory, resume)
        if not keep_data:
            _clear(ScaleFolder(out / scale))
        report["scales"].append(result)
        report["growth"] = growth(report["scales"])
        report["dbt_version"] = report.get("dbt_version") or result["build_summary"]["dbt_version"]
        write_spark_report(report, out)
        _say(f"== report: {out / 'benchmark.md'}")
    return 0 if all(scale["build"]["returncode"] == 0 for scale in report["scales"]) else 1


def _spark_versions() -> dict:
    versions = {}
    for package in ("pyspark", "dbt-spark"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:  # noqa: BLE001 - not installed: the build will say so
            versions[package] = None
    return versions


# ----------------------------------------------------------------------------- the cluster estimate

# 100x the large scale: 100 M members, ~1 B orders, ~2.5 B order lines.
CLUSTER_TARGET_ORDERS = 1_000_000_000


@dataclass(frozen=True)
class ClusterAssumptions:
    """What the cluster estimate assumes (docs/decisions/0092 says why)."""

    target_orders: int = CLUSTER_TARGET_ORDERS
    target_wall_seconds: float = 2 * 3600.0     # a nightly full rebuild in two hours
    cores_per_node: int = 16                    # a common worker: 16 vCPU, 128 GB
    memory_per_node_bytes: int = 128 * 10**9
    parallel_efficiency: float = 0.5            # share of the cores' time doing tasks (skew, stragglers, waits)
    growth_exponent: float = 1.0                # task time and shuffle grow as orders ** exponent
    shuffle_memory_fraction: float = 0.3        # of a node's memory that holds one model's shuffle without spilling
    partition_bytes: int = 128 * 10**6          # target shuffle partition size


def fit_fixed_and_per_order(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Two or more (orders, seconds) points -> (fixed seconds, seconds per order) of the
    line through the smallest and the largest point (fixed is floored at 0)."""
    (small_orders, small_seconds), (large_orders, large_seconds) = min(points), max(points)
    per_order = (large_seconds - small_seconds) / (large_orders - small_orders)
    return max(small_seconds - per_order * small_orders, 0.0), per_order


def estimate_cluster(orders: float, task_seconds: float, heaviest_shuffle_bytes: float, raw_bytes: float,
                     warehouse_bytes: float, fixed_seconds: float = 0.0,
                     assumptions: ClusterAssumptions = ClusterAssumptions()) -> dict:
    """Nodes for `assumptions.target_orders`, from one measured Spark build of `orders` orders:
    its summed task time (core-seconds), the largest shuffle one model wrote, the raw
    files and the warehouse. Task time and shuffle grow as (target / orders) ** exponent;
    the build's fixed part (dbt, query planning, ~1,000 nodes one after another on two
    threads) does not shrink with more nodes. Nodes are the larger of: enough cores to do
    the task time in the wall-time target at the given efficiency, and enough memory to
    hold the heaviest model's shuffle at `shuffle_memory_fraction` of each node's memory."""
    a = assumptions
    factor = a.target_orders / orders
    grown = factor ** a.growth_exponent
    core_seconds = task_seconds * grown
    shuffle_bytes = heaviest_shuffle_bytes * grown
    compute_budget = max(a.target_wall_seconds - fixed_seconds, 1.0)
    cores_for_time = core_seconds / (compute_budget * a.parallel_efficiency)
    nodes_for_time = cores_for_time / a.cores_per_node
    nodes_for_shuffle = shuffle_bytes / (a.memory_per_node_bytes * a.shuffle_memory_fraction)
    nodes = max(1, int(-(-max(nodes_for_time, nodes_for_shuffle) // 1)))
    cores = nodes * a.cores_per_node
    return {
        "assumptions": asdict(a),
        "scale_factor": factor,
        "growth_factor": grown,
        "core_seconds": core_seconds,
        "core_hours": core_seconds / 3600,
        "heaviest_shuffle_bytes": shuffle_bytes,
        "shuffle_partitions": int(-(-shuffle_bytes // a.partition_bytes)),
        "raw_bytes": raw_bytes * factor,
        "warehouse_bytes": warehouse_bytes * factor,
        "nodes_for_time": nodes_for_time,
        "nodes_for_shuffle": nodes_for_shuffle,
        "nodes": nodes,
        "cores": cores,
        "memory_bytes": nodes * a.memory_per_node_bytes,
        "expected_wall_seconds": fixed_seconds + core_seconds / (cores * a.parallel_efficiency),
    }


def cluster_inputs(scales: list[dict]) -> dict | None:
    """The estimate's inputs from the largest Spark scale with an event log: its tasks'
    CPU time, heaviest shuffle, raw and warehouse bytes (and the fixed part from the
    line through the smallest and largest scale's wall times). `complete` is false when
    that scale's build did not finish (its figures then cover the nodes that did);
    `fixed_from_complete_builds` when any of the builds behind the fixed part did not."""
    measured = [scale for scale in scales if scale.get("spark_events")]
    if not measured:
        return None
    largest = max(measured, key=lambda scale: scale["rows"]["orders"])
    models = {name: row for name, row in largest["spark_events"]["models"].items() if name != "(other)"}
    heaviest = max(models.items(), key=lambda item: item[1]["shuffle_write_bytes"], default=(None, {}))
    points = [(scale["rows"]["orders"], scale["build"]["wall_seconds"]) for scale in measured]
    fixed = fit_fixed_and_per_order(points)[0] if len({orders for orders, _ in points}) > 1 else 0.0
    total = largest["spark_events"]["total"]
    # CPU time, not task (wall) time: on a shared machine tasks wait for a core, which a
    # cluster's dedicated cores do not; the efficiency assumption covers I/O and waits.
    return {"scale": largest["scale"], "orders": largest["rows"]["orders"],
            "complete": largest["build"]["returncode"] == 0,
            "fixed_from_complete_builds": all(scale["build"]["returncode"] == 0 for scale in measured),
            "task_seconds": total.get("cpu_seconds") or total["task_seconds"],
            "heaviest_shuffle_model": heaviest[0], "heaviest_shuffle_bytes": heaviest[1].get("shuffle_write_bytes", 0),
            "raw_bytes": largest["raw_bytes"], "warehouse_bytes": largest["warehouse_bytes"], "fixed_seconds": fixed}


# ----------------------------------------------------------------------------- the Spark report

def _spark_scale_section(scale: dict) -> list[str]:
    summary, build = scale["build_summary"], scale["build"]
    lines = [f"## {scale['scale']} on Spark", ""]
    if build["returncode"] != 0:
        source = "dbt's log (no run_results.json)" if summary.get("partial_from_log") else "run_results.json"
        lines += [f"**The build did not finish** (exit {build['returncode']}): {summary.get('nodes_finished', 0):,} "
                  f"nodes had finished; their times come from {source}, so the figures below cover those nodes only.",
                  ""]
    by_process = ", ".join(f"{kind} {_bytes(value)}" for kind, value in sorted(build.get("peak_rss_by_process", {}).items())
                           if kind in ("java", "python"))
    lines += [f"Build: {_seconds(build['wall_seconds'])} wall ({_seconds(summary.get('elapsed_seconds'))} dbt elapsed), "
              f"exit {build['returncode']}; peak resident memory of the process tree {_bytes(build['peak_rss_bytes'])} "
              f"(peak per kind: {by_process or '–'}; driver memory {build.get('driver_memory')}); Spark's shuffle and "
              f"spill folder peaked at {_bytes(build.get('peak_shuffle_dir_bytes'))}; warehouse "
              f"{_bytes(scale.get('warehouse_bytes'))}.", ""]
    floors, duck = scale.get("floors") or {}, scale.get("duckdb_floors") or {}
    agreement = scale.get("floor_agreement") or {}
    lines += ["Floors: the same hand-written queries on Spark SQL (own session, fastest of three, after the build) "
              "and on DuckDB (the baseline from this invocation):", ""]
    lines += _table(["floor", "Spark", "DuckDB", "Spark ÷ DuckDB", "rows (Spark / DuckDB)", "agreement with the Spark mart"],
                    [[name, _floor_time(floors[name]) if name in floors else "–", _floor_time(duck[name]),
                      _times(_ratio(floors.get(name, {}).get("seconds"), duck[name]["seconds"])),
                      f"{floors.get(name, {}).get('rows', '–')} / {duck[name]['rows']}",
                      (f"{agreement[name].get('equal_frequency_and_monetary', agreement[name].get('equal_n_ab')):,} of "
                       f"{agreement[name]['mart_rows']:,}") if name in agreement else "–"]
                     for name in ("rfm", "pairs") if name in duck])
    duck_multiples = {row["model"]: row for row in summary.get("vs_duckdb_floor", [])}
    lines += ["Marts as a multiple of their floor (own time in the Spark build; *with upstream* adds every model "
              "it depends on):", ""]
    lines += _table(["mart", "floor", "own time", "× Spark floor", "with upstream", "× Spark floor", "× DuckDB floor (own)"],
                    [[row["model"], row["floor"], _seconds(row["seconds"]), _times(row["multiple"]),
                      _seconds(row["lineage_seconds"]), _times(row["lineage_multiple"]),
                      _times(duck_multiples.get(row["model"], {}).get("multiple"))]
                     for row in summary["vs_floor"]])
    events = scale.get("spark_events") or {}
    models = events.get("models", {})
    lines += ["Ten slowest models (dbt's time; Spark's task time, tasks and shuffle from the event log):", ""]
    lines += _table(["model", "time", "share of model time", "task time", "tasks", "shuffle written", "spilled"],
                    [[row["model"], _seconds(row["seconds"]),
                      "–" if row["share_of_model_time"] is None else f"{row['share_of_model_time']:.0%}",
                      _seconds(models.get(row["model"], {}).get("task_seconds")),
                      f"{models.get(row['model'], {}).get('tasks', 0):,}",
                      _bytes(models.get(row["model"], {}).get("shuffle_write_bytes")),
                      _bytes(models.get(row["model"], {}).get("spill_bytes"))]
                     for row in summary["slowest_models"]])
    if models:
        shuffles = sorted(((name, row) for name, row in models.items() if name != "(other)"),
                          key=lambda item: -item[1]["shuffle_write_bytes"])[:5]
        total = events["total"]
        lines += ["Largest shuffles: " + ", ".join(f"{name} {_bytes(row['shuffle_write_bytes'])}"
                                                   for name, row in shuffles) + ".", "",
                  f"Spark overall: {total['sql_executions']:,} SQL executions, {total['jobs']:,} jobs, "
                  f"{total['tasks']:,} tasks ({total['tasks_under_100ms']:,} under 0.1 s), "
                  f"{_seconds(total['task_seconds'])} of task time ({_seconds(total.get('cpu_seconds'))} of it on CPU), "
                  f"{_bytes(total['shuffle_write_bytes'])} shuffled, "
                  f"{_bytes(total['spill_bytes'])} spilled, {_bytes(total['input_bytes'])} read; of the task time, "
                  f"{_seconds(models.get('(other)', {}).get('task_seconds'))} outside model builds (tests, checks).", ""]
    kinds = summary["seconds_by_resource_type"]
    lines += ["Time by node type (sum of node times, two threads): "
              + "; ".join(f"{kind}: {_count(summary['nodes_by_resource_type'][kind], 'node')}, {_seconds(seconds)}"
                          for kind, seconds in sorted(kinds.items())), ""]
    if summary["failed"]:
        lines += ["**Failed nodes:** " + ", ".join(summary["failed"]), ""]
    return lines


def render_spark_markdown(report: dict) -> str:
    """benchmark.md of a Spark run: machine, overview, growth, each scale, the cluster estimate."""
    machine, scales = report["machine"], report["scales"]
    spark = report.get("spark", {})
    lines = ["# member_analytics benchmark on Spark (local mode)", "",
             f"Run {report['started_at']} with `{report['command']}` (seed {report['seed']}).", "",
             f"Machine: {machine['cores']} cores, {_bytes(machine['memory_bytes'])} memory, {machine['cpu']}; "
             f"Python {machine['python']}, pyspark {spark.get('pyspark')}, dbt-spark {spark.get('dbt-spark')}, "
             f"dbt {report.get('dbt_version') or '–'}; profile output `spark` (method session, local[*], "
             f"4 shuffle partitions, two dbt threads), driver memory {report['driver_memory']}.", "",
             "Load average (1, 5, 15 min) at the start: "
             + ", ".join(f"{value:.1f}" for value in machine["load_average_at_start"])
             + "; compare ratios rather than absolute times.", ""]
    lines += _scale_overview(scales)
    if report["growth"]:
        unfinished = [scale["scale"] for scale in scales if scale["build"]["returncode"] != 0]
        lines += ["Growth between consecutive scales (*build ÷ orders* = 1 is linear; floors are Spark's)"
                  + (f"; **{', '.join(unfinished)} did not finish**, so its build and model-time ratios compare "
                     "different sets of nodes" if unfinished else "") + ":", ""]
        lines += _growth_table(report["growth"])
    for scale in scales:
        lines += _spark_scale_section(scale)
    estimate = report.get("cluster_estimate")
    if estimate:
        inputs, result = estimate["inputs"], estimate["estimate"]
        a = result["assumptions"]
        lines += ["## Cluster estimate for 100× the large scale", "",
                  ("" if inputs.get("complete", True) else "**From a build that did not finish: a lower bound.** ")
                  + ("" if inputs.get("fixed_from_complete_builds", True) else
                     "(The fixed part comes from a build that did not finish: rough.) ")
                  + f"From the {inputs['scale']} build ({inputs['orders']:,} orders, {_seconds(inputs['task_seconds'])} "
                  f"of task CPU time, heaviest shuffle {inputs['heaviest_shuffle_model']} "
                  f"{_bytes(inputs['heaviest_shuffle_bytes'])}, fixed part {_seconds(inputs['fixed_seconds'])}), "
                  f"scaled {result['scale_factor']:,.0f}× in orders with exponent {a['growth_exponent']}: "
                  f"{result['core_hours']:,.0f} core-hours, heaviest shuffle {_bytes(result['heaviest_shuffle_bytes'])} "
                  f"({result['shuffle_partitions']:,} partitions of {_bytes(a['partition_bytes'])}), raw files "
                  f"{_bytes(result['raw_bytes'])}, warehouse {_bytes(result['warehouse_bytes'])}. "
                  f"**{result['nodes']} nodes** of {a['cores_per_node']} cores and {_bytes(a['memory_per_node_bytes'])} "
                  f"({result['nodes_for_time']:.1f} for the time target of {a['target_wall_seconds'] / 3600:g} h at "
                  f"{a['parallel_efficiency']:.0%} efficiency, {result['nodes_for_shuffle']:.1f} for the shuffle in "
                  f"memory), expected wall time {_seconds(result['expected_wall_seconds'])}. "
                  "docs/benchmark.md explains the assumptions.", ""]
    lines += ["Every model's time is in benchmark.json (`scales[].build_summary.model_seconds`), Spark's per-model "
              "task time and shuffle in `scales[].spark_events.models`.", ""]
    return "\n".join(lines)


def write_spark_report(report: dict, out: Path) -> None:
    inputs = cluster_inputs(report["scales"])
    if inputs:
        report["cluster_estimate"] = {"inputs": inputs, "estimate": estimate_cluster(
            inputs["orders"], inputs["task_seconds"], inputs["heaviest_shuffle_bytes"], inputs["raw_bytes"],
            inputs["warehouse_bytes"], inputs["fixed_seconds"])}
    (out / "benchmark.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "benchmark.md").write_text(render_spark_markdown(report), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "spark-floors":
        spark_floors_main(*sys.argv[2:])
    else:
        raise SystemExit("usage: python -m member_analytics.benchmark spark-floors RAW AS_OF WAREHOUSE DRIVER_MEMORY OUT")
