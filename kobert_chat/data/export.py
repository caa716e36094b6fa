"""`export FILE`: labeled utterances and answers in one .csv/.tsv/.jsonl file that `import` reads back.

Written through atomic.replacing(): streamed into a temp file beside the target and renamed over it,
so a failure leaves the old file (or none) and a big export never sits in memory. The target's folder
must exist (a typo in a path must not create folders), and texts are written exactly as stored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from kobert_chat import atomic
from kobert_chat.errors import InputError

from .rows import RECORD_COLUMNS
from .text_files import neutralize

EXPORT_FORMATS = (".csv", ".tsv", ".jsonl")


class AnswerLike(Protocol):
    """Anything with an answer's fields (store.Answer, rows.AnswerRow); read-only."""

    @property
    def kind(self) -> str: ...
    @property
    def intent(self) -> str | None: ...
    @property
    def emotion(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def weight(self) -> float: ...


def write_export(
    path: Path | str,
    utterances: Iterable[tuple[str, Mapping[str, str]]],
    answers: Iterable[AnswerLike],
    *,
    heads: Sequence[str] = ("intent", "emotion"),
) -> tuple[int, int]:
    """Write utterances and answers to one .csv/.tsv (UTF-8 with BOM so Excel shows Korean; columns
    type,text,intent,emotion[,other heads],kind,weight) or .jsonl file (one object per line with `type`).

    The file is replaced atomically: a failure leaves the old file (or none). Returns (utterances, answers)
    written. `read_import` reads the file back exactly."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise InputError(f"Cannot export to {path.name}: use a .csv, .tsv or .jsonl file name.")
    if not path.parent.is_dir():
        raise InputError(
            f"Cannot export to {path}: the folder {path.parent} does not exist; create it first or "
            f"choose another place."
        )
    extra = [h for h in dict.fromkeys(heads) if h not in ("intent", "emotion")]
    clash = sorted(set(RECORD_COLUMNS) & {h.lower() for h in extra})
    if clash:
        raise InputError(
            f"Cannot export: the label set {clash[0]!r} has the name of one of the export's own columns "
            f"({', '.join(RECORD_COLUMNS)}); remove it with `labels remove {clash[0]}` (or rename it by "
            f"training the labels into another head) and export again."
        )
    columns = ["type", "text", "intent", "emotion", *extra, "kind", "weight"]
    try:
        if suffix == ".jsonl":
            with atomic.replacing(path, "utf-8", make_parents=False) as f:
                return _write_jsonl(f, utterances, answers)
        # utf-8-sig: the BOM is what makes Excel open UTF-8 instead of guessing the ANSI code page.
        with atomic.replacing(path, "utf-8-sig", make_parents=False) as f:
            return _write_table(f, "\t" if suffix == ".tsv" else ",", columns, utterances, answers)
    except OSError as e:
        raise InputError(f"Cannot write {path}: {e.strerror or e}.") from None


def _write_table(
    f: IO[str],
    delimiter: str,
    columns: list[str],
    utterances: Iterable[tuple[str, Mapping[str, str]]],
    answers: Iterable[AnswerLike],
) -> tuple[int, int]:
    writer = csv.writer(f, delimiter=delimiter)
    writer.writerow(columns)
    n_utt = n_ans = 0
    for text, labels in utterances:
        unknown = set(labels) - set(columns[2:-2])
        if unknown:
            raise ValueError(f"labels for heads not in the export columns: {sorted(unknown)}")
        row: dict[str, str | None] = {"type": "utterance", "text": text, **labels}
        writer.writerow([neutralize(str(row.get(c) or "")) for c in columns])
        n_utt += 1
    for a in answers:
        row = {
            "type": "answer",
            "text": a.text,
            "intent": a.intent,
            "emotion": a.emotion,
            "kind": a.kind,
            "weight": repr(float(a.weight)),
        }
        writer.writerow([neutralize(str(row.get(c) or "")) for c in columns])
        n_ans += 1
    return n_utt, n_ans


def _write_jsonl(
    f: IO[str], utterances: Iterable[tuple[str, Mapping[str, str]]], answers: Iterable[AnswerLike]
) -> tuple[int, int]:
    n_utt = n_ans = 0
    for text, labels in utterances:
        obj: dict[str, Any] = {"type": "utterance", "text": text, **labels}
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        n_utt += 1
    for a in answers:
        obj = {
            "type": "answer",
            "kind": a.kind,
            "intent": a.intent,
            "emotion": a.emotion,
            "text": a.text,
            "weight": float(a.weight),
        }
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        n_ans += 1
    return n_utt, n_ans
