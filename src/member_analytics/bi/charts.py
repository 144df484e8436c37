"""The dashboard's charts: each draws one view (a shop, or all shops) from the
rows of its named query (queries.py) as a Plotly figure, with its point count
and totals (the tests compare both with the marts).
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from member_analytics.bi.queries import QUERIES, TOP_BUNDLES, TOP_PAIRS

ALL_SHOPS = "__all__"
DIRECTION_COLOURS = {"first": "#9ab3d5", "up": "#2e9e5b", "down": "#d9534f", "lapse": "#555555", "return": "#f0ad4e"}
UP_COLOUR, DOWN_COLOUR, MAIN_COLOUR, SECOND_COLOUR = "#2e9e5b", "#d9534f", "#3b6fb6", "#e8a33d"


@dataclass(frozen=True)
class Chart:
    """One chart: its title and note, the named query (queries.py) whose rows it
    draws, and the function that draws one view from them."""

    chart_id: str
    title: str
    note: str
    query: str
    draw: Callable[[pd.DataFrame, "ViewContext"], "Drawn"]

    @property
    def marts(self) -> tuple[str, ...]:
        return QUERIES[self.query].marts


@dataclass(frozen=True)
class ViewContext:
    view: str  # a shop id or ALL_SHOPS
    as_of_date: str


@dataclass
class Drawn:
    figure: go.Figure
    points: int
    totals: dict[str, float]
    extra_html: str = ""


# --- helpers --------------------------------------------------------------------------

def _rows_of_view(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    return frame if view == ALL_SHOPS else frame[frame["shop_id"] == view]


def _summed(frame: pd.DataFrame, view: str, keys: list[str]) -> pd.DataFrame:
    """The view's rows summed over shops by keys (numeric columns only)."""
    rows = _rows_of_view(frame, view)
    numeric = [column for column in rows.columns if column not in keys and column != "shop_id"
               and pd.api.types.is_numeric_dtype(rows[column])]
    if rows.empty:
        return pd.DataFrame(columns=keys + numeric)
    return rows.groupby(keys, as_index=False, dropna=False)[numeric].sum()


def _ratio(numerator, denominator):
    return [None if not d else float(n) / float(d) for n, d in zip(numerator, denominator)]


def _floats(values) -> list[float]:
    return [float(value) for value in values]


def _ints(values) -> list[int]:
    return [int(value) for value in values]


def _wrap(text: str, width: int = 36) -> str:
    return "<br>".join(textwrap.wrap(html.escape(str(text)), width))


def _base_layout(figure: go.Figure, **layout) -> go.Figure:
    defaults = dict(margin=dict(l=60, r=30, t=30, b=60), height=420, legend=dict(orientation="h", y=-0.18))
    figure.update_layout(**{**defaults, **layout})
    return figure


def _empty(figure: go.Figure, message: str = "No rows in the marts for this view") -> Drawn:
    figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font=dict(size=16, color="#888"))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return Drawn(_base_layout(figure), 0, {})


def _table_html(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="extra-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _meta(key: str) -> dict:
    """A stable machine name on each trace (Plotly's `meta`), read by the tests."""
    return {"key": key}


# --- the charts -------------------------------------------------------------------------

def _draw_rfm_segments(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["rfm_segment"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.sort_values(["monetary", "rfm_segment"], ascending=[False, True])
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Bar(x=list(rows["rfm_segment"]), y=_ints(rows["members"]), name="buyers",
                            marker_color=MAIN_COLOUR, meta=_meta("members")), secondary_y=False)
    figure.add_trace(go.Scatter(x=list(rows["rfm_segment"]), y=_floats(rows["monetary"]), name="net spend (yuan)",
                                mode="lines+markers", marker_color=SECOND_COLOUR, meta=_meta("net_spend")),
                     secondary_y=True)
    figure.update_yaxes(title_text="buyers", secondary_y=False)
    figure.update_yaxes(title_text="net spend to date (yuan)", secondary_y=True, rangemode="tozero")
    return Drawn(_base_layout(figure), len(rows),
                 {"members": int(rows["members"].sum()), "net_spend": float(rows["monetary"].sum())})


def _draw_segment_transitions(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _rows_of_view(frame, context.view)
    if rows.empty:
        return _empty(go.Figure())
    latest = rows["snapshot_date"].max()
    rows = _summed(rows[rows["snapshot_date"] == latest], context.view, ["previous_value", "new_value"])
    # Axes by the segments' mean R + F + M score over every move shown (the seed
    # that orders segments is not among the public marts): best segments first,
    # so cells right of the diagonal are moves down.
    scores = pd.concat([
        rows[["previous_value", "previous_score_sum", "members"]].set_axis(["segment", "score", "members"], axis=1),
        rows[["new_value", "new_score_sum", "members"]].set_axis(["segment", "score", "members"], axis=1)])
    scores = scores.groupby("segment")[["score", "members"]].sum()
    order = sorted(scores.index, key=lambda segment: (-scores.loc[segment, "score"] / scores.loc[segment, "members"],
                                                      segment))
    previous = [s for s in order if s in set(rows["previous_value"])]
    new = [s for s in order if s in set(rows["new_value"])]
    counts = {(r.previous_value, r.new_value): int(r.members) for r in rows.itertuples()}
    z = [[counts.get((p, n)) for n in new] for p in previous]
    figure = go.Figure(go.Heatmap(x=new, y=previous, z=z, colorscale="Blues", hoverongaps=False,
                                  text=[[("" if v is None else str(v)) for v in line] for line in z],
                                  texttemplate="%{text}", meta=_meta("moves"),
                                  hovertemplate="%{y} → %{x}: %{z} buyers<extra></extra>"))
    figure.update_xaxes(title_text=f"segment on {latest}")
    figure.update_yaxes(title_text="segment at the previous month end", autorange="reversed")
    return Drawn(_base_layout(figure), len(counts), {"members": int(rows["members"].sum()), "snapshot": str(latest)})


def _draw_segment_changes_by_month(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["snapshot_date"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.sort_values("snapshot_date")
    months = [str(d) for d in rows["snapshot_date"]]
    figure = go.Figure()
    figure.add_bar(x=months, y=_ints(rows["upgrades"]), name="to a more valuable segment",
                   marker_color=UP_COLOUR, meta=_meta("upgrades"))
    figure.add_bar(x=months, y=_ints(-rows["downgrades"]), name="to a less valuable segment",
                   marker_color=DOWN_COLOUR, meta=_meta("downgrades_negative"),
                   customdata=_ints(rows["downgrades"]), hovertemplate="%{x}: %{customdata} buyers down<extra></extra>")
    figure.update_layout(barmode="relative")
    figure.update_yaxes(title_text="buyers changing segment (down below 0)")
    figure.update_xaxes(title_text="snapshot (month end; the last one is as_of_date)")
    return Drawn(_base_layout(figure), len(rows),
                 {"upgrades": int(rows["upgrades"].sum()), "downgrades": int(rows["downgrades"].sum())})


def _draw_tier_distribution(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["scheme_name", "tier_name", "tier_rank"])
    if rows.empty:
        return _empty(go.Figure())
    schemes = sorted(rows["scheme_name"].unique())
    figure = make_subplots(rows=1, cols=len(schemes), subplot_titles=schemes)
    for index, scheme in enumerate(schemes, start=1):
        tiers = rows[rows["scheme_name"] == scheme].copy()
        tiers["lapsed_last"] = tiers["tier_rank"] == 0
        tiers = tiers.sort_values(["lapsed_last", "tier_rank", "tier_name"])
        figure.add_trace(go.Bar(x=list(tiers["tier_name"]), y=_ints(tiers["members"]), name=scheme,
                                marker_color=MAIN_COLOUR if index == 1 else SECOND_COLOUR,
                                meta=_meta(f"members:{scheme}")), row=1, col=index)
    figure.update_yaxes(title_text="buyers", row=1, col=1)
    return Drawn(_base_layout(figure, showlegend=False), len(rows),
                 {f"members:{s}": int(rows.loc[rows["scheme_name"] == s, "members"].sum()) for s in schemes})


def _draw_tier_changes_by_month(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["scheme_name", "change_month", "change_direction"])
    if rows.empty:
        return _empty(go.Figure())
    schemes = sorted(rows["scheme_name"].unique())
    figure = make_subplots(rows=len(schemes), cols=1, shared_xaxes=True, subplot_titles=schemes,
                           vertical_spacing=0.12)
    directions = [d for d in DIRECTION_COLOURS if d in set(rows["change_direction"])] + sorted(
        set(rows["change_direction"]) - set(DIRECTION_COLOURS))
    for index, scheme in enumerate(schemes, start=1):
        for direction in directions:
            part = rows[(rows["scheme_name"] == scheme) & (rows["change_direction"] == direction)].sort_values(
                "change_month")
            if part.empty:
                continue
            figure.add_trace(go.Bar(x=[str(d) for d in part["change_month"]], y=_ints(part["changes"]),
                                    name=direction, legendgroup=direction, showlegend=index == 1,
                                    marker_color=DIRECTION_COLOURS.get(direction, "#444"),
                                    meta=_meta(f"changes:{scheme}:{direction}")), row=index, col=1)
    figure.update_layout(barmode="stack")
    figure.update_yaxes(title_text="tier changes")
    return Drawn(_base_layout(figure, height=520), len(rows),
                 {f"changes:{d}": int(rows.loc[rows["change_direction"] == d, "changes"].sum()) for d in directions})


def _draw_activity_loyalty_matrix(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["activity_group", "loyalty_level", "cell_name", "diagnosis",
                                         "suggested_action"])
    if rows.empty:
        return _empty(go.Figure())
    total = rows["members"].sum()
    activity, loyalty = ["low", "high"], ["low", "high"]
    cells = {(r.activity_group, r.loyalty_level): r for r in rows.itertuples()}
    z, text, hover = [], [], []
    for group in activity:
        z.append([]), text.append([]), hover.append([])
        for level in loyalty:
            cell = cells.get((group, level))
            members = int(cell.members) if cell is not None else 0
            share = members / total if total else 0
            z[-1].append(members)
            name = cell.cell_name if cell is not None else ""
            text[-1].append(f"<b>{html.escape(name)}</b><br>{members:,} members ({share:.0%})<br>"
                            + (_wrap(cell.diagnosis) if cell is not None else ""))
            hover[-1].append((_wrap(cell.diagnosis, 60) + "<br><i>" + _wrap(cell.suggested_action, 60) + "</i>")
                             if cell is not None else "")
    figure = go.Figure(go.Heatmap(x=[f"loyalty {v}" for v in loyalty], y=[f"activity {v}" for v in activity],
                                  z=z, text=text, texttemplate="%{text}", customdata=hover,
                                  hovertemplate="%{customdata}<extra></extra>", colorscale="YlGnBu",
                                  meta=_meta("members")))
    extra = _table_html(["cell", "activity", "loyalty", "members", "net revenue in window", "diagnosis", "action"], [
        [r.cell_name, r.activity_group, r.loyalty_level, f"{int(r.members):,}", f"{float(r.net_revenue):,.2f}",
         r.diagnosis, r.suggested_action]
        for r in rows.sort_values(["activity_group", "loyalty_level"], ascending=False).itertuples()])
    return Drawn(_base_layout(figure), len(rows),
                 {"members": int(total), "net_revenue": float(rows["net_revenue"].sum())}, extra)


def _draw_lifecycle_funnel(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["lifecycle_stage", "stage_order", "suggested_action"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.sort_values("stage_order")
    figure = go.Figure(go.Funnel(y=list(rows["lifecycle_stage"]), x=_ints(rows["members"]),
                                 textinfo="value+percent total", marker_color=MAIN_COLOUR, meta=_meta("members")))
    extra = _table_html(["stage", "members", "suggested action"], [
        [r.lifecycle_stage, f"{int(r.members):,}", r.suggested_action] for r in rows.itertuples()])
    return Drawn(_base_layout(figure), len(rows), {"members": int(rows["members"].sum())}, extra)


def _draw_cohort_retention(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["first_purchase_month", "months_since_first_purchase"])
    if rows.empty:
        return _empty(go.Figure())
    cohorts = sorted(rows["first_purchase_month"].unique())
    months = sorted(int(m) for m in rows["months_since_first_purchase"].unique())
    rate = {(r.first_purchase_month, int(r.months_since_first_purchase)):
            (float(r.purchasing_members) / float(r.cohort_size) if r.cohort_size else None) for r in rows.itertuples()}
    z = [[rate.get((c, m)) for m in months] for c in cohorts]
    labels = [str(c)[:7] for c in cohorts]
    figure = go.Figure(go.Heatmap(x=months, y=labels, z=z, colorscale="Viridis", zmin=0, hoverongaps=False,
                                  meta=_meta("retention_rate"), colorbar=dict(title="retention", tickformat=".0%"),
                                  hovertemplate="cohort %{y}, month %{x}: %{z:.1%}<extra></extra>"))
    figure.update_xaxes(title_text="months since the first purchase")
    figure.update_yaxes(title_text="cohort (first-purchase month)", autorange="reversed", type="category")
    sizes = rows[rows["months_since_first_purchase"] == 0]
    return Drawn(_base_layout(figure, height=520), len(rows),
                 {"cohort_members": int(sizes["cohort_size"].sum()),
                  "purchasing_members": int(rows["purchasing_members"].sum())})


def _pair_label(row, with_shop: bool) -> str:
    name_a = row.product_name_a if isinstance(row.product_name_a, str) else row.product_id_a
    name_b = row.product_name_b if isinstance(row.product_name_b, str) else row.product_id_b
    return (f"{row.shop_id} · " if with_shop else "") + f"{name_a} + {name_b}"


def _ranked(frame: pd.DataFrame, view: str, limit: int) -> pd.DataFrame:
    rows = _rows_of_view(frame, view)
    return rows.sort_values(["lift", "n_ab", "shop_id", "product_id_a", "product_id_b"],
                            ascending=[False, False, True, True, True]).head(limit)


def _draw_top_product_pairs(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _ranked(frame, context.view, TOP_PAIRS)
    if rows.empty:
        return _empty(go.Figure())
    with_shop = context.view == ALL_SHOPS
    labels = [_pair_label(r, with_shop) for r in rows.itertuples()]
    figure = go.Figure(go.Bar(
        x=_floats(rows["lift"]), y=labels, orientation="h", marker_color=MAIN_COLOUR, meta=_meta("lift"),
        customdata=[[int(r.n_ab), float(r.support), float(r.confidence_a_to_b)] for r in rows.itertuples()],
        hovertemplate="%{y}<br>lift %{x:.2f}<br>baskets with both %{customdata[0]}<br>support %{customdata[1]:.4f}"
                      "<br>confidence A→B %{customdata[2]:.2f}<extra></extra>"))
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_xaxes(title_text="lift (how much more often bought together than by chance)")
    return Drawn(_base_layout(figure, height=480), len(rows),
                 {"lift": float(rows["lift"].sum()), "n_ab": int(rows["n_ab"].sum())})


def _draw_bundle_candidates(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _ranked(frame, context.view, TOP_BUNDLES)
    if rows.empty:
        return _empty(go.Figure(), "No bundle candidates for this view")
    with_shop = context.view == ALL_SHOPS
    headers = (["shop"] if with_shop else []) + ["rank", "product A", "product B", "lift", "baskets with both",
                                                 "set price (yuan)"]
    columns = ([list(rows["shop_id"])] if with_shop else []) + [
        _ints(rows["bundle_rank"]),
        [a if isinstance(a, str) else b for a, b in zip(rows["product_name_a"], rows["product_id_a"])],
        [a if isinstance(a, str) else b for a, b in zip(rows["product_name_b"], rows["product_id_b"])],
        [round(float(v), 2) for v in rows["lift"]],
        _ints(rows["n_ab"]),
        [None if pd.isna(v) else float(v) for v in rows["combined_price"]],
    ]
    widths = ([1.2] if with_shop else []) + [0.5, 2, 2, 0.6, 0.8, 0.8]
    figure = go.Figure(go.Table(header=dict(values=headers, fill_color="#dfe7f3", align="left"),
                                cells=dict(values=columns, align="left"), columnwidth=widths, meta=_meta("bundles")))
    height = min(480, 90 + 34 * len(rows))
    return Drawn(_base_layout(figure, height=height, margin=dict(l=10, r=10, t=10, b=10)), len(rows),
                 {"n_ab": int(rows["n_ab"].sum())})


def _draw_audiences_today(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["audience", "audience_name", "priority"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.sort_values(["priority", "audience"])
    names = list(rows["audience_name"])
    held_back = rows["members"] - rows["reachable_members"]
    figure = go.Figure()
    figure.add_bar(y=names, x=_ints(rows["reachable_members"]), orientation="h", name="to contact today",
                   marker_color=UP_COLOUR, meta=_meta("reachable_members"))
    figure.add_bar(y=names, x=_ints(held_back), orientation="h", name="held back (opt-out, complaint, channel, cap)",
                   marker_color="#bbbbbb", meta=_meta("held_back_members"))
    figure.update_layout(barmode="stack")
    figure.update_yaxes(autorange="reversed", automargin=True, title_text="audience (by priority)")
    figure.update_xaxes(title_text=f"members on {context.as_of_date}")
    return Drawn(_base_layout(figure, height=480), len(rows),
                 {"members": int(rows["members"].sum()), "reachable_members": int(rows["reachable_members"].sum())})


def _draw_service_event_trends(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    events = frame[frame["kind"] == "month"]
    promotions = frame[frame["kind"] == "promotion"]
    rows = _summed(events.drop(columns=["kind", "promotion_id"]), context.view, ["event_month"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.sort_values("event_month")
    months = [str(d) for d in rows["event_month"]]
    figure = go.Figure()
    for key, name, column, colour in [
        ("return_exchange_rate", "returns and exchanges per order", "number_of_returns_exchanges", DOWN_COLOUR),
        ("complaint_rate", "complaints per order", "number_of_complaints", SECOND_COLOUR),
        ("cancel_rate", "cancels per order", "number_of_cancels", MAIN_COLOUR),
    ]:
        figure.add_scatter(x=months, y=_ratio(rows[column], rows["number_of_orders"]), name=name,
                           mode="lines+markers", marker_color=colour, meta=_meta(key))
    shown = _rows_of_view(promotions, context.view)[["promotion_id", "event_month"]].drop_duplicates()
    for promotion in shown.sort_values("event_month").itertuples():
        day = str(promotion.event_month)
        if not months or not (months[0] <= day <= months[-1]):
            continue
        figure.add_shape(type="line", x0=day, x1=day, y0=0, y1=1, xref="x", yref="paper",
                         line=dict(color="#999", dash="dot", width=1))
        figure.add_annotation(x=day, y=1, xref="x", yref="paper", text=html.escape(promotion.promotion_id),
                              showarrow=False, textangle=-90, xanchor="right", yanchor="top",
                              font=dict(size=10, color="#666"))
    figure.update_yaxes(title_text="events per order placed in the month", tickformat=".0%")
    return Drawn(_base_layout(figure), len(rows), {
        "number_of_orders": int(rows["number_of_orders"].sum()),
        "number_of_returns_exchanges": int(rows["number_of_returns_exchanges"].sum()),
        "number_of_complaints": int(rows["number_of_complaints"].sum()),
        "number_of_cancels": int(rows["number_of_cancels"].sum())})


def _draw_promotion_periods(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["promotion_date", "promotion_id", "period", "period_order"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.sort_values(["promotion_date", "period_order"])
    x = [list(rows["promotion_id"]), list(rows["period"])]
    figure = go.Figure()
    figure.add_bar(x=x, y=_ratio(rows["number_of_returns_exchanges"], rows["number_of_orders"]),
                   name="returns and exchanges per order", marker_color=DOWN_COLOUR, meta=_meta("return_exchange_rate"))
    figure.add_bar(x=x, y=_ratio(rows["number_of_complaints"], rows["number_of_orders"]),
                   name="complaints per order", marker_color=SECOND_COLOUR, meta=_meta("complaint_rate"))
    figure.add_bar(x=x, y=_ratio(rows["number_of_bad_reviews"], rows["number_of_orders"]),
                   name="bad reviews (1-2) per order", marker_color="#8e6bbf", meta=_meta("bad_review_rate"))
    figure.update_layout(barmode="group")
    figure.update_yaxes(title_text="events per order placed in the period", tickformat=".0%")
    return Drawn(_base_layout(figure, height=480, margin=dict(l=60, r=30, t=40, b=110),
                              legend=dict(orientation="h", y=1.12)), len(rows), {
        "number_of_orders": int(rows["number_of_orders"].sum()),
        "number_of_returns_exchanges": int(rows["number_of_returns_exchanges"].sum()),
        "number_of_complaints": int(rows["number_of_complaints"].sum()),
        "number_of_bad_reviews": int(rows["number_of_bad_reviews"].sum())})


# Each chart's rows: the query of the same name.
CHARTS: tuple[Chart, ...] = (
    Chart("rfm_segments", "RFM segments: buyers and their net spend",
          "Buyers per RFM segment today and their net spend to date, segments by spend. Recency is "
          "scored in days (R5 up to 30, R4 up to 90, R3 up to 180, R2 up to 270 days since the last "
          "purchase, by default); frequency and spend relative to the shop's buyers.",
          "rfm_segments", _draw_rfm_segments),
    Chart("segment_transitions", "Segment moves at the latest snapshot",
          "Buyers whose RFM segment changed since the previous month end: from (rows) to (columns).",
          "segment_transitions", _draw_segment_transitions),
    Chart("segment_changes_by_month", "Segment changes month over month",
          "Buyers moving to a more (up) or less (down) valuable RFM segment at each month end.",
          "segment_changes_by_month", _draw_segment_changes_by_month),
    Chart("tier_distribution", "Tier distribution today",
          "Buyers per tier on as_of_date in each tier scheme (lapsed: no purchase for the lapse length).",
          "tier_distribution", _draw_tier_distribution),
    Chart("tier_changes_by_month", "Tier upgrades and downgrades per month",
          "Tier changes per month and scheme: first entry, up, down, lapse and return.",
          "tier_changes_by_month", _draw_tier_changes_by_month),
    Chart("activity_loyalty_matrix", "Activity × loyalty: what each cell says",
          "Members by activity (visits) and loyalty (repeat buying), with each cell's diagnosis and action.",
          "activity_loyalty_matrix", _draw_activity_loyalty_matrix),
    Chart("lifecycle_funnel", "Lifecycle funnel",
          "Members per lifecycle stage today, from registered to loyal, with each stage's action.",
          "lifecycle_funnel", _draw_lifecycle_funnel),
    Chart("cohort_retention", "Cohort retention",
          "Share of each first-purchase cohort buying again N months later.",
          "cohort_retention", _draw_cohort_retention),
    Chart("top_product_pairs", f"Top {TOP_PAIRS} product pairs by lift",
          "Products bought together in one order far more often than by chance.",
          "top_product_pairs", _draw_top_product_pairs),
    Chart("bundle_candidates", "Bundle candidates",
          "Pairs worth selling as a set (high lift and enough baskets), best first.",
          "bundle_candidates", _draw_bundle_candidates),
    Chart("audiences_today", "Audiences for today",
          "Members per campaign audience today: to contact, and held back by the contact rules.",
          "audiences_today", _draw_audiences_today),
    Chart("service_event_trends", "Service events month by month, around promotions",
          "Returns, complaints and cancels per order placed in the month; dotted lines: big promotions.",
          "service_event_trends", _draw_service_event_trends),
    Chart("promotion_periods", "Before, during and after each big promotion",
          "Service events per order in the 30 days before, during, and after each promotion.",
          "promotion_periods", _draw_promotion_periods),
)
