"""`generate`: write the raw-data contract tables and ground_truth.json for one scale."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .campaigns import build_campaigns, settings
from .dirt import Planter, vary_formats
from .scales import SCALES, shops_for
from .seasons import Calendar
from .shop import build_shop
from .truth import Truth
from .writer import COLUMNS, FORMATS, OPTIONAL_TABLES, TableWriters, schema


def generate(out_dir: Path, scale: str = "small", seed: int = 42, file_format: str = "parquet",
             as_of_date: str = "2026-11-18", campaigns: bool = True) -> dict:
    """Write `<table>.<file_format>` for every contract table and `ground_truth.json`
    into out_dir (created if missing; contract files of either format are replaced)
    and return the ground truth. Same arguments -> byte-identical files.

    `campaigns` adds the optional tables campaign_sends and campaign_assignments (a
    campaign history with a planted uplift, campaigns.py) and their ground truth; they
    draw from streams of their own and are written after the other tables, so every
    other file and ground-truth fact is the same with or without them."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {FORMATS}, got {file_format!r}")
    out_dir = Path(out_dir)
    params = SCALES[scale]
    calendar = Calendar.ending(as_of_date)
    truth = Truth(seed, scale, params, file_format, calendar)
    tables = tuple(t for t in COLUMNS if campaigns or t not in OPTIONAL_TABLES)
    with TableWriters(out_dir, file_format, tables) as writers:
        for shop in shops_for(params):
            data = build_shop(shop, params, calendar, seed)
            clean = vary_formats(data.tables(), np.random.default_rng([seed, shop.number, 98]))
            for table, rows in clean.items():
                writers.write(table, rows)
            ledger = Planter(shop, clean, params["dirt_per_shop"],
                             np.random.default_rng([seed, shop.number, 99]),
                             dict(writers.rows)).plant()
            for table, rows in ledger.tables({t: schema(t) for t in clean}).items():
                writers.write(table, rows)
            truth.add_shop(data, ledger)
            if campaigns:
                history = build_campaigns(data, params, seed)
                for table, rows in history.tables(data.member_ids).items():
                    writers.write(table, rows)
                truth.add_campaigns(history.truth_campaigns(),
                                    history.truth_recent_contacts(data.member_ids), settings())
        ground_truth = truth.finish(dict(writers.rows))
    (out_dir / "ground_truth.json").write_text(
        json.dumps(ground_truth, sort_keys=True, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return ground_truth
