"""The house rules read from dbt's own graph (docs/decisions/0100):

- arrows point down the layers: staging reads only sources (and order lines the
  orders' verdicts), intermediate models
  read only staging, intermediate models and seeds, never a mart;
- the test tiers of selectors.yml: `production` (every build) holds every model
  and seed and leaves out exactly the suite tier (tests tagged `suite` and unit
  tests); `suite` is everything; the `*_after_raw_audit` variants are the same
  tiers less what `member-analytics build`'s raw audit has already built.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import DbtProject

pytestmark = pytest.mark.dbt


def _dbt(home: Path, *args: str) -> subprocess.CompletedProcess:
    raw = home / "raw"
    raw.mkdir(exist_ok=True)  # parse and ls read no raw file
    return DbtProject(home, raw).dbt(*args)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("layers")


@pytest.fixture(scope="module")
def manifest(home) -> dict:
    _dbt(home, "parse", "--quiet")
    return json.loads((home / "target" / "manifest.json").read_text())


def _layer(node: dict) -> str:
    path = node["original_file_path"]
    if path.startswith("seeds/"):
        return "seeds"
    parts = path.split("/")
    return parts[1] if parts[0] == "models" and len(parts) > 2 else parts[0]


# which layers each layer may read (models only; tests may join anything)
ALLOWED = {
    "staging": set(),
    "intermediate": {"staging", "intermediate", "seeds"},
}
# the one edge inside a layer: order lines are checked against the orders' verdicts in
# staging, so their original values are written once, for rejected rows only (0100)
EXCEPTIONS = {("stg_shop__order_items", "stg_shop__orders")}


def test_arrows_point_down_the_layers(manifest):
    nodes = manifest["nodes"]
    wrong = []
    for node in nodes.values():
        if node["resource_type"] != "model" or _layer(node) not in ALLOWED:
            continue
        for parent in node["depends_on"]["nodes"]:
            if (parent in nodes and _layer(nodes[parent]) not in ALLOWED[_layer(node)]
                    and (node["name"], nodes[parent]["name"]) not in EXCEPTIONS):
                wrong.append(f"{node['name']} ({_layer(node)}) reads {nodes[parent]['name']} ({_layer(nodes[parent])})")
    assert not wrong, "models reading a layer above their own:\n" + "\n".join(sorted(wrong))
    intermediate = [node for node in nodes.values() if node["resource_type"] == "model" and _layer(node) == "intermediate"]
    assert len(intermediate) >= 5, "the check must see the intermediate models"


def test_the_layer_check_catches_an_intermediate_model_reading_a_mart(manifest):
    """The check above on a doctored copy of the manifest: one intermediate model made
    to read a mart must be reported."""
    nodes = json.loads(json.dumps(manifest["nodes"]))
    intermediate = next(node for node in nodes.values()
                        if node["resource_type"] == "model" and _layer(node) == "intermediate")
    mart = next(unique_id for unique_id, node in nodes.items()
                if node["resource_type"] == "model" and _layer(node) == "marts")
    intermediate["depends_on"]["nodes"].append(mart)
    with pytest.raises(AssertionError, match="reads"):
        test_arrows_point_down_the_layers({"nodes": nodes})


def _selected(home: Path, *args: str) -> set[str]:
    output = _dbt(home, "ls", "--quiet", "--output", "json", "--output-keys", "unique_id",
                  "--resource-type", "model", "seed", "test", "unit_test", "snapshot", *args).stdout
    return {json.loads(line)["unique_id"] for line in output.splitlines() if line.startswith("{")}


@pytest.fixture(scope="module")
def tiers(home, manifest) -> dict[str, set[str]]:
    return {name: _selected(home, "--selector", name)
            for name in ("production", "suite", "production_after_raw_audit", "suite_after_raw_audit")}


def test_production_builds_everything_but_the_suite_tier(manifest, tiers):
    nodes = manifest["nodes"]
    every_node = {unique_id for unique_id, node in nodes.items()
                  if node["resource_type"] in ("model", "seed", "test")} | set(manifest["unit_tests"])
    suite_tier = {unique_id for unique_id, node in nodes.items() if "suite" in node.get("tags", [])}
    suite_tier |= set(manifest["unit_tests"])
    assert tiers["suite"] == every_node
    assert tiers["production"] == every_node - suite_tier
    assert len(manifest["unit_tests"]) >= 40 and len(suite_tier) > len(manifest["unit_tests"])
    # every model and seed is built by production; every test of a public mart's key runs there
    assert {unique_id for unique_id, node in nodes.items() if node["resource_type"] in ("model", "seed")} <= tiers["production"]
    assert not any(_layer(nodes[unique_id]) in ("staging", "intermediate")
                   for unique_id in tiers["production"] if nodes.get(unique_id, {}).get("resource_type") == "test"
                   and all(_layer(nodes[parent]) in ("staging", "intermediate")
                           for parent in nodes[unique_id]["depends_on"]["nodes"] if parent in nodes))
    reconciliation = [unique_id for unique_id in tiers["production"] if unique_id.endswith("assert_raw_rows_reconcile")]
    assert reconciliation, "the quarantine reconciliation protects BI users: it runs on every build"


def test_the_after_raw_audit_variants_leave_out_exactly_what_the_raw_audit_built(home, tiers):
    """member-analytics build first builds and tests +tag:quality_raw, then the rest:
    the variants equal the command line it used before the tiers, less the suite tier."""
    rest = _selected(home, "--exclude", "+tag:quality_raw", "--indirect-selection", "cautious")
    assert tiers["suite_after_raw_audit"] == rest
    assert tiers["production_after_raw_audit"] == rest & tiers["production"]


def test_the_raw_input_step_and_the_rest_make_up_exactly_the_tier(home, tiers):
    """member-analytics build runs the raw-input step, then the `_after_raw_audit` variant:
    together they run exactly the tier's nodes, each once. In the production tier the raw
    step runs no suite-tier test and no unit test (decision 0100)."""
    from member_analytics.publish.wap import raw_audit_args

    for tier, all_tests in (("production", False), ("suite", True)):
        args = raw_audit_args("{}", all_tests=all_tests)
        raw_step = _selected(home, *args[args.index("--select"):args.index("--vars")],
                             *args[args.index("--vars") + 2:])
        rest = tiers[f"{tier}_after_raw_audit"]
        assert raw_step and not raw_step & rest, tier
        assert raw_step | rest == tiers[tier], tier
