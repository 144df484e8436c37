"""Campaign audiences and the care calendar (issue 9) on the tiny sample: the
generator's ground truth (upcoming birthdays, 3+3+3 follow-ups due) recovered
exactly; the recency offers and the contact rules recomputed with pandas from
the raw files and seeds; the day-before evaluation equal to a separate build
at that day; switching audiences off and refusing hostile var values; and the
worked questions of analyses/campaigns executed and checked."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from .conftest import ROOT, DbtProject, build_vars
from .reference import expected_fct_orders, read_raw
from .reference_campaigns import NEVER_HELD_OUT, SendLog, holdout_arm

pytestmark = pytest.mark.dbt

LATEST = "2030-12-31"


def _seed(name: str) -> pd.DataFrame:
    with open(ROOT / "seeds" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return pd.DataFrame(list(csv.DictReader(handle)))


@pytest.fixture(scope="module")
def audiences(tiny_build):
    project, truth = tiny_build
    frame = project.frame("select * from marts.fct_campaign_audiences")
    assert len(frame) > 0
    return project, truth, frame


def test_upcoming_birthdays_are_the_ground_truth(audiences):
    project, truth, frame = audiences
    expected = {(row["shop_id"], row["member_id"], row["birthday_date"]) for row in truth["upcoming_birthdays"]}
    assert expected, "the tiny sample plants upcoming birthdays"
    calendar = project.frame(
        "select shop_id, member_id, care_date from marts.fct_care_calendar "
        "where care_type = 'birthday' and days_until between 1 and 30")
    got = {(row.shop_id, row.member_id, str(row.care_date)[:10]) for row in calendar.itertuples()}
    assert got == expected
    as_of = pd.Timestamp(truth["as_of_date"])
    birthday = frame[frame["audience"] == "birthday_care"]
    ahead = birthday[(pd.to_datetime(birthday["occasion_date"]) - as_of).dt.days.between(1, 30)]
    assert {(r.shop_id, r.member_id, str(r.occasion_date)[:10]) for r in ahead.itertuples()} == expected


def test_followups_due_are_the_ground_truth(audiences):
    _, truth, frame = audiences
    expected = {(row["shop_id"], row["member_id"], row["followup"]) for row in truth["first_purchase_followups"]}
    assert expected, "the tiny sample plants 3+3+3 follow-ups"
    due = frame[frame["audience"] == "first_purchase_followup"]
    assert {(r.shop_id, r.member_id, r.occasion) for r in due.itertuples()} == expected


def test_recency_offers_recomputed_from_raw_orders(audiences, tiny_raw):
    _, truth, frame = audiences
    raw_path, _ = tiny_raw
    orders = expected_fct_orders(raw_path, truth["as_of_date"], "1990-01-01", LATEST)
    valid = orders[orders["is_valid_purchase"]]
    last = valid.assign(ordered_date=valid["ordered_at"].dt.normalize()).groupby(["shop_id", "member_id"])["ordered_date"].max()
    recency = (pd.Timestamp(truth["as_of_date"]) - last).dt.days
    silent = {key for key, days in recency.items() if 91 <= days <= 180}
    sleeping = {key for key, days in recency.items() if 181 <= days <= 270}
    assert silent and sleeping
    got = lambda audience: {(r.shop_id, r.member_id) for r in frame[frame["audience"] == audience].itertuples()}  # noqa: E731
    assert got("silent_period_offer") == silent
    assert got("sleeping_winback") == sleeping


def test_contact_rules_recomputed_with_pandas(audiences, tiny_raw):
    project, truth, frame = audiences
    raw_path, _ = tiny_raw
    members = project.frame(
        "select shop_id, member_id, has_phone, is_marketing_opt_out, is_buyer, registered_date from marts.dim_members")
    complaints = project.frame(
        "select shop_id, member_id, max(occurred_date) as last_complaint_date from marts.fct_service_events "
        "where event_type = 'complaint' group by all")
    seeds = _seed("campaign_audiences").set_index("audience")
    channels = _seed("contact_channels").set_index("channel")["requirement"]
    as_of = pd.Timestamp(truth["as_of_date"])
    contacts = SendLog(read_raw(raw_path, "campaign_sends"), as_of)
    rows = frame.merge(members, on=["shop_id", "member_id"], how="left").merge(
        complaints, on=["shop_id", "member_id"], how="left")
    # any valid purchase by as_of_date makes a buyer; dim_members.is_buyer counts any order, so recompute
    valid_buyers = set(map(tuple, project.frame(
        "select distinct shop_id, member_id from marts.fct_orders where is_valid_purchase").to_numpy()))

    def usable(row) -> bool:
        requirement = channels[seeds.loc[row.audience, "channel"]]
        if requirement == "phone":
            return bool(row.has_phone)
        if requirement == "registered_member":
            return pd.notna(row.registered_date) and pd.Timestamp(row.registered_date) <= as_of
        if requirement == "buyer":
            return (row.shop_id, row.member_id) in valid_buyers
        return requirement == "none"

    reasons = {}
    for row in rows.itertuples():
        marketing = seeds.loc[row.audience, "message_kind"] == "marketing"
        complained = pd.notna(row.last_complaint_date) and (as_of - pd.Timestamp(row.last_complaint_date)).days <= 30
        if marketing and row.is_marketing_opt_out:
            reasons[(row.shop_id, row.member_id, row.audience)] = "marketing_opt_out"
        elif marketing and complained:
            reasons[(row.shop_id, row.member_id, row.audience)] = "recent_complaint"
        elif not usable(row):
            reasons[(row.shop_id, row.member_id, row.audience)] = "no_usable_channel"
        elif marketing and contacts.recent(row.shop_id, row.member_id):
            reasons[(row.shop_id, row.member_id, row.audience)] = "recently_contacted"
        elif marketing and contacts.at_weekly_cap(row.shop_id, row.member_id):
            reasons[(row.shop_id, row.member_id, row.audience)] = "weekly_contact_cap"
        else:
            reasons[(row.shop_id, row.member_id, row.audience)] = None
    eligible = [(key, int(seeds.loc[key[2], "priority"])) for key, reason in reasons.items() if reason is None]
    eligible.sort(key=lambda item: (item[0][0], item[0][1], item[1], item[0][2]))
    seen: dict[tuple, int] = {}
    for key, _ in eligible:
        seen[key[:2]] = seen.get(key[:2], 0) + 1
        if seen[key[:2]] > 1:  # the default daily cap
            reasons[key] = "daily_cap"
        elif holdout_arm(*key) == "holdout":  # the holdout takes the slot
            reasons[key] = "holdout"
    got = {(r.shop_id, r.member_id, r.audience): (None if pd.isna(r.suppression_reason) else r.suppression_reason)
           for r in frame.itertuples()}
    assert got == reasons
    assert set(got.values()) >= {None, "marketing_opt_out", "no_usable_channel", "daily_cap", "holdout",
                                 "recently_contacted", "weekly_contact_cap"}
    assert (frame["is_suppressed"] == frame["suppression_reason"].notna()).all()
    arms = {(r.shop_id, r.member_id, r.audience): r.arm for r in frame.itertuples()}
    assert arms == {key: holdout_arm(*key) for key in arms}
    held = frame[frame["arm"] == "holdout"]
    assert 0.05 < len(held) / len(frame[~frame["audience"].isin(list(NEVER_HELD_OUT))]) < 0.15
    assert not held["audience"].isin(list(NEVER_HELD_OUT)).any()


def test_day_before_equals_a_build_at_that_day(tiny_build, tiny_raw, tmp_path):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    as_of = date.fromisoformat(truth["as_of_date"])
    before = (as_of - timedelta(days=1)).isoformat()
    shop = sorted(truth["shops"])[0]
    other = DbtProject(tmp_path / "day_before", raw_path)
    # the models only: tiny_build runs their data and unit tests
    other.dbt("build", "--select", "+fct_campaign_audiences", "--exclude", "test_type:data", "test_type:unit",
              vars={"as_of_date": before, "member_analytics__validation__latest_valid_date": LATEST,
                    "member_analytics__audiences__disabled": ["holiday_greeting"],
                    "member_analytics__audiences__disabled_by_shop": {shop: ["high_loyalty_reward"]}})
    separate = other.frame("select shop_id, member_id, audience, is_suppressed from marts.fct_campaign_audiences")
    assert len(separate) > 0
    assert "holiday_greeting" not in set(separate["audience"])
    assert not ((separate["shop_id"] == shop) & (separate["audience"] == "high_loyalty_reward")).any()
    assert ((separate["shop_id"] != shop) & (separate["audience"] == "high_loyalty_reward")).any()
    recomputed = project.frame(
        "select shop_id, member_id, audience, is_suppressed from audience_rules.fct_campaign_audience_days "
        f"where not is_as_of_date and audience <> 'holiday_greeting' "
        f"and not (shop_id = '{shop}' and audience = 'high_loyalty_reward')")
    key = ["shop_id", "member_id", "audience"]
    joined = recomputed.merge(separate, on=key, how="outer", suffixes=("_recomputed", "_separate"), indicator=True)
    # refunds dated on as_of_date are known to the recomputation (decision 0060): the only allowed
    # differences are members whose orders were refunded on as_of_date
    orders = project.frame(
        "select distinct shop_id, member_id from marts.fct_orders where refund_date = "
        f"date '{truth['as_of_date']}'")
    refunded = set(map(tuple, orders.to_numpy()))
    differing = joined[(joined["_merge"] != "both")
                       | (joined["is_suppressed_recomputed"] != joined["is_suppressed_separate"])]
    # the audiences switched off in the separate build stay on in the recomputation, where they take
    # the daily cap from the member's lower-priority audiences (repurchase_due, priority 16, is the
    # only one below them): such a row may be capped in the recomputation only. A held-out row
    # takes the slot as a sent one does (decision 0123).
    capping = project.frame(
        "select shop_id, member_id, min(priority) as priority from audience_rules.fct_campaign_audience_days "
        "where not is_as_of_date and (not is_suppressed or suppression_reason = 'holdout') "
        "and (audience = 'holiday_greeting' "
        f"or (shop_id = '{shop}' and audience = 'high_loyalty_reward')) group by all")
    capped_below = {(row.shop_id, row.member_id): row.priority for row in capping.itertuples()}
    recomputed_rows = project.frame(
        "select shop_id, member_id, audience, suppression_reason, priority "
        "from audience_rules.fct_campaign_audience_days where not is_as_of_date").set_index(key)

    def explained(row) -> bool:
        if (row.shop_id, row.member_id) in refunded:
            return True
        if row.side != "both" or (row.shop_id, row.member_id) not in capped_below:
            return False
        recomputed = recomputed_rows.loc[(row.shop_id, row.member_id, row.audience)]
        return (recomputed["suppression_reason"] == "daily_cap" and not row.is_suppressed_separate
                and recomputed["priority"] > capped_below[(row.shop_id, row.member_id)])
    unexplained = [row for row in differing.rename(columns={"_merge": "side"}).itertuples() if not explained(row)]
    assert unexplained == [], unexplained[:10]
    summary = project.frame("select shop_id, audience, members_day_before from marts.rpt_audience_summary")
    counts = project.frame("select shop_id, audience, count(*) as members from audience_rules.fct_campaign_audience_days "
                           "where not is_as_of_date group by all").set_index(["shop_id", "audience"])["members"]
    assert counts.sum() > 0
    for row in summary.itertuples():
        assert row.members_day_before == counts.get((row.shop_id, row.audience), 0)


@pytest.mark.parametrize("value", ["x'); drop table marts.dim_members; --", "a b"])
def test_hostile_audience_codes_are_refused(tiny_build, value, tmp_path):
    project, truth = tiny_build
    other = DbtProject(tmp_path / "hostile", project.raw_path)
    result = other.dbt("compile", "--select", "fct_audience_candidates", check=False,
                       vars={**build_vars(truth), "member_analytics__audiences__disabled": [value]})
    assert result.returncode != 0
    assert "member_analytics__audiences__disabled" in result.stdout and "not a code" in result.stdout


@pytest.fixture(scope="module")
def campaign_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/campaigns", vars=build_vars(truth))
    return project, truth


def _answer(project, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "campaigns" / f"{name}.sql"
    return project.frame(path.read_text())


def test_analysis_messages_going_out_today(campaign_analyses):
    project, _ = campaign_analyses
    answer = _answer(project, "messages_going_out_today").set_index(["shop_id", "channel"])
    # recomputed from the day's rows of the intermediate model, not the mart the analysis reads
    rows = project.frame("select shop_id, channel, suppression_reason from audience_rules.fct_campaign_audience_days "
                         "where is_as_of_date")
    assert answer["messages_to_send"].sum() == rows["suppression_reason"].isna().sum() > 0
    for (shop, channel), group in rows.groupby(["shop_id", "channel"]):
        assert answer.loc[(shop, channel), "messages_to_send"] == group["suppression_reason"].isna().sum()
        assert answer.loc[(shop, channel), "held_daily_cap"] == (group["suppression_reason"] == "daily_cap").sum()
        assert answer.loc[(shop, channel), "held_no_channel"] == (
            group["suppression_reason"] == "no_usable_channel").sum()
    # each member gets at most one message a day (the default cap)
    sent = project.frame("select shop_id, member_id from marts.fct_campaign_audiences where not is_suppressed")
    assert not sent.duplicated().any()


def test_analysis_gold_and_diamond_birthdays_next_week(campaign_analyses, tiny_raw):
    project, truth = campaign_analyses
    answer = _answer(project, "gold_and_diamond_birthdays_next_week")
    # recomputed from the generator's birthdays and the tier history on as_of_date
    as_of = pd.Timestamp(truth["as_of_date"])
    tiers = project.frame(
        "select shop_id, member_id, tier_name from marts.fct_member_tier_history where scheme_name = 'by_net_spend' "
        f"and valid_from <= date '{truth['as_of_date']}' "
        f"and (valid_to is null or valid_to > date '{truth['as_of_date']}')").set_index(["shop_id", "member_id"])
    expected = set()
    for row in truth["upcoming_birthdays"]:
        key = (row["shop_id"], row["member_id"])
        if row["days_until"] <= 7 and key in tiers.index and tiers.loc[key, "tier_name"] in ("gold", "diamond"):
            expected.add((*key, row["birthday_date"]))
    members = project.frame("select shop_id, member_id, coalesce(birth_month, 0) as birth_month, "
                            "coalesce(birth_day, 0) as birth_day, registered_date from marts.dim_members")
    for row in members.itertuples():  # birthdays today are in the calendar, not in the generator's list (1-30 days)
        key = (row.shop_id, row.member_id)
        if (row.birth_month == as_of.month and row.birth_day == as_of.day and pd.notna(row.registered_date)
                and key in tiers.index and tiers.loc[key, "tier_name"] in ("gold", "diamond")):
            expected.add((*key, str(as_of.date())))
    got = {(r.shop_id, r.member_id, str(r.birthday_date)[:10]) for r in answer.itertuples()}
    assert got == expected
    assert list(answer["days_until"]) == sorted(answer["days_until"])


def test_analysis_members_we_cannot_reach(campaign_analyses):
    project, _ = campaign_analyses
    answer = _answer(project, "members_we_cannot_reach")
    summary = project.frame("select shop_id, audience, members, no_channel_members from marts.rpt_audience_summary "
                            "where no_channel_members > 0").set_index(["shop_id", "audience"])
    assert len(answer) == len(summary) > 0
    for row in answer.itertuples():
        assert row.unreachable_members == summary.loc[(row.shop_id, row.audience), "no_channel_members"]
        assert row.members == summary.loc[(row.shop_id, row.audience), "members"]
        assert row.unreachable_share == pytest.approx(row.unreachable_members / row.members, abs=1e-12)
    assert list(answer["unreachable_members"]) == sorted(answer["unreachable_members"], reverse=True)


def test_analysis_audiences_that_paid_off(campaign_analyses):
    project, truth = campaign_analyses
    answer = _answer(project, "audiences_that_paid_off")
    lift = project.frame("select * from marts.rpt_campaign_lift")
    start = (pd.Timestamp(truth["as_of_date"]).to_period("M") - 3).to_timestamp()
    recent = lift[pd.to_datetime(lift["assignment_month"]) >= start]
    pooled = recent.groupby(["shop_id", "audience"]).agg(
        n_t=("treatment_members", "sum"), n_h=("holdout_members", "sum"), x_t=("treatment_conversions", "sum"),
        x_h=("holdout_conversions", "sum")).reset_index()
    assert len(answer) == len(pooled) > 0
    got = answer.set_index(["shop_id", "audience"])
    for row in pooled.itertuples():
        p_t, p_h = row.x_t / row.n_t, row.x_h / row.n_h
        error = 1.959963984540054 * np.sqrt(p_t * (1 - p_t) / row.n_t + p_h * (1 - p_h) / row.n_h)
        mine = got.loc[(row.shop_id, row.audience)]
        assert mine["conversion_lift"] == pytest.approx(p_t - p_h, abs=1e-12)
        assert (mine["conversion_lift_lower_95"], mine["conversion_lift_upper_95"]) == pytest.approx(
            (p_t - p_h - error, p_t - p_h + error), abs=1e-12)
    assert list(answer["conversion_lift"]) == sorted(answer["conversion_lift"], reverse=True)


def test_analysis_members_contacted_too_often(campaign_analyses):
    project, _ = campaign_analyses
    answer = _answer(project, "members_contacted_too_often").set_index(["shop_id", "audience"])
    rows = project.frame("select shop_id, audience, suppression_reason, arm from audience_rules.fct_campaign_audience_days "
                         "where is_as_of_date")
    counted = 0
    for (shop, audience), group in rows.groupby(["shop_id", "audience"]):
        recent = int((group["suppression_reason"] == "recently_contacted").sum())
        capped = int((group["suppression_reason"] == "weekly_contact_cap").sum())
        held = int((group["arm"] == "holdout").sum())
        if recent + capped + held == 0:
            assert (shop, audience) not in answer.index
            continue
        assert tuple(answer.loc[(shop, audience), ["recently_contacted", "weekly_cap_reached", "in_holdout"]]) == (
            recent, capped, held)
        counted += recent + capped
    assert counted > 0


def test_export_contacts_writes_each_shop_without_personal_data(tiny_build, tmp_path):
    from member_analytics.exports.contacts import COLUMNS, ExportError, export_contacts

    project, truth = tiny_build
    written = export_contacts(project.warehouse, tmp_path / "all")
    expected = project.frame("select shop_id, count(*) as n from marts.fct_campaign_audiences "
                             "where not is_suppressed group by shop_id").set_index("shop_id")["n"]
    assert written == expected.to_dict() and set(written) == set(truth["shops"])
    for shop, rows in written.items():
        frame = pd.read_csv(tmp_path / "all" / f"{shop}.csv", dtype=str)
        assert list(frame.columns) == COLUMNS and len(frame) == rows
        assert not {"phone", "phone_hash", "nickname_hash", "birth_month", "birth_day", "reason"} & set(frame.columns)
    one = sorted(truth["shops"])[1]
    assert export_contacts(project.warehouse, tmp_path / "one", [one]) == {one: written[one]}
    assert [path.name for path in (tmp_path / "one").iterdir()] == [f"{one}.csv"]
    with pytest.raises(ExportError, match="unknown shop"):
        export_contacts(project.warehouse, tmp_path / "bad", ["no_such_shop"])
