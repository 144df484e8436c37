"""The member 360 (issue 24, docs/decisions/0124) on the generator's tiny dataset:
the declared traits (seed member_traits -> fct_member_traits, rpt_member_traits_wide
and the default traits of dim_member_360) recomputed with pandas from the raw files
(reference_traits.py, which evaluates any seed row by the seed's documentation); the
other columns of dim_member_360 against the independent references of their marts
(RFM, activity and loyalty, tiers and points) or, for marts with their own
independent tests, equal to the mart joined by key; the latest contact from the raw
send log; a trait added by a seed row alone (no SQL) in a scratch copy of the
project; bad seed rows stopped at compile time with the trait and the column named.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from .conftest import NO_UNIT_TESTS, ROOT, DbtProject, build_vars
from .reference_activity import read_diagnoses, recompute
from .reference_rfm import expected_fct_member_rfm
from .reference_tiers import replay
from .reference_traits import (NUMBER, expected_traits, kept_products, kept_sends, read_traits, trait_events,
                               value_kind)

pytestmark = pytest.mark.dbt

EARLIEST = "1990-01-01"
KEY = ("shop_id", "member_id")
HEADLINE_SCHEME = "by_net_spend"  # dbt_project.yml: member_analytics__member_360__tier_scheme
# dim_member_360's contracted trait columns (the seed's default rows, in order)
DEFAULT_TRAITS = [
    "orders_last_30_days", "orders_last_365_days", "purchase_days_last_90_days", "net_spend_last_90_days",
    "net_spend_last_365_days", "first_order_date", "items_bought_last_90_days", "top_category_last_365_days",
    "visit_days_last_7_days", "visit_days_last_30_days", "favourites_last_7_days",
    "top_favourite_category_last_90_days", "carts_last_30_days", "last_cart_date", "returns_last_365_days",
    "complaints_last_365_days", "points_earned_last_365_days",
]
LONG_COLUMNS = ["shop_id", "member_id", "trait_name", "trait_order", "aggregation", "value_kind", "number_value",
                "date_value", "text_value", "trait_value"]
WIDE_TYPES = {"count": "BIGINT", "distinct_days": "BIGINT", "sum_amount": "DECIMAL(38,2)", "first": "DATE",
              "last": "DATE", "most_frequent_category": "VARCHAR", "most_frequent_product": "VARCHAR"}


def _latest(truth: dict) -> str:
    return build_vars(truth)["member_analytics__validation__latest_valid_date"]


def _records(project: DbtProject, sql: str) -> list[dict]:
    """Rows as dicts of plain Python values (Decimal for decimals, date, None for null)."""
    with duckdb.connect(str(project.warehouse), read_only=True) as connection:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _column_types(project: DbtProject, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    return [tuple(row) for row in project.query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{name}' order by ordinal_position")]


def _plain(value):
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _by_key(rows: list[dict]) -> dict[tuple[str, str], dict]:
    keyed = {(row["shop_id"], row["member_id"]): row for row in rows}
    assert len(keyed) == len(rows), "more than one row per member"
    return keyed


def _assert_same_rows(actual: list[tuple], expected: list[tuple], what: str) -> None:
    only_mart, only_reference = Counter(actual) - Counter(expected), Counter(expected) - Counter(actual)
    assert not only_mart and not only_reference, (
        f"{what}: {len(actual)} mart rows, {len(expected)} recomputed; "
        f"{sum(only_mart.values())} only in the mart, e.g. {sorted(only_mart, key=repr)[:6]}; "
        f"{sum(only_reference.values())} only in the recomputation, e.g. {sorted(only_reference, key=repr)[:6]}")


def _assert_columns_equal(actual: dict, expected: dict, columns: dict[str, str], what: str) -> None:
    """For every member, actual[member][column] == expected[member][source column] (None
    when the expected side has no row for the member)."""
    for column, source in columns.items():
        wrong = [(key, actual[key][column], _plain(expected[key][source]) if key in expected else None)
                 for key in actual
                 if actual[key][column] != (_plain(expected[key][source]) if key in expected else None)]
        assert not wrong, f"{what}.{source} -> {column}: {len(wrong)} members differ, e.g. {wrong[:5]}"


# --------------------------------------------------------------------------- references
@pytest.fixture(scope="module")
def replayed(tiny_raw):
    raw_path, truth = tiny_raw
    return replay(raw_path, truth["as_of_date"], EARLIEST, _latest(truth))


@pytest.fixture(scope="module")
def recomputed(tiny_raw):
    raw_path, truth = tiny_raw
    return recompute(raw_path, truth["as_of_date"], EARLIEST, _latest(truth))


@pytest.fixture(scope="module")
def traits_reference(tiny_raw, replayed, recomputed):
    raw_path, truth = tiny_raw
    events = trait_events(raw_path, truth["as_of_date"], EARLIEST, _latest(truth), replayed.ledger,
                          recomputed.visit_days)
    members = set(zip(recomputed.members["shop_id"], recomputed.members["member_id"]))
    return {"events": events, "categories": kept_products(raw_path), "members": members,
            "as_of": truth["as_of_date"]}


def _long_rows(expected: pd.DataFrame, as_of: date) -> list[tuple]:
    return [tuple(_plain(value) for value in row) + (as_of,)
            for row in expected[LONG_COLUMNS].itertuples(index=False, name=None)]


def _wide_expected(expected: pd.DataFrame, traits: pd.DataFrame, members) -> dict[tuple[str, str], dict]:
    """Per member, every trait's column value: the value, else 0 for counts and sums
    and None for dates and names."""
    values = {}
    for row in expected.itertuples(index=False):
        kind = row.value_kind
        value = row.number_value if kind == NUMBER else row.date_value if kind == "date" else row.text_value
        values[(row.shop_id, row.member_id, row.trait_name)] = value
    wide = {}
    for key in members:
        wide[key] = {}
        for trait in traits.to_dict("records"):
            value = values.get((*key, trait["trait_name"]))
            if value_kind(trait["aggregation"]) == NUMBER:
                value = Decimal("0.00") if value is None else value
                value = value if trait["aggregation"] == "sum_amount" else int(value)
            wide[key][trait["trait_name"]] = value
    return wide


def _mode_ties(events: pd.DataFrame, categories: dict, source: str, window_days: int, as_of: date) -> tuple[int, int]:
    """Members whose most frequent category (of `source` events in the window) shares its
    count with another category: (decided by the latest event, decided by the code)."""
    first_day = as_of - timedelta(days=window_days - 1)
    mine = events[(events["source_table"] == source) & (events["event_date"] >= first_day)]
    mine = mine.assign(category=[categories.get(key) for key in zip(mine["shop_id"], mine["product_id"])])
    stats = mine[mine["category"].notna()].groupby(["shop_id", "member_id", "category"]).agg(
        events=("event_date", "size"), latest=("event_date", "max")).reset_index()
    tied = stats[stats["events"] == stats.groupby(["shop_id", "member_id"])["events"].transform("max")]
    tied = tied[tied.groupby(["shop_id", "member_id"])["category"].transform("size") > 1]
    at_latest = tied[tied["latest"] == tied.groupby(["shop_id", "member_id"])["latest"].transform("max")]
    shared_latest = at_latest.groupby(["shop_id", "member_id"]).size()
    members = tied.groupby(["shop_id", "member_id"]).ngroups
    return members - int((shared_latest > 1).sum()), int((shared_latest > 1).sum())


# --------------------------------------------------------------------------- 1. default traits
def test_default_traits_equal_an_independent_recomputation_in_all_three_places(tiny_build, traits_reference):
    """fct_member_traits (every row and column), rpt_member_traits_wide (one column per
    trait in trait_order, typed, 0 / null without an event) and dim_member_360's trait
    columns against a pandas evaluation of the seed's rows over the raw files."""
    project, truth = tiny_build
    as_of = date.fromisoformat(truth["as_of_date"])
    traits = read_traits()
    assert list(traits["trait_name"]) == DEFAULT_TRAITS
    assert list(traits["trait_order"]) == list(range(1, len(DEFAULT_TRAITS) + 1))
    expected = expected_traits(traits_reference["events"], traits, traits_reference["categories"],
                               truth["as_of_date"], traits_reference["members"])

    # the recomputation is not trivial: every trait has members, and the sample puts events
    # on both sides of a window's first day (as_of_date - window_days + 1 counts, the day
    # before does not)
    per_trait = Counter(expected["trait_name"])
    assert all(per_trait[name] >= 3 for name in DEFAULT_TRAITS), per_trait
    events = traits_reference["events"]
    on_edge = before_edge = 0
    for trait in traits[traits["window_days"].notna()].to_dict("records"):
        first_day = as_of - timedelta(days=int(trait["window_days"]) - 1)
        mine = events[events["source_table"] == trait["source_table"]]
        if trait["event_types"] is not None:
            mine = mine[mine["event_type"].isin(trait["event_types"])]
        on_edge += int((mine["event_date"] == first_day).sum())
        before_edge += int((mine["event_date"] == first_day - timedelta(days=1)).sum())
    assert on_edge > 0 and before_edge > 0, (on_edge, before_edge)
    # and both tie-breaks of the most frequent category decide for some members (most
    # lines shared: the latest wins; latest shared too: the smallest category)
    by_latest, by_code = _mode_ties(events, traits_reference["categories"], "order_items", 365, as_of)
    assert by_latest > 0 and by_code > 0, (by_latest, by_code)
    assert expected.loc[expected["aggregation"] == "most_frequent_category", "text_value"].nunique() > 1

    # fct_member_traits: every row, decimals exactly
    actual_long = project.query(f"select {', '.join(LONG_COLUMNS)}, as_of_date from marts.fct_member_traits")
    _assert_same_rows(actual_long, _long_rows(expected, as_of), "fct_member_traits")

    # rpt_member_traits_wide: one row per member, the trait columns in trait_order, typed
    wide_expected = _wide_expected(expected, traits, traits_reference["members"])
    types = _column_types(project, "marts.rpt_member_traits_wide")
    assert [name for name, _ in types] == ["shop_id", "member_id", *DEFAULT_TRAITS, "as_of_date"]
    declared = dict(zip(traits["trait_name"], traits["aggregation"]))
    assert {name: kind for name, kind in types if name in declared} == {
        name: WIDE_TYPES[aggregation] for name, aggregation in declared.items()}
    wide = _by_key(_records(project, "select * from marts.rpt_member_traits_wide"))
    assert set(wide) == traits_reference["members"]
    assert {row["as_of_date"] for row in wide.values()} == {as_of}
    for name in DEFAULT_TRAITS:
        wrong = [(key, wide[key][name], wide_expected[key][name]) for key in wide
                 if wide[key][name] != wide_expected[key][name]]
        assert not wrong, f"rpt_member_traits_wide.{name}: {len(wrong)} members differ, e.g. {wrong[:5]}"

    # dim_member_360: the same values in its default trait columns
    dim = _by_key(_records(project, f"select shop_id, member_id, {', '.join(DEFAULT_TRAITS)} "
                                    "from marts.dim_member_360"))
    assert set(dim) == traits_reference["members"]
    for name in DEFAULT_TRAITS:
        wrong = [(key, dim[key][name], wide_expected[key][name]) for key in dim
                 if dim[key][name] != wide_expected[key][name]]
        assert not wrong, f"dim_member_360.{name}: {len(wrong)} members differ, e.g. {wrong[:5]}"


# --------------------------------------------------------------------------- 2. dim_member_360
def test_dim_member_360_equals_its_references_and_its_marts(tiny_build, tiny_raw, recomputed, replayed):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    as_of = date.fromisoformat(truth["as_of_date"])
    dim = _by_key(_records(project, "select * from marts.dim_member_360"))

    # one row per dim_members row, which is the recomputed population
    members = _by_key(_records(project, "select * from marts.dim_members"))
    assert set(dim) == set(members) == set(zip(recomputed.members["shop_id"], recomputed.members["member_id"]))
    assert {row["as_of_date"] for row in dim.values()} == {as_of}
    assert {row["tier_scheme"] for row in dim.values()} == {HEADLINE_SCHEME}
    _assert_columns_equal(dim, members, {column: column for column in (
        "member_source", "gender", "province", "city", "age_band", "is_registered_member", "is_buyer", "has_phone",
        "is_marketing_opt_out", "registered_date", "first_seen_date")}, "dim_members")
    _assert_columns_equal(dim, _by_key(recomputed.members.to_dict("records")),
                          {"registered_date": "registered_date", "first_seen_date": "first_seen_date"},
                          "recomputed members")

    # RFM: the independent pandas recomputation; non-buyers null
    rfm = expected_fct_member_rfm(raw_path, truth["as_of_date"], EARLIEST, _latest(truth))
    rfm = _by_key(rfm.to_dict("records"))
    assert 1000 < len(rfm) < len(dim)
    _assert_columns_equal(dim, rfm, {
        "rfm_segment": "rfm_segment", "recency_band": "recency_band", "recency_days": "recency_days",
        "r_score": "r_score", "f_score": "f_score", "m_score": "m_score", "rfm_frequency": "frequency",
        "rfm_monetary": "monetary", "average_order_value": "average_order_value",
        "loyalty_ladder_step": "loyalty_ladder_step", "first_purchase_date": "first_purchase_date",
        "last_purchase_date": "last_purchase_date"}, "expected_fct_member_rfm")

    # activity, loyalty and the matrix cell: the independent recomputation
    activity = _by_key(recomputed.activity.to_dict("records"))
    loyalty = _by_key(recomputed.loyalty.to_dict("records"))
    _assert_columns_equal(dim, activity, {
        "activity_level": "activity_level", "activity_group": "activity_group",
        "days_since_last_visit": "days_since_last_visit", "visit_days_in_window": "visit_days_in_window"},
        "recomputed activity")
    _assert_columns_equal(dim, loyalty, {"loyalty_level": "loyalty_level",
                                         "purchases_in_loyalty_window": "purchases_in_window"}, "recomputed loyalty")
    cells = {(row["activity_group"], row["loyalty_level"]): row["cell_name"]
             for row in read_diagnoses().to_dict("records")}
    wrong = [(key, row["activity_loyalty_cell"]) for key, row in dim.items()
             if row["activity_loyalty_cell"] != cells[(activity[key]["activity_group"], loyalty[key]["loyalty_level"])]]
    assert not wrong, wrong[:5]
    assert len({row["activity_loyalty_cell"] for row in dim.values()}) == 4

    # tiers: the replay's current period per scheme; the headline scheme's columns
    history = replayed.tier_history[replayed.tier_history["is_current"]]
    current = {(row["shop_id"], row["member_id"], row["scheme_name"]): row for row in history.to_dict("records")}
    summaries = {}
    for (shop_id, member_id, scheme), row in sorted(current.items()):
        summaries.setdefault((shop_id, member_id), []).append(f"{scheme}: {row['tier_name']}")
    headline = {(shop, member): row for (shop, member, scheme), row in current.items() if scheme == HEADLINE_SCHEME}
    assert len(headline) > 1000 and {row["tier_name"] for row in headline.values()} >= {"basic", "silver", "lapsed"}
    _assert_columns_equal(dim, headline, {"tier_name": "tier_name", "tier_rank": "tier_rank",
                                          "tier_since_date": "valid_from"}, "replayed tier history")
    wrong = [(key, row["tiers_by_scheme"], "; ".join(summaries.get(key, [])) or None) for key, row in dim.items()
             if row["tiers_by_scheme"] != ("; ".join(summaries.get(key, [])) or None)]
    assert not wrong, wrong[:5]
    tiers_mart = _by_key(_records(project, "select * from marts.fct_member_tiers_current "
                                           f"where scheme_name = '{HEADLINE_SCHEME}'"))
    _assert_columns_equal(dim, tiers_mart, {"next_tier_name": "next_tier_name", "gap_to_next_tier": "gap_to_next_tier",
                                            "is_near_upgrade": "is_near_upgrade", "tier_lapses_on": "lapses_on"},
                          "fct_member_tiers_current")

    # points: the replayed ledger and balance
    balance = _by_key(replayed.balance.to_dict("records"))
    last_movement = replayed.ledger.groupby(["shop_id", "member_id"])["movement_date"].max().to_dict()
    _assert_columns_equal(dim, balance, {"points_balance": "balance_points", "points_earned": "earned_points"},
                          "replayed points balance")
    wrong = [(key, row["points_last_movement_date"], last_movement.get(key)) for key, row in dim.items()
             if row["points_last_movement_date"] != last_movement.get(key)]
    assert not wrong, wrong[:5]

    # marts with their own independent tests: equal to the mart joined by key
    for table, columns in {
        "fct_member_lifecycle": {"lifecycle_stage": "lifecycle_stage",
                                 "lifecycle_stage_entered_date": "stage_entered_date"},
        "fct_member_purchase_profile": {column: column for column in (
            "top_category", "top_category_share_of_spend", "preferred_hour_band", "preferred_weekday_name")},
        "fct_member_service_rates": {column: column for column in (
            "cancel_rate", "return_exchange_rate", "complaint_rate", "review_rate", "average_rating")},
        "fct_member_forecasts": {"p_alive": "p_alive", "expected_purchases_90d": "expected_purchases_90d",
                                 "predicted_clv_365d": "predicted_clv_365d", "churn_risk_band": "churn_risk_band",
                                 "forecast_model_status": "model_status",
                                 "median_days_between_purchases": "median_days_between_purchases",
                                 "expected_next_purchase_date": "expected_next_purchase_date",
                                 "purchase_overdue_factor": "purchase_overdue_factor"},
    }.items():
        mart = _by_key(_records(project, f"select * from marts.{table}"))
        assert mart, table
        _assert_columns_equal(dim, mart, columns, table)

    # the latest contact and the sends of the 7 days ending on as_of_date: the raw send log
    sends = kept_sends(raw_path, EARLIEST, _latest(truth))
    sends = sends[[day <= as_of for day in sends["sent_date"]]]
    assert len(sends) > 100
    # sends on the window's first day (counted) and on the day before (not counted)
    assert {as_of - timedelta(days=6), as_of - timedelta(days=7)} <= set(sends["sent_date"])
    latest, last_7 = {}, Counter()
    for row in sends.sort_values(["sent_at", "send_id"]).to_dict("records"):
        key = (row["shop_id"], row["member_id"])
        latest[key] = (row["sent_date"], row["audience"], row["channel"])
        last_7[key] += row["sent_date"] >= as_of - timedelta(days=6)
    assert sum(last_7.values()) > 0 and any(value == 0 for value in last_7.values())
    wrong = [(key, row) for key, row in dim.items()
             if (row["last_contact_date"], row["last_contact_audience"], row["last_contact_channel"],
                 row["contacts_in_last_7_days"]) != (*latest.get(key, (None, None, None)), last_7.get(key, 0))]
    assert not wrong, [(key, {k: v for k, v in row.items() if "contact" in k}) for key, row in wrong[:5]]

    # today's audiences: fct_campaign_audiences, by priority then code
    audiences = _records(project, "select shop_id, member_id, audience, priority, is_suppressed, is_holdout "
                                  "from marts.fct_campaign_audiences")
    assert audiences
    today = {}
    for row in sorted(audiences, key=lambda row: (row["priority"], row["audience"])):
        today.setdefault((row["shop_id"], row["member_id"]), []).append(row)
    wrong = []
    for key, row in dim.items():
        mine = today.get(key, [])
        let_through = [item["audience"] for item in mine if not item["is_suppressed"]]
        assert len(let_through) <= 1, (key, let_through)  # the contact rules let one audience through
        expected = (len(mine), ", ".join(item["audience"] for item in mine) or None,
                    let_through[0] if let_through else None, any(item["is_holdout"] for item in mine))
        if (row["audiences_today"], row["todays_audiences"], row["todays_contact_audience"],
                row["is_holdout_today"]) != expected:
            wrong.append((key, expected))
    assert not wrong, wrong[:5]
    assert any(len(mine) > 1 for mine in today.values())


# --------------------------------------------------------------------------- 3. a trait from a seed row
class ScratchProject(DbtProject):
    """A copy of the project (its own bin/dbt, seeds and models) with its own warehouse."""

    def __init__(self, home: Path, raw_path: Path, root: Path):
        super().__init__(home, raw_path)
        self.root = root

    def env(self) -> dict[str, str]:
        env = super().env()
        env["MEMBER_ANALYTICS_VENV"] = str(ROOT / ".venv")
        env.pop("DBT_PROJECT_DIR", None)  # the copy's bin/_env.sh points it at the copy
        env.pop("MEMBER_ANALYTICS_HOME", None)
        return env

    def dbt(self, *args: str, vars: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.root / "bin" / "dbt"), *args]
        if vars:
            command += ["--vars", json.dumps(vars)]
        result = subprocess.run(command, env=self.env(), capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
        return result

    @property
    def seed(self) -> Path:
        return self.root / "seeds" / "member_traits.csv"


@pytest.fixture(scope="module")
def scratch(tiny_build, tmp_path_factory) -> ScratchProject:
    """The project copied (code only) with a copy of the tiny build's warehouse."""
    project, _ = tiny_build
    base = tmp_path_factory.mktemp("member_360_scratch")
    shutil.copytree(ROOT, base / "project", ignore=shutil.ignore_patterns(
        ".venv", ".git", "target", "logs", "warehouse", "data", "reports", "exports", "build", "secrets",
        "__pycache__", "pytests", "docs", "tinyA", ".pytest_cache"))
    copy = ScratchProject(base / "home", project.raw_path, base / "project")
    copy.warehouse.parent.mkdir(parents=True)
    shutil.copy(project.warehouse, copy.warehouse)
    return copy


def test_a_trait_added_by_a_seed_row_appears_in_the_long_and_the_wide_tables(scratch, tiny_build, traits_reference):
    """Two rows appended to the seed (no SQL changed): order lines of one real category
    in 90 days, and the most-viewed product in 14 days (a behaviour event type); the
    file lists trait 19 before 18, the columns follow trait_order. Only the seed and the
    two trait models are built again, on a copy of the tiny build's warehouse."""
    _, truth = tiny_build
    as_of = date.fromisoformat(truth["as_of_date"])
    events, categories = traits_reference["events"], traits_reference["categories"]
    # the category bought on most order lines in the window (so the trait has members)
    lines = events[(events["source_table"] == "order_items")
                   & (events["event_date"] >= as_of - timedelta(days=89))]
    bought = Counter(categories.get((shop, product)) for shop, product in zip(lines["shop_id"], lines["product_id"]))
    bought.pop(None, None)
    category = sorted(bought, key=lambda name: (-bought[name], name))[0]
    scratch.seed.write_text(scratch.seed.read_text(encoding="utf-8").rstrip("\n") + "\n"
                            + "19,most_viewed_product_last_14_days,behaviour_events,view,,most_frequent_product,14,"
                              "Product viewed most in the last 14 days\n"
                            + f"18,bought_top_category_last_90_days,order_items,,{category},count,90,"
                              "Order lines of one category in the last 90 days\n", encoding="utf-8")
    scratch.dbt("build", "--select", "member_traits", "fct_member_traits", "rpt_member_traits_wide",
                *NO_UNIT_TESTS, vars=build_vars(truth))

    traits = read_traits(scratch.seed)
    names = list(traits["trait_name"])
    assert names == [*DEFAULT_TRAITS, "bought_top_category_last_90_days", "most_viewed_product_last_14_days"]
    expected = expected_traits(events, traits, categories, truth["as_of_date"], traits_reference["members"])
    new = Counter(expected["trait_name"])
    assert new["bought_top_category_last_90_days"] >= 3 and new["most_viewed_product_last_14_days"] >= 3, new
    actual = scratch.query(f"select {', '.join(LONG_COLUMNS)}, as_of_date from marts.fct_member_traits")
    _assert_same_rows(actual, _long_rows(expected, as_of), "fct_member_traits with two declared traits more")

    types = _column_types(scratch, "marts.rpt_member_traits_wide")
    assert [name for name, _ in types] == ["shop_id", "member_id", *names, "as_of_date"]
    assert types[-3:-1] == [("bought_top_category_last_90_days", "BIGINT"),
                            ("most_viewed_product_last_14_days", "VARCHAR")]
    wide = _by_key(_records(scratch, "select * from marts.rpt_member_traits_wide"))
    wide_expected = _wide_expected(expected, traits, traits_reference["members"])
    assert set(wide) == set(wide_expected)
    for name in names[-2:]:
        wrong = [(key, wide[key][name], wide_expected[key][name]) for key in wide
                 if wide[key][name] != wide_expected[key][name]]
        assert not wrong, f"rpt_member_traits_wide.{name}: {len(wrong)} members differ, e.g. {wrong[:5]}"


# --------------------------------------------------------------------------- 4. bad seed rows
BAD_ROWS = {
    "sum_amount_on_visits": ("18,visit_spend,visits,,,sum_amount,30,x",
                             ["trait 'visit_spend' (trait_order 18)",
                              "column aggregation is 'sum_amount', which source_table visits does not support"]),
    "unknown_source_table": ("18,page_hits,web_logs,,,count,30,x",
                             ["trait 'page_hits' (trait_order 18)", "column source_table is 'web_logs'"]),
    "name_not_an_identifier": ('18,"x; drop table y",orders,,,count,30,x',
                               ["trait 'x; drop table y' (trait_order 18)",
                                "column trait_name must be a lower-case identifier"]),
    "misspelt_event_type": ("18,recent_returns,service_events,retrun,,count,30,x",
                            ["trait 'recent_returns' (trait_order 18)",
                             "column event_type names 'retrun', not a type of service_events"]),
    "category_without_products": ("18,skincare_spend,orders,,护肤,sum_amount,30,x",
                                  ["trait 'skincare_spend' (trait_order 18)",
                                   "column category applies to sources with a product"]),
    "zero_window": ("18,orders_today_or_never,orders,,,count,0,x",
                    ["trait 'orders_today_or_never' (trait_order 18)",
                     "column window_days must be a positive number of days"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_seed_row_is_a_compile_error_naming_the_trait_and_the_column(scratch, tiny_build, case):
    """The seed loads (the macro, not a data test, stops the row), then compiling
    fct_member_traits fails with the trait and the column named; nothing is built."""
    _, truth = tiny_build
    row, fragments = BAD_ROWS[case]
    default = (ROOT / "seeds" / "member_traits.csv").read_text(encoding="utf-8").rstrip("\n")
    scratch.seed.write_text(default + "\n" + row + "\n", encoding="utf-8")
    result = scratch.dbt("build", "--select", "member_traits", "fct_member_traits", "--resource-type", "seed",
                         "--resource-type", "model", vars=build_vars(truth), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "1 of 2 OK loaded seed file" in output, output[-3000:]
    assert "Compilation Error in model fct_member_traits" in output, output[-3000:]
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{output[-3000:]}"
