"""One build's figures: per-node times from dbt's run_results.json, each mart as a
multiple of its floor, lineage times, the peers compared, issue 12's targets and
the growth between scales.
"""

from __future__ import annotations

# Marts compared with the RFM floor (current RFM from raw orders).
RFM_FLOOR_MARTS = (
    "fct_member_rfm",
    "fct_member_rfm_history",
    "fct_member_segment_changes",
    "fct_member_lifecycle",
    "rpt_cohort_retention",
    "rpt_loyalty_ladder",
)
# Models under these folders are compared with the product-pairs floor ...
PAIRS_FLOOR_FOLDERS = ("models/marts/co_purchase/",)
# ... and these with fct_member_rfm's own time.
RFM_MART_FOLDERS = ("models/marts/tiers_points/", "models/intermediate/tiers_points/")
RFM_MART = "fct_member_rfm"
PAIRS_MART = "fct_product_pairs"
# The pair marts select their level from this model, which counts the pairs of
# every level in one pass: a pair mart's "own" time against the pairs floor
# (which counts pairs too) adds it when it is the mart's parent, in full for
# each of the three marts (one pass serves all three; docs/benchmark.md).
PAIRS_COUNTING_MODEL = "int_basket_item_pairs_counted"
# Issue 12's targets on this machine, at the large scale (8 GB = 8e9 bytes).
BUILD_SECONDS_TARGET = 600.0
PEAK_MEMORY_TARGET_BYTES = 8_000_000_000
FLOOR_MULTIPLE_TARGET = 3.0


def compare_peers(runs: list[dict], model_seconds: dict[str, float], parents: dict[str, list[str]],
                  build_wall_seconds: float | None) -> dict:
    """How many times faster the project is than each peer that ran: from the
    raw files, the peer's time over the mart with every model upstream of it;
    the compute step, the peer's time after reading and checking the files
    over the mart's own time (its inputs already built). And all peers together
    over the three marts with their upstream models counted once, and over the build."""
    rows = []
    for run in runs:
        mart = run["mart"]
        own = model_seconds.get(mart)
        lineage = lineage_seconds(mart, model_seconds, parents) if own is not None and parents else None
        compute = None if run.get("read_seconds") is None else run["seconds"] - run["read_seconds"]
        rows.append({**run, "mart_seconds": own, "mart_lineage_seconds": lineage,
                     "faster_with_upstream": _ratio(run["seconds"], lineage),
                     "peer_compute_seconds": compute, "faster_compute_step": _ratio(compute, own)})
    marts = [run["mart"] for run in runs if run["mart"] in model_seconds]
    together = set(marts).union(*(_ancestors(mart, parents) for mart in marts))
    ran = all(run["seconds"] is not None for run in runs) and len(marts) == len(runs)
    peer_seconds = sum(run["seconds"] for run in runs) if ran else None
    lineage = sum(model_seconds.get(name, 0.0) for name in together) if ran and parents else None
    return {"runs": rows, "together": {
        "peer_seconds": peer_seconds, "marts_with_upstream_seconds": lineage,
        "faster_with_upstream": _ratio(peer_seconds, lineage), "build_wall_seconds": build_wall_seconds,
        "faster_than_build": _ratio(peer_seconds, build_wall_seconds)}}


# ----------------------------------------------------------------------------- the report

def _node_name(unique_id: str) -> str:
    """model.member_analytics.<name>, test.member_analytics.<name>[.<hash>] -> <name>."""
    return unique_id.split(".")[2]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _ancestors(model: str, parents: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(parents.get(model, []))
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(parents.get(parent, []))
    return seen


def lineage_seconds(model: str, model_seconds: dict[str, float], parents: dict[str, list[str]]) -> float:
    """The model's time plus that of every model upstream of it: what it costs from raw."""
    return model_seconds[model] + sum(model_seconds.get(name, 0.0) for name in _ancestors(model, parents))


def _compared(model: str, model_seconds: dict[str, float], parents: dict[str, list[str]],
              base_seconds: float | None, counting_model: str | None = None) -> dict:
    """One mart against its floor. `seconds` is its own time, plus that of
    `counting_model` when that is one of its parents (the work the floor does
    that the mart leaves to it); `model_seconds` the mart's node alone."""
    lineage = lineage_seconds(model, model_seconds, parents) if parents else None
    counted_in = counting_model if counting_model in parents.get(model, []) and counting_model in model_seconds else None
    own = model_seconds[model] + (model_seconds[counted_in] if counted_in else 0.0)
    return {"model": model, "seconds": own, "multiple": _ratio(own, base_seconds),
            "model_seconds": model_seconds[model], "counted_in": counted_in,
            "lineage_seconds": lineage, "lineage_multiple": _ratio(lineage, base_seconds)}


def summarise_build(run_results: dict, model_paths: dict[str, str], floors: dict[str, float],
                    parents: dict[str, list[str]] | None = None) -> dict:
    """Per-node times of one build (dbt's run_results.json) turned into the report's
    figures: totals by resource type, every model's time, the ten slowest models,
    each mart as a multiple of its floor (`floors`: seconds of "rfm" and "pairs"),
    and the tier and points models as a multiple of fct_member_rfm's time.
    `model_paths` (model -> file path) says which folder a model is in; `parents`
    (model -> parent models), when given, adds each mart's lineage time."""
    parents = parents or {}
    seconds_by_type: dict[str, float] = {}
    nodes_by_type: dict[str, int] = {}
    statuses: dict[str, int] = {}
    model_seconds: dict[str, float] = {}
    test_seconds: dict[str, float] = {}
    failed = []
    for result in run_results.get("results", []):
        kind = result["unique_id"].split(".")[0]
        seconds = float(result.get("execution_time") or 0.0)
        seconds_by_type[kind] = seconds_by_type.get(kind, 0.0) + seconds
        nodes_by_type[kind] = nodes_by_type.get(kind, 0) + 1
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        if result["status"] in ("error", "fail", "runtime error"):
            failed.append(result["unique_id"])
        if kind == "model":
            model_seconds[_node_name(result["unique_id"])] = seconds
        elif kind == "test":
            test_seconds[_node_name(result["unique_id"])] = seconds
    ordered = dict(sorted(model_seconds.items(), key=lambda item: (-item[1], item[0])))
    total_model_seconds = sum(model_seconds.values())
    rfm_floor, pairs_floor = floors.get("rfm"), floors.get("pairs")
    pairs_marts = sorted((name for name, path in model_paths.items()
                          if name in model_seconds and path.startswith(PAIRS_FLOOR_FOLDERS)),
                         key=lambda name: (name != PAIRS_MART, name))
    tier_models = sorted(name for name, path in model_paths.items()
                         if name in model_seconds and path.startswith(RFM_MART_FOLDERS))
    vs_floor = ([dict(_compared(name, model_seconds, parents, rfm_floor), floor="rfm")
                 for name in RFM_FLOOR_MARTS if name in model_seconds]
                + [dict(_compared(name, model_seconds, parents, pairs_floor, PAIRS_COUNTING_MODEL), floor="pairs")
                   for name in pairs_marts])
    rfm_mart_seconds = model_seconds.get(RFM_MART)
    return {
        "elapsed_seconds": run_results.get("elapsed_time"),
        "dbt_version": run_results.get("metadata", {}).get("dbt_version"),
        "statuses": statuses,
        "failed": failed,
        "nodes_by_resource_type": nodes_by_type,
        "seconds_by_resource_type": seconds_by_type,
        "model_seconds": ordered,
        "slowest_models": [{"model": name, "seconds": seconds, "share_of_model_time": _ratio(seconds,
                                                                                               total_model_seconds)}
                           for name, seconds in list(ordered.items())[:10]],
        "slowest_tests": [{"test": name, "seconds": seconds} for name, seconds in
                          sorted(test_seconds.items(), key=lambda item: (-item[1], item[0]))[:5]],
        "vs_floor": vs_floor,
        "vs_fct_member_rfm": [{"model": name, "seconds": model_seconds[name],
                               "multiple": _ratio(model_seconds[name], rfm_mart_seconds)}
                              for name in tier_models],
    }


def _multiple_of(summary: dict, model: str) -> float | None:
    return next((row["multiple"] for row in summary.get("vs_floor", []) if row["model"] == model), None)


def targets(scale: dict) -> list[dict]:
    """Issue 12's targets (set for the large scale) against one scale's figures."""
    summary = scale.get("build_summary", {})
    rows = [
        ("full build (wall) within 10 min", BUILD_SECONDS_TARGET, scale.get("build", {}).get("wall_seconds"), "s"),
        ("peak memory of the build under 8 GB", PEAK_MEMORY_TARGET_BYTES,
         scale.get("build", {}).get("peak_rss_bytes"), "bytes"),
        (f"{RFM_MART} within 3x the RFM floor", FLOOR_MULTIPLE_TARGET, _multiple_of(summary, RFM_MART), "x"),
        (f"{PAIRS_MART} within 3x the pairs floor", FLOOR_MULTIPLE_TARGET, _multiple_of(summary, PAIRS_MART), "x"),
    ]
    return [{"target": name, "limit": limit, "measured": measured, "unit": unit,
             "passed": None if measured is None else measured <= limit}
            for name, limit, measured, unit in rows]


def _path(record: dict, keys: tuple[str, ...]) -> float | None:
    for key in keys:
        record = (record or {}).get(key)
    return record


GROWTH_FIGURES = {
    "orders_ratio": ("rows", "orders"),
    "build_wall_ratio": ("build", "wall_seconds"),
    "model_seconds_ratio": ("build_summary", "seconds_by_resource_type", "model"),
    "peak_rss_ratio": ("build", "peak_rss_bytes"),
    "warehouse_bytes_ratio": ("warehouse_bytes",),
    "rfm_floor_ratio": ("floors", "rfm", "seconds"),
    "pairs_floor_ratio": ("floors", "pairs", "seconds"),
}


def growth(scales: list[dict]) -> list[dict]:
    """Ratios between consecutive scales. build_vs_orders is the build-time ratio
    divided by the order-count ratio: 1 is linear, below 1 the fixed costs
    (dbt start, ~550 nodes) still weigh, above 1 worse than linear."""
    rows = []
    for smaller, larger in zip(scales, scales[1:], strict=False):
        row = {"from": smaller["scale"], "to": larger["scale"]}
        row.update({name: _ratio(_path(larger, keys), _path(smaller, keys)) for name, keys in GROWTH_FIGURES.items()})
        row["build_vs_orders"] = _ratio(row["build_wall_ratio"], row["orders_ratio"])
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- issue 27's targets

# The full build with write-audit-publish (production tests, Great Expectations,
# publishing), wall time: limit (and goal) by the scale the issue sets it for.
WAP_BUILD_SECONDS_TARGETS = {"medium": (60.0, None), "large": (600.0, 300.0)}
LINEAGE_FLOOR_TARGET = 10.0
LINEAGE_FLOOR_SCALES = ("medium", "large")
PEER_TARGET_SCALES = ("medium",)
MODEL_TIME_GROWTH_TARGET = 12.0


def _lineage_multiple_of(summary: dict, model: str) -> float | None:
    return next((row["lineage_multiple"] for row in summary.get("vs_floor", []) if row["model"] == model), None)


def _target_row(name: str, limit: float, measured: float | None, unit: str, applies: bool,
                goal: float | None = None, set_for: str = "") -> dict:
    """One target: passed is None when unmeasured or when the scale is not the one it is set for."""
    return {"target": name, "limit": limit, "goal": goal, "measured": measured, "unit": unit,
            "set_for": set_for, "applies": applies,
            "passed": None if measured is None or not applies else measured <= limit}


def issue27_targets(scale: dict) -> list[dict]:
    """Issue 27's targets against one scale's figures (the plain build's figures stay under
    `targets`): the write-audit-publish build's wall time (medium, large) and peak memory,
    fct_member_rfm and fct_product_pairs with upstream within 10x their floors (medium,
    large), and the three marts the peers answer, with upstream, no slower than the peers
    (medium): project time over peer time, at most 1."""
    name, summary, wap = scale.get("scale"), scale.get("build_summary", {}), scale.get("wap_build") or {}
    limit, goal = WAP_BUILD_SECONDS_TARGETS.get(name, WAP_BUILD_SECONDS_TARGETS["large"])
    rows = [
        _target_row("full build with write-audit-publish (wall, GX and publishing included)", limit,
                    wap.get("wall_seconds"), "s", name in WAP_BUILD_SECONDS_TARGETS, goal,
                    name if name in WAP_BUILD_SECONDS_TARGETS else "medium: 60 s; large: 10 min"),
        _target_row("peak memory of the write-audit-publish build under 8 GB (largest process)",
                    PEAK_MEMORY_TARGET_BYTES, wap.get("peak_rss_bytes"), "bytes", True, set_for="every scale"),
    ]
    if wap and not str(wap.get("outcome", "")).startswith("published"):
        # a build that did not publish meets no target, however fast it failed
        for row in rows:
            if row["passed"] is not None:
                row["passed"] = False
    for mart, floor in ((RFM_MART, "RFM"), (PAIRS_MART, "pairs")):
        rows.append(_target_row(f"{mart} with upstream within {LINEAGE_FLOOR_TARGET:g}x the {floor} floor",
                                LINEAGE_FLOOR_TARGET, _lineage_multiple_of(summary, mart), "x",
                                name in LINEAGE_FLOOR_SCALES, set_for=", ".join(LINEAGE_FLOOR_SCALES)))
    peers = scale.get("peers") or {}
    for run in peers.get("runs", []):
        rows.append(_target_row(f"{run['mart']} with upstream no slower than the {run['peer']} peer "
                                "(project ÷ peer)", 1.0, _ratio(run.get("mart_lineage_seconds"), run.get("seconds")),
                                "x", name in PEER_TARGET_SCALES, set_for=", ".join(PEER_TARGET_SCALES)))
    if peers.get("together"):
        together = peers["together"]
        rows.append(_target_row("the three marts with upstream no slower than the three peers together "
                                "(project ÷ peers)", 1.0,
                                _ratio(together.get("marts_with_upstream_seconds"), together.get("peer_seconds")),
                                "x", name in PEER_TARGET_SCALES, set_for=", ".join(PEER_TARGET_SCALES)))
    return rows


def growth_targets(scales: list[dict]) -> list[dict]:
    """Issue 27's target across scales: summed model time (the plain build's) large over
    medium at most 12, for about 10x the orders. Empty unless both scales ran."""
    by_name = {scale["scale"]: scale for scale in scales}
    if "medium" not in by_name or "large" not in by_name:
        return []
    large, medium = by_name["large"], by_name["medium"]
    ratio = _ratio(_path(large, GROWTH_FIGURES["model_seconds_ratio"]),
                   _path(medium, GROWTH_FIGURES["model_seconds_ratio"]))
    orders = _ratio(_path(large, GROWTH_FIGURES["orders_ratio"]), _path(medium, GROWTH_FIGURES["orders_ratio"]))
    return [_target_row(f"summed model time large ÷ medium at most {MODEL_TIME_GROWTH_TARGET:g} "
                        f"(orders {_times_text(orders)})", MODEL_TIME_GROWTH_TARGET, ratio, "x", True,
                        set_for="large ÷ medium")]


def _times_text(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}×"
