"""The dashboard's lifecycle flow chart (issue 24 part 3, docs/decisions/0125): members moving between
lifecycle stages from the previous month end to the latest snapshot, as a Sankey diagram drawn
from rpt_lifecycle_flow (stayers included, so each side sums to that date's stage counts;
newcomers enter from "none"). Drawn like the charts of charts.py."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from member_analytics.bi.charts import (Chart, Drawn, ViewContext, _base_layout, _empty, _meta, _rows_of_view, _summed,
                                        _table_html)

STAGE_COLOURS = {"none": "#bbbbbb", "registered": "#9ab3d5", "potential": "#6f9bd1", "new": "#3b6fb6",
                 "sleeping": "#d9534f", "repeat": "#e8a33d", "loyal": "#2e9e5b"}
MOVES_LISTED = 12


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[index:index + 2], 16) for index in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _draw_lifecycle_flow(frame: pd.DataFrame, context: ViewContext) -> Drawn:
    rows = _rows_of_view(frame, context.view)
    if rows.empty:
        return _empty(go.Figure())
    latest = rows["snapshot_date"].max()
    rows = rows[rows["snapshot_date"] == latest]
    previous = rows["previous_snapshot_date"].dropna()
    previous = str(previous.iloc[0]) if len(previous) else None
    rows = _summed(rows, context.view, ["from_stage", "to_stage", "from_stage_order", "to_stage_order"])
    rows = rows[rows["members"] > 0].sort_values(["from_stage_order", "to_stage_order"])
    sources = rows.drop_duplicates("from_stage")[["from_stage", "from_stage_order"]].sort_values("from_stage_order")
    targets = rows.drop_duplicates("to_stage")[["to_stage", "to_stage_order"]].sort_values("to_stage_order")
    left = list(sources["from_stage"])
    right = list(targets["to_stage"])
    index_left = {stage: index for index, stage in enumerate(left)}
    index_right = {stage: len(left) + index for index, stage in enumerate(right)}
    before = f"at {previous}" if previous else "before"
    labels = [f"{stage} ({before})" if stage != "none" else "none (first seen)" for stage in left] + \
             [f"{stage} ({latest})" for stage in right]
    figure = go.Figure(go.Sankey(
        arrangement="snap", meta=_meta("flows"),
        node=dict(label=labels, pad=14, thickness=16,
                  color=[STAGE_COLOURS.get(stage, "#888888") for stage in left + right],
                  x=[0.01] * len(left) + [0.99] * len(right),
                  y=[(index + 0.5) / len(left) for index in range(len(left))]
                  + [(index + 0.5) / len(right) for index in range(len(right))]),
        link=dict(source=[index_left[stage] for stage in rows["from_stage"]],
                  target=[index_right[stage] for stage in rows["to_stage"]],
                  value=[int(value) for value in rows["members"]],
                  color=[_rgba(STAGE_COLOURS.get(to_stage, "#888888"), 0.15 if from_stage == to_stage else 0.55)
                         for from_stage, to_stage in zip(rows["from_stage"], rows["to_stage"])],
                  hovertemplate="%{source.label} → %{target.label}: %{value} members<extra></extra>")))
    moves = rows[rows["from_stage"] != rows["to_stage"]].sort_values(["members", "from_stage_order", "to_stage_order"],
                                                                      ascending=[False, True, True])
    extra = _table_html([f"move since {previous or 'the start'}", "members"], [
        [f"{row.from_stage} → {row.to_stage}", f"{int(row.members):,}"]
        for row in moves.head(MOVES_LISTED).itertuples()])
    return Drawn(_base_layout(figure, height=460), len(rows), {
        "members": int(rows["members"].sum()), "moved": int(moves["members"].sum()), "snapshot": str(latest)}, extra)


LIFECYCLE_CHARTS: tuple[Chart, ...] = (
    Chart("lifecycle_flow", "Lifecycle flow since the previous month end",
          "Members by lifecycle stage at the previous month end (left; 'none': first seen since) and at the "
          "latest snapshot (right): who moved on (potential → new → repeat → loyal), fell asleep, came back "
          "or left loyal, and who stayed (pale bands). The table lists the moves.",
          "lifecycle_flow", _draw_lifecycle_flow),
)
