"""Answer policy: thresholds, (intent, emotion) -> (intent, any) -> fallback, weights, no repeats."""

from __future__ import annotations

import random
from collections import Counter

from kobert_chat.answer_choice import choose
from kobert_chat.store import Answer


def A(i, kind="answer", intent=None, emotion=None, weight=1.0, enabled=True):
    return Answer(i, kind, intent, emotion, f"answer {i}", weight, enabled)


POOL = [
    A(1, intent="worry", emotion="fear"),
    A(2, intent="worry", emotion="fear"),
    A(3, intent="worry"),
    A(4, intent="greeting"),
    A(5, kind="fallback"),
    A(6, kind="fallback"),
    A(7, kind="crisis"),
    A(8, intent="worry", emotion="fear", enabled=False),
]


def pick(intent="worry", emotion="fear", conf=0.9, margin=0.5, prev=None, crisis=False, pool=POOL, seed=0):
    return choose(
        pool,
        intent=intent,
        emotion=emotion,
        intent_confidence=conf,
        intent_margin=margin,
        threshold=0.4,
        margin=0.05,
        rng=random.Random(seed),
        previous_answer_id=prev,
        crisis=crisis,
    )


def test_exact_intent_and_emotion_first():
    counts = Counter()
    for seed in range(900):
        c = pick(seed=seed)
        assert c.answer.id in (1, 2, 3) and c.reason == "matched" and not c.fallback
        counts[c.answer.id] += 1
    # emotion-specific answers dominate; the any-emotion one joins at a quarter weight (0.25 / 2.25 = 11%)
    assert counts[1] + counts[2] > 0.8 * 900 and 0.05 * 900 < counts[3] < 0.2 * 900


def test_any_emotion_answers_when_no_exact_match():
    c = pick(emotion="happiness")
    assert c.answer.id == 3 and c.reason == "intent"


def test_fallback_when_intent_has_no_answers():
    c = pick(intent="love")
    assert c.answer.id in (5, 6) and c.fallback and c.reason == "no_answer"


def test_low_confidence_or_small_margin_falls_back():
    assert pick(conf=0.3).reason == "low_confidence"
    assert pick(conf=0.9, margin=0.01).reason == "low_confidence"
    assert pick(conf=0.4, margin=0.05).reason == "matched"  # boundaries are inclusive


def test_crisis_overrides_everything():
    assert pick(crisis=True, conf=0.99).answer.id == 7


def test_disabled_answers_are_never_chosen():
    assert all(pick(seed=s).answer.id != 8 for s in range(50))


def test_never_the_same_answer_twice_in_a_row():
    prev = None
    for seed in range(200):
        c = pick(prev=prev, seed=seed)
        assert c.answer.id != prev
        prev = c.answer.id


def test_only_one_candidate_may_repeat_rather_than_fall_silent():
    pool = [A(3, intent="worry"), A(5, kind="fallback")]
    assert pick(pool=pool, prev=3, emotion="sadness").answer.id == 3


def test_weights_shape_the_choice():
    pool = [A(1, intent="worry", weight=9.0), A(2, intent="worry", weight=1.0)]
    counts = Counter(pick(pool=pool, emotion=None, seed=s).answer.id for s in range(2000))
    assert 0.85 < counts[1] / 2000 < 0.95


def test_empty_pool_gives_no_answer_instead_of_crashing():
    c = pick(pool=[])
    assert c.answer is None and c.fallback
