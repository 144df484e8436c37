"""The member dashboard: one static, self-contained HTML file built from the
public marts (docs/decisions/0080).

    build_dashboard(warehouse, out_html, shops=None) -> out_html

reads the marts (schema `marts`) of a DuckDB file opened read-only and closed
before the HTML is written, so it works on the full warehouse and on a per-shop
export bundle alike. Every chart (charts.py) is a Plotly figure drawn from the
rows of a named query over the marts (queries.py, the one place that reads them); plotly.js is inlined once, so the file opens from disk with no server
and nothing fetched from the network. With one shop the page shows that shop;
with several it has a shop selector and an all-shops view (sums over the shops,
rates recomputed from the summed counts).

Next to the HTML, `<out_html stem>.json` holds the same chart data (each
chart's figure, point count and totals per view): the tests compare it, and the
data embedded in the page, with queries on the marts.

Shop ids are data: they reach SQL only as bound parameters.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from member_analytics.bi import charts, queries
from member_analytics.bi.charts import ALL_SHOPS, ViewContext, _rows_of_view
from member_analytics.bi.campaign_charts import CAMPAIGN_CHARTS
from member_analytics.bi.forecast_charts import FORECAST_CHARTS
from member_analytics.bi.lifecycle_charts import LIFECYCLE_CHARTS
from member_analytics.bi.queries import MARTS_READ, TOP_BUNDLES, TOP_PAIRS

# Every chart, in page order: the member, product and service charts, the forecasts', the
# campaign loop's, then the lifecycle flow.
CHARTS = charts.CHARTS + FORECAST_CHARTS + CAMPAIGN_CHARTS + LIFECYCLE_CHARTS

__all__ = ["ALL_SHOPS", "MARTS_READ", "TOP_BUNDLES", "TOP_PAIRS", "DashboardError", "build_dashboard", "chart_data"]


class DashboardError(ValueError):
    """A dashboard that cannot be built: no warehouse, missing marts, unknown shops."""


def _kpis(frame: pd.DataFrame, view: str) -> dict[str, float]:
    rows = _rows_of_view(frame, view)
    totals = {column: float(rows[column].sum()) for column in rows.columns if column != "shop_id"}
    totals["average_order_value"] = totals["net_revenue"] / totals["valid_orders"] if totals["valid_orders"] else 0.0
    return totals


def _kpis_html(kpis: dict[str, float]) -> str:
    cards = [("members", f"{kpis['members']:,.0f}", "in dim_members"),
             ("buyers", f"{kpis['buyers']:,.0f}", "a valid purchase to date"),
             ("net revenue", f"{kpis['net_revenue']:,.2f}", "valid purchases, yuan"),
             ("orders", f"{kpis['valid_orders']:,.0f}", "valid purchases"),
             ("average order value", f"{kpis['average_order_value']:,.2f}", "yuan per order"),
             ("active members", f"{kpis['active_members']:,.0f}", "visited in the last 30 days"),
             ("contacts today", f"{kpis['contacts_today']:,.0f}", "audience messages to send")]
    return "".join(f'<div class="kpi"><div class="kpi-value">{html.escape(value)}</div>'
                   f'<div class="kpi-name">{html.escape(name)}</div>'
                   f'<div class="kpi-note">{html.escape(note)}</div></div>'
                   for name, value, note in cards)


def _figure_json(figure: go.Figure) -> dict:
    payload = json.loads(figure.to_json())
    payload["layout"].pop("template", None)  # one template for the page, not one per figure
    return payload

# --- reading the marts (through the query layer) -------------------------------------------

def _read(warehouse: Path, shops: list[str] | None) -> tuple[list[str], str, dict[str, pd.DataFrame], pd.DataFrame]:
    if not warehouse.exists():
        raise DashboardError(f"no warehouse at {warehouse}: run the build first (bin/run)")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        missing = queries.missing_marts(connection)
        if missing:
            raise DashboardError(f"{warehouse} lacks the public mart(s) {', '.join(missing)} in schema marts")
        known = queries.shop_ids(connection)
        if shops:
            unknown = sorted(set(shops) - set(known))
            if unknown:
                raise DashboardError(f"unknown shop(s) {', '.join(map(repr, unknown))}; "
                                     f"{warehouse} has {', '.join(known) or 'no shop'}")
            selected = sorted(set(shops))
        else:
            selected = known
        if not selected:
            raise DashboardError(f"{warehouse} has no members in marts.dim_members")
        as_of_date = queries.as_of_date(connection)
        frames = {chart.chart_id: queries.fetch(connection, chart.query, selected) for chart in CHARTS}
        kpis = queries.fetch(connection, "shop_kpis", selected)
    return selected, as_of_date, frames, kpis


# --- the page -------------------------------------------------------------------------------

def chart_data(warehouse: Path, shops: list[str] | None = None) -> dict:
    """Every view's charts (figure, point count, totals) and KPIs, as written
    into the page and its JSON."""
    selected, as_of_date, frames, kpi_frame = _read(Path(warehouse), shops)
    views = [selected[0]] if len(selected) == 1 else [ALL_SHOPS, *selected]
    payload = {
        "as_of_date": as_of_date,
        "shops": selected,
        "default_view": views[0],
        "charts": [chart.chart_id for chart in CHARTS],
        "views": {},
    }
    for view in views:
        context = ViewContext(view, as_of_date)
        kpis = _kpis(kpi_frame, view)
        rendered = {}
        for chart in CHARTS:
            drawn = chart.draw(frames[chart.chart_id], context)
            rendered[chart.chart_id] = {
                "title": chart.title,
                "marts": list(chart.marts),
                "points": drawn.points,
                "totals": drawn.totals,
                "figure": _figure_json(drawn.figure),
                "extra_html": drawn.extra_html,
            }
        payload["views"][view] = {
            "label": f"All shops ({len(selected)})" if view == ALL_SHOPS else view,
            "kpis": kpis,
            "kpis_html": _kpis_html(kpis),
            "charts": rendered,
        }
    return payload


_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", sans-serif; margin: 0;
       background: #f4f6f9; color: #222; }
header { background: #1f3a5f; color: #fff; padding: 16px 24px; display: flex; flex-wrap: wrap;
         align-items: center; gap: 24px; }
header h1 { font-size: 22px; margin: 0; }
header .meta { opacity: 0.85; font-size: 14px; }
header label { margin-left: auto; font-size: 14px; }
header select { font-size: 14px; padding: 4px 8px; margin-left: 6px; }
#kpis { display: flex; flex-wrap: wrap; gap: 12px; padding: 16px 24px 0; }
.kpi { background: #fff; border-radius: 6px; padding: 10px 16px; min-width: 140px;
       box-shadow: 0 1px 2px rgba(0,0,0,0.08); }
.kpi-value { font-size: 22px; font-weight: 600; }
.kpi-name { font-size: 13px; color: #444; }
.kpi-note { font-size: 11px; color: #888; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; padding: 16px 24px; }
.card { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,0.08);
        min-width: 0; }
.card h2 { font-size: 16px; margin: 0 0 4px; }
.card .note { font-size: 12px; color: #666; margin: 0 0 6px; }
.card .source { font-size: 11px; color: #999; margin: 6px 0 0; }
.extra-table { border-collapse: collapse; font-size: 12px; margin-top: 8px; width: 100%; }
.extra-table th, .extra-table td { border-top: 1px solid #e3e6ea; padding: 3px 6px; text-align: left;
                                   vertical-align: top; }
footer { font-size: 12px; color: #777; padding: 0 24px 24px; }
"""

_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var config = {displaylogo: false, responsive: true};
  function render(viewId) {
    var view = data.views[viewId];
    document.body.setAttribute("data-rendered", "");
    document.getElementById("kpis").innerHTML = view.kpis_html;
    var pending = data.charts.map(function (chartId) {
      var chart = view.charts[chartId];
      var layout = Object.assign({}, chart.figure.layout, {template: data.template});
      document.getElementById("extra-" + chartId).innerHTML = chart.extra_html || "";
      return Plotly.react("chart-" + chartId, chart.figure.data, layout, config);
    });
    Promise.all(pending).then(function () { document.body.setAttribute("data-rendered", viewId); });
  }
  var select = document.getElementById("view-select");
  var wanted = decodeURIComponent((window.location.hash.match(/view=([^&]+)/) || [])[1] || "");
  var initial = Object.prototype.hasOwnProperty.call(data.views, wanted) ? wanted : data.default_view;
  if (select) {
    select.value = initial;
    select.addEventListener("change", function () { render(select.value); });
  }
  render(initial);
})();
"""


def _page(payload: dict) -> str:
    views = payload["views"]
    if len(views) > 1:
        options = "".join(f'<option value="{html.escape(view_id, quote=True)}">{html.escape(view["label"])}</option>'
                          for view_id, view in views.items())
        selector = f'<label>Shop <select id="view-select">{options}</select></label>'
    else:
        selector = ""
    shops = payload["shops"]
    heading = f"shop {shops[0]}" if len(shops) == 1 else f"{len(shops)} shops"
    cards = []
    for chart in CHARTS:
        cards.append(
            f'<article class="card" id="card-{chart.chart_id}"><h2>{html.escape(chart.title)}</h2>'
            f'<p class="note">{html.escape(chart.note)}</p>'
            f'<div class="chart" id="chart-{chart.chart_id}"></div>'
            f'<div class="extra" id="extra-{chart.chart_id}"></div>'
            f'<p class="source">from {html.escape(", ".join("marts." + m for m in chart.marts))}</p></article>')
    template = json.loads(go.Figure(layout=dict(template="plotly_white")).to_json())["layout"]["template"]
    document = dict(payload, template=template)
    # JSON inside <script>: no "</" can close the element early.
    data_json = json.dumps(document, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>Member analytics, {html.escape(heading)}, as of {html.escape(payload['as_of_date'])}</title>",
        f"<style>{_CSS}</style>",
        f"<script>{get_plotlyjs()}</script>",
        "</head><body>",
        f'<header><h1>Member analytics</h1><div class="meta">{html.escape(heading)} · as of '
        f'{html.escape(payload["as_of_date"])}</div>{selector}</header>',
        '<section id="kpis"></section>',
        "<main>", *cards, "</main>",
        "<footer>Generated by member_analytics.dashboard from the public marts (schema marts). "
        "Every number is a sum over the marts' rows of the shops shown; rates are recomputed from "
        "the summed counts.</footer>",
        f'<script type="application/json" id="dashboard-data">{data_json}</script>',
        f"<script>{_JS}</script>",
        "</body></html>",
    ])


def build_dashboard(warehouse: Path, out_html: Path, shops: list[str] | None = None) -> Path:
    """Write the dashboard of `shops` (default: every shop of the warehouse) to
    out_html and its chart data to out_html with suffix .json; return out_html."""
    payload = chart_data(Path(warehouse), shops)
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    page = _page(payload)
    out_html.write_text(page, encoding="utf-8")
    specs = {"as_of_date": payload["as_of_date"], "shops": payload["shops"], "default_view": payload["default_view"],
             "charts": payload["charts"],
             "views": {view_id: {"label": view["label"], "kpis": view["kpis"],
                                 "charts": {chart_id: {key: value for key, value in chart.items()
                                                       if key != "extra_html"}
                                            for chart_id, chart in view["charts"].items()}}
                       for view_id, view in payload["views"].items()}}
    out_html.with_suffix(".json").write_text(json.dumps(specs, ensure_ascii=False, indent=1), encoding="utf-8")
    return out_html
