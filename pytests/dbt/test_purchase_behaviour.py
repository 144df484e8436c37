"""The purchase-behaviour marts (decision 0051) on the generator's tiny dataset:
the member purchase profile and the product trial metrics recomputed with
pandas from the raw files only, and the worked analyses of
analyses/purchase_behaviour executed and checked.

The recomputation applies docs/raw_data_contract.md itself for order_items,
products and behavior_events (orders come from reference.py, value parsers
from reference_tiers.py) and walks the rules of decision 0051 in Python; it
never reads a model.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from .conftest import build_vars
from .reference import _money, expected_fct_orders, kept_orders
from .reference_tiers import BAD, _clean, _raw_table, parse_integer, parse_timestamp

pytestmark = pytest.mark.dbt

EARLIEST, LATEST = "1990-01-01", "2030-12-31"  # build_vars pins the latest valid date
HOUR_BANDS = [(0, 5, "night", 1), (6, 11, "morning", 2), (12, 17, "afternoon", 3), (18, 23, "evening", 4)]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
TRIAL_WINDOW_DAYS, BEST_SELLER_MIN_RATE = 14, Decimal("0.06")


def _band(hour: int) -> tuple[str, int]:
    return next((name, order) for low, high, name, order in HOUR_BANDS if low <= hour <= high)


# --------------------------------------------------------------------------- raw tables
def _products(raw_path) -> dict[tuple[str, str], dict]:
    """Kept products: key rules, bad types, negative price, then a key shared by
    two different rows rejects them all."""
    raw = _raw_table(raw_path, "products", ["shop_id", "product_id", "product_name", "category", "brand",
                                            "list_price", "launched_at"])
    candidates = defaultdict(list)
    for record in raw.to_dict("records"):
        shop_id, product_id = _clean(record["shop_id"]), _clean(record["product_id"])
        price, launched = _money(record["list_price"]), parse_timestamp(record["launched_at"])
        if shop_id is None or product_id is None or price == "bad" or launched is BAD:
            continue
        if price is not None and price < 0:
            continue
        candidates[(shop_id, product_id)].append({
            "category": _clean(record["category"]), "brand": _clean(record["brand"]),
            "launched_date": launched.date() if launched else None,
        })
    return {key: rows[0] for key, rows in candidates.items() if len(rows) == 1}


def _order_lines(raw_path, orders: pd.DataFrame) -> pd.DataFrame:
    """Kept order lines of kept orders with the order's net amount allocated in
    cents: floor(net x weight / total weight), the remainder to the largest line
    (ties: product_id, quantity, unit_price), equal weights when the gross is 0."""
    raw = _raw_table(raw_path, "order_items", ["shop_id", "order_id", "product_id", "quantity", "unit_price",
                                               "line_amount"])
    by_order = orders.set_index(["shop_id", "order_id"])
    lines = defaultdict(list)
    for record in raw.to_dict("records"):
        shop_id, order_id, product_id = (_clean(record[key]) for key in ("shop_id", "order_id", "product_id"))
        quantity, price, amount = parse_integer(record["quantity"]), _money(record["unit_price"]), _money(
            record["line_amount"])
        if not (shop_id and order_id and product_id) or quantity is None or price is None:
            continue
        if quantity is BAD or price == "bad" or amount == "bad":
            continue
        if price < 0 or (amount is not None and amount < 0) or quantity <= 0:
            continue
        if (shop_id, order_id) not in by_order.index:
            continue  # unknown_order / rejected_order
        gross = amount if amount is not None else quantity * price
        lines[(shop_id, order_id)].append((product_id, quantity, price, gross))
    rows = []
    for (shop_id, order_id), items in lines.items():
        order = by_order.loc[(shop_id, order_id)]
        net_cents = int(order["net_amount"] * 100)
        weights = [int(gross * 100) for *_, gross in items]
        if sum(weights) <= 0:
            weights = [1] * len(items)
        floors = [net_cents * weight // sum(weights) for weight in weights]
        largest = min(range(len(items)), key=lambda i: (-weights[i], items[i][0], items[i][1], items[i][2]))
        floors[largest] += net_cents - sum(floors)
        for (product_id, *_), cents in zip(items, floors):
            rows.append({"shop_id": shop_id, "order_id": order_id, "member_id": order["member_id"],
                         "product_id": product_id, "net_cents": cents, "ordered_at": order["ordered_at"],
                         "is_valid_purchase": bool(order["is_valid_purchase"])})
    return pd.DataFrame(rows)


def _product_events(raw_path) -> pd.DataFrame:
    """Kept view/favorite/cart events with a product (exact copies once)."""
    raw = _raw_table(raw_path, "behavior_events", ["shop_id", "member_id", "event_type", "occurred_at",
                                                   "product_id", "session_id"])
    rows = []
    for record in raw.to_dict("records"):
        shop_id, member_id, product_id = (_clean(record[key]) for key in ("shop_id", "member_id", "product_id"))
        event_type = (_clean(record["event_type"]) or "").lower()
        occurred_at = parse_timestamp(record["occurred_at"])
        if not (shop_id and member_id) or occurred_at is None or occurred_at is BAD:
            continue
        if not date.fromisoformat(EARLIEST) <= occurred_at.date() <= date.fromisoformat(LATEST):
            continue
        if event_type in {"view", "favorite", "cart"} and product_id:
            rows.append((shop_id, member_id, product_id, event_type, occurred_at.date()))
    return pd.DataFrame(rows, columns=["shop_id", "member_id", "product_id", "event_type", "occurred_date"])


@pytest.fixture(scope="module")
def reference(tiny_raw):
    raw_path, truth = tiny_raw
    orders = expected_fct_orders(raw_path, truth["as_of_date"], EARLIEST, LATEST)
    discounts = kept_orders(raw_path, EARLIEST, LATEST)[["shop_id", "order_id", "discount_amount"]]
    orders = orders.merge(discounts, on=["shop_id", "order_id"], how="left")
    products = _products(raw_path)
    lines = _order_lines(raw_path, orders)
    return {"orders": orders, "products": products, "lines": lines, "events": _product_events(raw_path),
            "as_of": date.fromisoformat(truth["as_of_date"])}


# --------------------------------------------------------------------------- the profile
def _expected_profiles(reference) -> dict[tuple[str, str], dict]:
    orders = reference["orders"]
    valid = orders[orders["is_valid_purchase"]]
    lines = reference["lines"]
    lines = lines[lines["is_valid_purchase"]]
    products = reference["products"]
    expected = {}
    for key, member in valid.groupby(["shop_id", "member_id"]):
        bands = Counter(_band(stamp.hour) for stamp in member["ordered_at"])
        band = min(bands, key=lambda item: (-bands[item], item[1]))
        weekdays = Counter(stamp.isoweekday() for stamp in member["ordered_at"])
        weekday = min(weekdays, key=lambda item: (-weekdays[item], item))
        shares = []
        for paid, discount in zip(member["gross_amount"], member["discount_amount"]):
            discount = discount if discount is not None and not pd.isna(discount) else Decimal(0)
            if paid + discount > 0:
                shares.append(float(discount) / float(paid + discount))
        expected[key] = {
            "preferred_hour_band": band[0], "preferred_iso_weekday": weekday,
            "preferred_weekday_name": WEEKDAYS[weekday - 1], "number_of_orders": len(member),
            "orders_in_preferred_hour_band": bands[band], "orders_on_preferred_weekday": weekdays[weekday],
            "net_amount": sum(member["net_amount"], Decimal(0)),
            # the mart rounds the average to 9 decimals (run-to-run determinism)
            "average_discount_share": round(sum(shares) / len(shares), 9) if shares else None,
            "top_category": None, "top_category_share_of_spend": None,
            "top_brand": None, "top_brand_share_of_spend": None,
        }
    for key, member in lines.groupby(["shop_id", "member_id"]):
        total = int(member["net_cents"].sum())
        for attribute in ("category", "brand"):
            spend = Counter()
            for product_id, cents in zip(member["product_id"], member["net_cents"]):
                value = products.get((key[0], product_id), {}).get(attribute)
                if value is not None:
                    spend[value] += int(cents)
            if spend:
                top = min(spend, key=lambda value: (-spend[value], value))
                expected[key][f"top_{attribute}"] = top
                expected[key][f"top_{attribute}_share_of_spend"] = spend[top] / total if total > 0 else None
    return expected


def test_purchase_profile_equals_an_independent_recomputation_from_the_raw_files(tiny_build, reference):
    project, _ = tiny_build
    expected = _expected_profiles(reference)
    actual = project.frame("select * from marts.fct_member_purchase_profile")
    assert len(actual) == len(expected) > 1000
    mismatches = []
    for row in actual.to_dict("records"):
        want = expected[(row["shop_id"], row["member_id"])]
        for column, value in want.items():
            got = row[column]
            if isinstance(value, Decimal):  # money: DuckDB decimals arrive as floats
                same = abs(Decimal(str(got)) - value) < Decimal("0.005")
            elif isinstance(value, float) or isinstance(got, float):
                same = (value is None and pd.isna(got)) or (value is not None and abs(got - value) < 1e-9)
            else:
                same = (value is None and (got is None or pd.isna(got))) or got == value
            if not same:
                mismatches.append((row["shop_id"], row["member_id"], column, got, value))
    assert not mismatches, mismatches[:10]
    # the rules are exercised: several bands and weekdays, ties broken by key, members without a top category
    assert actual["preferred_hour_band"].nunique() == 4 and actual["preferred_iso_weekday"].nunique() == 7
    assert actual["top_category_share_of_spend"].lt(1).sum() > 100


# --------------------------------------------------------------------------- trials
def _expected_trials(reference) -> dict[tuple[str, str], dict]:
    as_of, events, lines = reference["as_of"], reference["events"], reference["lines"]
    valid_lines = lines[lines["is_valid_purchase"]].copy()
    valid_lines["ordered_date"] = [stamp.date() for stamp in valid_lines["ordered_at"]]
    expected = {}
    for (shop_id, product_id), product in reference["products"].items():
        launched = product["launched_date"]
        if launched is None or launched > as_of:
            continue
        end = launched + timedelta(days=TRIAL_WINDOW_DAYS - 1)
        observed_end = min(end, as_of)
        window = events[(events["shop_id"] == shop_id) & (events["product_id"] == product_id)
                        & (events["occurred_date"] >= launched) & (events["occurred_date"] <= observed_end)]
        bought = valid_lines[(valid_lines["shop_id"] == shop_id) & (valid_lines["product_id"] == product_id)
                             & (valid_lines["ordered_date"] >= launched)
                             & (valid_lines["ordered_date"] <= observed_end)]
        visitors = window["member_id"].nunique()
        favourites = window[window["event_type"] == "favorite"]["member_id"].nunique()
        carts = window[window["event_type"] == "cart"]["member_id"].nunique()
        buyers = bought["member_id"].nunique()
        expected[(shop_id, product_id)] = {
            "days_observed": (observed_end - launched).days + 1,
            "number_of_views": int((window["event_type"] == "view").sum()),
            "number_of_visitors": visitors, "number_of_favourite_members": favourites,
            "number_of_cart_members": carts, "number_of_buyers": buyers,
            "favourite_cart_rate": (favourites + carts) / visitors if visitors else None,
            "conversion_rate": buyers / visitors if visitors else None,
            "is_likely_best_seller": bool(visitors) and favourites + carts >= BEST_SELLER_MIN_RATE * visitors,
            "is_window_complete": end <= as_of,
        }
    return expected


def test_trial_metrics_equal_an_independent_recomputation_from_the_raw_files(tiny_build, reference):
    project, _ = tiny_build
    expected = _expected_trials(reference)
    actual = project.frame("select * from marts.fct_product_trial_metrics")
    assert set(zip(actual["shop_id"], actual["product_id"])) == set(expected)
    assert len(expected) > 100
    for row in actual.to_dict("records"):
        want = expected[(row["shop_id"], row["product_id"])]
        for column, value in want.items():
            if column.endswith("_rate"):
                assert (value is None and pd.isna(row[column])) or row[column] == pytest.approx(value, abs=1e-12), \
                    (row["product_id"], column)
            else:
                assert row[column] == value, (row["shop_id"], row["product_id"], column, row[column], value)
    assert actual["is_likely_best_seller"].sum() > 0 and (~actual["is_likely_best_seller"]).sum() > 0
    assert actual["number_of_visitors"].sum() > 0 and actual["number_of_buyers"].sum() > 0


# --------------------------------------------------------------------------- worked analyses
@pytest.fixture(scope="module")
def behaviour_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/purchase_behaviour", vars=build_vars(truth))
    return project, truth


def _answer(project, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "purchase_behaviour" / f"{name}.sql"
    return project.frame(path.read_text())


def test_analysis_when_to_push_messages_to_each_shops_members(behaviour_analyses, reference):
    project, truth = behaviour_analyses
    answer = _answer(project, "when_to_push_messages")
    # recomputed from the raw orders: the three busiest (weekday, hour) slots per shop
    orders = reference["orders"]
    valid = orders[orders["is_valid_purchase"]].copy()
    valid["iso_weekday"] = [stamp.isoweekday() for stamp in valid["ordered_at"]]
    valid["hour_of_day"] = [stamp.hour for stamp in valid["ordered_at"]]
    assert set(answer["shop_id"]) == set(truth["shops"])
    for shop_id, shop in valid.groupby("shop_id"):
        slots = shop.groupby(["iso_weekday", "hour_of_day"]).agg(orders=("order_id", "size"),
                                                                  buyers=("member_id", "nunique"))
        slots = slots.reset_index().sort_values(["orders", "buyers", "iso_weekday", "hour_of_day"],
                                                ascending=[False, False, True, True]).head(3)
        got = answer[answer["shop_id"] == shop_id].sort_values("slot_rank")
        assert list(got["slot_rank"]) == [1, 2, 3]
        assert list(zip(got["iso_weekday"], got["hour_of_day"])) == list(zip(slots["iso_weekday"], slots["hour_of_day"]))
        assert list(got["number_of_orders"]) == list(slots["orders"])
        # the members who prefer that slot's band and weekday: counted from the recomputed profiles
        profiles = _expected_profiles(reference)
        for row in got.to_dict("records"):
            band = _band(row["hour_of_day"])[0]
            members = sum(1 for (shop, _), p in profiles.items() if shop == shop_id
                          and p["preferred_hour_band"] == band and p["preferred_iso_weekday"] == row["iso_weekday"])
            assert row["members_preferring_band_and_weekday"] == members
    # the sample's shoppers order most in the evening
    assert (answer[answer["slot_rank"] == 1]["hour_band"] == "evening").all()


def test_analysis_which_new_products_look_like_best_sellers(behaviour_analyses, reference):
    project, _ = behaviour_analyses
    answer = _answer(project, "new_products_that_look_like_best_sellers")
    expected = {key: value for key, value in _expected_trials(reference).items()
                if value["is_likely_best_seller"] and value["number_of_visitors"] >= 5 and value["is_window_complete"]}
    assert set(zip(answer["shop_id"], answer["product_id"])) == set(expected)
    assert len(answer) >= 1
    for shop_id, shop in answer.groupby("shop_id"):
        assert list(shop["favourite_cart_rate"]) == sorted(shop["favourite_cart_rate"], reverse=True)
    assert (answer["favourite_cart_rate"] >= 0.06).all()
