"""A shop's campaign history: `campaign_assignments` and `campaign_sends` with a planted uplift.

Four marketing audiences of seeds/campaign_audiences.csv (LIFT_AUDIENCES) get one
campaign a month each over the MONTHS calendar months before the as-of date's month and
in that month while days fit, each on its own day D in its own week of the month (days
1-7, 8-14, 15-21, 22-28; the audiences rotate over the weeks, unless another order lets
more of them have a converter in the holdout pool). Within its week a campaign takes the
day whose pool has the most converters. The pool: members registered by D who are in no
planted case (customers.plant == NONE) and not opted out of marketing. The holdout hash
(`holdout_unit`, the spec's md5 of salt|shop_id|audience|member_id, holdout below
HOLDOUT_SHARE) splits the pool into the two arms' candidates; the shop sends on D+1
(a daytime hour) to the treatment arm, except about UNSENT_SHARE of it.

The uplift is planted by choosing whom a campaign assigned, never by touching orders:
each member's outcome is read from the shop's own orders (the first valid purchase as of
the as-of date, by ordered_at and order id, with its order day in [D+1, D+W], W the
channel's window, and its net amount). The holdout arm gets Binomial(n_h, base)
converters and the treatment arm Binomial(n_t, base + uplift), the rest non-converters,
each drawn at random from its arm's candidates. An arm is as large as the candidates'
converters allow: the largest n for which the draw exceeds them with a chance of at most
OVERFLOW (a draw that does is drawn again, so realized rates run a little under the
planted ones, most at the tiny scale). When the audience's base rate would leave a
holdout under MIN_HOLDOUT members, the campaign's base rate is lowered until it does not
(base_conversion in the ground truth is the campaign's); below MIN_BASE the campaign is
left out. The uplift stays the audience's.

Every window is complete (D + W <= as_of_date) and every campaign send is dated before the
last RECENT_DAYS + 1 days, which hold only the planted contact-fatigue sends (marketing
messages of CONTACT_AUDIENCES, without an assignment: 1, 2 or 3-5 sends in the last 7
days, some on the as-of date, and 3 sends on as_of - 7, as_of - 3 and as_of, of which a
7-day window ending on the as-of date holds two).

The Planter's dirty order rows never change a clean order's verdict (rejected rows have
fresh order ids; copies and older versions lose to the clean row), so the outcomes read
here are the ones the warehouse computes. Both tables are written clean.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import stats

from . import text
from .customers import NONE
from .scales import Shop
from .seasons import Calendar
from .shop import ShopData
from .truth import refunds, valid_purchases
from .vocab import FLAG_SPELLINGS

SALT = "member_analytics"
HOLDOUT_SHARE = 0.10
WINDOW_DAYS = {"sms": 7, "app_message": 5, "chat": 3}
ARMS = ("treatment", "holdout")


@dataclass(frozen=True)
class Audience:
    code: str
    channel: str          # as in seeds/campaign_audiences.csv
    offer: str | None
    base: float           # holdout conversion rate planted
    uplift: float         # true absolute conversion uplift of the treatment arm


LIFT_AUDIENCES = (
    Audience("sleeping_winback", "sms", "coupon_20", 0.03, 0.04),
    Audience("silent_period_offer", "sms", "coupon_10", 0.04, 0.05),
    Audience("category_coupon", "app_message", "category_coupon_15", 0.03, 0.08),
    Audience("stimulus_offer", "app_message", "gift_with_purchase", 0.02, 0.06),
)
# Marketing messages of the last days (contact fatigue); sent without an assignment.
CONTACT_AUDIENCES = (
    Audience("promotion_recall", "app_message", "cart_reminder", 0.0, 0.0),
    Audience("big_promotion_focus", "sms", "early_bird_coupon", 0.0, 0.0),
    Audience("tipping_point_nudge", "app_message", None, 0.0, 0.0),
    Audience("repurchase_due", "app_message", None, 0.0, 0.0),
)
MONTHS = 6               # full calendar months before the as-of date's month
WEEKS = 4                # a month's campaign days: days 1-7, 8-14, 15-21, 22-28
UNSENT_SHARE = 0.03
OVERFLOW = 0.025
MIN_HOLDOUT = 25         # a holdout's base rate is lowered until it allows this size
MIN_BASE = 0.005         # ... but not below this (the campaign is left out)
MIN_TREATMENT = 10
RECENT_DAYS = 7          # fatigue window: sends dated as_of - 6 .. as_of
SEND_HOURS = (9, 21)     # sends go out between 09:00 and 20:59
DEFINITIONS = {
    "holdout_hash": "unit = int(md5(salt + '|' + shop_id + '|' + audience + '|' + member_id)"
                    ".hexdigest()[:8], 16) / 2**32; arm holdout iff unit < holdout_share",
    "outcome": "the member's first valid purchase (valid_purchase as of as_of_date, refunds "
               "dated up to as_of_date applied; first by ordered_at, order_id) with its order "
               "date in [assigned_date + 1, assigned_date + window_days]; converted = it "
               "exists; net amount = paid_amount - applied refund",
    "campaigns": "one row per shop, audience and assigned_date (one campaign per audience "
                 "and month); arms by assignment (intention to treat; treatment_sent of the "
                 "treatment arm have a send); conversions and net revenue per arm by the "
                 "outcome; the holdout arm was drawn with conversion base_conversion, the "
                 "treatment arm with base_conversion + true_conversion_uplift; "
                 "true_revenue_uplift_per_member = true_conversion_uplift x "
                 "mean_first_purchase_net_amount, the mean net amount of the outcome purchase "
                 "over the converters of the campaign's pool (members registered by "
                 "assigned_date, pool_members of them)",
    "recent_contacts": "every member with a send dated as_of_date - 7 .. as_of_date: "
                       "sends_in_7_days counts sends dated as_of_date - 6 .. as_of_date, "
                       "sends_on_as_of_date those dated as_of_date",
}


def holdout_unit(shop_id: str, audience: str, member_id: str, salt: str = SALT) -> float:
    digest = hashlib.md5(f"{salt}|{shop_id}|{audience}|{member_id}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 2 ** 32


@dataclass
class Campaign:
    audience: Audience
    base: float                # the holdout's conversion rate drawn (audience's or lower)
    day: int                   # assigned date D (day index)
    treatment: np.ndarray      # customers
    holdout: np.ndarray
    unsent: np.ndarray         # treatment customers without a send
    converted: dict            # customer -> net cents of the outcome purchase
    pool_members: int
    pool_converters: int
    pool_mean_cents: float     # mean net amount of the pool converters' outcome purchases

    @property
    def window(self) -> int:
        return WINDOW_DAYS[self.audience.channel]


@dataclass
class Sends:
    customer: np.ndarray
    audience: np.ndarray       # index into AUDIENCE_CODES
    sent: np.ndarray           # seconds


AUDIENCE_LIST = LIFT_AUDIENCES + CONTACT_AUDIENCES
AUDIENCE_CODES = tuple(a.code for a in AUDIENCE_LIST)


@dataclass
class CampaignHistory:
    shop: Shop
    calendar: Calendar
    campaigns: list[Campaign]
    sends: Sends
    contact_cases: dict        # customer -> planted fatigue case

    def tables(self, member_ids: pa.Array) -> dict[str, pa.Table]:
        shop, s = self.shop, self.sends
        channels = [a.channel for a in AUDIENCE_LIST]
        offers = [a.offer for a in AUDIENCE_LIST]
        sends = text.table({
            "shop_id": text.constant(shop.shop_id, len(s.customer)),
            "send_id": pa.array([f"MSG{shop.number:02d}{i:09d}"
                                 for i in range(1, len(s.customer) + 1)], pa.string()),
            "member_id": member_ids.take(pa.array(s.customer)),
            "audience": text.choices(AUDIENCE_CODES, s.audience),
            "sent_at": text.timestamps(s.sent),
            "offer": pa.array([offers[a] for a in s.audience.tolist()], pa.string()),
            "channel": text.choices(channels, s.audience),
        })
        rows = [(c.day, AUDIENCE_CODES.index(c.audience.code), int(member), arm)
                for c in self.campaigns
                for arm, members in enumerate((c.treatment, c.holdout)) for member in members]
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        day, audience, member, arm = (np.array([r[i] for r in rows], np.int64) for i in range(4))
        assignments = text.table({
            "shop_id": text.constant(shop.shop_id, len(rows)),
            "member_id": member_ids.take(pa.array(member)),
            "audience": text.choices(AUDIENCE_CODES, audience),
            "assigned_date": text.dates(self.calendar.day_start(day)),
            "arm": text.choices(ARMS, arm),
        })
        return {"campaign_sends": sends, "campaign_assignments": assignments}

    def truth_campaigns(self) -> list[dict]:
        rows = []
        for c in self.campaigns:
            date = self.calendar.start + c.day
            arms = {}
            for arm, members in (("treatment", c.treatment), ("holdout", c.holdout)):
                cents = [c.converted[m] for m in members.tolist() if m in c.converted]
                arms[arm] = (len(cents), f"{sum(cents) / 100:.2f}")
            a = c.audience
            rows.append({
                "shop_id": self.shop.shop_id, "audience": a.code, "channel": a.channel,
                "month": str(date)[:7], "assigned_date": str(date),
                "send_date": str(date + 1), "window_days": c.window,
                "window_end_date": str(date + c.window),
                "treatment_members": len(c.treatment), "holdout_members": len(c.holdout),
                "treatment_sent": len(c.treatment) - len(c.unsent),
                "treatment_conversions": arms["treatment"][0],
                "holdout_conversions": arms["holdout"][0],
                "treatment_net_revenue": arms["treatment"][1],
                "holdout_net_revenue": arms["holdout"][1],
                "base_conversion": c.base, "true_conversion_uplift": a.uplift,
                "mean_first_purchase_net_amount": round(c.pool_mean_cents / 100, 4),
                "true_revenue_uplift_per_member": round(a.uplift * c.pool_mean_cents / 100, 4),
                "pool_members": c.pool_members, "pool_converters": c.pool_converters,
            })
        return rows

    def truth_recent_contacts(self, member_ids: pa.Array) -> list[dict]:
        calendar, s = self.calendar, self.sends
        as_of = calendar.as_of_index
        day = calendar.day_of(s.sent)
        recent = np.flatnonzero((day >= as_of - RECENT_DAYS) & (day <= as_of))
        rows = []
        for customer in np.unique(s.customer[recent]):
            mine = recent[s.customer[recent] == customer]
            mine = mine[np.argsort(s.sent[mine], kind="stable")]
            rows.append({
                "shop_id": self.shop.shop_id,
                "member_id": member_ids[int(customer)].as_py(),
                "sent_at": [str(np.datetime64(int(t), "s")).replace("T", " ")
                            for t in s.sent[mine]],
                "audiences": [AUDIENCE_CODES[a] for a in s.audience[mine]],
                "sends_in_7_days": int((day[mine] >= as_of - RECENT_DAYS + 1).sum()),
                "sends_on_as_of_date": int((day[mine] == as_of).sum()),
                "planted_case": self.contact_cases.get(int(customer), ""),
            })
        return rows


def settings() -> dict:
    """The campaign plan of every shop (ground_truth.json's campaign_settings)."""
    return {
        "salt": SALT, "holdout_share": HOLDOUT_SHARE, "window_days": WINDOW_DAYS,
        "audiences": {a.code: {"channel": a.channel, "offer": a.offer,
                               "window_days": WINDOW_DAYS[a.channel],
                               "base_conversion": a.base, "true_conversion_uplift": a.uplift}
                      for a in LIFT_AUDIENCES},
        "contact_audiences": [a.code for a in CONTACT_AUDIENCES],
        "unsent_share": UNSENT_SHARE, "recent_days": RECENT_DAYS,
        "definitions": DEFINITIONS,
    }


class _Outcomes:
    """Valid purchases of a shop as of the as-of date, for windows of order days."""

    def __init__(self, data: ShopData):
        o, calendar = data.orders, data.calendar
        valid = valid_purchases(o, calendar)
        refunded, refund_day = refunds(o, calendar)
        applied = np.where(refund_day <= calendar.as_of_index, refunded, 0)
        rows = np.flatnonzero(valid)          # orders are in (ordered_at, order_id) order
        self.customer = o.customer[rows]
        self.day = calendar.day_of(o.ordered[rows])
        self.net = (o.paid - applied)[rows]
        self.size = len(data.customers)

    def window(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """(converted flag per customer, net cents of the first purchase in the window)."""
        inside = np.flatnonzero((self.day >= first) & (self.day <= last))
        customers, first_row = np.unique(self.customer[inside], return_index=True)
        converted = np.zeros(self.size, dtype=bool)
        converted[customers] = True
        amount = np.zeros(self.size, np.int64)
        amount[customers] = self.net[inside[first_row]]
        return converted, amount


def _largest_arm(pool: int, converters: int, rate: float) -> int:
    """The largest n <= pool whose Binomial(n, rate) exceeds `converters` with a chance
    of at most OVERFLOW."""
    n = np.arange(pool + 1)
    ok = stats.binom.sf(converters, n, rate) <= OVERFLOW
    return int(n[ok].max())


def _supplied_rate(pool: int, converters: int, rate: float) -> float:
    """`rate`, or lower (4 decimals) if an arm of min(MIN_HOLDOUT, pool) members at that
    rate would too often need more converters than the pool has; 0 if below MIN_BASE."""
    size = min(MIN_HOLDOUT, pool)
    if size == 0:
        return 0.0
    # P(Binomial(size, p) > converters) <= OVERFLOW  <=>  p <= Beta(k+1, size-k).ppf(OVERFLOW)
    cap = 1.0 if converters >= size else float(stats.beta.ppf(OVERFLOW, converters + 1,
                                                             size - converters))
    supplied = min(rate, float(np.floor(cap * 10_000) / 10_000))
    return supplied if supplied >= MIN_BASE else 0.0


def _draw_arm(members: np.ndarray, converted: np.ndarray, rate: float, rng) -> np.ndarray:
    """Binomial(n, rate) converters and n - those non-converters of `members`, n as large
    as the converters allow (a draw beyond them, at most OVERFLOW likely, is redrawn)."""
    yes, no = members[converted[members]], members[~converted[members]]
    n = _largest_arm(len(no), len(yes), rate)       # at most len(no): never short of those
    while True:
        x = int(rng.binomial(n, rate))
        if x <= len(yes):
            break
    chosen = np.concatenate([rng.choice(yes, x, replace=False), rng.choice(no, n - x,
                                                                          replace=False)])
    return np.sort(chosen)


def _month_weeks(calendar: Calendar) -> list[list[np.ndarray]]:
    """Per month (the MONTHS full months before the as-of date's month, then that month),
    the candidate days of each week (days 1-7, 8-14, 15-21, 22-28) that fit: the send
    (D + 1) before the fatigue window and every channel's window complete."""
    as_of = calendar.as_of_index
    last = min(as_of - RECENT_DAYS - 2, as_of - max(WINDOW_DAYS.values()))
    this_month = calendar.as_of.astype("datetime64[M]")
    months = []
    for back in range(MONTHS, -1, -1):
        month_start = calendar.index_of((this_month - back).astype("datetime64[D]"))
        weeks = [month_start + 7 * week + np.arange(7) for week in range(WEEKS)]
        weeks = [days[(days >= 0) & (days <= last)] for days in weeks]
        months.append([days for days in weeks if len(days)])
    return months


@dataclass
class _Candidate:
    day: int
    pool: np.ndarray          # members registered by the day
    hold: np.ndarray          # holdout by the hash, per pool member
    converted: np.ndarray     # per customer
    amount: np.ndarray        # per customer

    @property
    def score(self) -> tuple[int, int]:
        """(holdout converters, treatment converters) the hash arms can supply."""
        yes = self.converted[self.pool]
        return int((yes & self.hold).sum()), int((yes & ~self.hold).sum())


def _best_days(weeks: list[np.ndarray], window_of, hold_of, members, registered_day,
               outcomes: _Outcomes, rng) -> dict[tuple[int, int], _Candidate]:
    """Per (audience, week) the day of the week whose pool has the most converters."""
    best = {}
    for w, days in enumerate(weeks):
        for day in rng.permutation(days).tolist():
            pool = members[registered_day[members] <= day]
            windows = {}
            for index in range(len(LIFT_AUDIENCES)):
                window = window_of(index)
                if window not in windows:
                    windows[window] = outcomes.window(day + 1, day + window)
                candidate = _Candidate(day, pool, hold_of(index)[pool], *windows[window])
                if (index, w) not in best or candidate.score > best[index, w].score:
                    best[index, w] = candidate
    return best


def _assign_weeks(n_weeks: int, best: dict, rotation: int) -> list[tuple[int, int]]:
    """(audience, week) pairs of a month: each audience on its own week. The audiences
    rotate over the weeks month by month, unless another order gives more campaigns
    whose holdout pool has a converter (then the first such order)."""
    n = len(LIFT_AUDIENCES)
    default = tuple((w + rotation) % n for w in range(n_weeks))

    def value(order):
        return sum(best[a, w].score[0] > 0 for w, a in enumerate(order))

    order = default
    for other in itertools.permutations(range(n), n_weeks):
        if value(other) > value(order):
            order = other
    return [(a, w) for w, a in enumerate(order)]


def build_campaigns(data: ShopData, scale: dict, seed: int) -> CampaignHistory:
    """The shop's campaign history; draws only from its own stream."""
    rng = np.random.default_rng([seed, data.shop.number, 97])
    shop, calendar, c = data.shop, data.calendar, data.customers
    ids = data.member_ids.to_pylist()
    registered_day = calendar.day_of(data.registered_at)
    opted_out = np.zeros(len(c), dtype=bool)
    opted_out[data.member_rows] = np.asarray(
        data.members["is_marketing_opt_out"].to_pylist()) == FLAG_SPELLINGS[shop.style][0]
    members = np.flatnonzero(c.registered & (c.plant == NONE) & ~opted_out)
    holdout = []
    for a in LIFT_AUDIENCES:
        flag = np.zeros(len(c), dtype=bool)
        flag[members] = [holdout_unit(shop.shop_id, a.code, ids[m]) < HOLDOUT_SHARE
                         for m in members]
        holdout.append(flag)
    outcomes = _Outcomes(data)

    campaigns = []
    for back, weeks in enumerate(_month_weeks(calendar)):
        best = _best_days(weeks, lambda i: WINDOW_DAYS[LIFT_AUDIENCES[i].channel],
                          holdout.__getitem__, members, registered_day, outcomes, rng)
        for index, week in _assign_weeks(len(weeks), best, back + shop.number):
            campaign = _campaign(LIFT_AUDIENCES[index], best[index, week], rng)
            if campaign is not None:
                campaigns.append(campaign)
    campaigns.sort(key=lambda camp: camp.day)

    parts = [_campaign_sends(camp, calendar, rng) for camp in campaigns]
    contact_sends, cases = _contact_sends(members, registered_day, calendar,
                                          scale["planted_per_shop"], rng)
    parts.append(contact_sends)
    customer = np.concatenate([p.customer for p in parts])
    audience = np.concatenate([p.audience for p in parts])
    sent = np.concatenate([p.sent for p in parts])
    order = np.lexsort((customer, sent))
    sends = Sends(customer=customer[order], audience=audience[order], sent=sent[order])
    return CampaignHistory(shop=shop, calendar=calendar, campaigns=campaigns, sends=sends,
                           contact_cases=cases)


def _campaign(a: Audience, candidate: _Candidate, rng) -> Campaign | None:
    """The campaign of audience `a` on the candidate's day, or None if the holdout pool
    cannot supply a base rate of MIN_BASE or the treatment arm stays under MIN_TREATMENT."""
    pool, hold, converted, amount = (candidate.pool, candidate.hold, candidate.converted,
                                     candidate.amount)
    base = _supplied_rate(int(hold.sum()), int(converted[pool[hold]].sum()), a.base)
    if base == 0:
        return None
    held = _draw_arm(pool[hold], converted, base, rng)
    treated = _draw_arm(pool[~hold], converted, base + a.uplift, rng)
    if len(treated) < MIN_TREATMENT:
        return None
    unsent = treated[rng.random(len(treated)) < UNSENT_SHARE]
    assigned = np.concatenate([treated, held])
    pool_converters = pool[converted[pool]]
    return Campaign(
        audience=a, base=base, day=candidate.day, treatment=treated, holdout=held,
        unsent=unsent,
        converted={int(m): int(amount[m]) for m in assigned[converted[assigned]]},
        pool_members=len(pool), pool_converters=len(pool_converters),
        pool_mean_cents=float(amount[pool_converters].mean()) if len(pool_converters) else 0.0)


def _send_times(calendar: Calendar, days: np.ndarray, rng) -> np.ndarray:
    days = np.asarray(days, np.int64)
    return calendar.day_start(days) + rng.integers(SEND_HOURS[0] * 3600, SEND_HOURS[1] * 3600,
                                                   len(days))


def _campaign_sends(campaign: Campaign, calendar: Calendar, rng) -> Sends:
    sent = campaign.treatment[~np.isin(campaign.treatment, campaign.unsent)]
    return Sends(customer=sent,
                 audience=np.full(len(sent), AUDIENCE_CODES.index(campaign.audience.code)),
                 sent=_send_times(calendar, np.full(len(sent), campaign.day + 1), rng))


def _contact_sends(members: np.ndarray, registered_day: np.ndarray, calendar: Calendar,
                   k: int, rng) -> tuple[Sends, dict]:
    """Fatigue cases: per shop 3k members with one send in the last 7 days (k of them on
    the as-of date), k with two, k with 3 on as_of - 6 .. as_of - 3 (none in the last 3
    days), k with 3-5 (on different days) and k with sends on
    as_of - 7, as_of - 3 and as_of (two in a 7-day window)."""
    as_of = calendar.as_of_index
    pool = members[registered_day[members] <= as_of - RECENT_DAYS - 1]
    chosen = rng.choice(pool, min(7 * k, len(pool)), replace=False)
    window = as_of - np.arange(RECENT_DAYS)            # as_of - 6 .. as_of
    customers, days, cases = [], [], {}
    for i, customer in enumerate(chosen.tolist()):
        if i < 3 * k:
            case = "one_send"
            picked = [as_of] if i < k else [int(rng.choice(window))]
        elif i < 4 * k:
            case = "two_sends"
            picked = rng.choice(window, 2, replace=False).tolist()
        elif i < 5 * k:
            # three sends, none in the last 3 days: at the weekly cap without a recent contact
            case = "three_sends_not_recent"
            picked = rng.choice(window[3:], 3, replace=False).tolist()
        elif i < 6 * k:
            case = "three_or_more_sends"
            picked = rng.choice(window, int(rng.integers(3, 6)), replace=False).tolist()
        else:
            case = "edge_of_window"
            picked = [as_of - RECENT_DAYS, as_of - 3, as_of]
        cases[customer] = case
        customers += [customer] * len(picked)
        days += picked
    audience = len(LIFT_AUDIENCES) + rng.integers(0, len(CONTACT_AUDIENCES), len(days))
    return Sends(customer=np.array(customers, np.int64), audience=audience,
                 sent=_send_times(calendar, np.array(days, np.int64), rng)), cases
