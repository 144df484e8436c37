"""Vectorised conversion of numeric columns to the text written in the files.

Every file column is text (Arrow `string`): CSV and Parquet hold the same
values, and dirty values (e.g. "12,50" in an amount) fit in any column. An
empty value is a null (an empty unquoted field in CSV). `NA` marks a missing
number or timestamp in the numeric arrays.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .seasons import NA


def _mask(values: np.ndarray) -> np.ndarray | None:
    missing = values == NA
    return missing if missing.any() else None


def integers(values: np.ndarray) -> pa.Array:
    """Integers as decimal text; NA -> null."""
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values, mask=_mask(values)).cast(pa.string())


def padded(numbers: np.ndarray, prefix: str, width: int) -> pa.Array:
    """Ids such as prefix + zero-padded number ("0004512", "M0004512")."""
    digits = pc.utf8_lpad(integers(numbers), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "") if prefix else digits


def timestamps(seconds: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD HH:MM:SS` local wall-clock time; NA -> null."""
    seconds = np.asarray(seconds, dtype=np.int64)
    return pa.array(seconds.view("datetime64[s]"), mask=_mask(seconds)).cast(pa.string())


def dates(seconds: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD` of timestamps; NA -> null."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days = np.where(seconds == NA, 0, seconds // 86_400).astype("datetime64[D]")
    return pa.array(days, mask=_mask(seconds)).cast(pa.string())


def money(cents: np.ndarray) -> pa.Array:
    """Non-negative cents as yuan with exactly two decimals ("59.90"); NA -> null."""
    cents = np.asarray(cents, dtype=np.int64)
    mask = _mask(cents)
    safe = np.where(cents == NA, 0, cents)
    yuan = pa.array(safe // 100).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(safe % 100).cast(pa.string()), width=2, padding="0")
    joined = pc.binary_join_element_wise(yuan, fraction, ".")
    return pc.if_else(pa.array(mask), pa.nulls(len(cents), pa.string()), joined) \
        if mask is not None else joined


def choices(words, index: np.ndarray) -> pa.Array:
    """words[index]; a negative index -> null."""
    index = np.asarray(index, dtype=np.int64)
    missing = index < 0
    taken = pa.array(list(words), pa.string()).take(pa.array(np.where(missing, 0, index)))
    if missing.any():
        return pc.if_else(pa.array(missing), pa.nulls(len(index), pa.string()), taken)
    return taken


def constant(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def table(columns: dict[str, pa.Array]) -> pa.Table:
    return pa.table({name: column.cast(pa.string()) for name, column in columns.items()})
