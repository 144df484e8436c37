"""Command line of the project's tooling: `member-analytics <command>`.

Commands:
  run        the main job (bin/run): generate a sample (or read yours), build, summary, exports, docs
  generate   write a sample shop dataset (raw-data contract files + ground_truth.json)
  generate-days  the same as two daily loads (day_1/, day_2/) for the incremental daily run
  build      write-audit-publish: build and test into a working copy, publish it only if all passed
             (selector production; --all-tests: selector suite)
  summary    print what a build produced and how to query it
  benchmark  time generation, a full build, the floors and the peers per scale (docs/benchmark.md)
  benchmark-daily  time the daily incremental run against a full build (write-audit-publish included)
  export-contacts  write today's contact list per shop (CSV, no personal data)
  export-bundle    write a BI bundle (DuckDB + Parquet + dashboard) of the public marts for all or some shops
  dashboard  write the dashboard (one self-contained HTML file) of the warehouse
  docs       dbt docs generate --static: every model and column, with lineage, in one page
  mf         MetricFlow's mf on this project (the governed metrics), e.g. mf query --metrics net_revenue
  compare-builds  compare every public mart and the quarantine of two builds, table by table (exit 1 if any differ)
  contracts  compare the public marts' columns with contracts/public_marts.json (--write to update it)
  contract-docs  check docs/raw_data_contract.md against macros/contract/raw_contract.sql (--write to regenerate)

The command sets the project's environment itself (member_analytics.env, the
same variables as bin/_env.sh), so it works from .venv/bin, from bin/ or as
`python -m member_analytics`, from any folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from member_analytics import main_job
from member_analytics.env import ensure_environment


def _generate(args: argparse.Namespace) -> int:
    from member_analytics.generator import generate

    started = time.perf_counter()
    truth = generate(
        Path(args.out).resolve(),
        scale=args.scale,
        seed=args.seed,
        file_format=args.format,
        as_of_date=args.as_of_date,
    )
    counts = truth["row_counts"]
    print(
        f"generated {args.scale} sample ({args.format}, seed {args.seed}) in {Path(args.out).resolve()} "
        f"in {time.perf_counter() - started:.1f}s: "
        + ", ".join(f"{table} {counts[table]['raw']:,}" for table in sorted(counts))
    )
    print(f"as_of_date of the sample: {truth['as_of_date']}")
    return 0


def _generate_days(args: argparse.Namespace) -> int:
    from member_analytics.generator.days import generate_days

    out = Path(args.out).resolve()
    days = generate_days(out / "snapshots" if args.as_loads else out, scale=args.scale, seed=args.seed,
                         file_format=args.format, as_of_date=args.as_of_date, late_refunds=args.late_refunds,
                         lookback_days=args.lookback_days)
    if args.as_loads:
        from member_analytics.generator.loads import days_as_loads

        for name in ("day_1", "day_2"):
            shutil.rmtree(out / name, ignore_errors=True)
        delivered = days_as_loads(out / "snapshots" / "day_1", out / "snapshots" / "day_2", out,
                                  days["day_2"]["as_of_date"])
        shutil.copy(out / "snapshots" / "days.json", out / "days.json")
        print(f"as folders of loads (docs/decisions/0117; the snapshots are in {out / 'snapshots'}): day_1/<table>/backfill/"
              f" holds {sum(d['backfill'] for d in delivered.values())} monthly loads, day_2/ the same plus"
              f" <table>/daily/{days['day_2']['as_of_date']}.{args.format} ("
              + ", ".join(f"{table} {d['daily']:,} rows" for table, d in sorted(delivered.items())) + ")")
    for name in ("day_1", "day_2"):
        print(f"{Path(args.out).resolve() / name}: as_of_date {days[name]['as_of_date']}, "
              + ", ".join(f"{table} {rows:,}" for table, rows in sorted(days[name]["rows"].items())))
    print(f"day_2 adds the orders, items and events of {days['day_2']['as_of_date']} and refunds "
          f"{len(days['late_refunds'])} older orders (one placed more than {args.lookback_days} days before)")
    return 0


def _add_generate_days(commands) -> None:
    days = commands.add_parser(
        "generate-days", help="a sample as two daily loads, day_1/ and day_2/ (the daily incremental run, 0091)")
    days.add_argument("--out", default="data/days", help="folder for day_1/, day_2/ and days.json")
    days.add_argument("--scale", default="small", help="tiny | small | medium | large")
    days.add_argument("--seed", type=int, default=42)
    days.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    days.add_argument("--as-of-date", default="2026-11-18", help="day_2's as_of_date; day_1 is the day before")
    days.add_argument("--late-refunds", type=int, default=5, help="old orders refunded on day_2 (default: 5)")
    days.add_argument("--lookback-days", type=int, default=30,
                      help="one refunded order is placed more than this many days before day_2 (default: 30)")
    days.add_argument("--as-loads", action="store_true",
                      help="write day_1/ and day_2/ as folders of loads: monthly backfill loads, and day_2's"
                           " delivery as one more load per table (docs/decisions/0117)")
    days.set_defaults(handler=_generate_days)


def _benchmark_daily(args: argparse.Namespace) -> int:
    from member_analytics.benchmark.daily import measure

    result = measure(args.scale, Path(args.out).resolve() / args.scale, seed=args.seed, as_loads=args.as_loads,
                     reuse_data=args.reuse_data)
    print(json.dumps(result, indent=1))
    return 0 if not result["marts_with_differences"] else 1


def _add_benchmark_daily(commands) -> None:
    daily = commands.add_parser(
        "benchmark-daily", help="time the daily incremental run against a full build, compare their marts (0091)")
    daily.add_argument("--scale", default="small", help="tiny | small | medium | large")
    daily.add_argument("--out", default="reports/benchmark-daily", help="folder for <scale>/ (data, builds, daily_run.json)")
    daily.add_argument("--seed", type=int, default=42)
    daily.add_argument("--as-loads", action="store_true",
                       help="deliver the days as folders of loads (monthly backfill + one daily load per table)")
    daily.add_argument("--reuse-data", action="store_true",
                       help="use the days (and loads) an earlier run of the same scale and seed left in --out")
    daily.set_defaults(handler=_benchmark_daily)


def _build(args: argparse.Namespace) -> int:
    from member_analytics.publish.wap import BuildError, build

    try:
        vars = _yaml_vars(args.vars)
    except Exception as error:  # noqa: BLE001 (yaml raises its own error types)
        print(f"build: --vars is not a JSON or YAML mapping: {error}", file=sys.stderr)
        return 2
    try:
        report = build(vars, select=args.select, quality=not args.no_quality, full_refresh=args.full_refresh,
                       selector=args.selector, exclude=args.exclude, all_tests=args.all_tests)
    except BuildError as error:
        return _stopped("build", error)
    return 0 if report.ok else 1


def _yaml_vars(text: str) -> dict:
    """The --vars mapping. YAML reads an unquoted 2026-11-18 as a date: it is kept as its
    text (as dbt's own --vars gives it to the macros), so the build report and the dbt
    command line can carry it."""
    import datetime

    import yaml

    value = yaml.safe_load(text) if text.strip() else {}
    if not isinstance(value, dict):
        raise ValueError(f"{text!r}")
    return {name: var.isoformat() if isinstance(var, datetime.date) else var for name, var in value.items()}


def _summary(args: argparse.Namespace) -> int:
    from member_analytics.publish import warehouse

    path = Path(args.warehouse).resolve()
    print(warehouse.summary_text(path))
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from member_analytics.benchmark import runner

    if args.target == "spark":
        return _benchmark_spark(args)
    scales = [scale.strip() for scale in args.scales.split(",") if scale.strip()]
    command = (f"member-analytics benchmark --scales {','.join(scales)} --out {args.out} --seed {args.seed}"
               + (" --keep-data" if args.keep_data else "") + (" --no-wap" if args.no_wap else "")
               + (" --no-peers" if args.no_peers else
                  f" --peer-memory-gb {args.peer_memory_gb:g} --peer-timeout {args.peer_timeout:g}"))
    peer_options = runner.PeerOptions(enabled=not args.no_peers, memory_bytes=int(args.peer_memory_gb * 1e9),
                                         timeout_seconds=args.peer_timeout)
    return runner.run(scales, Path(args.out), seed=args.seed, keep_data=args.keep_data, command=command,
                      peer_options=peer_options, wap=not args.no_wap)


def _benchmark_spark(args: argparse.Namespace) -> int:
    """`benchmark --target spark`: the same full build on the profile's spark output (local mode)."""
    from member_analytics.benchmark import spark

    scales = [scale.strip() for scale in args.scales.split(",") if scale.strip()]
    command = (f"member-analytics benchmark --target spark --scales {','.join(scales)} --out {args.out} "
               f"--seed {args.seed} --spark-driver-memory {args.spark_driver_memory}"
               + (" --keep-data" if args.keep_data else "") + (" --resume" if args.resume else ""))
    return spark.run_spark(scales, Path(args.out), seed=args.seed, keep_data=args.keep_data, command=command,
                           driver_memory=args.spark_driver_memory, resume=args.resume)


def _export_contacts(args: argparse.Namespace) -> int:
    from member_analytics.exports.contacts import ExportError, export_contacts

    try:
        written = export_contacts(Path(args.warehouse).resolve(), Path(args.out).resolve(), args.shop or None)
    except ExportError as error:
        return _stopped("export-contacts", error)
    for shop, rows in written.items():
        print(f"{Path(args.out).resolve() / (shop + '.csv')}: {rows:,} contacts")
    return 0


def _export_bundle(args: argparse.Namespace) -> int:
    from member_analytics.bi.bundle import BundleError, export_bundle

    shops = [shop for value in (args.shop or []) for shop in value.split(",") if shop] or None
    try:
        if args.each_shop:
            from member_analytics.bi.bundle import warehouse_shops

            targets = [([shop], shop) for shop in warehouse_shops(Path(args.warehouse).resolve())]
        else:
            targets = [(shops, args.name)]
        for target_shops, name in targets:
            path = export_bundle(Path(args.warehouse).resolve(), Path(args.out).resolve(), target_shops, name)
            contents = json.loads((path / "bundle.json").read_text())
            print(f"{path}: {len(contents['marts'])} marts, shops {', '.join(contents['shops'])}"
                  + (f", dashboard {path / contents['dashboard']}" if contents.get("dashboard") else ""))
    except BundleError as error:
        return _stopped("export-bundle", error)
    return 0


def _compare_builds(args: argparse.Namespace) -> int:
    from member_analytics.publish.parity import compare_builds

    found = compare_builds(Path(args.old).resolve(), Path(args.new).resolve())
    differing = [name for name, _, differences in found if any(differences.values())]
    for name, rows, differences in found:
        print(f"{'differs' if name in differing else 'equal':8s} {name:42s} "
              f"{'' if rows is None else f'{rows:>12,} rows'}  {differences if name in differing else ''}")
    print(f"{len(found)} tables compared, {len(differing)} differ")
    return 1 if differing else 0


def _contract_docs(args: argparse.Namespace) -> int:
    from member_analytics import contract_docs
    return contract_docs.main(["--write"] if args.write else [])


def _contracts(args: argparse.Namespace) -> int:
    from member_analytics.publish import contracts

    if args.write:
        print(f"wrote {contracts.write()}")
        return 0
    found = contracts.differences()
    for line in found:
        print(line)
    if found:
        print("the public marts differ from contracts/public_marts.json: if the change is deliberate, "
              "run `member-analytics contracts --write` and commit the file", file=sys.stderr)
        return 1
    print("the public marts match contracts/public_marts.json")
    return 0


def _stopped(command: str, error: Exception, code: int = 2) -> int:
    """A command that could not do its work: say why on stderr, return its exit code."""
    print(f"{command}: {error}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    return main_job.run(args)


def _dashboard(args: argparse.Namespace) -> int:
    from member_analytics.bi.dashboard import DashboardError, build_dashboard

    try:
        path = build_dashboard(Path(args.warehouse).resolve(), Path(args.out).resolve(), args.shop or None)
    except DashboardError as error:
        return _stopped("dashboard", error)
    print(f"dashboard: {path} ({path.stat().st_size / 1e6:.1f} MB; opens from disk, no network)")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from member_analytics.bi.semantic import BiError, generate_docs

    try:
        page = generate_docs(Path(args.out).resolve() if args.out else None,
                             {"as_of_date": args.as_of_date} if args.as_of_date else None)
    except BiError as error:
        return _stopped("docs", error, 1)
    print(f"docs: {page} ({page.stat().st_size / 1e6:.1f} MB; open it in a browser, no server needed)")
    return 0


def _mf(args: argparse.Namespace) -> int:
    from member_analytics.bi.semantic import run_mf

    result = run_mf(args.mf_args, check=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


def _add_bi_commands(commands) -> None:
    dashboard = commands.add_parser("dashboard", help="write the dashboard: one HTML file, opens from disk")
    _warehouse_argument(dashboard)
    _out_argument(dashboard, "reports", "dashboard", "dashboard.html", help="the HTML file (its data: .json beside it)")
    dashboard.add_argument("--shop", action="append", help="a shop to show (repeat; default: every shop)")
    dashboard.set_defaults(handler=_dashboard)

    docs = commands.add_parser("docs", help="dbt docs generate --static; print where the page is")
    docs.add_argument("--out", help="copy the page to this file (default: leave it in the target folder)")
    docs.add_argument("--as-of-date", help="the build's as_of_date var (YYYY-MM-DD), for the compiled SQL shown")
    docs.set_defaults(handler=_docs)

    mf = commands.add_parser("mf", help="MetricFlow's mf on this project (bin/mf), e.g. mf list metrics")
    mf.add_argument("mf_args", nargs=argparse.REMAINDER, help="the arguments for mf")
    mf.set_defaults(handler=_mf)


def _out_argument(parser: argparse.ArgumentParser, *default: str, help: str) -> None:
    """--out: a folder, by default under the project home (e.g. exports/contacts)."""
    parser.add_argument("--out", default=str(Path(os.environ.get("MEMBER_ANALYTICS_HOME", ".")).joinpath(*default)),
                        help=f"{help} (default: {'/'.join(default)})")


def _warehouse_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", help="the published DuckDB file (default: $MEMBER_ANALYTICS_DUCKDB_PATH)",
        default=os.environ.get("MEMBER_ANALYTICS_DUCKDB_PATH", "warehouse/member_analytics.duckdb"))


def main(argv: list[str] | None = None) -> int:
    ensure_environment()
    parser = argparse.ArgumentParser(prog="member-analytics", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="the main job: a sample (or your data), build, results, bundles, docs")
    main_job.add_arguments(run)
    run.set_defaults(handler=_run)

    generate = commands.add_parser("generate", help="write a sample dataset")
    generate.add_argument("--out", default=os.environ.get("MEMBER_ANALYTICS_RAW_DATA_PATH", "data/raw"))
    generate.add_argument("--scale", default="small", help="tiny | small | medium | large")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    generate.add_argument("--as-of-date", default="2026-11-18", help="the sample's 'today' (YYYY-MM-DD)")
    generate.set_defaults(handler=_generate)

    build = commands.add_parser(
        "build", help="write-audit-publish build of the DuckDB warehouse (docs/decisions/0061)")
    build.add_argument("--vars", default="{}", help="dbt vars, as for dbt build (YAML or JSON mapping)")
    build.add_argument("--select", nargs="+", help="build only these nodes (dbt selection syntax; passed to dbt as is)")
    build.add_argument("--selector", help="a selector of selectors.yml instead of the default (passed to dbt as is)")
    build.add_argument("--exclude", nargs="+", help="leave out these nodes (dbt selection syntax; passed to dbt as is)")
    build.add_argument("--all-tests", action="store_true",
                       help="run every test: selector suite (production plus intermediate-model, costly uniqueness "
                            "and unit tests) instead of selector production")
    build.add_argument("--no-quality", action="store_true",
                       help="skip the Great Expectations suites (dbt tests still gate the publish)")
    build.add_argument("--full-refresh", action="store_true",
                       help="rebuild incremental models from scratch (default: build on the published warehouse)")
    build.set_defaults(handler=_build)
    _add_generate_days(commands)
    _add_benchmark_daily(commands)

    summary = commands.add_parser("summary", help="print what the last build produced")
    _warehouse_argument(summary)
    summary.set_defaults(handler=_summary)

    benchmark = commands.add_parser(
        "benchmark", help="time generation, a full build, the floors and the peers per scale (docs/benchmark.md)")
    benchmark.add_argument("--scales", default="small,medium,large",
                           help="comma-separated scales, run smallest first (default: small,medium,large)")
    _out_argument(benchmark, "reports", "benchmark", help="folder for benchmark.md, benchmark.json and each scale's data")
    benchmark.add_argument("--seed", type=int, default=42)
    benchmark.add_argument("--keep-data", action="store_true",
                           help="keep each scale's raw files and warehouse (large: ~4 GB)")
    benchmark.add_argument("--no-peers", action="store_true",
                           help="skip the peers (pandas RFM and cohorts, mlxtend pairs) after each build")
    benchmark.add_argument("--no-wap", action="store_true",
                           help="skip the write-audit-publish build (member-analytics build --full-refresh) "
                                "after each plain build")
    benchmark.add_argument("--peer-memory-gb", type=float, default=8.0,
                           help="resident memory at which a peer is stopped as out of memory (default: 8)")
    benchmark.add_argument("--peer-timeout", type=float, default=1800.0,
                           help="seconds after which a peer is stopped as not finishing (default: 1800)")
    benchmark.add_argument("--target", choices=("duckdb", "spark"), default="duckdb",
                           help="the profile output to build on (spark: local mode, no peers; default: duckdb)")
    benchmark.add_argument("--spark-driver-memory", default="6g",
                           help="Spark driver memory for --target spark (default: 6g, the profile's)")
    benchmark.add_argument("--resume", action="store_true",
                           help="--target spark: reuse a scale's raw files and finished build left by --keep-data")
    benchmark.set_defaults(handler=_benchmark)

    contacts = commands.add_parser("export-contacts", help="write today's contact list per shop (CSV)")
    _warehouse_argument(contacts)
    _out_argument(contacts, "exports", "contacts", help="folder for <shop_id>.csv")
    contacts.add_argument("--shop", action="append", help="a shop to export (repeat; default: all shops)")
    contacts.set_defaults(handler=_export_contacts)

    bundle = commands.add_parser("export-bundle", help="write a BI bundle of the public marts (no personal data)")
    _warehouse_argument(bundle)
    _out_argument(bundle, "exports", "bundles", help="folder for the bundle folders")
    bundle.add_argument("--shop", action="append",
                        help="a shop (repeat, or comma-separated; default: all shops, the head-office bundle)")
    bundle.add_argument("--name", help="bundle folder name (default: all_shops, or the shop id)")
    bundle.add_argument("--each-shop", action="store_true", help="one bundle per shop (for shop staff)")
    bundle.set_defaults(handler=_export_bundle)

    _add_bi_commands(commands)

    compare = commands.add_parser(
        "compare-builds", help="compare every public mart and the quarantine of two DuckDB builds, table by table")
    compare.add_argument("old", help="the first build's DuckDB file (e.g. before a change)")
    compare.add_argument("new", help="the second build's DuckDB file")
    compare.set_defaults(handler=_compare_builds)
    contracts = commands.add_parser("contracts", help="check the public marts against contracts/public_marts.json")
    contracts.add_argument("--write", action="store_true", help="rewrite the file from the models' YAML")
    contracts.set_defaults(handler=_contracts)
    contract_doc = commands.add_parser(
        "contract-docs", help="check docs/raw_data_contract.md's tables against macros/contract/raw_contract.sql")
    contract_doc.add_argument("--write", action="store_true", help="rewrite the generated tables")
    contract_doc.set_defaults(handler=_contract_docs)

    args = parser.parse_args(argv)
    if args.command == "build" and args.all_tests and (args.select or args.selector or args.exclude):
        parser.error("--all-tests chooses the suite selector: leave it out with --select, --selector or --exclude")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
