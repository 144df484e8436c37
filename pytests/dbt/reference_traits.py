"""An independent pandas evaluation of declared member traits (seed member_traits,
fct_member_traits, rpt_member_traits_wide) and of the contact columns of
dim_member_360, from the raw files.

It reads the raw files only and follows the seed's documentation
(seeds/_member_360__seeds.yml), without looking at the SQL:
- orders: valid purchases (reference.expected_fct_orders) with their net amount
  and ordered date;
- order_items: the kept lines (docs/raw_data_contract.md, parsed here) of valid
  purchases, one event per line, dated by the order, with their product;
- visits: the visit days of reference_activity.visit_days_by_member (a day with
  a kept behaviour event or a kept order);
- favourites, carts, behaviour_events: kept behaviour events (parsed here, with
  their product), favourite and add-to-cart events for the first two;
- service_events: kept service events (parsed here, with their type and product);
- points: the movements of reference_tiers' replayed ledger (event type =
  movement type, amount = the points applied);
- a product's category from the kept raw products (none for a product missing
  from the catalogue);
- a window of N days is as_of_date - N + 1 .. as_of_date (both ends included),
  no event after as_of_date counts; the most frequent category or product has
  most matching events, then the latest, then the smallest code, and an event
  without one is not counted for any.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd

from .reference import _money, expected_fct_orders
from .reference_activity import BEHAVIOR_TYPES, SERVICE_TYPES, kept_behavior_events, visit_days_by_member
from .reference_tiers import BAD, _raw_table, parse_integer, parse_timestamp

ROOT = Path(__file__).resolve().parents[2]
# dbt_project.yml: member_analytics__validation__missing_value_spellings, max_order_amount
MISSING_SPELLINGS = {"NULL", "null", "Null", "N/A", "n/a", "NaN", "nan", "NAN", "None", "none", "NONE", "\\N"}
MAX_ORDER_AMOUNT = Decimal("10000000.00")
EVENT_COLUMNS = ["source_table", "shop_id", "member_id", "event_type", "product_id", "event_date", "amount"]
NUMBER, DATE, TEXT = "number", "date", "text"


def _text(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    value = str(value).strip()
    return None if value == "" or value in MISSING_SPELLINGS else value


def _within(stamp, earliest: str, latest: str) -> bool:
    return date.fromisoformat(earliest) <= stamp.date() <= date.fromisoformat(latest)


# --------------------------------------------------------------------------- raw tables
def kept_products(raw_path: Path) -> dict[tuple[str, str], str | None]:
    """(shop_id, product_id) -> category of the kept products: row rules, then a key
    shared by two or more different rule-passing rows rejects them all."""
    raw = _raw_table(raw_path, "products", ["shop_id", "product_id", "product_name", "category", "brand",
                                            "list_price", "launched_at"])
    candidates = defaultdict(list)
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, product_id = _text(record["shop_id"]), _text(record["product_id"])
        price, launched = _money(_text(record["list_price"])), parse_timestamp(_text(record["launched_at"]))
        if shop_id is None or product_id is None:
            continue  # missing_key
        if price == "bad" or launched is BAD:
            continue  # bad_type
        if price is not None and price < 0:
            continue  # negative_amount
        candidates[(shop_id, product_id)].append(_text(record["category"]))
    return {key: rows[0] for key, rows in candidates.items() if len(rows) == 1}


def kept_order_lines(raw_path: Path, orders: pd.DataFrame) -> pd.DataFrame:
    """Kept order_items rows (one per line, exact copies once) of kept orders, with
    the order's member, ordered date and validity: shop_id, order_id, member_id,
    product_id, ordered_date, is_valid_purchase."""
    raw = _raw_table(raw_path, "order_items", ["shop_id", "order_id", "product_id", "quantity", "unit_price",
                                               "line_amount"])
    by_order = {(row["shop_id"], row["order_id"]): row for row in orders.to_dict("records")}
    rows = []
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, order_id, product_id = (_text(record[key]) for key in ("shop_id", "order_id", "product_id"))
        quantity_text, price_text = _text(record["quantity"]), _text(record["unit_price"])
        quantity, price = parse_integer(quantity_text), _money(price_text)
        amount = _money(_text(record["line_amount"]))
        if not (shop_id and order_id and product_id):
            continue  # missing_key
        if quantity is None or price is None:
            continue  # missing_value
        if quantity is BAD or price == "bad" or amount == "bad":
            continue  # bad_type
        if price < 0 or (amount is not None and amount < 0):
            continue  # negative_amount
        if quantity <= 0 or price > MAX_ORDER_AMOUNT or (
                amount if amount is not None else quantity * price) > MAX_ORDER_AMOUNT:
            continue  # out_of_range
        order = by_order.get((shop_id, order_id))
        if order is None:
            continue  # unknown_order / rejected_order
        rows.append({"shop_id": shop_id, "order_id": order_id, "member_id": order["member_id"],
                     "product_id": product_id, "ordered_date": pd.Timestamp(order["ordered_at"]).date(),
                     "is_valid_purchase": bool(order["is_valid_purchase"])})
    return pd.DataFrame(rows, columns=["shop_id", "order_id", "member_id", "product_id", "ordered_date",
                                       "is_valid_purchase"])


def kept_behaviour_events_with_products(raw_path: Path, earliest: str, latest: str) -> pd.DataFrame:
    """Kept behavior_events rows (exact copies once): shop_id, member_id, event_type,
    product_id, event_date."""
    raw = _raw_table(raw_path, "behavior_events", ["shop_id", "member_id", "event_type", "occurred_at",
                                                   "product_id", "session_id"])
    rows = []
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, member_id = _text(record["shop_id"]), _text(record["member_id"])
        event_type = (_text(record["event_type"]) or "").lower() or None
        occurred_at = parse_timestamp(_text(record["occurred_at"]))
        if shop_id is None or member_id is None or occurred_at is None or occurred_at is BAD:
            continue  # missing_key, missing_value, bad_type
        if event_type not in BEHAVIOR_TYPES or not _within(occurred_at, earliest, latest):
            continue  # unknown_code, date window
        rows.append((shop_id, member_id, event_type, _text(record["product_id"]), occurred_at.date()))
    return pd.DataFrame(rows, columns=["shop_id", "member_id", "event_type", "product_id", "event_date"])


def kept_service_events_with_types(raw_path: Path, earliest: str, latest: str) -> pd.DataFrame:
    """Kept service_events rows: the row rules, then a non-empty event_id shared by two
    or more different rule-passing rows rejects all of them. shop_id, member_id,
    event_type, product_id, event_date."""
    raw = _raw_table(raw_path, "service_events", ["shop_id", "event_id", "member_id", "event_type", "occurred_at",
                                                  "order_id", "product_id", "rating", "resolved_at"])
    candidates = []
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, member_id = _text(record["shop_id"]), _text(record["member_id"])
        event_type = (_text(record["event_type"]) or "").lower() or None
        occurred_at = parse_timestamp(_text(record["occurred_at"]))
        resolved_at = parse_timestamp(_text(record["resolved_at"]))
        rating = parse_integer(_text(record["rating"]))
        if shop_id is None or member_id is None or occurred_at is None:
            continue  # missing_key, missing_value
        if BAD in (occurred_at, resolved_at, rating) or event_type not in SERVICE_TYPES:
            continue  # bad_type, unknown_code
        if rating is not None and not 1 <= rating <= 5:
            continue  # out_of_range
        if not _within(occurred_at, earliest, latest):
            continue
        candidates.append((shop_id, _text(record["event_id"]), member_id, event_type, _text(record["product_id"]),
                           occurred_at.date()))
    per_key = defaultdict(int)
    for shop_id, event_id, *_ in candidates:
        if event_id is not None:
            per_key[(shop_id, event_id)] += 1
    kept = [(shop_id, member_id, event_type, product_id, day)
            for shop_id, event_id, member_id, event_type, product_id, day in candidates
            if event_id is None or per_key[(shop_id, event_id)] == 1]
    return pd.DataFrame(kept, columns=["shop_id", "member_id", "event_type", "product_id", "event_date"])


def kept_sends(raw_path: Path, earliest: str, latest: str) -> pd.DataFrame:
    """Kept campaign_sends rows (exact copies once; a send key shared by two or more
    different rule-passing rows rejects them all): shop_id, send_id, member_id,
    audience, channel, sent_at (datetime), sent_date."""
    raw = _raw_table(raw_path, "campaign_sends", ["shop_id", "send_id", "member_id", "audience", "sent_at", "offer",
                                                  "channel"])
    candidates = defaultdict(list)
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, send_id, member_id = (_text(record[key]) for key in ("shop_id", "send_id", "member_id"))
        audience, channel = ((_text(record[key]) or "").lower() or None for key in ("audience", "channel"))
        sent_at = parse_timestamp(_text(record["sent_at"]))
        if not (shop_id and send_id and member_id) or audience is None or sent_at is None or sent_at is BAD:
            continue  # missing_key, missing_value, bad_type
        if not _within(sent_at, earliest, latest):
            continue
        candidates[(shop_id, send_id)].append((shop_id, send_id, member_id, audience, channel, sent_at))
    rows = [versions[0] for versions in candidates.values() if len(versions) == 1]
    frame = pd.DataFrame(rows, columns=["shop_id", "send_id", "member_id", "audience", "channel", "sent_at"])
    frame["sent_date"] = [stamp.date() for stamp in frame["sent_at"]]
    return frame


# --------------------------------------------------------------------------- traits
def read_traits(path: Path | None = None) -> pd.DataFrame:
    """The seed member_traits: trait_order, trait_name, source_table, event_types (a set or
    None), category, aggregation, window_days (int or None)."""
    seed = pd.read_csv(path or ROOT / "seeds" / "member_traits.csv", dtype=str, keep_default_na=False)
    seed["trait_order"] = seed["trait_order"].astype(int)
    seed["event_types"] = pd.Series([set(text.split()) if text.strip() else None for text in seed["event_type"]],
                                    dtype=object)
    seed["category"] = pd.Series([text or None for text in seed["category"]], dtype=object)
    seed["window_days"] = pd.Series([int(text) if text else None for text in seed["window_days"]], dtype=object)
    return seed.sort_values("trait_order").reset_index(drop=True)


def value_kind(aggregation: str) -> str:
    if aggregation in ("first", "last"):
        return DATE
    return TEXT if aggregation.startswith("most_frequent_") else NUMBER


def trait_events(raw_path: Path, as_of_date: str, earliest: str, latest: str, ledger: pd.DataFrame,
                 visit_days: dict | None = None) -> pd.DataFrame:
    """Every source's events in one shape (EVENT_COLUMNS), up to as_of_date; amount is
    the net amount (orders), the points applied (points, from reference_tiers' replayed
    `ledger`) or None (order lines are counted only). `visit_days`: the visit days of
    reference_activity.recompute when already computed."""
    as_of = date.fromisoformat(as_of_date)
    orders = expected_fct_orders(raw_path, as_of_date, earliest, latest)
    valid = orders[orders["is_valid_purchase"]]
    parts = [pd.DataFrame({
        "source_table": "orders", "shop_id": valid["shop_id"], "member_id": valid["member_id"], "event_type": None,
        "product_id": None, "event_date": [pd.Timestamp(stamp).date() for stamp in valid["ordered_at"]],
        "amount": list(valid["net_amount"])})]
    lines = kept_order_lines(raw_path, orders)
    lines = lines[lines["is_valid_purchase"]]
    parts.append(pd.DataFrame({
        "source_table": "order_items", "shop_id": lines["shop_id"], "member_id": lines["member_id"],
        "event_type": None, "product_id": lines["product_id"], "event_date": lines["ordered_date"], "amount": None}))
    visits = visit_days if visit_days is not None else visit_days_by_member(
        orders, kept_behavior_events(raw_path, earliest, latest))
    parts.append(pd.DataFrame(
        [("visits", shop_id, member_id, None, None, day, None)
         for (shop_id, member_id), days in visits.items() for day in days], columns=EVENT_COLUMNS))
    behaviour = kept_behaviour_events_with_products(raw_path, earliest, latest)
    for source, types in (("favourites", {"favorite"}), ("carts", {"cart"}), ("behaviour_events", None)):
        chosen = behaviour if types is None else behaviour[behaviour["event_type"].isin(types)]
        parts.append(chosen.assign(source_table=source, amount=None)[EVENT_COLUMNS])
    service = kept_service_events_with_types(raw_path, earliest, latest)
    parts.append(service.assign(source_table="service_events", amount=None)[EVENT_COLUMNS])
    parts.append(pd.DataFrame({
        "source_table": "points", "shop_id": ledger["shop_id"], "member_id": ledger["member_id"],
        "event_type": ledger["movement_type"], "product_id": None, "event_date": list(ledger["movement_date"]),
        "amount": [Decimal(int(points)) for points in ledger["points"]]}))
    events = pd.concat([part[EVENT_COLUMNS] for part in parts], ignore_index=True)
    events = events[[day <= as_of for day in events["event_date"]]]
    return events.reset_index(drop=True)


def expected_traits(events: pd.DataFrame, traits: pd.DataFrame, categories: dict, as_of_date: str,
                    members: set[tuple[str, str]]) -> pd.DataFrame:
    """fct_member_traits recomputed: one row per member of `members` and trait with a
    value (at least one matching event; for a most-frequent trait, one naming a
    category or product). Columns: shop_id, member_id, trait_name, trait_order,
    aggregation, value_kind, number_value (Decimal), date_value, text_value, trait_value."""
    as_of = date.fromisoformat(as_of_date)
    by_source = {source: frame for source, frame in events.groupby("source_table")}
    rows = []
    for trait in traits.to_dict("records"):
        frame = by_source.get(trait["source_table"], pd.DataFrame(columns=EVENT_COLUMNS))
        if trait["window_days"] is not None:
            first_day = as_of - timedelta(days=trait["window_days"] - 1)
            frame = frame[[day >= first_day for day in frame["event_date"]]]
        if trait["event_types"] is not None:
            frame = frame[frame["event_type"].isin(trait["event_types"])]
        category = [categories.get((shop, product)) if product is not None else None
                    for shop, product in zip(frame["shop_id"], frame["product_id"])]
        frame = frame.assign(category=category)
        if trait["category"] is not None:
            frame = frame[frame["category"] == trait["category"]]
        aggregation, kind = trait["aggregation"], value_kind(trait["aggregation"])
        frame = frame[[key in members for key in zip(frame["shop_id"], frame["member_id"])]]
        values = {}  # member key -> (number, date, text)
        grouped = frame.groupby(["shop_id", "member_id"], sort=False)
        if aggregation == "count":
            values = {key: (Decimal(int(n)), None, None) for key, n in grouped.size().items()}
        elif aggregation == "distinct_days":
            values = {key: (Decimal(int(n)), None, None) for key, n in grouped["event_date"].nunique().items()}
        elif aggregation == "sum_amount":
            values = {key: (sum(amounts, Decimal("0.00")).quantize(Decimal("0.01")), None, None)
                      for key, amounts in grouped["amount"]}
        elif aggregation in ("first", "last"):
            days = grouped["event_date"].min() if aggregation == "first" else grouped["event_date"].max()
            values = {key: (None, day, None) for key, day in days.items()}
        else:
            column = "category" if aggregation == "most_frequent_category" else "product_id"
            named = frame[frame[column].notna()]
            stats = named.groupby(["shop_id", "member_id", column]).agg(
                events=("event_date", "size"), latest=("event_date", "max")).reset_index()
            # most matching events, then the latest, then the smallest code
            stats["later_first"] = [-day.toordinal() for day in stats["latest"]]
            stats = stats.sort_values(["shop_id", "member_id", "events", "later_first", column],
                                      ascending=[True, True, False, True, True])
            top = stats.drop_duplicates(["shop_id", "member_id"], keep="first")
            values = {(shop, member): (None, None, text)
                      for shop, member, text in top[["shop_id", "member_id", column]].itertuples(index=False)}
        for (shop_id, member_id), (number, day, text) in values.items():
            if kind == NUMBER:
                shown = str(int(number)) if aggregation != "sum_amount" else f"{number:.2f}"
            else:
                shown = day.isoformat() if kind == DATE else text
            rows.append({"shop_id": shop_id, "member_id": member_id, "trait_name": trait["trait_name"],
                         "trait_order": trait["trait_order"], "aggregation": aggregation, "value_kind": kind,
                         "number_value": number, "date_value": day, "text_value": text, "trait_value": shown})
    return pd.DataFrame(rows, columns=["shop_id", "member_id", "trait_name", "trait_order", "aggregation",
                                       "value_kind", "number_value", "date_value", "text_value", "trait_value"])

