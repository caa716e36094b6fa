"""No repeats: an answer is not given again within the last N bot turns of a conversation (setting
no_repeat_turns, default 5) while another one fits; when every one fitting was, the one given longest ago."""

from __future__ import annotations

import random
from dataclasses import replace

from kobert_chat.answer_choice import choose, in_level
from kobert_chat.data.bundled import load_answers, load_utterances
from kobert_chat.engine import ChatEngine
from kobert_chat.store import Answer

N = 5


def bundled_pool() -> list[Answer]:
    return [
        Answer(i, a.kind, a.intent, a.emotion, a.text, a.weight, True, a.level)
        for i, a in enumerate(load_answers(), 1)
    ]


def fitting(pool: list[Answer], intent: str, emotion: str, level: str) -> list[Answer]:
    """What answer_choice may pick from for a confident (intent, emotion), in the level's preference."""
    answers = [a for a in pool if a.kind == "answer" and a.intent == intent]
    exact = [a for a in answers if a.emotion == emotion]
    group = exact + [a for a in answers if not a.emotion] if exact else [a for a in answers if not a.emotion]
    return in_level(group or [a for a in pool if a.kind == "fallback"], level)


def repeats_within(ids: list[int], n: int) -> int:
    return sum(1 for i, answer_id in enumerate(ids) if answer_id in ids[max(0, i - n) : i])


def simulated_topics(pool: list[Answer], seed: int) -> list[tuple[str, str, str]]:
    """200 turns of (intent, emotion, level) from a user who keeps coming back to four topics, with an
    odd one every seventh turn: the hard case for variety. Only (intent, emotion) pairs that have
    answers of their own."""
    rng = random.Random(seed)
    groups = sorted({(a.intent, a.emotion) for a in pool if a.kind == "answer" and a.emotion})
    topics = [(*rng.choice(groups), rng.choice(["polite", "casual"])) for _ in range(4)]
    return [
        topics[rng.randrange(4)] if turn % 7 else (*rng.choice(groups), rng.choice(["polite", "casual"]))
        for turn in range(200)
    ]


def confident(pool, intent, emotion, level, rng, **kwargs):
    return choose(
        pool,
        intent=intent,
        emotion=emotion,
        intent_confidence=0.9,
        intent_margin=0.5,
        threshold=0.4,
        margin=0.05,
        rng=rng,
        level=level,
        **kwargs,
    ).answer


def test_a_200_turn_chat_repeats_nothing_within_n_turns_where_the_pool_allows():
    pool = bundled_pool()
    turns = simulated_topics(pool, seed=7)
    rng = random.Random(7)
    shown: list[int] = []
    for turn, (intent, emotion, level) in enumerate(turns):
        recent = shown[-N:][::-1]
        answer = confident(pool, intent, emotion, level, rng, recent=recent)
        assert answer is not None and answer.level in (level, None)
        # every bundled (intent, emotion) group has 4+ answers per level, plus 4+ any-emotion ones
        assert len([a for a in fitting(pool, intent, emotion, level) if a.id not in recent]) > 0
        assert answer.id not in recent, (turn, intent, emotion, level)
        shown.append(answer.id)
    assert repeats_within(shown, N) == 0
    # the old rule (only never twice in a row) on the same chat brings answers back within 5 turns
    rng = random.Random(7)
    old: list[int] = []
    for intent, emotion, level in turns:
        old.append(
            confident(pool, intent, emotion, level, rng, previous_answer_id=old[-1] if old else None).id
        )
    assert repeats_within(old, N) > 0


def test_when_every_answer_was_given_lately_the_oldest_one_comes_back():
    pool = [Answer(i, "answer", "worry", None, f"a{i}", 1.0, True, "casual") for i in (1, 2, 3)]
    choice = choose(
        pool,
        intent="worry",
        emotion=None,
        intent_confidence=0.9,
        intent_margin=0.5,
        threshold=0.4,
        margin=0.05,
        rng=random.Random(0),
        level="casual",
        recent=[3, 1, 2, 3],  # newest first: 2 is the one given longest ago
    )
    assert choice.answer.id == 2


def test_the_engine_over_200_turns_of_one_conversation(engine: ChatEngine):
    """The real reply path (tiny model, bundled answers, fallbacks, clarifying questions) in one
    conversation of 200 turns: an answer given in the last N bot turns comes back only when every
    answer that fit the turn was given in them."""
    lines = [u.text for u in load_utterances("test")]
    random.Random(3).shuffle(lines)
    cid = engine.new_conversation()
    pool = engine.answers(enabled_only=True)
    given: list[int | None] = []
    avoidable = repeats = 0
    for text in lines[:200]:
        reply = engine.reply(cid, text)
        window = [a for a in given[-N:] if a is not None]
        given.append(reply.answer_id)
        if reply.answer_id is None:  # a clarifying question
            continue
        group = in_level(group_of(pool, reply), reply.level)
        assert reply.answer_id in {a.id for a in group}, (text, reply.reason)
        if any(a.id not in window for a in group):
            avoidable += 1
            assert reply.answer_id not in window, (text, reply.reason, reply.bot.text)
        repeats += reply.answer_id in window
    answered = 200 - given.count(None)
    print(f"repeat rate within {N} bot turns: {repeats}/{answered}; avoidable turns {avoidable}")
    assert avoidable > answered / 2 and repeats <= answered - avoidable
    assert [m.answer_id for m in engine.messages(cid, limit=1000) if m.role == "bot"] == given


def group_of(pool: list[Answer], reply) -> list[Answer]:
    """The answers a reply was chosen from, by its reason (answer_choice.choose)."""
    intent = reply.predictions["intent"].label
    emotion = reply.predictions["emotion"].label
    kinds = {"crisis": "crisis", "low_confidence": "fallback", "no_answer": "fallback"}
    if reply.reason in kinds:
        return [a for a in pool if a.kind == kinds[reply.reason] and (a.in_pool or a.kind == "crisis")]
    answers = [a for a in pool if a.kind == "answer" and a.intent == intent and a.in_pool]
    if reply.reason == "matched":
        return [a for a in answers if a.emotion in (emotion, None)]
    return [a for a in answers if a.emotion is None]


def test_the_setting_sets_how_far_back_and_zero_turns_it_off(engine: ChatEngine):
    engine.save_settings(
        replace(engine.settings, threshold=0.0, margin=0.0, clarify=False, no_repeat_turns=1)
    )
    cid = engine.new_conversation()
    ids = [engine.reply(cid, "정말 고마워요").answer_id for _ in range(60)]
    assert all(a != b for a, b in zip(ids, ids[1:], strict=False))  # N = 1: never twice in a row
    assert repeats_within(ids, 3) > 0  # but soon again
    engine.save_settings(replace(engine.settings, no_repeat_turns=N))
    cid = engine.new_conversation()
    ids = [engine.reply(cid, "정말 고마워요").answer_id for _ in range(30)]
    assert repeats_within(ids, N) == 0  # every intent has 6+ polite answers for any emotion
