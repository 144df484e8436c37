"""The floors on Spark: the DuckDB floors' SQL for Spark, run in their own
process and Spark session (`python -m member_analytics.benchmark spark-floors ...`),
and their answers against the marts Spark built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from member_analytics.benchmark.floors import FLOOR_RUNS, _literal, pairs_floor_sql, rfm_floor_sql
from member_analytics.benchmark.memory import _TreeSampler

if TYPE_CHECKING:
    from member_analytics.benchmark.spark import SparkFolder


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
