"""`member-analytics run` (bin/run): the main job, on the embedded DuckDB.

Generate a sample shop dataset (or read yours), build every model and run the
production test tier (write-audit-publish), and show the results: the build summary, today's contact
lists, the BI bundles and the docs page. Each step is one of the CLI's own
commands; the job stops at the first that fails, with its exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

BUNDLES = ("each-shop", "head-office", "none")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", default="small", help="tiny | small | medium | large (default: small)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--raw-data", help="your own raw folder instead of a sample (a daily run on the published "
                                           "warehouse unless --full-refresh)")
    parser.add_argument("--as-of-date", help="the build's as_of_date (default: the sample's, or the build's rule)")
    parser.add_argument("--full-refresh", action="store_true", help="with --raw-data: rebuild from scratch")
    parser.add_argument("--bundles", default="each-shop", choices=BUNDLES,
                        help="which BI bundles to write (default each-shop: head office and one per shop; "
                             "large data: head-office or none)")


class _Stopped(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _command(*argv: str) -> None:
    from member_analytics.cli import main

    sys.stdout.flush()  # before the command's own output and its child processes'
    code = main(list(argv))
    sys.stdout.flush()
    if code:
        raise _Stopped(code)


def _stage(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.monotonic()


def _stage_done(started: float) -> None:
    print(f"   ({int(time.monotonic() - started)}s)", flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        _run(args)
    except _Stopped as stopped:
        return stopped.code
    return 0


def _run(args: argparse.Namespace) -> None:
    raw = Path(os.environ["MEMBER_ANALYTICS_RAW_DATA_PATH"])
    as_of_date = args.as_of_date
    if args.raw_data:
        raw = Path(args.raw_data).resolve()
        if not raw.is_dir():
            print(f"run: no folder {args.raw_data}", file=sys.stderr)
            raise _Stopped(2)
        os.environ["MEMBER_ANALYTICS_RAW_DATA_PATH"] = str(raw)
    else:
        started = _stage(f"generating the {args.scale} sample dataset")
        _command("generate", "--out", str(raw), "--scale", args.scale, "--seed", str(args.seed),
                 "--format", args.format)
        if not as_of_date:
            as_of_date = json.loads((raw / "ground_truth.json").read_text())["as_of_date"]
        _stage_done(started)

    started = _stage("write-audit-publish: build every model and run the production tests into a working copy, "
                     "check it, publish it")
    print(f"   raw data: {raw}")
    # A freshly generated sample replaces the raw folder wholesale: build it in full. Your own
    # data builds as a daily run on the published warehouse (decision 0091; a changed folder
    # without later updated_at values fails a data test: rerun with --full-refresh).
    refresh = ["--full-refresh"] if not args.raw_data or args.full_refresh else []
    _command("build", "--vars", json.dumps({"as_of_date": as_of_date} if as_of_date else {}), *refresh)
    _stage_done(started)

    _stage("results")
    _command("summary")
    print("\ntoday's contact lists (fct_campaign_audiences, unsuppressed rows; no personal data):")
    _command("export-contacts")
    if args.bundles != "none":
        print("\nBI bundles (public marts as DuckDB + Parquet + dashboard, no personal data):")
        _command("export-bundle")
        if args.bundles == "each-shop":
            _command("export-bundle", "--each-shop")
    print()
    started = _stage("docs: every model and column, with lineage, in one page")
    reports = Path(os.environ["MEMBER_ANALYTICS_REPORTS_DIR"])
    _command("docs", "--out", str(reports / "docs" / "index.html"), *(["--as-of-date", as_of_date] if as_of_date else []))
    _stage_done(started)
    print("\ndashboards (open from disk, no network): exports/bundles/<all_shops or shop_id>/dashboard.html")
    print("metrics (MetricFlow): bin/mf query --metrics net_revenue,buyers --group-by shop,metric_time__month")
    print(f"build report: {reports / 'build' / 'last_build.md'}")
