"""Augmented training lines (nlu/augment.py): the same meaning typed the ways people type it."""

from __future__ import annotations

import random

import pytest

from kobert_chat.nlu.augment import RULES, Augmenter, Marks, nopunct, nospace, speech, typo


def test_spacing_and_punctuation_go():
    rng = random.Random(0)
    variants = [nospace("오늘 너무 피곤해 진짜", random.Random(s)) for s in range(20)]
    assert all(v.count(" ") < 3 and v.replace(" ", "") == "오늘너무피곤해진짜" for v in variants)
    assert "오늘너무피곤해진짜" in variants  # mostly every space goes, sometimes only some
    assert nopunct("괜찮아? 진짜...!", rng) == "괜찮아 진짜"


def test_typos_are_the_ones_people_make_by_ear():
    seen = {typo("왔어 진짜 좋아 있어요", random.Random(s)) for s in range(40)}
    assert "왓어 진짜 좋아 있어요" in seen or any("왓" in t for t in seen)
    assert any("진자" in t for t in seen)
    assert any("조아" in t for t in seen)
    assert any("이써" in t for t in seen)
    assert all(t != "왔어 진짜 좋아 있어요" for t in seen)  # every variant has at least one typo
    assert typo("hello 123", random.Random(0)) == "hello 123"


@pytest.mark.parametrize(
    ("polite", "plain"),
    [("고마워요", "고마워"), ("오늘 정말 피곤해요.", "오늘 정말 피곤해."), ("그게 뭐예요?", "그게 뭐야?")],
)
def test_polite_and_plain_speech_swap(polite, plain):
    rng = random.Random(0)
    assert speech(polite, rng) == plain
    assert speech(plain, rng) != plain


def test_marks_come_from_lines_with_the_same_emotion():
    marks = Marks(["너무 웃겨 ㅋㅋㅋ", "재밌다 ㅎㅎ", "슬퍼 ㅠㅠ"], ["happiness", "happiness", "sadness"])
    rng = random.Random(0)
    happy = {marks("좋은 하루", "happiness", rng) for _ in range(30)}
    assert all(t.endswith(("ㅋㅋㅋ", "ㅎㅎ")) for t in happy) and len(happy) > 1
    assert marks("좋은 하루", "neutral", rng) == "좋은 하루"  # no neutral line had a mark: none invented
    assert marks("이미 웃김 ㅋㅋ", "happiness", rng) == "이미 웃김 ㅋㅋ"


def test_augmenter_is_deterministic_for_a_seed_and_checks_rules():
    aug = Augmenter(["웃겨 ㅋㅋ"], ["happiness"])
    lines = ["안녕하세요 반가워요", "오늘 시험 망했어 ㅠㅠ", "너 진짜 최고야!"]
    a = [aug.variant(t, "happiness", random.Random(7)) for t in lines]
    b = [aug.variant(t, "happiness", random.Random(7)) for t in lines]
    assert a == b and a != lines
    assert set(RULES) >= {"nospace", "typo", "speech", "marks"}
    with pytest.raises(ValueError, match="unknown augmentation"):
        Augmenter([], [], rules=["shout"])
