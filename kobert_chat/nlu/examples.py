"""Training examples and the validation split: plain data, no torch (the store, the CLI and the
data checks use them without importing the model side)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Example:
    text: str
    labels: dict[str, str]  # head -> label id; heads without a label are masked
    weight: float = 1.0  # user labels are weighted up so a few corrections matter
    ref: str = ""  # where it came from: "bundled", "message:<id>", "example:<id>", "file:<name>:<line>"


def stratified_split(
    examples: Sequence[Example], val_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Validation takes val_fraction of every (intent or first head) label group, at least one of groups >= 3."""
    groups: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        key = ex.labels.get("intent") or next(iter(sorted(ex.labels.items())), ("", ""))[1]
        groups[key].append(ex)
    rng = random.Random(seed)
    train, val = [], []
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        k = int(round(len(items) * val_fraction))
        if k == 0 and len(items) >= 3 and val_fraction > 0:
            k = 1
        val.extend(items[:k])
        train.extend(items[k:])
    return train, val
