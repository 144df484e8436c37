"""Helpers for the column dataclasses (Orders, Behavior, Service, Points): each field is a
numpy array and all fields have the same length."""
from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def take(frame: T, rows: np.ndarray) -> T:
    """The given rows (indices or a boolean mask), in that order."""
    return type(frame)(**{f.name: getattr(frame, f.name)[rows] for f in fields(frame)})


def concat(parts: list[T]) -> T:
    return type(parts[0])(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                             for f in fields(parts[0])})


def distinct(frame: T, sorted_by: str) -> T:
    """Drops rows equal to an earlier row in every field (keeps order). The frame is
    sorted by the field `sorted_by`, so only rows sharing its value with a neighbour
    need comparing."""
    key = getattr(frame, sorted_by)
    tie = np.zeros(len(key), dtype=bool)
    tie[1:] = key[1:] == key[:-1]
    tie[:-1] |= tie[1:]
    candidates = np.flatnonzero(tie)
    columns = [getattr(frame, f.name)[candidates] for f in fields(frame)]
    order = np.lexsort(columns[::-1])       # stable: equal rows stay in file order
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for column in columns:
        ordered = column[order]
        same &= ordered[1:] == ordered[:-1]
    keep = np.ones(len(key), dtype=bool)
    keep[candidates[order[1:][same]]] = False
    return take(frame, keep)
