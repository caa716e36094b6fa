"""Read and write labeled utterances and answers as CSV, TSV or JSON Lines: the public entry points.

text_files.py  raw files: type, encoding, bounded physical lines, CSV/TSV/JSONL records
rows.py        records -> LabeledRow | AnswerRow | Rejected (read_labeled, read_answers, read_import)
export.py      write_export (what `import` reads back)
"""

from __future__ import annotations

from .export import EXPORT_FORMATS, AnswerLike, write_export
from .rows import (
    ANSWER_KINDS,
    DEFAULT_HEADS,
    MAX_TEXT_CHARS,
    AnswerRow,
    LabeledRow,
    QARow,
    read_answers,
    read_import,
    read_labeled,
)
from .text_files import MAX_FIELD_CHARS, MAX_LINE_CHARS, Rejected

__all__ = [
    "ANSWER_KINDS",
    "DEFAULT_HEADS",
    "EXPORT_FORMATS",
    "MAX_FIELD_CHARS",
    "MAX_LINE_CHARS",
    "MAX_TEXT_CHARS",
    "AnswerLike",
    "AnswerRow",
    "LabeledRow",
    "QARow",
    "Rejected",
    "read_answers",
    "read_import",
    "read_labeled",
    "write_export",
]
