"""Records -> rows: labeled utterances (`LabeledRow`), answers (`AnswerRow`) and question/answer pairs
(`QARow`), each record either a parsed row or a `Rejected(line, reason)`. Only problems with the whole file (unreadable, unknown type,
no text column, a column named twice, an unterminated quote) raise `InputError`. Checking label ids
against the known label sets is the caller's job.

Texts are the user's and are kept exactly (spaces, TAB, CR, NBSP, NFD and all); only label ids, kinds
and column names are trimmed and NFC-normalised, since they are looked up, not kept.

    for item in read_labeled(path):
        if isinstance(item, Rejected): print(f"line {item.line}: {item.reason}")
        else: use(item.text, item.labels)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kobert_chat.errors import InputError

from .text_files import Rejected, Source, key, listing, open_source, read_header, records, require_columns

MAX_TEXT_CHARS = 10_000
DEFAULT_HEADS = ("intent", "emotion", "label")
ANSWER_KINDS = ("answer", "fallback", "crisis")
MAX_WEIGHT = 1000.0  # the same bound as store.answers.MAX_ANSWER_WEIGHT
# An export's own columns; in a file with a `type` column (what `export` writes) every other column
# is a label set, including heads this home does not have yet.
RECORD_COLUMNS = ("type", "text", "kind", "weight")
# Question/answer pair files (the most common Korean chatbot data: Q,A,label): the names each column may
# have. A file (or JSONL object) with a question and an answer column is read as pairs.
QUESTION_COLUMNS = ("q", "question", "질문", "query")
ANSWER_COLUMNS = ("a", "answer", "답변", "대답", "response", "reply")
PAIR_LABEL_COLUMNS = ("label", "intent", "라벨", "레이블", "의도")
# An answer's speech level as a file may spell it; an empty cell means "detect it from the text".
LEVEL_NAMES = {
    "polite": "polite",
    "casual": "casual",
    "존댓말": "polite",
    "반말": "casual",
    "높임말": "polite",
}


@dataclass(frozen=True)
class LabeledRow:
    text: str
    labels: dict[str, str]  # head -> label id, e.g. {"intent": "greeting", "emotion": "happiness"}
    line: int  # 1-based line where the record starts


@dataclass(frozen=True)
class AnswerRow:
    kind: str  # answer | fallback | crisis
    intent: str | None
    emotion: str | None  # None = any emotion
    text: str
    weight: float = 1.0
    line: int = 0
    level: str | None = None  # polite | casual as the file says; None = not given (detect it)


@dataclass(frozen=True)
class QARow:
    """A question and the answer to give to it (and to questions like it)."""

    question: str
    answer: str
    label: str | None  # as the file has it (trimmed, NFC): an intent id or name, or anything else
    level: str | None  # the answer's level if the file gives one
    line: int


def pair_columns(header: Collection[str]) -> tuple[str, str] | None:
    """(question column, answer column) if these columns make a question/answer pair file."""
    question = next((c for c in QUESTION_COLUMNS if c in header), None)
    answer = next((c for c in ANSWER_COLUMNS if c in header), None)
    return (question, answer) if question and answer else None


def read_labeled(
    path: Path | str, *, text_column: str = "text", label_columns: Sequence[str] | None = None
) -> Iterator[LabeledRow | Rejected]:
    """Labeled utterances, one item per record. `label_columns=None` means every column named after a head
    (intent, emotion, label). Every listed label must be filled in, or the record is rejected.

    Raises InputError right away (before iterating) for a file that cannot be used at all."""
    source = open_source(path)
    text_key = key(text_column)
    wanted = [key(c) for c in label_columns] if label_columns is not None else None
    if source.format != "jsonl":
        header = read_header(source)
        require_columns(source, header, [text_key] + (wanted or []))
        if wanted is None:
            wanted = [h for h in header if h in DEFAULT_HEADS and h != text_key]
            if not wanted:
                raise InputError(
                    f"{source.name} has no label column (intent, emotion or label); found: {listing(header)}."
                )
    return _labeled_rows(source, text_key, wanted)


def read_answers(path: Path | str) -> Iterator[AnswerRow | Rejected]:
    """Answer rows (columns kind, intent, emotion, text, weight; only text is required)."""
    source = open_source(path)
    if source.format != "jsonl":
        require_columns(source, read_header(source), ["text"])
    return _answer_rows(source)


def read_import(
    path: Path | str, *, heads: Collection[str] | None = None
) -> Iterator[LabeledRow | AnswerRow | QARow | Rejected]:
    """A file that may mix labeled utterances and answers, as `write_export` writes it.

    A record is an answer if its `type` is `answer`, or if there is no `type` column and the file has a
    `kind` column; otherwise it is a labeled utterance whose labels are its non-empty head columns
    (`heads`, default intent, emotion, label). In a record with a `type` field (an export), every field
    but type, text, kind and weight is a head column, so heads the caller does not know come through
    too. Utterances may carry only some of the heads.

    A file with a question and an answer column (QUESTION_COLUMNS, ANSWER_COLUMNS: Q/A,
    question/answer, 질문/답변, ...) gives QARow records instead; so does a JSONL object with such keys."""
    source = open_source(path)
    head_keys = [key(h) for h in (heads if heads is not None else DEFAULT_HEADS)]
    if source.format != "jsonl":
        header = read_header(source)
        pairs = pair_columns(header)
        if pairs is not None:
            return _pair_rows(source, pairs)
        require_columns(source, header, ["text"])
        if not any(h in header for h in [*head_keys, "kind", "type"]):
            raise InputError(
                f"{source.name} has neither label columns ({', '.join(head_keys)}) nor a kind column; "
                f"found: {listing(header)}."
            )
    return _import_rows(source, head_keys)


class _Bad(Exception):
    """A record problem; becomes Rejected(line, reason)."""


T = TypeVar("T")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _parsed(source: Source, parse: Callable[[dict, int], T]) -> Iterator[T | Rejected]:
    """Every record of `source` through `parse(record, line)`; a record problem (_Bad) is Rejected."""
    for item in records(source):
        if isinstance(item, Rejected):
            yield item
            continue
        line, rec = item
        try:
            yield parse(rec, line)
        except _Bad as e:
            yield Rejected(line, str(e))


def _labeled_rows(source: Source, text_key: str, wanted: list[str] | None) -> Iterator[LabeledRow | Rejected]:
    def parse(rec: dict, line: int) -> LabeledRow:
        text = _text(rec, text_key)
        if wanted is None:  # JSONL without explicit columns: the head keys this object has
            keys = [k for k in DEFAULT_HEADS if k in rec and rec[k] is not None and k != text_key]
            if not keys:
                raise _Bad("no label (intent, emotion or label)")
        else:
            keys = wanted
        labels = {k: _label(rec, k) for k in keys}
        missing = [k for k, v in labels.items() if not v]
        if missing:
            raise _Bad(f"missing {', '.join(missing)}")
        return LabeledRow(text, labels, line)

    return _parsed(source, parse)


def _answer_rows(source: Source) -> Iterator[AnswerRow | Rejected]:
    return _parsed(source, _answer)


def _import_rows(source: Source, head_keys: list[str]) -> Iterator[LabeledRow | AnswerRow | QARow | Rejected]:
    def parse(rec: dict, line: int) -> LabeledRow | AnswerRow | QARow:
        pairs = pair_columns(rec) if source.format == "jsonl" and "type" not in rec else None
        if pairs is not None:
            return _pair(rec, pairs, line)
        if "type" in rec:
            kind_of_row = _label(rec, "type").lower()
            if kind_of_row not in ("", "utterance", "answer"):
                raise _Bad(f"unknown type {kind_of_row!r} (use utterance or answer)")
            is_answer = kind_of_row == "answer"
        else:  # CSV records carry every header key, so for CSV this is "the file has a kind column"
            is_answer = "kind" in rec
        if is_answer:
            return _answer(rec, line)
        text = _text(rec, "text")
        # an export's record: every other field is a head; otherwise only the heads asked for
        keys = [k for k in rec if k not in RECORD_COLUMNS] if "type" in rec else head_keys
        labels = {k: v for k in keys if k != "text" and (v := _label(rec, k))}
        if not labels:
            raise _Bad(f"no label ({', '.join(head_keys)})")
        return LabeledRow(text, labels, line)

    return _parsed(source, parse)


def _pair_rows(source: Source, pairs: tuple[str, str]) -> Iterator[QARow | Rejected]:
    return _parsed(source, lambda rec, line: _pair(rec, pairs, line))


def _pair(rec: dict[str, Any], pairs: tuple[str, str], line: int) -> QARow:
    question, answer = pairs
    label_column = next((c for c in PAIR_LABEL_COLUMNS if c in rec), None)
    label = _label(rec, label_column) if label_column else ""
    return QARow(_text(rec, question), _text(rec, answer), label or None, _level(rec), line)


def _level(rec: dict[str, Any]) -> str | None:
    value = _label(rec, "level")
    if not value:
        return None
    level = LEVEL_NAMES.get(value.lower())
    if level is None:
        raise _Bad(f"unknown level {value!r} (use polite or casual, 존댓말 or 반말, or leave it empty)")
    return level


def _answer(rec: dict[str, Any], line: int) -> AnswerRow:
    kind = _label(rec, "kind").lower() or "answer"
    if kind not in ANSWER_KINDS:
        raise _Bad(f"unknown kind {kind!r} (use answer, fallback or crisis)")
    text = _text(rec, "text")
    intent = _label(rec, "intent") or None
    emotion = _label(rec, "emotion") or None
    if kind == "answer" and intent is None:
        raise _Bad("an answer needs an intent")
    return AnswerRow(kind, intent, emotion, text, _weight(rec.get("weight")), line, _level(rec))


def _string(rec: dict[str, Any], key: str) -> str:
    """The field exactly as the file has it ("" when absent or null)."""
    value = rec.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Bad(f"{key} must be text, not {type(value).__name__}")
    if _SURROGATE.search(value):
        raise _Bad(f"{key} contains bytes that are not valid UTF-8")
    return value


def _text(rec: dict[str, Any], key: str) -> str:
    """A text field, kept byte for byte; one that is only whitespace counts as empty."""
    if key not in rec:
        raise _Bad(f"no {key!r} field")
    text = _string(rec, key)
    if not text.strip():
        raise _Bad(f"empty {key}")
    if len(text) > MAX_TEXT_CHARS:
        raise _Bad(f"{key} is longer than {MAX_TEXT_CHARS:,} characters ({len(text):,})")
    return text


def _label(rec: dict[str, Any], key: str) -> str:
    """A label id, kind or type: looked up, not kept, so trimmed and NFC."""
    value = unicodedata.normalize("NFC", _string(rec, key)).strip()
    if len(value) > 200:
        raise _Bad(f"{key} is longer than 200 characters")
    return value


def _weight(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1.0
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Bad(f"weight must be a positive number, not {value!r}")
    try:
        weight = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        raise _Bad(f"weight must be a positive number, not {str(value)[:40]!r}") from None
    if not math.isfinite(weight) or weight <= 0:
        raise _Bad(f"weight must be a positive number, not {str(value)[:40]!r}")
    if weight > MAX_WEIGHT:
        raise _Bad(f"weight must be at most {MAX_WEIGHT:g} (a relative chance), not {str(value)[:40]!r}")
    return weight
