"""The speech-level detector (존댓말/반말) on 801 labeled lines written for this project, and the rules
behind its hardest cases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kobert_chat.speech_level import detect

LINES = Path(__file__).resolve().parent / "data" / "speech_levels.csv"


def test_accuracy_on_the_labeled_lines():
    with LINES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 600 and {r["level"] for r in rows} == {"polite", "casual"}
    wrong = [(r["text"], r["level"]) for r in rows if detect(r["text"]) != r["level"]]
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= 0.95, wrong[:20]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("네 알겠어 ㅋㅋ", "casual"),  # the last clause decides
        ("고맙습니다 정말로", "polite"),  # an adverb after the verb does not
        ("배고픔", "casual"),  # 음슴체
        ("그러니까", "casual"),
        ("감사합니까", "polite"),  # ㅂ니까
        ("밥 먹었슈?", "polite"),  # 충청
        ("어무이 걱정 마이소", "polite"),  # 경상
        ("도움 필요", "casual"),  # a noun that ends in 요
        ("ㄱㅅ", "casual"),
        ("오늘 너무 힘들었어요ㅠㅠㅠ", "polite"),
    ],
)
def test_hard_cases(text, level):
    assert detect(text) == level


@pytest.mark.parametrize("text", ["", "   ", "😭😭", "ㅋㅋㅋㅋ", "!!!", "ok"])
def test_no_level_without_hangul(text):
    assert detect(text) is None
