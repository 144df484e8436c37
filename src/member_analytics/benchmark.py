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
    "TODO (issue 12): the daily incremental run (time vs the full build, equality with a full refresh)",
    "TODO (issue 12): the Spark target at the medium scale (local mode) and the cluster estimate",
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


def purchases_sql(orders_path: Path, as_of_date: str) -> str:
    """CTEs `typed_orders` and `purchases`: the raw orders with the contract's
    purchase and refund rule applied roughly (no dirty-row rejection, no
    de-duplication of versions): refunded = refunded_amount, else all of it when
    the status is refunded; the refund counts when dated (refunded_at, else
    updated_at, else ordered_at) up to as_of_date; a purchase is paid, shipped,
    completed or refunded with refunded < paid, or free with a paid status,
    placed up to as_of_date."""
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
    from read_parquet({_literal(str(orders_path))})
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


def _score(order_by: str) -> str:
    return (f"cast(1 + (5 * (rank() over (partition by shop_id order by {order_by}) - 1))"
            f" // count(*) over (partition by shop_id) as int)")


def rfm_floor_sql(raw: Path, as_of_date: str) -> str:
    """Current RFM per shop and member in one query from the raw orders: recency
    days, frequency (valid orders), monetary (net), and 1-5 scores from rank()
    within the shop (as macro rfm_score)."""
    return f"""
create or replace table floor_member_rfm as
with
{purchases_sql(raw / "orders.parquet", as_of_date)},

members as (
    select
        shop_id,
        member_id,
        count(*) as frequency,
        sum(net_amount) as monetary,
        date {_literal(as_of_date)} - max(ordered_date) as recency_days
    from purchases
    group by shop_id, member_id
)

select
    *,
    {_score("recency_days desc")} as r_score,
    {_score("frequency asc")} as f_score,
    {_score("monetary asc")} as m_score
from members
"""


def pairs_floor_sql(raw: Path, as_of_date: str) -> str:
    """Product pairs by self-join in one query: a basket is the distinct products
    of a valid order (raw order_items joined to the purchases); per shop and pair
    a < b the baskets holding both, support, both confidences and lift, with
    the project's default min_pair_baskets and min_support."""
    return f"""
create or replace table floor_product_pairs as
with
{purchases_sql(raw / "orders.parquet", as_of_date)},

baskets as (
    select distinct
        items.shop_id,
        items.order_id,
        items.product_id
    from read_parquet({_literal(str(raw / "order_items.parquet"))}) as items
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
        lines += _table(["from → to", "orders", "build (wall)", "build ÷ orders", "model time", "peak memory",
                         "warehouse", "RFM floor", "pairs floor"],
                        [[f"{row['from']} → {row['to']}", _times(row["orders_ratio"]),
                          _times(row["build_wall_ratio"]), f"{row['build_vs_orders']:.2f}"
                          if row["build_vs_orders"] is not None else "–", _times(row["model_seconds_ratio"]),
                          _times(row["peak_rss_ratio"]), _times(row["warehouse_bytes_ratio"]),
                          _times(row["rfm_floor_ratio"]), _times(row["pairs_floor_ratio"])]
                         for row in report["growth"]])
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


def run(scales: list[str], out: Path, seed: int = 42, keep_data: bool = False,
        command: str = "member-analytics benchmark", peer_options: PeerOptions = PeerOptions()) -> int:
    """Benchmark each scale (smallest first) and write DIR/benchmark.{json,md}
    after each one. Returns 0 when every build succeeded."""
    from member_analytics.generator import SCALES

    unknown = [scale for scale in scales if scale not in SCALES]
    if unknown:
        raise SystemExit(f"unknown scale(s) {unknown}: choose from {', '.join(SCALE_ORDER)}")
    scales = sorted(dict.fromkeys(scales), key=SCALE_ORDER.index)
    home = project_home()
    if not (home / "bin" / "dbt").exists():
        raise SystemExit(f"no bin/dbt under {home}: set MEMBER_ANALYTICS_HOME to the project folder")
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

