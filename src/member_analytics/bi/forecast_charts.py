"""The dashboard's forecast charts (issue 21, docs/decisions/0122): members and predicted value
per churn-risk band, and the holdout check's predicted against actual purchase days per decile.
Drawn like the charts of charts.py (which the dashboard shows first)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from member_analytics.bi.charts import (DOWN_COLOUR, MAIN_COLOUR, SECOND_COLOUR, UP_COLOUR, Chart, Drawn,
                                        ViewContext, _base_layout, _empty, _floats, _ints, _meta, _summed,
                                        _table_html)

BAND_ORDER = ("high", "medium", "low")
BAND_COLOURS = {"high": DOWN_COLOUR, "medium": SECOND_COLOUR, "low": UP_COLOUR}


def _draw_churn_risk_bands(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["churn_risk_band"])
    if rows.empty:
        return _empty(go.Figure())
    rows = rows.set_index("churn_risk_band").reindex([band for band in BAND_ORDER if band in set(rows["churn_risk_band"])])
    figure = go.Figure(go.Bar(x=list(rows.index), y=_ints(rows["members"]), name="buyers",
                              marker_color=[BAND_COLOURS[band] for band in rows.index], meta=_meta("members")))
    figure.update_yaxes(title_text="buyers")
    extra = _table_html(["churn risk", "buyers", "expected purchase days, 365 days", "predicted value, 365 days"], [
        [band, f"{int(row.members):,}", f"{row.expected_purchase_days:,.0f}", f"{row.predicted_value:,.0f}"]
        for band, row in rows.iterrows()])
    return Drawn(_base_layout(figure), len(rows), {
        "members": int(rows["members"].sum()), "predicted_value": float(rows["predicted_value"].sum())}, extra)


def _draw_forecast_holdout(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _summed(frame, context.view, ["prediction_decile"])
    if rows.empty:
        return _empty(go.Figure(), "No usable model at the calibration date")
    rows = rows.sort_values("prediction_decile")
    deciles = [int(decile) for decile in rows["prediction_decile"]]
    figure = go.Figure()
    figure.add_bar(x=deciles, y=_floats(rows["predicted_purchase_days"]), name="predicted",
                   marker_color=MAIN_COLOUR, meta=_meta("predicted"))
    figure.add_bar(x=deciles, y=_floats(rows["actual_purchase_days"]), name="actual",
                   marker_color=SECOND_COLOUR, meta=_meta("actual"))
    figure.update_layout(barmode="group")
    figure.update_xaxes(title_text="decile of prediction (1: fewest predicted purchases)", dtick=1)
    figure.update_yaxes(title_text="purchase days in the holdout days")
    return Drawn(_base_layout(figure), len(rows), {
        "predicted_purchase_days": float(rows["predicted_purchase_days"].sum()),
        "actual_purchase_days": float(rows["actual_purchase_days"].sum())})


FORECAST_CHARTS: tuple[Chart, ...] = (
    Chart("churn_risk_bands", "Churn risk and predicted value",
          "Buyers per churn-risk band today (MBG/NBD's probability of still being a customer: high below "
          "0.3, medium below 0.7), with the purchase days and net spend the models expect from them in the "
          "next 365 days.", "churn_risk_bands", _draw_churn_risk_bands),
    Chart("forecast_holdout", "Do the forecasts work here? Predicted against actual",
          "The models fitted 90 days ago, on what was known then, predicted each buyer's purchase days in "
          "those 90 days; buyers in tenths by prediction, predicted against what they bought.",
          "forecast_holdout", _draw_forecast_holdout),
)
