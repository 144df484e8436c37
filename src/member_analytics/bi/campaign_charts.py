"""The dashboard's campaign chart (issue 23, docs/decisions/0123): the conversion lift each
audience brought, treatment against holdout, with its 95% interval. The report's rows (shop ×
audience × month) are summed over the view's shops and months, so the interval is computed
here from the pooled counts, by the same method as rpt_campaign_lift (Newcombe's hybrid
score interval, Wilson per arm)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from member_analytics.bi.charts import MAIN_COLOUR, Chart, Drawn, ViewContext, _base_layout, _empty, _meta, _summed, _table_html

Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


def newcombe_interval(x_t: int, n_t: int, x_h: int, n_h: int, z: float = Z_95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) of p_t - p_h."""
    p_t, p_h = x_t / n_t, x_h / n_h
    low_t, high_t = wilson_interval(x_t, n_t, z)
    low_h, high_h = wilson_interval(x_h, n_h, z)
    difference = p_t - p_h
    return (difference - math.sqrt((p_t - low_t) ** 2 + (high_h - p_h) ** 2),
            difference + math.sqrt((high_t - p_t) ** 2 + (p_h - low_h) ** 2))


def lift_rows(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    """Per audience over the view's shops: members, conversions, rates, the lift and its interval."""
    rows = _summed(frame, view, ["audience"])
    rows = rows[(rows["treatment_members"] > 0) & (rows["holdout_members"] > 0)].copy()
    if rows.empty:
        return rows
    rows["treatment_rate"] = rows["treatment_conversions"] / rows["treatment_members"]
    rows["holdout_rate"] = rows["holdout_conversions"] / rows["holdout_members"]
    rows["lift"] = rows["treatment_rate"] - rows["holdout_rate"]
    bounds = [newcombe_interval(int(r.treatment_conversions), int(r.treatment_members),
                                int(r.holdout_conversions), int(r.holdout_members)) for r in rows.itertuples()]
    rows["lift_lower_95"] = [low for low, _ in bounds]
    rows["lift_upper_95"] = [high for _, high in bounds]
    return rows.sort_values(["lift", "audience"], ascending=[False, True])


def _draw_campaign_lift(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = lift_rows(frame, context.view)
    if rows.empty:
        return _empty(go.Figure(), "No campaign with a closed attribution window and a holdout")
    points = [100 * value for value in rows["lift"]]
    figure = go.Figure(go.Scatter(
        x=points, y=list(rows["audience"]), mode="markers", name="conversion lift", marker_color=MAIN_COLOUR,
        error_x=dict(type="data", symmetric=False,
                     array=[100 * (high - lift) for high, lift in zip(rows["lift_upper_95"], rows["lift"])],
                     arrayminus=[100 * (lift - low) for low, lift in zip(rows["lift_lower_95"], rows["lift"])]),
        meta=_meta("conversion_lift")))
    figure.add_vline(x=0, line_dash="dot", line_color="#888")
    figure.update_xaxes(title_text="conversion lift, percentage points (95% interval)")
    figure.update_yaxes(autorange="reversed")
    extra = _table_html(["audience", "treatment", "holdout", "conversion, treatment", "conversion, holdout",
                         "lift (95% interval)", "incremental net revenue"], [
        [row.audience, f"{int(row.treatment_members):,}", f"{int(row.holdout_members):,}",
         f"{100 * row.treatment_rate:.1f}%", f"{100 * row.holdout_rate:.1f}%",
         f"{100 * row.lift:+.1f} pp ({100 * row.lift_lower_95:+.1f} to {100 * row.lift_upper_95:+.1f})",
         f"{row.incremental_net_revenue:,.0f}"] for row in rows.itertuples()])
    return Drawn(_base_layout(figure), len(rows), {
        "treatment_members": int(rows["treatment_members"].sum()),
        "holdout_members": int(rows["holdout_members"].sum())}, extra)


CAMPAIGN_CHARTS: tuple[Chart, ...] = (
    Chart("campaign_lift", "What did each audience's messages bring? Lift against the holdout",
          "Members of each audience were split by a hash into a treatment arm (messaged) and a holdout "
          "(never messaged); the lift is the treatment's conversion rate in the attribution window minus "
          "the holdout's, every member counted whether or not a message went out. Bars: 95% intervals; "
          "an interval across 0 means no lift shown yet.", "campaign_lift", _draw_campaign_lift),
)
