"""The benchmark's peers: what a user would write without this project (decision 0090).

pandas for current RFM (as fct_member_rfm) and cohort retention (as
rpt_cohort_retention), mlxtend's apriori (prefiltered frequent items,
low_memory=True) and association_rules for product pairs (as fct_product_pairs).
Each reads the raw Parquet files the build reads, applies the raw-data
contract's order checks (and item checks) and the purchase rule in pandas,
computes its answer and writes it to Parquet; its time covers all of that.

    python -m member_analytics.benchmark.peers rfm|cohorts|pairs RAW_DIR AS_OF_DATE OUT.parquet

runs one peer and writes its figures to OUT.json; the benchmark runs it so in
a subprocess under a memory and time cap (`run_capped`), so a peer that runs
out of memory or time cannot take the benchmark down with it.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ORDER_STATUSES = ("created", "paid", "shipped", "completed", "cancelled", "refunded")
PAID_STATUSES = ("paid", "shipped", "completed")
# The project's defaults (dbt_project.yml and the benchmark's build vars).
EARLIEST_VALID_DATE = "1990-01-01"
LATEST_VALID_DATE = "2030-12-31"
MIN_PAIR_BASKETS = 3
MIN_SUPPORT = 0.0001
MAX_BASKET_ITEMS = 100
PEERS = {"rfm": "fct_member_rfm", "cohorts": "rpt_cohort_retention", "pairs": "fct_product_pairs"}


# ----------------------------------------------------------------------------- reading

def _text(column: pd.Series) -> pd.Series:
    """Trimmed text, blank as missing (the contract's clean_text)."""
    trimmed = column.str.strip()
    return trimmed.where(trimmed != "")


def _bad(text: pd.Series, value: pd.Series) -> pd.Series:
    """A non-empty value that does not parse."""
    return text.notna() & value.isna()


def _cents(text: pd.Series) -> pd.Series:
    return (pd.to_numeric(text, errors="coerce") * 100).round().astype("Int64")


def _stamp(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, format="ISO8601", errors="coerce")


def read_orders(raw: Path, latest_valid_date: str = LATEST_VALID_DATE) -> pd.DataFrame:
    """The kept orders of the raw-data contract, in pandas: exact copies dropped;
    rows with a missing key or value, a value that does not parse, an unknown
    status, a negative amount, a refund above the payment or an order date
    outside the valid window dropped; of several versions of an order the one
    with the latest updated_at kept (none when tied). Money in integer cents."""
    raw_orders = pd.read_parquet(raw / "orders.parquet").drop_duplicates()
    text = {column: _text(raw_orders[column]) for column in raw_orders.columns}
    orders = pd.DataFrame({
        "shop_id": text["shop_id"], "order_id": text["order_id"], "member_id": text["member_id"],
        "status": text["status"].str.lower(),
        "paid_cents": _cents(text["paid_amount"]), "refunded_cents": _cents(text["refunded_amount"]),
        "discount_cents": _cents(text["discount_amount"]),
        "ordered_at": _stamp(text["ordered_at"]), "refunded_at": _stamp(text["refunded_at"]),
        "updated_at": _stamp(text["updated_at"]),
    })
    ordered_date = orders["ordered_at"].dt.normalize()
    rejected = (
        orders[["shop_id", "order_id", "member_id"]].isna().any(axis=1)
        | text["ordered_at"].isna() | text["paid_amount"].isna()
        | _bad(text["paid_amount"], orders["paid_cents"]) | _bad(text["refunded_amount"], orders["refunded_cents"])
        | _bad(text["discount_amount"], orders["discount_cents"])
        | _bad(text["ordered_at"], orders["ordered_at"]) | _bad(text["refunded_at"], orders["refunded_at"])
        | _bad(text["updated_at"], orders["updated_at"])
        | ~orders["status"].isin(ORDER_STATUSES)
        | (orders[["paid_cents", "refunded_cents", "discount_cents"]] < 0).any(axis=1)
        | (orders["refunded_cents"] > orders["paid_cents"])
        | (ordered_date < pd.Timestamp(EARLIEST_VALID_DATE)) | (ordered_date > pd.Timestamp(latest_valid_date))
    ).fillna(False)
    kept = orders[~rejected]
    keys = [kept["shop_id"], kept["order_id"]]
    latest = kept.groupby(keys)["updated_at"].transform("max")
    is_latest = latest.isna() | (kept["updated_at"] == latest)
    number_of_latest = is_latest.groupby(keys).transform("sum")
    return kept[is_latest & (number_of_latest == 1)]


def purchases(orders: pd.DataFrame, as_of_date: str) -> pd.DataFrame:
    """Valid purchases as of as_of_date (decision 0001): refunded = refunded_amount,
    else all of it when the status is refunded, counted when dated (refunded_at,
    else updated_at, else ordered_at) up to as_of_date; valid when paid, shipped,
    completed or refunded with refunded < paid, or free with a paid status."""
    as_of = pd.Timestamp(as_of_date)
    orders = orders[orders["ordered_at"].dt.normalize() <= as_of]
    refund_date = orders["refunded_at"].fillna(orders["updated_at"]).fillna(orders["ordered_at"]).dt.normalize()
    whole = orders["paid_cents"].where(orders["status"] == "refunded", 0)
    refunded = orders["refunded_cents"].fillna(whole).where(refund_date <= as_of, 0)
    paid = orders["paid_cents"]
    is_valid = ((orders["status"].isin((*PAID_STATUSES, "refunded")) & (refunded < paid))
                | ((paid == 0) & orders["status"].isin(PAID_STATUSES))).fillna(False)
    return pd.DataFrame({"shop_id": orders["shop_id"], "order_id": orders["order_id"],
                         "member_id": orders["member_id"], "ordered_date": orders["ordered_at"].dt.normalize(),
                         "net_cents": (paid - refunded).astype("int64")})[is_valid]


def read_order_items(raw: Path) -> pd.DataFrame:
    """Kept order lines (shop_id, order_id, product_id): keys present, quantity a
    positive integer, unit price and line amount numbers >= 0."""
    raw_items = pd.read_parquet(raw / "order_items.parquet",
                                columns=["shop_id", "order_id", "product_id", "quantity", "unit_price",
                                         "line_amount"])
    text = {column: _text(raw_items[column]) for column in raw_items.columns}
    quantity = pd.to_numeric(text["quantity"], errors="coerce")
    price, amount = pd.to_numeric(text["unit_price"], errors="coerce"), pd.to_numeric(text["line_amount"],
                                                                                      errors="coerce")
    kept = (
        text["shop_id"].notna() & text["order_id"].notna() & text["product_id"].notna()
        & (quantity > 0) & (quantity == quantity.round()) & (price >= 0)
        & (text["line_amount"].isna() | (amount >= 0))
    ).fillna(False)
    return pd.DataFrame({name: text[name][kept] for name in ("shop_id", "order_id", "product_id")})


# ----------------------------------------------------------------------------- the peers

def _month_number(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


def rfm(valid: pd.DataFrame, as_of_date: str) -> pd.DataFrame:
    """Per shop and buyer: frequency (valid orders), monetary (net, in cents),
    recency days to as_of_date, and the 1-5 scores of decision 0010: R from
    the days in bands (5 up to 30, 4 up to 90, 3 up to 180, 2 up to 270, else 1;
    the default vars), F and M 1 + 5 * (rank - 1) // n within the shop, rank as
    SQL rank() (ties share it) ordered so that better comes later."""
    members = valid.groupby(["shop_id", "member_id"], as_index=False).agg(
        frequency=("order_id", "size"), monetary_cents=("net_cents", "sum"),
        last_purchase_date=("ordered_date", "max"))
    members["recency_days"] = (pd.Timestamp(as_of_date) - members["last_purchase_date"]).dt.days
    members["r_score"] = 1 + sum((members["recency_days"] <= limit).astype("int64") for limit in (30, 90, 180, 270))
    shops = members.groupby("shop_id")
    n = shops["shop_id"].transform("size")
    for score, column, ascending in (("f_score", "frequency", True), ("m_score", "monetary_cents", True)):
        rank = shops[column].rank(method="min", ascending=ascending).astype("int64")
        members[score] = 1 + (5 * (rank - 1)) // n
    return members


def cohorts(valid: pd.DataFrame, as_of_date: str) -> pd.DataFrame:
    """Per shop, first-purchase month and month since it (0 up to the month of
    as_of_date, a complete grid): cohort size, members purchasing, retention
    rate and cumulative net revenue (cents) of the cohort (decision 0013)."""
    member_months = valid.assign(month=_month_number(valid["ordered_date"])).groupby(
        ["shop_id", "member_id", "month"], as_index=False)["net_cents"].sum()
    member_months["cohort"] = member_months.groupby(["shop_id", "member_id"])["month"].transform("min")
    activity = member_months.groupby(["shop_id", "cohort", "month"], as_index=False).agg(
        purchasing_members=("member_id", "size"), net_cents=("net_cents", "sum"))
    sizes = activity[activity["month"] == activity["cohort"]][["shop_id", "cohort", "purchasing_members"]]
    sizes = sizes.rename(columns={"purchasing_members": "cohort_size"})
    last_month = _month_number(pd.Series([pd.Timestamp(as_of_date)]))[0]
    grid = sizes.loc[sizes.index.repeat(last_month - sizes["cohort"] + 1)].reset_index(drop=True)
    grid["months_since_first_purchase"] = grid.groupby(["shop_id", "cohort"]).cumcount()
    grid["month"] = grid["cohort"] + grid["months_since_first_purchase"]
    grid = grid.merge(activity, on=["shop_id", "cohort", "month"], how="left").fillna(
        {"purchasing_members": 0, "net_cents": 0})
    grid["purchasing_members"] = grid["purchasing_members"].astype("int64")
    grid["retention_rate"] = grid["purchasing_members"] / grid["cohort_size"]
    grid["cumulative_net_cents"] = grid.groupby(["shop_id", "cohort"])["net_cents"].cumsum().astype("int64")
    grid["first_purchase_month"] = pd.to_datetime(
        {"year": grid["cohort"] // 12, "month": grid["cohort"] % 12 + 1, "day": 1})
    return grid.drop(columns=["cohort", "month", "net_cents"])


def _support_count(n: int, min_pair_baskets: int, min_support: float) -> int:
    """The least n_ab the mart keeps: at least min_pair_baskets and n_ab >= s * N (exact)."""
    return max(min_pair_baskets, math.ceil(Decimal(str(min_support)) * n))


def pairs(baskets: pd.DataFrame, min_pair_baskets: int = MIN_PAIR_BASKETS, min_support: float = MIN_SUPPORT,
          max_basket_items: int = MAX_BASKET_ITEMS) -> pd.DataFrame:
    """Per shop and pair a < b: n_ab, N, support, both confidences and lift from
    mlxtend. `baskets` holds the distinct (shop_id, order_id, product_id) of
    valid orders; baskets of more than max_basket_items products are left out
    (decision 0020). Per shop, a one-hot basket matrix of the items frequent
    enough to be in a kept pair (every basket stays a row, so N is right), then
    apriori(max_len=2, low_memory=True) and association_rules."""
    from mlxtend.frequent_patterns import apriori, association_rules

    size = baskets.groupby(["shop_id", "order_id"])["product_id"].transform("size")
    baskets = baskets[size <= max_basket_items]
    frames = []
    for shop_id, shop in baskets.groupby("shop_id"):
        rows, order_ids = pd.factorize(shop["order_id"])
        n = len(order_ids)
        least = _support_count(n, min_pair_baskets, min_support)
        if least > n:  # no pair can be kept
            continue
        counts = shop["product_id"].value_counts()
        frequent = counts.index[counts >= least]
        columns = pd.Index(frequent).get_indexer(shop["product_id"])
        onehot = np.zeros((n, len(frequent)), dtype=bool)
        onehot[rows[columns >= 0], columns[columns >= 0]] = True
        itemsets = apriori(pd.DataFrame(onehot, columns=frequent), min_support=(least - 0.5) / n,
                           use_colnames=True, max_len=2, low_memory=True)
        if not (itemsets["itemsets"].map(len) == 2).any():
            continue
        rules = association_rules(itemsets, num_itemsets=n, metric="support", min_threshold=0)
        rules["a"] = rules["antecedents"].map(lambda items: next(iter(items)))
        rules["b"] = rules["consequents"].map(lambda items: next(iter(items)))
        forward = rules[rules["a"] < rules["b"]]
        backward = rules[rules["a"] > rules["b"]][["b", "a", "confidence"]]
        pair = forward.merge(backward.rename(columns={"b": "a", "a": "b", "confidence": "confidence_b_to_a"}),
                             on=["a", "b"])
        frames.append(pd.DataFrame({
            "shop_id": shop_id, "product_id_a": pair["a"], "product_id_b": pair["b"],
            "n_ab": (pair["support"] * n).round().astype("int64"), "n": n, "support": pair["support"],
            "confidence_a_to_b": pair["confidence"], "confidence_b_to_a": pair["confidence_b_to_a"],
            "lift": pair["lift"]}))
    columns = ["shop_id", "product_id_a", "product_id_b", "n_ab", "n", "support", "confidence_a_to_b",
               "confidence_b_to_a", "lift"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def read_inputs(name: str, raw: Path, as_of_date: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """What a peer starts from: the valid purchases, and for the pairs the
    baskets (distinct shop_id, order_id, product_id of the kept lines of valid orders)."""
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}: choose from {', '.join(PEERS)}")
    valid = purchases(read_orders(raw), as_of_date)
    if name != "pairs":
        return valid, None
    items = read_order_items(raw).merge(valid[["shop_id", "order_id"]], on=["shop_id", "order_id"])
    return valid, items.drop_duplicates()


def answer(name: str, valid: pd.DataFrame, baskets: pd.DataFrame | None, as_of_date: str) -> pd.DataFrame:
    """One peer's answer from its inputs (read_inputs)."""
    if name == "pairs":
        return pairs(baskets)
    return rfm(valid, as_of_date) if name == "rfm" else cohorts(valid, as_of_date)


def compute(name: str, raw: Path, as_of_date: str) -> pd.DataFrame:
    """One peer's answer from the raw files."""
    return answer(name, *read_inputs(name, raw, as_of_date), as_of_date)


def run_peer(name: str, raw: Path, as_of_date: str, out: Path) -> dict:
    """Compute one peer and write it to `out` (Parquet), timed from reading the
    raw files to the written result (and the reading and contract checks
    alone); its figures go to out.json too."""
    started = time.perf_counter()
    inputs = read_inputs(name, raw, as_of_date)
    read_seconds = time.perf_counter() - started
    result = answer(name, *inputs, as_of_date)
    result.to_parquet(out, index=False)
    figures = {"peer": name, "seconds": time.perf_counter() - started, "read_seconds": read_seconds,
               "rows": len(result)}
    out.with_suffix(".json").write_text(json.dumps(figures) + "\n", encoding="utf-8")
    return figures


# ----------------------------------------------------------------------------- under a cap

_OUT_OF_MEMORY = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            return next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:")), 0)
    except FileNotFoundError:
        return 0


def run_capped(command: list[str], log: Path, memory_bytes: int, timeout_seconds: float,
               interval: float = 0.1) -> dict:
    """Run `command` with its output in `log`, killed when its resident memory
    (sampled every `interval` s) passes memory_bytes or it runs longer than
    timeout_seconds; its address space is limited to twice memory_bytes so a
    sudden allocation fails inside it instead of swamping the machine.
    Returns status ok | out_of_memory | timeout | failed, the wall time, the
    kernel's peak resident set (os.wait4) and the exit code."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * memory_bytes, 2 * memory_bytes))

    killed_for = None
    with log.open("w", encoding="utf-8") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, preexec_fn=limit)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if _resident_bytes(process.pid) > memory_bytes:
                killed_for = "out_of_memory"
            elif time.perf_counter() - started > timeout_seconds:
                killed_for = "timeout"
            if killed_for:
                process.kill()
                _pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(interval)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    if killed_for:
        outcome = killed_for
    elif process.returncode == 0:
        outcome = "ok"
    elif any(sign in text for sign in _OUT_OF_MEMORY):
        outcome = "out_of_memory"
    else:
        outcome = "failed"
    last_line = next((line for line in reversed(text.strip().splitlines()) if line.strip()), "")
    return {"status": outcome, "wall_seconds": wall, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "returncode": process.returncode, "message": "" if outcome == "ok" else last_line[-300:],
            "memory_cap_bytes": memory_bytes, "timeout_seconds": timeout_seconds}


def run_peer_capped(name: str, raw: Path, as_of_date: str, folder: Path, log: Path, memory_bytes: int,
                    timeout_seconds: float) -> dict:
    """One peer in its own Python process under the caps (run_capped), its
    answer in folder/<name>.parquet and its output in `log`: its figures
    (seconds from reading to the written result, rows) when it ran."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.parquet"
    for stale in (out, out.with_suffix(".json")):
        stale.unlink(missing_ok=True)
    command = [sys.executable, "-m", "member_analytics.benchmark.peers", name, str(raw), as_of_date, str(out)]
    result = run_capped(command, log, memory_bytes, timeout_seconds)
    figures_path = out.with_suffix(".json")
    if result["status"] == "ok" and figures_path.exists():
        result.update(json.loads(figures_path.read_text(encoding="utf-8")))
        result["path"] = str(out)
    elif result["status"] == "ok":
        result.update(status="failed", message="the peer wrote no figures")
    return {"peer": name, "mart": PEERS[name], "seconds": None, "rows": None, **result}


def main(argv: list[str] | None = None) -> int:
    name, raw, as_of_date, out = argv if argv is not None else sys.argv[1:]
    run_peer(name, Path(raw), as_of_date, Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
