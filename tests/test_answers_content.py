"""The bundled replies (resources/data/answers.csv): well-formed, and enough of them that every intent and
every feeling the classifier can report gets a fitting, varied answer."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter

import pytest

from kobert_chat import paths
from kobert_chat.data.bundled import load_answers
from kobert_chat.labels import EMOTIONS, INTENTS

ANSWERS_CSV = paths.RESOURCES / "data" / "answers.csv"
HEADER = ["kind", "intent", "emotion", "text", "weight", "level"]
LEVELS = ("polite", "casual")  # 존댓말 (해요체/하십시오체) or 반말
INTENT_IDS = [i for i, _ in INTENTS]
EMOTION_IDS = [e for e, _ in EMOTIONS]
# The bot answers in the user's speech level, so every group it picks from needs enough of each level.
MIN_PER_LEVEL = {"answer": 4, "fallback": 8, "crisis": 4}
# Intents where the reply must fit the user's feeling: each (intent, emotion) pair has its own answers.
FEELING_INTENTS = ["worry", "breakup", "love", "smalltalk", "complaint"]


def _rows() -> list[dict[str, str]]:
    with ANSWERS_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ROWS = _rows()
ANSWERS = [r for r in ROWS if r["kind"] == "answer"]


def test_file_is_plain_utf8_with_the_contract_header() -> None:
    raw = ANSWERS_CSV.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM"
    with ANSWERS_CSV.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == HEADER


def test_the_app_loader_reads_every_row() -> None:
    assert len(load_answers()) == len(ROWS)


def test_kinds_and_labels_are_known_ids() -> None:
    for row in ROWS:
        assert row["kind"] in ("answer", "fallback", "crisis"), row
        if row["kind"] == "answer":
            assert row["intent"] in INTENT_IDS, row
            assert row["emotion"] == "" or row["emotion"] in EMOTION_IDS, row
        else:
            assert row["intent"] == "" and row["emotion"] == "", row


def test_texts_are_clean_single_line_nfc_and_unique() -> None:
    texts = [r["text"] for r in ROWS]
    for text in texts:
        assert text and text == text.strip(), repr(text)
        assert "\n" not in text and "\r" not in text, repr(text)
        assert unicodedata.normalize("NFC", text) == text, repr(text)
    duplicates = [t for t, n in Counter(texts).items() if n > 1]
    assert duplicates == []


def test_weights_are_positive_numbers() -> None:
    for row in ROWS:
        weight = float(row["weight"])
        assert 0 < weight <= 5, row


def test_total_count() -> None:
    assert len(ROWS) >= 440


@pytest.mark.parametrize("intent", INTENT_IDS)
def test_every_intent_has_general_and_emotion_specific_answers(intent: str) -> None:
    rows = [r for r in ANSWERS if r["intent"] == intent]
    assert len(rows) >= 12
    assert sum(1 for r in rows if r["emotion"] == "") >= 3, "answers that fit any emotion"
    assert sum(1 for r in rows if r["emotion"]) >= 3, "answers for a specific emotion"


@pytest.mark.parametrize("intent", FEELING_INTENTS)
@pytest.mark.parametrize("emotion", EMOTION_IDS)
def test_feeling_intents_have_answers_for_every_emotion(intent: str, emotion: str) -> None:
    count = sum(1 for r in ANSWERS if r["intent"] == intent and r["emotion"] == emotion)
    assert count >= 3, f"{intent}/{emotion} has {count}"


def test_fallbacks_invite_the_user_to_say_more_or_correct_the_badge() -> None:
    fallbacks = [r["text"] for r in ROWS if r["kind"] == "fallback"]
    assert len(fallbacks) >= 15
    assert sum("배지" in t for t in fallbacks) >= 3


def test_crisis_answers_exist() -> None:
    crisis = [r["text"] for r in ROWS if r["kind"] == "crisis"]
    assert len(crisis) >= 6
    assert all("109" in t and "프로그램" in t for t in crisis)


@pytest.mark.parametrize("feature", ["배지", "검토함", "다시 학습", "답변 편집"])
def test_help_answers_explain_each_feature(feature: str) -> None:
    assert any(feature in r["text"] for r in ANSWERS if r["intent"] == "help")


@pytest.mark.parametrize("fact", ["이 컴퓨터", "KoBERT", "다시 학습"])
def test_about_bot_answers_tell_how_the_bot_works(fact: str) -> None:
    assert any(fact in r["text"] for r in ANSWERS if r["intent"] == "about_bot")


def test_every_row_has_a_known_speech_level() -> None:
    for row in ROWS:
        assert row["level"] in LEVELS, row


def _level_counts() -> dict[tuple[str, str, str], Counter[str]]:
    groups: dict[tuple[str, str, str], Counter[str]] = {}
    for row in ROWS:
        groups.setdefault((row["kind"], row["intent"], row["emotion"]), Counter())[row["level"]] += 1
    return groups


def test_every_group_with_answers_has_enough_of_each_speech_level() -> None:
    """Each (intent, emotion) pair with answers, each intent-only group (empty emotion), the fallbacks and
    the crisis lines: at least MIN_PER_LEVEL polite and as many casual rows."""
    groups = _level_counts()
    assert ("fallback", "", "") in groups and ("crisis", "", "") in groups
    assert all(("answer", intent, "") in groups for intent in INTENT_IDS)
    short = {
        key: dict(counts)
        for key, counts in groups.items()
        if any(counts[level] < MIN_PER_LEVEL[key[0]] for level in LEVELS)
    }
    assert short == {}, short
