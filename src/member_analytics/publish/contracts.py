"""The public marts' interface, committed (contracts/public_marts.json).

BI users and other tools rely on the marts' names, columns and types. dbt's
enforced contracts keep each build true to the YAML; this file keeps the YAML
true to what was published before: a test compares the two, so a change to a
public column is a deliberate, reviewed change (run `member-analytics contracts
--write` and commit the file). Personal-data tags ride along: the per-shop
bundles leave tagged columns (and tagged marts) out (docs/decisions/0063). So does
`meta: head_office_only`: a mart of several shops' rows at once (no single shop_id,
e.g. rpt_shop_overlap) goes only into the head-office bundle (docs/decisions/0126).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from member_analytics.env import project_root

ROOT = project_root()
CONTRACTS_FILE = Path("contracts") / "public_marts.json"
PERSONAL_DATA_TAG = "personal_data"
HEAD_OFFICE_ONLY = "head_office_only"


def _tags(node: dict) -> list[str]:
    return list(node.get("tags", [])) + list(node.get("config", {}).get("tags", []))


def _meta(node: dict) -> dict:
    return {**node.get("meta", {}), **node.get("config", {}).get("meta", {})}


def _grain(description: str) -> str:
    text = " ".join(description.split())
    match = re.match(r"(.+?[.:])(\s|$)", text)
    return match.group(1) if match else text


def current_contracts(root: Path = ROOT) -> dict:
    """Every contracted mart under models/marts, from its YAML."""
    marts = {}
    for path in sorted((root / "models" / "marts").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            if not model.get("config", {}).get("contract", {}).get("enforced"):
                continue
            key = []
            for test in model.get("data_tests", []):
                if isinstance(test, dict) and "unique_combination_of_columns" in test:
                    key = list(test["unique_combination_of_columns"]["arguments"]["combination_of_columns"])
            if not key:
                key = [column["name"] for column in model["columns"]
                       if "unique" in (column.get("data_tests") or [])][:1]
            marts[model["name"]] = {
                "grain": _grain(model.get("description", "")),
                "key": key,
                "personal_data": PERSONAL_DATA_TAG in _tags(model),
                HEAD_OFFICE_ONLY: bool(_meta(model).get(HEAD_OFFICE_ONLY, False)),
                "columns": {column["name"]: column.get("data_type") for column in model["columns"]},
                "personal_data_columns": [column["name"] for column in model["columns"]
                                          if PERSONAL_DATA_TAG in _tags(column)],
            }
    return dict(sorted(marts.items()))


def committed_contracts(root: Path = ROOT) -> dict:
    path = root / CONTRACTS_FILE
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def write(root: Path = ROOT) -> Path:
    path = root / CONTRACTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current_contracts(root), indent=2, ensure_ascii=False) + "\n")
    return path


def differences(root: Path = ROOT) -> list[str]:
    """How the YAML differs from the committed interface, in words (empty: none)."""
    now, committed = current_contracts(root), committed_contracts(root)
    found = [f"new public mart {name}" for name in sorted(set(now) - set(committed))]
    found += [f"public mart {name} was removed" for name in sorted(set(committed) - set(now))]
    for name in sorted(set(now) & set(committed)):
        before, after = committed[name]["columns"], now[name]["columns"]
        found += [f"{name}: new column {column}" for column in after if column not in before]
        found += [f"{name}: column {column} was removed" for column in before if column not in after]
        found += [f"{name}.{column}: data type {before[column]} -> {after[column]}"
                  for column in after if column in before and before[column] != after[column]]
        for field in ("key", "grain", "personal_data", HEAD_OFFICE_ONLY, "personal_data_columns"):
            if committed[name].get(field, False) != now[name].get(field, False):
                found.append(f"{name}: {field} {committed[name].get(field)!r} -> {now[name].get(field)!r}")
        if [c for c in before if c in after] != [c for c in after if c in before]:
            found.append(f"{name}: the column order changed")
    return found
