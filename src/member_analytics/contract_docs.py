"""docs/raw_data_contract.md's generated part, from the contract's one written place:
the literals of macros/contract/raw_contract.sql (docs/decisions/0110).

    member-analytics contract-docs          # check (exit 1 when stale)
    member-analytics contract-docs --write  # rewrite the generated part
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MACRO = ROOT / "macros" / "contract" / "raw_contract.sql"
DOC = ROOT / "docs" / "raw_data_contract.md"
BEGIN = "<!-- generated from macros/contract/raw_contract.sql: member-analytics contract-docs --write -->"
END = "<!-- end of generated part -->"
KIND_TEXT = {
    "key": "text or an integer (written as text; a float or decimal key is a contract error)",
    "code": "text",
    "text": "text or an integer",
    "timestamp": "text, timestamp (local shop time), timestamp with time zone (converted to the shop's zone) or date",
    "date": "text, date, or timestamp without zone (midnight written as the date)",
    "amount": "text, integer, decimal or float (rounded half away from zero to cents)",
    "integer": "text, integer, or a float/decimal (integral values written as integers)",
    "boolean": "text, boolean (true/false) or integer",
}


def _literal(macro_name: str) -> dict:
    text = MACRO.read_text(encoding="utf-8")
    match = re.search(r"{%\s*macro " + macro_name + r"\(\)\s*%}\s*{{\s*return\((.*?)\)\s*}}\s*{%\s*endmacro",
                      text, re.S)
    if not match:
        raise ValueError(f"{MACRO}: no literal in macro {macro_name}")
    return ast.literal_eval(match.group(1))


def contract() -> tuple[dict, dict, dict]:
    return _literal("raw_contract"), _literal("raw_column_kinds"), _literal("raw_kind_accepts")


def generated() -> str:
    tables, kinds, _ = contract()
    lines = [BEGIN, "", "| table | column | required | kind |", "| --- | --- | --- | --- |"]
    for table, spec in tables.items():
        for column in ["shop_id", *spec["required"], *spec["optional"]]:
            required = "yes" if column in spec["required"] else ("all or none" if column == "shop_id" else "")
            lines.append(f"| `{table}` | `{column}` | {required} | {kinds[column]} |")
    lines += ["", "| kind | typed (Parquet or warehouse) columns accepted |", "| --- | --- |"]
    for kind in dict.fromkeys(kinds.values()):
        lines.append(f"| {kind} | {KIND_TEXT[kind]} |")
    return "\n".join(lines + ["", END])


def current() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index(BEGIN):text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    if "--write" in argv:
        text = DOC.read_text(encoding="utf-8")
        DOC.write_text(text.replace(current(), generated()), encoding="utf-8")
        return 0
    if current() != generated():
        print(f"{DOC} is stale: run member-analytics contract-docs --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
