"""Read-only helpers over the built DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb

from member_analytics.publish.parity import public_marts



def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only (fails clearly when it was never built)."""
    if not path.exists():
        raise SystemExit(f"no warehouse at {path}: run bin/run first")
    return duckdb.connect(str(path), read_only=True)


def summary_text(path: Path) -> str:
    """What a build produced: per-shop counts, row reconciliation, where to look."""
    with connect(path) as connection:
        as_of_date, source = connection.execute(
            "select as_of_date, as_of_date_source from marts.rpt_build_metadata"
        ).fetchone()
        shops = connection.execute(
            """
            select
                members.shop_id,
                count(*) as members,
                count(*) filter (where members.is_buyer) as buyers,
                coalesce(max(orders.valid_orders), 0) as valid_orders,
                coalesce(max(orders.net_revenue), 0) as net_revenue
            from marts.dim_members as members
            left join (
                select
                    shop_id,
                    count(*) filter (where is_valid_purchase) as valid_orders,
                    sum(net_amount) filter (where is_valid_purchase) as net_revenue
                from marts.fct_orders
                group by shop_id
            ) as orders
                on members.shop_id = orders.shop_id
            group by members.shop_id
            order by members.shop_id
            """
        ).fetchall()
        reconciliation = connection.execute(
            """
            select table_name, source_format, raw_rows, kept_rows, rejected_rows, duplicate_rows, superseded_rows
            from audit.rpt_row_reconciliation
            order by table_name
            """
        ).fetchall()
        reasons = connection.execute(
            """
            select table_name, rejection_reason, count(*)
            from audit.fct_rejected_rows
            group by all
            order by all
            """
        ).fetchall()

    lines = [f"warehouse: {path}", f"as_of_date: {as_of_date} ({source})", "", "shop        members    buyers  valid orders   net revenue"]
    for shop_id, members, buyers, orders, revenue in shops:
        lines.append(f"{shop_id:<10} {members:>8,} {buyers:>9,} {orders:>13,} {revenue:>13,.2f}")
    lines += ["", "raw rows        format       raw      kept  rejected  duplicate  superseded"]
    for table, fmt, raw, kept, rejected, duplicate, superseded in reconciliation:
        lines.append(f"{table:<15} {fmt:<8} {raw:>8,} {kept:>9,} {rejected:>9,} {duplicate:>10,} {superseded:>11,}")
    if reasons:
        lines += ["", "rejected rows by reason (details: audit.fct_rejected_rows):"]
        lines += [f"  {table}.{reason}: {count:,}" for table, reason, count in reasons]
    lines += [
        "",
        "query a mart:",
        f"  {Path('.venv/bin/python')} -c \"import duckdb; "
        f"print(duckdb.connect('{path}', read_only=True).sql('select * from marts.fct_orders limit 5'))\"",
        "public marts (docs: README.md):",
        *(f"  {mart.schema}.{mart.name}" for mart in public_marts()),
    ]
    return "\n".join(lines)
