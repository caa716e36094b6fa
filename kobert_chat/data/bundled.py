"""The Korean seed data shipped in resources/data: labeled utterances and the starting answers.

The held-out test split is a pure function of the text (sha1 % 100 < 15), so it stays the same across
machines, file reorderings and additions: a sentence never moves between train and test.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kobert_chat import paths
from kobert_chat.data.formats import AnswerRow, Rejected, read_answers, read_labeled
from kobert_chat.errors import InputError

TEST_PERCENT = 15
Split = Literal["train", "test", "all"]


@dataclass(frozen=True)
class Utterance:
    text: str
    intent: str
    emotion: str


def default_root() -> Path:
    return paths.RESOURCES / "data"


def is_test_text(text: str) -> bool:
    """True if `text` (NFC, as loaded) belongs to the fixed held-out test split."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 100 < TEST_PERCENT


def utterance_files(root: Path | None = None) -> list[Path]:
    return sorted((root or default_root()).joinpath("utterances").glob("*.csv"), key=lambda p: p.name)


def load_utterances(split: Split = "all", root: Path | None = None) -> list[Utterance]:
    """Every bundled utterance in file-name order, NFC, exact duplicate texts dropped (first wins).

    Raises InputError if there are no files or a row is malformed: shipped data must load cleanly."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be train, test or all, not {split!r}")
    files = utterance_files(root)
    if not files:
        raise InputError(f"No bundled utterance files in {(root or default_root()) / 'utterances'}.")
    seen: set[str] = set()
    out: list[Utterance] = []
    for path in files:
        for item in read_labeled(path, label_columns=["intent", "emotion"]):
            if isinstance(item, Rejected):
                raise InputError(f"Bundled data {path.name} line {item.line}: {item.reason}.")
            # readers keep a file's text exactly; the bundle is ours, and its split hashes the NFC text
            text = unicodedata.normalize("NFC", item.text).strip()
            if text in seen:
                continue
            seen.add(text)
            if split == "all" or (split == "test") == is_test_text(text):
                out.append(Utterance(text, item.labels["intent"], item.labels["emotion"]))
    return out


def answers_fingerprint(root: Path | None = None) -> str:
    """A hash of the bundled answers file: a home whose answers came from another bundle gets this one's
    (ChatEngine.open), without reading the rows on every start."""
    path = (root or default_root()) / "answers.csv"
    return hashlib.sha1(path.read_bytes()).hexdigest()


def load_answers(root: Path | None = None) -> list[AnswerRow]:
    """The bundled answers (resources/data/answers.csv; columns kind,intent,emotion,text,weight,level),
    in file order."""
    path = (root or default_root()) / "answers.csv"
    rows: list[AnswerRow] = []
    for item in read_answers(path):
        if isinstance(item, Rejected):
            raise InputError(f"Bundled data {path.name} line {item.line}: {item.reason}.")
        rows.append(item)
    return rows
