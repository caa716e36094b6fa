"""bench/data/out_of_style.csv: the project's own out-of-style test set (issue 12).

It must be a fair test: well formed, covering every label and style, sharing no text (exact or near)
with the bundled lines the starter learns from, and never read by shipped code, so no fit can see it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter

import numpy as np
import pytest

from kobert_chat.data.bundled import load_utterances
from kobert_chat.labels import EMOTIONS, INTENTS
from tests.helpers import ROOT, near_duplicate_mask

PATH = ROOT / "bench" / "data" / "out_of_style.csv"
STYLES = {"comment", "sarcasm", "slang", "diary", "dialect", "nopunct", "typo"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with PATH.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["text", "intent", "emotion", "style"]
        return list(reader)


def test_well_formed_with_every_label_and_style(rows):
    assert len(rows) >= 1000
    problems = [
        f"line {n}: {row}"
        for n, row in enumerate(rows, start=2)
        if not row["text"]
        or row["text"] != row["text"].strip()
        or not unicodedata.is_normalized("NFC", row["text"])
        or row["intent"] not in {i for i, _ in INTENTS}
        or row["emotion"] not in {e for e, _ in EMOTIONS}
        or row["style"] not in STYLES
        or None in row
    ]
    assert not problems, problems[:10]
    assert len({r["text"] for r in rows}) == len(rows), "a text appears twice"
    intents, emotions, styles = (Counter(r[k] for r in rows) for k in ("intent", "emotion", "style"))
    assert set(intents) == {i for i, _ in INTENTS}
    assert set(emotions) == {e for e, _ in EMOTIONS}
    assert set(styles) == STYLES
    # enough lines per label and style for a macro-F1 that means something
    assert min(intents.values()) >= 40, intents
    assert min(emotions.values()) >= 100, emotions
    assert min(styles.values()) >= 100, styles


def test_shares_no_text_and_no_near_duplicate_with_the_bundled_lines(rows):
    texts = [r["text"] for r in rows]
    bundled = [u.text for u in load_utterances()]
    assert not set(texts) & set(bundled)
    close = near_duplicate_mask(texts, against=bundled)
    assert not close.any(), [texts[i] for i in np.flatnonzero(close)[:10]]


def test_near_duplicate_helper_compares_against_a_second_list():
    mask = near_duplicate_mask(
        ["오늘 날씨가 정말 좋네요", "완전히 다른 문장입니다"], against=["오늘 날씨가 정말 좋네요!", "짧"]
    )
    assert mask.tolist() == [True, False]


def test_no_shipped_code_reads_the_bench_data():
    """The app, the engine and the window never open bench/data: nothing shipped can fit on it."""
    pattern = re.compile(r"bench[/\\]data|out_of_style|teach_pool|['\"]bench['\"]")
    sources = [p for d in ("kobert_chat", "ui") for p in (ROOT / d).rglob("*.py")]
    assert len(sources) > 20
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert not hits, hits
