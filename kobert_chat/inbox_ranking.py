"""Which unlabeled messages are worth a label first: the least certain, and not ten of the same.

Uncertainty is the smallest top-2 margin over the heads (a message the model hesitates on for either
intent or emotion is worth a look). Diversity: walking from the least certain, a message whose
character 3-grams overlap one already picked by DUPLICATE_JACCARD or more is deferred to the end, so
near-identical messages ("ㅋㅋ 고마워", "ㅋㅋㅋ 고마워") do not fill the top of the inbox.
Pure functions: the engine feeds them fresh predictions of the current model.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .predictions import HeadPrediction

DUPLICATE_JACCARD = 0.5
T = TypeVar("T")


@dataclass(frozen=True)
class Ranked(Generic[T]):
    item: T
    predictions: dict[str, HeadPrediction]
    uncertainty: float  # 1 - smallest top-2 margin, in [0, 1]

    @property
    def suggested(self) -> dict[str, str]:
        """The model's label per head: what one key accepts."""
        return {head: p.label for head, p in self.predictions.items()}


def uncertainty(predictions: Mapping[str, HeadPrediction]) -> float:
    if not predictions:
        return 1.0
    return 1.0 - min(max(0.0, min(1.0, p.margin)) for p in predictions.values())


def rank(
    items: Sequence[T], texts: Sequence[str], predictions: Sequence[Mapping[str, HeadPrediction]]
) -> list[Ranked[T]]:
    """Least certain first, near-duplicates of an earlier pick moved after the distinct ones."""
    scored = sorted(
        (
            (Ranked(item, dict(preds), uncertainty(preds)), _trigrams(text))
            for item, text, preds in zip(items, texts, predictions, strict=True)
        ),
        key=lambda pair: -pair[0].uncertainty,
    )
    picked: list[tuple[Ranked[T], frozenset[str]]] = []
    deferred: list[Ranked[T]] = []
    for ranked, grams in scored:
        if any(_jaccard(grams, other) >= DUPLICATE_JACCARD for _, other in picked):
            deferred.append(ranked)
        else:
            picked.append((ranked, grams))
    return [r for r, _ in picked] + deferred


def _trigrams(text: str) -> frozenset[str]:
    t = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return frozenset(t[i : i + 3] for i in range(max(1, len(t) - 2)))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
