"""Which answer to give, from a prediction and the answer pool. Pure: no database, no model.

Order: crisis rule (decided by the caller) -> a linked answer (the caller found an example close
enough to the message: linked_answers.py) -> low intent confidence or a small top-2 margin ->
clarifying question or fallback; else answers for (intent, emotion), then (intent, any emotion), then
fallback. When both exist, any-emotion answers join the emotion-specific ones at a quarter of their
weight: they fit every emotion, and without them they would never be shown for intents that cover
every emotion. Only answers in the pool (`in_pool`) are chosen by intent and emotion; Q/A and taught
answers come only through their links.

Speech level: among the answers that fit, those in the wanted level (or with no level) are chosen;
the other level only when the group has none. No repeats: an answer given in the last N bot turns
(`recent`) is not given again while another one fits; when every one was, the one given longest ago.
Weighted random among the rest.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .store import Answer, AnswerLink

GENERAL_SHARE = 0.25
CLARIFY_MASS = 0.5
# reason -> the path the badges show
PATHS = {
    "crisis": "crisis",
    "linked": "linked",
    "matched": "pool",
    "intent": "pool",
    "low_confidence": "fallback",
    "no_answer": "fallback",
    "clarify": "clarify",
}


@dataclass(frozen=True)
class Linked:
    """A linked answer the message is close enough to (the caller checked the threshold)."""

    answer: Answer
    link: AnswerLink
    similarity: float


@dataclass(frozen=True)
class Choice:
    answer: Answer | None
    # "crisis" | "linked" | "matched" | "intent" | "low_confidence" | "no_answer" | "clarify"
    reason: str
    options: tuple[str, ...] = ()  # "clarify": the two intents to ask about
    linked: Linked | None = None  # "linked": the example that matched

    @property
    def fallback(self) -> bool:
        return self.reason in ("low_confidence", "no_answer")

    @property
    def path(self) -> str:
        """linked | pool | clarify | fallback | crisis."""
        return PATHS[self.reason]


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
    level: str | None = None,
    recent: Sequence[int] = (),
    linked: Sequence[Linked] = (),
) -> Choice:
    """`clarify_between`: the top intents with their probabilities when the caller allows a clarifying
    question; an uncertain intent whose top two hold CLARIFY_MASS or more is then asked about instead
    of answered with a fallback (a flat guess is not worth a question).
    `level`: the speech level wanted ("polite" | "casual"; None = any). `recent`: ids of the answers
    given in the last N bot turns, newest first (`previous_answer_id` is the same for N = 1).
    `linked`: linked answers above the threshold, best first."""
    if previous_answer_id is not None and previous_answer_id not in recent:
        recent = [previous_answer_id, *recent]
    enabled = [a for a in pool if a.enabled and a.weight > 0]
    if crisis:
        crisis_lines = [a for a in enabled if a.kind == "crisis"]
        return Choice(_pick(crisis_lines, rng, recent, level), "crisis")
    for candidate in linked:
        if candidate.answer.enabled and candidate.answer.id not in recent:
            return Choice(candidate.answer, "linked", linked=candidate)
    enabled = [a for a in enabled if a.in_pool]
    fallbacks = [a for a in enabled if a.kind == "fallback"]
    if intent is None or intent_confidence < threshold or intent_margin < margin:
        top = list(clarify_between)[:2]
        if len(top) == 2 and top[0][1] + top[1][1] >= CLARIFY_MASS:
            return Choice(None, "clarify", (top[0][0], top[1][0]))
        return Choice(_pick(fallbacks, rng, recent, level), "low_confidence")
    answers = [a for a in enabled if a.kind == "answer" and a.intent == intent]
    exact = [a for a in answers if a.emotion is not None and a.emotion == emotion]
    general = [a for a in answers if not a.emotion]
    if exact:
        return Choice(_pick(exact + general, rng, recent, level, general_factor=GENERAL_SHARE), "matched")
    if general:
        return Choice(_pick(general, rng, recent, level), "intent")
    return Choice(_pick(fallbacks, rng, recent, level), "no_answer")


def in_level(candidates: Sequence[Answer], level: str | None) -> list[Answer]:
    """The candidates in `level` (or with none); all of them when none is."""
    if level is None:
        return list(candidates)
    return [a for a in candidates if a.level in (level, None)] or list(candidates)


def _pick(
    candidates: Sequence[Answer],
    rng: random.Random,
    recent: Sequence[int],
    level: str | None,
    general_factor: float = 1.0,
) -> Answer | None:
    if not candidates:
        return None
    fitting = in_level(candidates, level)
    fresh = [a for a in fitting if a.id not in recent]
    if not fresh:  # every one was given lately: the one given longest ago
        age: dict[int, int] = {}
        for turn, answer_id in enumerate(recent):
            age.setdefault(answer_id, turn)  # its latest use
        return max(fitting, key=lambda a: age.get(a.id, len(recent)))
    weights = [a.weight * (general_factor if not a.emotion else 1.0) for a in fresh]
    return rng.choices(fresh, weights=weights, k=1)[0]
