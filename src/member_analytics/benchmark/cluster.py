"""The cluster estimate: nodes for 100x the large scale from one measured Spark
build (docs/decisions/0092 says why these assumptions).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


CLUSTER_TARGET_ORDERS = 1_000_000_000


@dataclass(frozen=True)
class ClusterAssumptions:
    """What the cluster estimate assumes (docs/decisions/0092 says why)."""

    target_orders: int = CLUSTER_TARGET_ORDERS
    target_wall_seconds: float = 2 * 3600.0     # a nightly full rebuild in two hours
    cores_per_node: int = 16                    # a common worker: 16 vCPU, 128 GB
    memory_per_node_bytes: int = 128 * 10**9
    parallel_efficiency: float = 0.5            # share of the cores' time doing tasks (skew, stragglers, waits)
    growth_exponent: float = 1.0                # task time and shuffle grow as orders ** exponent
    shuffle_memory_fraction: float = 0.3        # of a node's memory that holds one model's shuffle without spilling
    partition_bytes: int = 128 * 10**6          # target shuffle partition size


def fit_fixed_and_per_order(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Two or more (orders, seconds) points -> (fixed seconds, seconds per order) of the
    line through the smallest and the largest point (fixed is floored at 0)."""
    (small_orders, small_seconds), (large_orders, large_seconds) = min(points), max(points)
    per_order = (large_seconds - small_seconds) / (large_orders - small_orders)
    return max(small_seconds - per_order * small_orders, 0.0), per_order


def estimate_cluster(orders: float, task_seconds: float, heaviest_shuffle_bytes: float, raw_bytes: float,
                     warehouse_bytes: float, fixed_seconds: float = 0.0,
                     assumptions: ClusterAssumptions = ClusterAssumptions()) -> dict:
    """Nodes for `assumptions.target_orders`, from one measured Spark build of `orders` orders:
    its summed task time (core-seconds), the largest shuffle one model wrote, the raw
    files and the warehouse. Task time and shuffle grow as (target / orders) ** exponent;
    the build's fixed part (dbt, query planning, ~1,000 nodes one after another on two
    threads) does not shrink with more nodes. Nodes are the larger of: enough cores to do
    the task time in the wall-time target at the given efficiency, and enough memory to
    hold the heaviest model's shuffle at `shuffle_memory_fraction` of each node's memory."""
    a = assumptions
    factor = a.target_orders / orders
    grown = factor ** a.growth_exponent
    core_seconds = task_seconds * grown
    shuffle_bytes = heaviest_shuffle_bytes * grown
    compute_budget = max(a.target_wall_seconds - fixed_seconds, 1.0)
    cores_for_time = core_seconds / (compute_budget * a.parallel_efficiency)
    nodes_for_time = cores_for_time / a.cores_per_node
    nodes_for_shuffle = shuffle_bytes / (a.memory_per_node_bytes * a.shuffle_memory_fraction)
    nodes = max(1, int(-(-max(nodes_for_time, nodes_for_shuffle) // 1)))
    cores = nodes * a.cores_per_node
    return {
        "assumptions": asdict(a),
        "scale_factor": factor,
        "growth_factor": grown,
        "core_seconds": core_seconds,
        "core_hours": core_seconds / 3600,
        "heaviest_shuffle_bytes": shuffle_bytes,
        "shuffle_partitions": int(-(-shuffle_bytes // a.partition_bytes)),
        "raw_bytes": raw_bytes * factor,
        "warehouse_bytes": warehouse_bytes * factor,
        "nodes_for_time": nodes_for_time,
        "nodes_for_shuffle": nodes_for_shuffle,
        "nodes": nodes,
        "cores": cores,
        "memory_bytes": nodes * a.memory_per_node_bytes,
        "expected_wall_seconds": fixed_seconds + core_seconds / (cores * a.parallel_efficiency),
    }


def cluster_inputs(scales: list[dict]) -> dict | None:
    """The estimate's inputs from the largest Spark scale with an event log: its tasks'
    CPU time, heaviest shuffle, raw and warehouse bytes (and the fixed part from the
    line through the smallest and largest scale's wall times). `complete` is false when
    that scale's build did not finish (its figures then cover the nodes that did);
    `fixed_from_complete_builds` when any of the builds behind the fixed part did not."""
    measured = [scale for scale in scales if scale.get("spark_events")]
    if not measured:
        return None
    largest = max(measured, key=lambda scale: scale["rows"]["orders"])
    models = {name: row for name, row in largest["spark_events"]["models"].items() if name != "(other)"}
    heaviest = max(models.items(), key=lambda item: item[1]["shuffle_write_bytes"], default=(None, {}))
    points = [(scale["rows"]["orders"], scale["build"]["wall_seconds"]) for scale in measured]
    fixed = fit_fixed_and_per_order(points)[0] if len({orders for orders, _ in points}) > 1 else 0.0
    total = largest["spark_events"]["total"]
    # CPU time, not task (wall) time: on a shared machine tasks wait for a core, which a
    # cluster's dedicated cores do not; the efficiency assumption covers I/O and waits.
    return {"scale": largest["scale"], "orders": largest["rows"]["orders"],
            "complete": largest["build"]["returncode"] == 0,
            "fixed_from_complete_builds": all(scale["build"]["returncode"] == 0 for scale in measured),
            "task_seconds": total.get("cpu_seconds") or total["task_seconds"],
            "heaviest_shuffle_model": heaviest[0], "heaviest_shuffle_bytes": heaviest[1].get("shuffle_write_bytes", 0),
            "raw_bytes": largest["raw_bytes"], "warehouse_bytes": largest["warehouse_bytes"], "fixed_seconds": fixed}
