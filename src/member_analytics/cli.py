"""Command line of the project's tooling: `member-analytics <command>`.

Commands:
  generate   write a sample shop dataset (raw-data contract files + ground_truth.json)
  summary    print what a build produced and how to query it
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from member_analytics import warehouse


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


def _summary(args: argparse.Namespace) -> int:
    path = Path(args.warehouse).resolve()
    print(warehouse.summary_text(path))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="member-analytics", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a sample dataset")
    generate.add_argument("--out", default=os.environ.get("MEMBER_ANALYTICS_RAW_DATA_PATH", "data/raw"))
    generate.add_argument("--scale", default="small", help="tiny | small | medium | large")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    generate.add_argument("--as-of-date", default="2026-11-18", help="the sample's 'today' (YYYY-MM-DD)")
    generate.set_defaults(handler=_generate)

    summary = commands.add_parser("summary", help="print what the last build produced")
    summary.add_argument(
        "--warehouse",
        default=os.environ.get("MEMBER_ANALYTICS_DUCKDB_PATH", "warehouse/member_analytics.duckdb"),
    )
    summary.set_defaults(handler=_summary)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
