"""The hand-written topic benchmark file (bench/data/topics.csv): a label set the bundled data never uses,
for measuring how `train --data FILE --head NAME` learns a new head. Fast checks only, no model."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from kobert_chat.data.bundled import load_utterances

TOPICS = Path(__file__).resolve().parents[1] / "bench" / "data" / "topics.csv"
LABELS = {"음식", "날씨", "직장", "공부", "건강", "여행", "돈", "취미", "가족", "반려동물"}
PER_LABEL = 70


def _squash(text: str) -> str:
    """The text without spaces and punctuation, for near-exact duplicate checks."""
    return re.sub(r"[\W_]+", "", text)


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, str]]:
    raw = TOPICS.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no BOM"
    with TOPICS.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert header == ["text", "label"]
        records = list(reader)
    assert all(len(r) == 2 for r in records), [r for r in records if len(r) != 2][:5]
    return [(r[0], r[1]) for r in records]


def test_labels_and_counts(rows):
    counts = Counter(label for _, label in rows)
    assert set(counts) == LABELS
    assert all(n == PER_LABEL for n in counts.values()), counts
    assert len(rows) == PER_LABEL * len(LABELS)


def test_texts_are_clean(rows):
    for text, _ in rows:
        assert text == text.strip(), repr(text)
        assert text == unicodedata.normalize("NFC", text), repr(text)
        assert "\n" not in text and "\r" not in text, repr(text)
        assert 2 <= len(text) <= 120, repr(text)


def test_texts_are_unique(rows):
    texts = [t for t, _ in rows]
    dup = [t for t, n in Counter(texts).items() if n > 1]
    assert not dup, dup
    squashed = Counter(_squash(t) for t in texts)
    near = [t for t in texts if squashed[_squash(t)] > 1]
    assert not near, near


def test_no_overlap_with_bundled_utterances(rows):
    bundled = load_utterances("train") + load_utterances("test")
    exact = {u.text for u in bundled}
    squashed = {_squash(u.text) for u in bundled}
    clash = [t for t, _ in rows if t in exact or _squash(t) in squashed]
    assert not clash, clash


def test_many_lines_only_imply_their_topic(rows):
    implicit = sum(1 for text, label in rows if label not in text)
    assert implicit >= 0.2 * len(rows), implicit
