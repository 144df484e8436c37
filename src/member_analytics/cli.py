"""Command line of the project's tooling: `member-analytics <command>`.

Commands:
  generate   write a sample shop dataset (raw-data contract files + ground_truth.json)
  summary    print what a build produced and how to query it
  benchmark  time generation, a full build, the floors and the peers per scale (docs/benchmark.md)
  export-contacts  write today's contact list per shop (CSV, no personal data)
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


def _benchmark(args: argparse.Namespace) -> int:
    from member_analytics import benchmark

    scales = [scale.strip() for scale in args.scales.split(",") if scale.strip()]
    command = (f"member-analytics benchmark --scales {','.join(scales)} --out {args.out} --seed {args.seed}"
               + (" --keep-data" if args.keep_data else "")
               + (" --no-peers" if args.no_peers else
                  f" --peer-memory-gb {args.peer_memory_gb:g} --peer-timeout {args.peer_timeout:g}"))
    peer_options = benchmark.PeerOptions(enabled=not args.no_peers, memory_bytes=int(args.peer_memory_gb * 1e9),
                                         timeout_seconds=args.peer_timeout)
    return benchmark.run(scales, Path(args.out), seed=args.seed, keep_data=args.keep_data, command=command,
                         peer_options=peer_options)


def _export_contacts(args: argparse.Namespace) -> int:
    from member_analytics.contacts import ExportError, export_contacts

    try:
        written = export_contacts(Path(args.warehouse).resolve(), Path(args.out).resolve(), args.shop or None)
    except ExportError as error:
        print(f"export-contacts: {error}", file=sys.stderr)
        return 2
    for shop, rows in written.items():
        print(f"{Path(args.out).resolve() / (shop + '.csv')}: {rows:,} contacts")
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

    benchmark = commands.add_parser(
        "benchmark", help="time generation, a full build, the floors and the peers per scale (docs/benchmark.md)")
    benchmark.add_argument("--scales", default="small,medium,large",
                           help="comma-separated scales, run smallest first (default: small,medium,large)")
    benchmark.add_argument(
        "--out",
        default=str(Path(os.environ.get("MEMBER_ANALYTICS_HOME", ".")) / "reports" / "benchmark"),
        help="folder for benchmark.md, benchmark.json and each scale's data (default: reports/benchmark)")
    benchmark.add_argument("--seed", type=int, default=42)
    benchmark.add_argument("--keep-data", action="store_true",
                           help="keep each scale's raw files and warehouse (large: ~4 GB)")
    benchmark.add_argument("--no-peers", action="store_true",
                           help="skip the peers (pandas RFM and cohorts, mlxtend pairs) after each build")
    benchmark.add_argument("--peer-memory-gb", type=float, default=8.0,
                           help="resident memory at which a peer is stopped as out of memory (default: 8)")
    benchmark.add_argument("--peer-timeout", type=float, default=1800.0,
                           help="seconds after which a peer is stopped as not finishing (default: 1800)")
    benchmark.set_defaults(handler=_benchmark)

    contacts = commands.add_parser("export-contacts", help="write today's contact list per shop (CSV)")
    contacts.add_argument(
        "--warehouse",
        default=os.environ.get("MEMBER_ANALYTICS_DUCKDB_PATH", "warehouse/member_analytics.duckdb"),
    )
    contacts.add_argument(
        "--out",
        default=str(Path(os.environ.get("MEMBER_ANALYTICS_HOME", ".")) / "exports" / "contacts"),
        help="folder for <shop_id>.csv (default: exports/contacts)")
    contacts.add_argument("--shop", action="append", help="a shop to export (repeat; default: all shops)")
    contacts.set_defaults(handler=_export_contacts)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
