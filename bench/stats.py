"""Spread of repeated measurements: every benchmark figure is reported as min / median / max."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(values: Sequence[float], digits: int = 3) -> dict:
    """{"min", "median", "max", "n", "values"} of repeated measurements of one figure."""
    vals = [float(v) for v in values]
    if not vals:
        return {"min": None, "median": None, "max": None, "n": 0, "values": []}
    return {
        "min": round(min(vals), digits),
        "median": round(statistics.median(vals), digits),
        "max": round(max(vals), digits),
        "n": len(vals),
        "values": [round(v, digits) for v in vals],
    }


def relative_range(s: dict) -> float:
    """(max - min) / median: how far apart the repetitions are."""
    if not s.get("n") or not s["median"]:
        return 0.0
    return (s["max"] - s["min"]) / abs(s["median"])


def fmt(s: dict, digits: int = 2) -> str:
    """'median (min-max)' for a table cell."""
    if not s.get("n"):
        return "-"
    if s["n"] == 1:
        return f"{s['median']:.{digits}f}"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"
