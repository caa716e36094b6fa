"""What the classifier says about one text, per head: typed from the model to the database boundary.

No torch here: the store, the CLI and the window read predictions without the model side.
A message row stores `{head: HeadPrediction.to_dict()}` as JSON; `from_dict` reads it back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HeadPrediction:
    label: str
    confidence: float
    top: list[tuple[str, float]]  # best first, up to 3

    @property
    def margin(self) -> float:
        """Top-1 minus top-2 probability: small when the model hesitates between two labels."""
        return self.top[0][1] - self.top[1][1] if len(self.top) > 1 else self.top[0][1]

    def is_finite(self) -> bool:
        return math.isfinite(self.confidence) and all(math.isfinite(p) for _, p in self.top)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "top": [[lab, round(p, 4)] for lab, p in self.top],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HeadPrediction | None:
        """None for anything that is not a stored prediction (old or hand-edited rows)."""
        try:
            top = [(str(lab), float(p)) for lab, p in raw.get("top") or []]
            label = str(raw["label"])
            confidence = float(raw.get("confidence", top[0][1] if top else 0.0))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return cls(label, confidence, top or [(label, confidence)])


Predictions = Mapping[str, HeadPrediction]


def to_json_ready(predictions: Mapping[str, HeadPrediction | Mapping[str, Any]]) -> dict[str, Any]:
    """The stored form; plain dicts pass through (the store also takes them, e.g. from tests and imports)."""
    return {h: p.to_dict() if isinstance(p, HeadPrediction) else dict(p) for h, p in predictions.items()}
