"""Tests of the sample-data generator, on scale `tiny`.

The consistency tests re-implement the raw-data contract's row rules here, with
pandas, straight from the written files (independently of the generator's
code), and compare the outcome with ground_truth.json.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from member_analytics.generator import SCALES, generate

AS_OF = "2026-11-18"
COLUMNS = {
    "orders": ["shop_id", "order_id", "member_id", "ordered_at", "status", "paid_amount",
               "refunded_amount", "refunded_at", "discount_amount", "channel", "updated_at"],
    "order_items": ["shop_id", "order_id", "product_id", "quantity", "unit_price",
                    "line_amount"],
    "members": ["shop_id", "member_id", "registered_at", "gender", "birth_date", "province",
                "city", "phone", "nickname", "is_marketing_opt_out"],
    "products": ["shop_id", "product_id", "product_name", "category", "brand", "list_price",
                 "launched_at"],
    "behavior_events": ["shop_id", "member_id", "event_type", "occurred_at", "product_id",
                        "session_id"],
    "service_events": ["shop_id", "event_id", "member_id", "event_type", "occurred_at",
                       "order_id", "product_id", "rating", "resolved_at"],
    "points_events": ["shop_id", "member_id", "occurred_at", "points", "reason", "request_id"],
}
# the optional tables of the campaign history (written clean; generate(campaigns=False) omits them)
CAMPAIGN_COLUMNS = {
    "campaign_sends": ["shop_id", "send_id", "member_id", "audience", "sent_at", "offer", "channel"],
    "campaign_assignments": ["shop_id", "member_id", "audience", "assigned_date", "arm"],
}
CAMPAIGN_KEYS = ("campaigns", "recent_contacts", "campaign_settings")   # their ground truth
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
WINDOW_DAYS = {"sms": 7, "app_message": 5, "chat": 3}     # the spec's attribution windows

# ----------------------------------------------------------- the contract, re-implemented
KEYS = {"orders": ["order_id", "member_id"], "order_items": ["order_id", "product_id"],
        "members": ["member_id"], "products": ["product_id"], "behavior_events": ["member_id"],
        "service_events": ["member_id"], "points_events": ["member_id"]}
TYPES = {
    "orders": {"ordered_at": "ts", "refunded_at": "ts", "updated_at": "ts", "paid_amount": "dec",
               "refunded_amount": "dec", "discount_amount": "dec"},
    "order_items": {"quantity": "int", "unit_price": "dec", "line_amount": "dec"},
    "members": {"registered_at": "ts", "birth_date": "ts", "is_marketing_opt_out": "bool"},
    "products": {"list_price": "dec", "launched_at": "ts"},
    "behavior_events": {"occurred_at": "ts"},
    "service_events": {"occurred_at": "ts", "resolved_at": "ts", "rating": "int"},
    "points_events": {"occurred_at": "ts", "points": "int"},
}
CODES = {"orders": ("status", {"created", "paid", "shipped", "completed", "cancelled",
                               "refunded"}),
         "behavior_events": ("event_type", {"view", "favorite", "cart", "favorite_shop",
                                            "check_in", "game", "survey", "vote", "share"}),
         "service_events": ("event_type", {"cancel", "reject", "return", "exchange",
                                           "complaint", "review", "suggestion", "referral"})}
MONEY = ("paid_amount", "refunded_amount", "discount_amount", "unit_price", "line_amount",
         "list_price")
EVENT_TIME = {"orders": "ordered_at", "members": "registered_at",
              "behavior_events": "occurred_at", "service_events": "occurred_at",
              "points_events": "occurred_at"}
PATTERNS = {"dec": r"-?\d+(\.\d+)?", "int": r"-?\d+"}
BOOLEANS = {"true", "false", "1", "0", "yes", "no", "y", "n"}


def read(folder: Path, table: str) -> pd.DataFrame:
    """A contract file as text; empty values as ''."""
    csv = folder / f"{table}.csv"
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8")
    frame = pd.read_parquet(folder / f"{table}.parquet")
    return frame.astype(object).where(frame.notna(), "").astype(str)


def timestamp(values: pd.Series) -> pd.Series:
    text = values.str.strip()
    shaped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2})?")
    return pd.to_datetime(text.where(shaped), errors="coerce", format="ISO8601")


def castable(values: pd.Series, kind: str) -> pd.Series:
    text = values.str.strip()
    if kind == "ts":
        return timestamp(values).notna()
    if kind == "bool":
        return text.str.lower().isin(BOOLEANS)
    return text.str.fullmatch(PATTERNS[kind])


def number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.strip(), errors="coerce")


def reasons(table: str, df: pd.DataFrame) -> pd.Series:
    """Row-level rejection reason (first that applies) or '' — key rules excluded."""
    # default latest valid date: the day after the build; the ground truth assumes the
    # build runs on or after the as-of date (rows dated as_of + 1 day are then valid)
    latest = pd.Timestamp(max(dt.date.today(), dt.date.fromisoformat(AS_OF))
                          + dt.timedelta(days=1))
    checks = [("missing_key", pd.concat([df[k].str.strip() == "" for k in KEYS[table]],
                                        axis=1).any(axis=1))]
    bad = [(df[c].str.strip() != "") & ~castable(df[c], kind) for c, kind in TYPES[table].items()]
    checks.append(("bad_type", pd.concat(bad, axis=1).any(axis=1)))
    if table in CODES:
        column, allowed = CODES[table]
        checks.append(("unknown_code", ~df[column].str.strip().str.lower().isin(allowed)))
    negative = [number(df[c]) < 0 for c in MONEY if c in df]
    checks.append(("negative_amount", pd.concat(negative, axis=1).any(axis=1) if negative
                   else pd.Series(False, index=df.index)))
    out = pd.Series(False, index=df.index)
    if "quantity" in df:
        out |= number(df["quantity"]) <= 0
    if "rating" in df:
        rating = number(df["rating"])
        out |= rating.notna() & ~rating.between(1, 5)
    if "points" in df:
        out |= number(df["points"]) == 0
    checks.append(("out_of_range", out))
    if table == "orders":
        checks.append(("refund_exceeds_payment",
                       number(df["refunded_amount"]) > number(df["paid_amount"])))
    if table in EVENT_TIME:
        when = timestamp(df[EVENT_TIME[table]])
        checks.append(("date_before_earliest", when < pd.Timestamp("1990-01-01")))
        checks.append(("date_after_latest", when.dt.normalize() > latest))
    reason = pd.Series("", index=df.index)
    for name, hit in reversed(checks):
        reason = reason.mask(hit.fillna(False).astype(bool), name)
    return reason


def classify(folder: Path) -> dict[str, pd.Series]:
    """State per raw row: kept, duplicate, superseded, or the rejection reason."""
    states, kept_orders, all_orders = {}, set(), set()
    for table in ["orders", "members", "products", "behavior_events", "service_events",
                  "points_events", "order_items"]:
        df = read(folder, table)
        state = reasons(table, df).where(lambda s: s != "", "kept")
        state[df.duplicated(keep="first")] = "duplicate"
        live = state == "kept"
        key_column = "event_id" if table == "service_events" else KEYS[table][0]
        key = df["shop_id"].str.strip() + "|" + df[key_column].str.strip()
        if table == "orders":
            state = _order_versions(df, key, state, live)
            kept_orders = set(key[state == "kept"])
            all_orders = set(key)
        elif table in ("members", "products"):
            shared = live & key[live].duplicated(keep=False).reindex(df.index, fill_value=False)
            state[shared] = "duplicate_key"
        elif table == "service_events":
            with_id = live & (df["event_id"].str.strip() != "")
            shared = key[with_id].duplicated(keep=False).reindex(df.index, fill_value=False)
            state[with_id & shared] = "duplicate_key"
        elif table == "order_items":
            state[live & ~key.isin(all_orders)] = "unknown_order"
            state[live & key.isin(all_orders) & ~key.isin(kept_orders)] = "rejected_order"
        states[table] = state
    return states


def _order_versions(df: pd.DataFrame, key: pd.Series, state: pd.Series,
                    live: pd.Series) -> pd.Series:
    updated = timestamp(df["updated_at"]).fillna(pd.Timestamp("1900-01-01"))  # empty = oldest
    groups = pd.DataFrame({"key": key, "updated": updated})[live]
    top = groups.groupby("key")["updated"].transform("max")
    at_top = groups["updated"] == top
    tied = at_top.groupby(groups["key"]).transform("sum") > 1
    state = state.copy()
    state[groups.index[~at_top]] = "superseded"
    state[groups.index[at_top & tied]] = "duplicate_key"
    return state


def counts(state: pd.Series) -> dict:
    rejected = state[~state.isin(["kept", "duplicate", "superseded"])]
    return {"raw": len(state), "kept": int((state == "kept").sum()),
            "duplicate": int((state == "duplicate").sum()),
            "superseded": int((state == "superseded").sum()), "rejected": len(rejected),
            "rejected_by_reason": {k: int(v) for k, v in rejected.value_counts().items()}}


# ------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module", params=["csv", "parquet"])
def tiny(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"tiny_{request.param}")
    truth = generate(folder, scale="tiny", seed=42, file_format=request.param, as_of_date=AS_OF)
    states = classify(folder)
    kept = {t: read(folder, t)[states[t] == "kept"] for t in COLUMNS}
    return folder, truth, states, kept


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny_csv_only")
    return folder, generate(folder, scale="tiny", file_format="csv", as_of_date=AS_OF)


def valid_purchases(orders: pd.DataFrame) -> pd.DataFrame:
    """Kept orders that are valid purchases as of AS_OF, with their date."""
    as_of = pd.Timestamp(AS_OF)
    status = orders["status"].str.strip().str.lower()
    paid = number(orders["paid_amount"])
    refunded = number(orders["refunded_amount"])
    refunded = refunded.fillna(paid.where(status == "refunded", 0.0))
    refund_at = timestamp(orders["refunded_at"]).fillna(timestamp(orders["updated_at"])) \
        .fillna(timestamp(orders["ordered_at"]))
    refunded = refunded.where(refund_at.dt.normalize() <= as_of, 0.0)
    day = timestamp(orders["ordered_at"]).dt.normalize()
    paid_status = status.isin(["paid", "shipped", "completed"])
    valid = (day <= as_of) & (((paid_status | (status == "refunded")) & (refunded < paid))
                              | ((paid == 0) & paid_status))
    out = orders[valid].assign(day=day[valid], ordered=timestamp(orders["ordered_at"])[valid],
                               net_cents=((paid - refunded) * 100).round()[valid].astype(int))
    out["member_id"] = out["member_id"].str.strip()
    return out


# ---------------------------------------------------------------------------- tests
def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_same_seed_gives_identical_bytes(tmp_path, file_format):
    generate(tmp_path / "a", scale="tiny", seed=7, file_format=file_format)
    generate(tmp_path / "b", scale="tiny", seed=7, file_format=file_format)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert len(digest(tmp_path / "a")) == len(COLUMNS) + len(CAMPAIGN_COLUMNS) + 1


def test_different_seed_gives_different_data(tmp_path):
    generate(tmp_path / "a", scale="tiny", seed=1, file_format="csv")
    generate(tmp_path / "b", scale="tiny", seed=2, file_format="csv")
    for table in COLUMNS:
        assert (tmp_path / "a" / f"{table}.csv").read_bytes() != \
            (tmp_path / "b" / f"{table}.csv").read_bytes()


def test_every_table_and_column_with_shop_id(tiny):
    folder, truth, _, _ = tiny
    for table, columns in {**COLUMNS, **CAMPAIGN_COLUMNS}.items():
        df = read(folder, table)
        assert list(df.columns) == columns
        assert (df["shop_id"].str.strip() != "").all()
        assert set(df["shop_id"]) == set(truth["shops"])
    assert len(truth["shops"]) == SCALES["tiny"]["shops"]


def test_only_one_format_remains(tmp_path):
    generate(tmp_path, scale="tiny", file_format="csv")
    generate(tmp_path, scale="tiny", file_format="parquet")
    assert not list(tmp_path.glob("*.csv"))
    assert len(list(tmp_path.glob("*.parquet"))) == len(COLUMNS) + len(CAMPAIGN_COLUMNS)
    generate(tmp_path, scale="tiny", file_format="parquet", campaigns=False)
    assert len(list(tmp_path.glob("*.parquet"))) == len(COLUMNS)


def test_csv_is_utf8_and_keeps_leading_zeros(tiny_csv):
    folder, truth = tiny_csv
    for table in COLUMNS:
        (folder / f"{table}.csv").read_bytes().decode("utf-8")
    members = read(folder, "members")
    orders = read(folder, "orders")
    zero = members[members["member_id"].str.match(r"^0\d+$")]
    assert len(zero) > 100
    assert zero["member_id"].isin(orders["member_id"]).any()
    assert any(r["member_id"].startswith("0") for r in truth["first_purchase_followups"])
    assert members["province"].str.contains("广东").any()


def test_row_counts_match_an_independent_reading_of_the_contract(tiny):
    _, truth, states, _ = tiny
    for table, state in states.items():
        assert counts(state) == truth["row_counts"][table], table


def test_every_reason_is_planted_at_least_twice_where_it_applies(tiny):
    _, truth, _, _ = tiny
    wanted = {
        "orders": ["missing_key", "bad_type", "unknown_code", "negative_amount",
                   "refund_exceeds_payment", "date_before_earliest", "date_after_latest",
                   "duplicate_key"],
        "order_items": ["missing_key", "bad_type", "negative_amount", "out_of_range",
                        "unknown_order", "rejected_order"],
        "members": ["missing_key", "bad_type", "date_before_earliest", "date_after_latest",
                    "duplicate_key"],
        "products": ["missing_key", "bad_type", "negative_amount", "duplicate_key"],
        "behavior_events": ["missing_key", "bad_type", "unknown_code", "date_before_earliest",
                            "date_after_latest"],
        "service_events": ["missing_key", "bad_type", "unknown_code", "out_of_range",
                           "date_before_earliest", "date_after_latest", "duplicate_key"],
        "points_events": ["missing_key", "bad_type", "out_of_range", "date_before_earliest",
                          "date_after_latest"],
    }
    for table, reasons_wanted in wanted.items():
        counts_ = truth["row_counts"][table]
        assert counts_["duplicate"] >= 2, table
        for reason in reasons_wanted:
            assert counts_["rejected_by_reason"].get(reason, 0) >= 2, (table, reason)
    assert truth["row_counts"]["orders"]["superseded"] >= 2
    listed = pd.DataFrame(truth["dirty_rows"]).groupby("table").size().to_dict()
    assert listed == {t: c["raw"] - c["kept"] for t, c in truth["row_counts"].items() if t in COLUMNS}
    assert all(truth["row_counts"][t]["raw"] == truth["row_counts"][t]["kept"] for t in CAMPAIGN_COLUMNS)


def test_one_time_buyers_are_55_to_75_percent(tiny):
    _, _, _, kept = tiny
    valid = valid_purchases(kept["orders"])
    per_buyer = valid.groupby(["shop_id", "member_id"]).size()
    assert 0.55 <= (per_buyer == 1).mean() <= 0.75
    for shop, sizes in per_buyer.groupby(level=0):
        assert 0.55 <= (sizes == 1).mean() <= 0.75, shop


def test_double_11_is_at_least_five_times_the_median_day(tiny):
    _, truth, _, kept = tiny
    day = timestamp(kept["orders"]["ordered_at"]).dt.normalize()
    days = pd.date_range(truth["data_start_date"], AS_OF)
    per_day = day.value_counts().reindex(days, fill_value=0)
    double11 = [d for d in days if d.month == 11 and d.day == 11]
    assert len(double11) >= 3
    for d in double11:
        assert per_day[d] >= 5 * per_day.median(), d


def test_planted_pairs_are_bought_together_far_above_chance(tiny):
    _, truth, _, kept = tiny
    items = kept["order_items"]
    assert len(truth["planted_product_pairs"]) >= 3
    for pair in truth["planted_product_pairs"]:
        shop = items[items["shop_id"] == pair["shop_id"]]
        baskets = shop.groupby("order_id")["product_id"].agg(set)
        has_a = baskets.map(lambda s: pair["product_id_a"] in s)
        has_b = baskets.map(lambda s: pair["product_id_b"] in s)
        lift = (has_a & has_b).mean() / (has_a.mean() * has_b.mean())
        assert lift > 3, pair


def test_complaints_rise_after_promotions(tiny):
    _, truth, _, kept = tiny
    events = kept["service_events"]
    complaint = events[events["event_type"].str.strip().str.lower() == "complaint"]
    when = timestamp(complaint["occurred_at"]).dt.normalize()
    before = after = 0
    recomputed = []
    for row in truth["promotion_complaints"]:
        day = pd.Timestamp(row["promotion_date"])
        shop = complaint["shop_id"] == row["shop_id"]
        n_before = int((shop & when.between(day - pd.Timedelta(days=30),
                                            day - pd.Timedelta(days=1))).sum())
        n_after = int((shop & when.between(day + pd.Timedelta(days=1),
                                           min(day + pd.Timedelta(days=30),
                                               pd.Timestamp(AS_OF)))).sum())
        recomputed.append((n_before, n_after))
        if row["before_window_complete"] and row["after_window_complete"]:
            before, after = before + n_before, after + n_after
    assert recomputed == [(r["complaints_before_30d"], r["complaints_after_30d"])
                          for r in truth["promotion_complaints"]]
    assert after >= 1.5 * max(before, 1)


def test_birthdays_include_29_february(tiny):
    _, _, _, kept = tiny
    assert kept["members"]["birth_date"].str.endswith("-02-29").any()


def test_first_purchase_followups_match_the_files(tiny):
    _, truth, _, kept = tiny
    valid = valid_purchases(kept["orders"])
    first = valid.groupby(["shop_id", "member_id"])["day"].min()
    as_of = pd.Timestamp(AS_OF)
    due = {"3_days": as_of - pd.Timedelta(days=3), "3_weeks": as_of - pd.Timedelta(days=21),
           "3_months": as_of - pd.DateOffset(months=3)}
    found = {(shop, member, name, str(day.date())) for (shop, member), day in first.items()
             for name, when in due.items() if day == when}
    listed = {(r["shop_id"], r["member_id"], r["followup"], r["first_purchase_date"])
              for r in truth["first_purchase_followups"]}
    assert found == listed
    for shop in truth["shops"]:
        for name in due:
            assert sum(r[0] == shop and r[2] == name for r in listed) >= 2, (shop, name)


def test_upcoming_birthdays_match_the_files(tiny):
    _, truth, _, kept = tiny
    members = kept["members"]
    as_of = pd.Timestamp(AS_OF)
    members = members[(timestamp(members["registered_at"]).dt.normalize() <= as_of)
                      & (members["birth_date"].str.strip() != "")]
    found = set()
    for shop, member, birth in zip(members["shop_id"], members["member_id"],
                                   pd.to_datetime(members["birth_date"])):
        for year in (as_of.year, as_of.year + 1):
            leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
            day = 28 if (birth.month, birth.day) == (2, 29) and not leap else birth.day
            birthday = pd.Timestamp(year, birth.month, day)
            if 1 <= (birthday - as_of).days <= 30:
                found.add((shop, member.strip(), str(birthday.date()), (birthday - as_of).days))
                break
    listed = {(r["shop_id"], r["member_id"], r["birthday_date"], r["days_until"])
              for r in truth["upcoming_birthdays"]}
    assert found == listed and found


def test_ground_truth_lists_are_sorted_and_cover_planted_cases(tiny):
    _, truth, _, _ = tiny
    for name in ("loyal_to_at_risk", "quiet_members", "comeback_members", "refund_downgrades"):
        rows = truth[name]
        assert rows == sorted(rows, key=lambda r: (r["shop_id"], r["member_id"],
                                                   r.get("refund_date", ""),
                                                   r.get("order_id", "")))
        for shop in truth["shops"]:
            assert sum(r["planted"] and r["shop_id"] == shop for r in rows) >= 2, (name, shop)
    assert truth["lapsed_members"] and truth["truncated"] is False
    assert all(r["points"] < -r["lifetime_points_earned"] for r in truth["overdrawn_redemptions"])
    assert all(r["rows"] == 2 for r in truth["duplicate_request_ids"])
    assert truth["rows_after_as_of_date"]["orders"] > 0


# ------------------------------------------------------------------ the campaign history
def holdout_unit(shop_id: str, audience: str, member_id: str) -> float:
    """The spec's holdout hash (salt 'member_analytics'), written out here."""
    key = "member_analytics" + "|" + shop_id + "|" + audience + "|" + member_id
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) / 2**32


def campaign_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    sends = read(folder, "campaign_sends")
    assignments = read(folder, "campaign_assignments")
    assignments["assigned"] = pd.to_datetime(assignments["assigned_date"], format="%Y-%m-%d")
    sends["sent"] = pd.to_datetime(sends["sent_at"], format="%Y-%m-%d %H:%M:%S")
    return sends, assignments


def test_campaign_arms_follow_the_holdout_hash_and_are_stable(tiny):
    folder, truth, _, kept = tiny
    _, assignments = campaign_tables(folder)
    unit = [holdout_unit(*row) for row in assignments[["shop_id", "audience", "member_id"]].itertuples(index=False)]
    assert list(assignments["arm"]) == ["holdout" if u < 0.10 else "treatment" for u in unit]
    from member_analytics.generator.campaigns import holdout_unit as generator_unit
    assert all(generator_unit(*row) == u for row, u in
               zip(assignments[["shop_id", "audience", "member_id"]].head(50).itertuples(index=False), unit))
    # one row per shop, member, audience and day; a member's arm never changes within an audience
    assert not assignments.duplicated(["shop_id", "member_id", "audience", "assigned_date"]).any()
    key = ["shop_id", "member_id", "audience"]
    assert (assignments.groupby(key)["arm"].nunique() == 1).all()
    repeated = assignments.groupby(key)["assigned_date"].nunique()
    assert (repeated >= 3).sum() > 100                    # many members are assigned again and again
    # every assigned member is a kept, registered member by the assigned date
    members = kept["members"].assign(day=timestamp(kept["members"]["registered_at"]).dt.normalize())
    joined = assignments.merge(members[["shop_id", "member_id", "day"]], on=["shop_id", "member_id"], how="left")
    assert joined["day"].notna().all() and (joined["day"] <= joined["assigned"]).all()
    assert set(assignments["arm"]) == {"treatment", "holdout"}


def test_campaigns_are_many_complete_and_one_per_audience_and_month(tiny):
    folder, truth, _, _ = tiny
    _, assignments = campaign_tables(folder)
    campaigns = pd.DataFrame(truth["campaigns"])
    as_of = pd.Timestamp(AS_OF)
    audiences = pd.read_csv(SEEDS / "campaign_audiences.csv").set_index("audience")
    assert len(campaigns) >= 60 and set(campaigns["shop_id"]) == set(truth["shops"])
    assert campaigns["audience"].nunique() == 4
    assert (audiences.loc[campaigns["audience"], "message_kind"] == "marketing").all()
    assert list(campaigns["channel"]) == list(audiences.loc[campaigns["audience"], "channel"])
    assert list(campaigns["window_days"]) == [WINDOW_DAYS[c] for c in campaigns["channel"]]
    day = pd.to_datetime(campaigns["assigned_date"])
    assert (day + pd.to_timedelta(campaigns["window_days"], unit="D") <= as_of).all()
    assert (day >= as_of - pd.DateOffset(months=7)).all()
    assert not campaigns.duplicated(["shop_id", "audience", "month"]).any()
    assert not campaigns.duplicated(["shop_id", "assigned_date"]).any()
    assert (campaigns["holdout_members"] >= 25).all() and (campaigns["treatment_members"] >= 10).all()
    assert (campaigns["true_conversion_uplift"] > 0).all()
    assert (campaigns["base_conversion"] > 0).all()
    sizes = assignments.groupby(["shop_id", "audience", "assigned_date", "arm"]).size().unstack()
    listed = campaigns.set_index(["shop_id", "audience", "assigned_date"])
    assert sizes.index.sort_values().equals(listed.index.sort_values())
    assert (sizes["treatment"] == listed["treatment_members"].reindex(sizes.index)).all()
    assert (sizes["holdout"] == listed["holdout_members"].reindex(sizes.index)).all()


def test_sends_go_to_the_treatment_arm_only(tiny):
    folder, truth, _, _ = tiny
    sends, assignments = campaign_tables(folder)
    audiences = pd.read_csv(SEEDS / "campaign_audiences.csv").set_index("audience")
    assert not sends.duplicated(["shop_id", "send_id"]).any()
    assert list(sends["channel"]) == list(audiences.loc[sends["audience"], "channel"])
    assert sends["sent"].dt.hour.between(8, 21).all()
    lift = sends[sends["audience"].isin(set(assignments["audience"]))]
    matched = lift.assign(assigned=lift["sent"].dt.normalize() - pd.Timedelta(days=1)).merge(
        assignments, on=["shop_id", "member_id", "audience", "assigned"], how="left")
    assert len(matched) == len(lift) and (matched["arm"] == "treatment").all()
    per_campaign = matched.groupby(["shop_id", "audience", "assigned_date"]).size()
    listed = pd.DataFrame(truth["campaigns"]).set_index(["shop_id", "audience", "assigned_date"])
    assert (per_campaign == listed["treatment_sent"].reindex(per_campaign.index)).all()
    unsent = 1 - listed["treatment_sent"].sum() / listed["treatment_members"].sum()
    assert 0.01 <= unsent <= 0.06
    assert (lift["sent"] < pd.Timestamp(AS_OF) - pd.Timedelta(days=7)).all()   # before the fatigue window
    other = sends[~sends.index.isin(lift.index)]       # fatigue sends: marketing, without an assignment
    assert len(other) and (audiences.loc[other["audience"], "message_kind"] == "marketing").all()


def test_realized_conversions_per_arm_match_the_orders_file(tiny):
    folder, truth, _, kept = tiny
    _, assignments = campaign_tables(folder)
    valid = valid_purchases(kept["orders"]).sort_values(["ordered", "order_id"])
    campaigns = pd.DataFrame(truth["campaigns"])
    window = campaigns.set_index(["shop_id", "audience", "assigned_date"])["window_days"]
    rows = assignments.assign(window=window.reindex(
        pd.MultiIndex.from_frame(assignments[["shop_id", "audience", "assigned_date"]])).to_numpy())
    joined = rows.merge(valid[["shop_id", "member_id", "day", "ordered", "order_id", "net_cents"]],
                        on=["shop_id", "member_id"])
    inside = joined[(joined["day"] > joined["assigned"])
                    & (joined["day"] <= joined["assigned"] + pd.to_timedelta(joined["window"], unit="D"))]
    first = inside.sort_values(["ordered", "order_id"]).drop_duplicates(
        ["shop_id", "member_id", "audience", "assigned_date"])
    found = first.groupby(["shop_id", "audience", "assigned_date", "arm"])["net_cents"].agg(["size", "sum"])
    listed = campaigns.set_index(["shop_id", "audience", "assigned_date"])
    for arm in ("treatment", "holdout"):
        got = found.xs(arm, level="arm").reindex(listed.index, fill_value=0)
        assert (got["size"] == listed[f"{arm}_conversions"]).all(), arm
        assert list(got["sum"]) == [round(float(v) * 100) for v in listed[f"{arm}_net_revenue"]], arm
    # the planted uplift shows in the pooled rates (seed 42; tiny samples are noisy)
    rate = {arm: listed[f"{arm}_conversions"].sum() / listed[f"{arm}_members"].sum()
            for arm in ("treatment", "holdout")}
    planted = (listed["true_conversion_uplift"] * listed["treatment_members"]).sum() / \
        listed["treatment_members"].sum()
    assert abs(rate["treatment"] - rate["holdout"] - planted) < 0.02
    assert (listed["true_revenue_uplift_per_member"] - listed["true_conversion_uplift"]
            * listed["mean_first_purchase_net_amount"]).abs().max() < 1e-3


def test_recent_contacts_match_the_sends_file(tiny):
    folder, truth, _, _ = tiny
    sends, _ = campaign_tables(folder)
    as_of = pd.Timestamp(AS_OF)
    day = sends["sent"].dt.normalize()
    recent = sends[(day >= as_of - pd.Timedelta(days=7)) & (day <= as_of)]
    in_7 = recent[recent["sent"] >= as_of - pd.Timedelta(days=6)].groupby(["shop_id", "member_id"]).size()
    on_day = recent[recent["sent"] >= as_of].groupby(["shop_id", "member_id"]).size()
    listed = pd.DataFrame(truth["recent_contacts"]).set_index(["shop_id", "member_id"])
    assert set(recent.groupby(["shop_id", "member_id"]).size().index) == set(listed.index)
    assert (in_7.reindex(listed.index, fill_value=0) == listed["sends_in_7_days"]).all()
    assert (on_day.reindex(listed.index, fill_value=0) == listed["sends_on_as_of_date"]).all()
    assert (listed["sent_at"].map(len) >= listed["sends_in_7_days"]).all()
    for shop in truth["shops"]:
        mine = listed.loc[shop]
        assert (mine["sends_in_7_days"] == 1).sum() >= 3 and (mine["sends_in_7_days"] >= 3).sum() >= 3
        assert (mine["sends_on_as_of_date"] > 0).sum() >= 3
        edge = mine[mine["planted_case"] == "edge_of_window"]     # 3 sends in 8 days, 2 in 7
        assert len(edge) >= 2 and (edge["sent_at"].map(len) == 3).all() and (edge["sends_in_7_days"] == 2).all()


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_the_campaign_history_leaves_every_other_file_and_fact_unchanged(tmp_path, file_format):
    with_campaigns = generate(tmp_path / "with", scale="tiny", seed=42, file_format=file_format)
    without = generate(tmp_path / "without", scale="tiny", seed=42, file_format=file_format, campaigns=False)
    files, fewer = digest(tmp_path / "with"), digest(tmp_path / "without")
    assert set(files) - set(fewer) == {f"{table}.{file_format}" for table in CAMPAIGN_COLUMNS}
    assert all(files[name] == value for name, value in fewer.items() if name != "ground_truth.json")
    assert set(with_campaigns) - set(without) == set(CAMPAIGN_KEYS)
    assert {k: v for k, v in with_campaigns.items() if k not in CAMPAIGN_KEYS and k != "row_counts"} == \
        {k: v for k, v in without.items() if k != "row_counts"}
    assert {t: c for t, c in with_campaigns["row_counts"].items() if t in COLUMNS} == without["row_counts"]
    for table in CAMPAIGN_COLUMNS:
        assert with_campaigns["row_counts"][table]["raw"] == with_campaigns["row_counts"][table]["kept"] > 0
