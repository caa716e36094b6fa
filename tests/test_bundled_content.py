"""The bundled Korean seed data: the loader's rules (on small fixture folders) and the quality of the real
shipped files (resources/data), which the starter model learns from and the test split measures."""

from __future__ import annotations

import codecs
import csv
import hashlib
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kobert_chat.data.bundled import (
    Utterance,
    default_root,
    is_test_text,
    load_answers,
    load_utterances,
    utterance_files,
)
from kobert_chat.data.formats import AnswerRow
from kobert_chat.errors import InputError
from kobert_chat.labels import EMOTIONS, INTENTS
from tests.helpers import near_duplicate_mask

INTENT_IDS = {i for i, _ in INTENTS}
EMOTION_IDS = {e for e, _ in EMOTIONS}


@pytest.fixture(autouse=True, scope="module")
def _home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOBERT_CHAT_HOME", str(tmp_path_factory.mktemp("home")))
        yield


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "intent", "emotion"])
        w.writerows(rows)


# --- loader rules, on a fixture folder ----------------------------------------------------------------------


def test_loader_reads_files_by_name_nfc_and_first_duplicate_wins(tmp_path):
    write_csv(
        tmp_path / "utterances" / "b_more.csv",
        [
            ("안녕", "farewell", "sadness"),  # duplicate of a_*.csv: dropped
            (unicodedata.normalize("NFD", "고마워"), "thanks", "happiness"),  # NFD duplicate: dropped too
            ("잘 자", "farewell", "neutral"),
        ],
    )
    write_csv(
        tmp_path / "utterances" / "a_first.csv",
        [("안녕", "greeting", "neutral"), ("고마워", "thanks", "neutral")],
    )
    (tmp_path / "utterances" / "notes.txt").write_text("not data", encoding="utf-8")
    assert load_utterances(root=tmp_path) == [
        Utterance("안녕", "greeting", "neutral"),
        Utterance("고마워", "thanks", "neutral"),
        Utterance("잘 자", "farewell", "neutral"),
    ]


def test_split_is_a_fixed_function_of_the_text(tmp_path):
    texts = [f"문장 번호 {i}" for i in range(400)]
    write_csv(tmp_path / "utterances" / "x.csv", [(t, "smalltalk", "neutral") for t in texts])
    train = load_utterances("train", root=tmp_path)
    test = load_utterances("test", root=tmp_path)
    assert {u.text for u in test} == {t for t in texts if is_test_text(t)}
    assert len(train) + len(test) == 400 and not {u.text for u in train} & {u.text for u in test}
    # The published rule, spelled out: sha1 of the UTF-8 text, as an integer, mod 100, below 15.
    assert all(is_test_text(t) == (int(hashlib.sha1(t.encode()).hexdigest(), 16) % 100 < 15) for t in texts)


def test_malformed_bundled_row_names_file_and_line(tmp_path):
    write_csv(
        tmp_path / "utterances" / "bad.csv", [("좋아", "praise", "happiness"), ("감정 빠짐", "praise", "")]
    )
    with pytest.raises(InputError, match=r"bad\.csv line 3: missing emotion"):
        load_utterances(root=tmp_path)
    with pytest.raises(InputError, match="No bundled utterance files"):
        load_utterances(root=tmp_path / "nowhere")


def test_answers_loader_on_fixture(tmp_path):
    (tmp_path / "answers.csv").write_text(
        "kind,intent,emotion,text,weight\nanswer,greeting,,안녕하세요!,\nfallback,,,무슨 말인지 모르겠어요.,0.5\n",
        encoding="utf-8",
    )
    assert load_answers(tmp_path) == [
        AnswerRow("answer", "greeting", None, "안녕하세요!", 1.0, 2),
        AnswerRow("fallback", None, None, "무슨 말인지 모르겠어요.", 0.5, 3),
    ]


# --- the real shipped content ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def utterances() -> list[Utterance]:
    return load_utterances()


def _raw_rows():
    """(file name, line, row dict) straight from the files, before any normalisation by the loader."""
    files = utterance_files()
    assert files, f"no utterance files in {default_root() / 'utterances'}"
    for path in files:
        raw = path.read_bytes()
        assert not raw.startswith(codecs.BOM_UTF8), f"{path.name} starts with a BOM"
        raw.decode("utf-8")  # strict: raises on anything that is not UTF-8
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == ["text", "intent", "emotion"], (
                f"{path.name} header {reader.fieldnames}"
            )
            for row in reader:
                yield path.name, reader.line_num, row


def test_shipped_files_are_clean_utf8_nfc_single_line_rows():
    problems = []
    for name, line, row in _raw_rows():
        text = row["text"] or ""
        where = f"{name}:{line}"
        if not text.strip():
            problems.append(f"{where} empty text")
        elif text != text.strip():
            problems.append(f"{where} text has surrounding spaces: {text!r}")
        if not unicodedata.is_normalized("NFC", text):
            problems.append(f"{where} text is not NFC: {text!r}")
        if "\n" in text or "\r" in text:
            problems.append(f"{where} newline inside text: {text!r}")
        if row["intent"] not in INTENT_IDS:
            problems.append(f"{where} unknown intent {row['intent']!r}")
        if row["emotion"] not in EMOTION_IDS:
            problems.append(f"{where} unknown emotion {row['emotion']!r}")
        if None in row:
            problems.append(f"{where} extra cells {row[None]!r}")
    assert not problems, f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:20])


def test_enough_distinct_utterances_for_every_label(utterances):
    assert len(utterances) >= 15_000  # 3x the first release, in the styles real users type (issue 12)
    assert len({u.text for u in utterances}) == len(utterances)
    intents = Counter(u.intent for u in utterances)
    emotions = Counter(u.emotion for u in utterances)
    assert {i: intents[i] for i in INTENT_IDS if intents[i] < 500} == {}, intents
    assert {e: emotions[e] for e in EMOTION_IDS if emotions[e] < 1500} == {}, emotions


def test_at_least_a_tenth_are_longer_sentences(utterances):
    long_share = sum(len(u.text) > 60 for u in utterances) / len(utterances)
    assert long_share >= 0.10, f"only {long_share:.1%} of utterances are over 60 characters"


def test_near_duplicate_helper_finds_only_close_pairs():
    texts = ["오늘 날씨가 정말 좋네요", "오늘 날씨가 정말 좋네요!", "완전히 다른 문장입니다", "짧", "짧"]
    assert near_duplicate_mask(texts, block=2).tolist() == [True, True, False, True, True]


def test_few_near_duplicates_across_all_files(utterances):
    texts = [u.text for u in utterances]
    mask = near_duplicate_mask(texts)
    share = mask.mean()
    examples = [texts[i] for i in np.flatnonzero(mask)[:10]]
    assert share <= 0.10, (
        f"{share:.1%} of utterances have a near-duplicate (3-gram Jaccard >= 0.8): {examples}"
    )


def test_test_split_is_a_disjoint_tenth_to_fifth_covering_every_label(utterances):
    train, test = load_utterances("train"), load_utterances("test")
    train_texts, test_texts = {u.text for u in train}, {u.text for u in test}
    assert not train_texts & test_texts
    assert train_texts | test_texts == {u.text for u in utterances}
    assert 0.10 <= len(test) / len(utterances) <= 0.20
    assert all(is_test_text(u.text) for u in test) and not any(is_test_text(u.text) for u in train)
    assert INTENT_IDS - {u.intent for u in test} == set()
    assert EMOTION_IDS - {u.emotion for u in test} == set()


@pytest.mark.parametrize(
    ("intent", "expected_emotions"),
    [
        ("greeting", {"neutral", "happiness"}),
        ("breakup", {"sadness", "anger"}),
        ("complaint", {"anger", "disgust"}),
        ("thanks", {"happiness", "neutral"}),
    ],
)
def test_label_combinations_make_sense(utterances, intent, expected_emotions):
    """Mostly means more than half, and the single most common emotion is one of them."""
    emotions = Counter(u.emotion for u in utterances if u.intent == intent)
    share = sum(emotions[e] for e in expected_emotions) / sum(emotions.values())
    assert share > 0.5, f"{intent}: only {share:.0%} are {sorted(expected_emotions)}: {dict(emotions)}"
    assert emotions.most_common(1)[0][0] in expected_emotions, dict(emotions)


def test_shipped_answers_cover_every_intent_with_fallback_and_crisis():
    answers = load_answers()  # raises on any malformed row
    assert all(unicodedata.is_normalized("NFC", a.text) for a in answers)
    kinds = Counter(a.kind for a in answers)
    assert kinds["fallback"] >= 1 and kinds["crisis"] >= 1, kinds
    assert INTENT_IDS - {a.intent for a in answers if a.kind == "answer"} == set()
    assert {a.intent for a in answers if a.intent} <= INTENT_IDS
    assert {a.emotion for a in answers if a.emotion} <= EMOTION_IDS
    assert all(a.intent is None and a.emotion is None for a in answers if a.kind == "fallback")
    for a in answers:
        if a.kind == "crisis":
            assert "109" in a.text and "자살예방상담전화" in a.text, a.text
