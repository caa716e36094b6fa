"""Which answer to give, from a prediction and the answer pool. Pure: no database, no model.

Order: crisis rule (decided by the caller) -> low intent confidence or a small top-2 margin ->
fallback; else answers for (intent, emotion), then (intent, any emotion), then fallback. When both
exist, any-emotion answers join the emotion-specific ones at a quarter of their weight: they fit
every emotion, and without them they would never be shown for intents that cover every emotion.
Weighted random, never the same answer twice in a row in one conversation (when there is any choice).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .store import Answer

GENERAL_SHARE = 0.25
CLARIFY_MASS = 0.5


@dataclass(frozen=True)
class Choice:
    answer: Answer | None
    reason: str  # "crisis" | "matched" | "intent" | "low_confidence" | "no_answer" | "clarify"
    options: tuple[str, ...] = ()  # "clarify": the two intents to ask about

    @property
    def fallback(self) -> bool:
        return self.reason in ("low_confidence", "no_answer")


def choose(
    pool: Sequence[Answer],
    *,
    intent: str | None,
    emotion: str | None,
    intent_confidence: float,
    intent_margin: float,
    threshold: float,
    margin: float,
    rng: random.Random,
    previous_answer_id: int | None = None,
    crisis: bool = False,
    clarify_between: Sequence[tuple[str, float]] = (),
) -> Choice:
    """`clarify_between`: the top intents with their probabilities when the caller allows a clarifying
    question; an uncertain intent whose top two hold CLARIFY_MASS or more is then asked about instead
    of answered with a fallback (a flat guess is not worth a question)."""
    enabled = [a for a in pool if a.enabled and a.weight > 0]
    if crisis:
        return Choice(_pick([a for a in enabled if a.kind == "crisis"], rng, previous_answer_id), "crisis")
    fallbacks = [a for a in enabled if a.kind == "fallback"]
    if intent is None or intent_confidence < threshold or intent_margin < margin:
        top = list(clarify_between)[:2]
        if len(top) == 2 and top[0][1] + top[1][1] >= CLARIFY_MASS:
            return Choice(None, "clarify", (top[0][0], top[1][0]))
        return Choice(_pick(fallbacks, rng, previous_answer_id), "low_confidence")
    answers = [a for a in enabled if a.kind == "answer" and a.intent == intent]
    exact = [a for a in answers if a.emotion is not None and a.emotion == emotion]
    general = [a for a in answers if not a.emotion]
    if exact:
        return Choice(
            _pick(exact + general, rng, previous_answer_id, general_factor=GENERAL_SHARE), "matched"
        )
    if general:
        return Choice(_pick(general, rng, previous_answer_id), "intent")
    return Choice(_pick(fallbacks, rng, previous_answer_id), "no_answer")


def _pick(
    candidates: Sequence[Answer],
    rng: random.Random,
    previous_answer_id: int | None,
    general_factor: float = 1.0,
) -> Answer | None:
    if not candidates:
        return None
    fresh = [a for a in candidates if a.id != previous_answer_id] or list(candidates)
    weights = [a.weight * (general_factor if not a.emotion else 1.0) for a in fresh]
    return rng.choices(fresh, weights=weights, k=1)[0]
