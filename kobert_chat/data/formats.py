"""Read and write labeled utterances and answers as CSV, TSV or JSON Lines.

Files come from Excel as often as from scripts, so reading accepts UTF-8 (with or without BOM), CP949
(what Korean Excel saves; covers EUC-KR) and UTF-16 with a BOM ("Unicode text"). Records are streamed one
at a time, so a 100,000-row file never sits in memory as rows. Each record becomes either a parsed row or a
`Rejected(line, reason)`; only problems with the whole file (unreadable, unknown type, no text column)
raise `InputError`. This module only parses: checking label ids against the known label sets is the
caller's job.

    for item in read_labeled(path):
        if isinstance(item, Rejected): print(f"line {item.line}: {item.reason}")
        else: use(item.text, item.labels)
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

from kobert_chat.errors import InputError

MAX_TEXT_CHARS = 10_000
# No valid record comes near these (text is capped at 10,000 characters); they only bound memory, so a
# giant field or a file without line breaks is rejected with a reason instead of being read whole.
MAX_LINE_CHARS = 1_000_000
MAX_FIELD_CHARS = 1_000_000
DEFAULT_HEADS = ("intent", "emotion", "label")
ANSWER_KINDS = ("answer", "fallback", "crisis")
EXPORT_FORMATS = (".csv", ".tsv", ".jsonl")
_CHUNK_BYTES = 1 << 20

Format = Literal["csv", "tsv", "jsonl"]


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


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


class AnswerLike(Protocol):
    kind: str
    intent: str | None
    emotion: str | None
    text: str
    weight: float


# ---------------------------------------------------------------------------------------------------------
# Public readers


def read_labeled(
    path: Path | str, *, text_column: str = "text", label_columns: Sequence[str] | None = None
) -> Iterator[LabeledRow | Rejected]:
    """Labeled utterances, one item per record. `label_columns=None` means every column named after a head
    (intent, emotion, label). Every listed label must be filled in, or the record is rejected.

    Raises InputError right away (before iterating) for a file that cannot be used at all."""
    source = _open_source(path)
    text_key = _key(text_column)
    wanted = [_key(c) for c in label_columns] if label_columns is not None else None
    if source.format != "jsonl":
        header = _read_header(source)
        _require_columns(source, header, [text_key] + (wanted or []))
        if wanted is None:
            wanted = [h for h in header if h in DEFAULT_HEADS and h != text_key]
            if not wanted:
                raise InputError(
                    f"{source.name} has no label column (intent, emotion or label); "
                    f"found: {_listing(header)}."
                )
    return _labeled_rows(source, text_key, wanted)


def read_answers(path: Path | str) -> Iterator[AnswerRow | Rejected]:
    """Answer rows (columns kind, intent, emotion, text, weight; only text is required)."""
    source = _open_source(path)
    if source.format != "jsonl":
        _require_columns(source, _read_header(source), ["text"])
    return _answer_rows(source)


def read_import(
    path: Path | str, *, heads: Collection[str] | None = None
) -> Iterator[LabeledRow | AnswerRow | Rejected]:
    """A file that may mix labeled utterances and answers, as `write_export` writes it.

    A record is an answer if its `type` is `answer`, or if there is no `type` column and the file has a
    `kind` column; otherwise it is a labeled utterance whose labels are its non-empty head columns
    (`heads`, default intent, emotion, label). Utterances may carry only some of the heads."""
    source = _open_source(path)
    head_keys = [_key(h) for h in (heads if heads is not None else DEFAULT_HEADS)]
    if source.format != "jsonl":
        header = _read_header(source)
        _require_columns(source, header, ["text"])
        if not any(h in header for h in [*head_keys, "kind", "type"]):
            raise InputError(
                f"{source.name} has neither label columns ({', '.join(head_keys)}) nor a kind column; "
                f"found: {_listing(header)}."
            )
    return _import_rows(source, head_keys)


# ---------------------------------------------------------------------------------------------------------
# Public writer


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
    extra = [h for h in heads if h not in ("intent", "emotion")]
    clash = {"type", "text", "kind", "weight"} & set(extra)
    if clash:
        raise ValueError(f"head names clash with export columns: {sorted(clash)}")
    columns = ["type", "text", "intent", "emotion", *extra, "kind", "weight"]
    try:
        if suffix == ".jsonl":
            with _replace_on_success(path, "utf-8") as f:
                return _write_jsonl(f, utterances, answers)
        # utf-8-sig: the BOM is what makes Excel open UTF-8 instead of guessing the ANSI code page.
        with _replace_on_success(path, "utf-8-sig") as f:
            return _write_table(f, "\t" if suffix == ".tsv" else ",", columns, utterances, answers)
    except OSError as e:
        raise InputError(f"Cannot write {path}: {e.strerror or e}.") from None


def _write_table(
    f: TextIO,
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
        row = {"type": "utterance", "text": text, **labels}
        writer.writerow([_neutralize(str(row.get(c) or "")) for c in columns])
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
        writer.writerow([_neutralize(str(row.get(c) or "")) for c in columns])
        n_ans += 1
    return n_utt, n_ans


def _write_jsonl(
    f: TextIO, utterances: Iterable[tuple[str, Mapping[str, str]]], answers: Iterable[AnswerLike]
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


@contextlib.contextmanager
def _replace_on_success(path: Path, encoding: str) -> Iterator[TextIO]:
    """Stream into a sibling temp file, fsync, rename over `path` (atomic.write_bytes, without holding
    the whole export in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# Spreadsheets run cells that start with these as formulas (CSV injection). Export prefixes one quote;
# reading removes one quote only when the rest would again start with quotes + one of these, which makes
# the mapping reversible even for text that itself starts with a quote.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def _neutralize(cell: str) -> str:
    return "'" + cell if _FORMULA_START.match(cell) else cell


def _unneutralize(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell, 1) else cell


# ---------------------------------------------------------------------------------------------------------
# Record parsing (shared by all formats: a record is a dict of normalised column name -> raw value)


class _Bad(Exception):
    """A record problem; becomes Rejected(line, reason)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _labeled_rows(
    source: _Source, text_key: str, wanted: list[str] | None
) -> Iterator[LabeledRow | Rejected]:
    for item in _records(source):
        if isinstance(item, Rejected):
            yield item
            continue
        line, rec = item
        try:
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
            yield LabeledRow(text, labels, line)
        except _Bad as e:
            yield Rejected(line, str(e))


def _answer_rows(source: _Source) -> Iterator[AnswerRow | Rejected]:
    for item in _records(source):
        if isinstance(item, Rejected):
            yield item
            continue
        line, rec = item
        try:
            yield _answer(rec, line)
        except _Bad as e:
            yield Rejected(line, str(e))


def _import_rows(source: _Source, head_keys: list[str]) -> Iterator[LabeledRow | AnswerRow | Rejected]:
    for item in _records(source):
        if isinstance(item, Rejected):
            yield item
            continue
        line, rec = item
        try:
            if "type" in rec:
                kind_of_row = _label(rec, "type").lower()
                if kind_of_row not in ("", "utterance", "answer"):
                    raise _Bad(f"unknown type {kind_of_row!r} (use utterance or answer)")
                is_answer = kind_of_row == "answer"
            else:  # CSV records carry every header key, so for CSV this is "the file has a kind column"
                is_answer = "kind" in rec
            if is_answer:
                yield _answer(rec, line)
                continue
            text = _text(rec, "text")
            labels = {k: v for k in head_keys if k != "text" and (v := _label(rec, k))}
            if not labels:
                raise _Bad(f"no label ({', '.join(head_keys)})")
            yield LabeledRow(text, labels, line)
        except _Bad as e:
            yield Rejected(line, str(e))


def _answer(rec: dict[str, Any], line: int) -> AnswerRow:
    kind = _label(rec, "kind").lower() or "answer"
    if kind not in ANSWER_KINDS:
        raise _Bad(f"unknown kind {kind!r} (use answer, fallback or crisis)")
    text = _text(rec, "text")
    intent = _label(rec, "intent") or None
    emotion = _label(rec, "emotion") or None
    if kind == "answer" and intent is None:
        raise _Bad("an answer needs an intent")
    return AnswerRow(kind, intent, emotion, text, _weight(rec.get("weight")), line)


def _string(rec: dict[str, Any], key: str) -> str:
    value = rec.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Bad(f"{key} must be text, not {type(value).__name__}")
    if _SURROGATE.search(value):
        raise _Bad(f"{key} contains bytes that are not valid UTF-8")
    return unicodedata.normalize("NFC", value).strip()


def _text(rec: dict[str, Any], key: str) -> str:
    if key not in rec:
        raise _Bad(f"no {key!r} field")
    text = _string(rec, key)
    if not text:
        raise _Bad(f"empty {key}")
    if len(text) > MAX_TEXT_CHARS:
        raise _Bad(f"{key} is longer than {MAX_TEXT_CHARS:,} characters ({len(text):,})")
    return text


def _label(rec: dict[str, Any], key: str) -> str:
    value = _string(rec, key)
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
    return weight


# ---------------------------------------------------------------------------------------------------------
# Files: type, encoding, physical lines, records


@dataclass(frozen=True)
class _Source:
    path: Path
    format: Format
    encoding: str
    errors: str  # "surrogateescape" only for BOM-declared UTF-8: bad bytes then reject their record

    @property
    def name(self) -> str:
        return self.path.name

    def open(self) -> TextIO:
        # newline="": the csv module must see \r\n inside quoted fields untouched.
        return self.path.open("r", encoding=self.encoding, errors=self.errors, newline="")


def _open_source(path: Path | str) -> _Source:
    path = Path(path)
    suffix = path.suffix.lower()
    formats: dict[str, Format] = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".jsonl": "jsonl"}
    if suffix not in formats:
        raise InputError(
            f"{path.name}: unsupported file type; use .csv, .tsv, .txt (tab-separated) or .jsonl."
        )
    try:
        encoding, errors = _detect_encoding(path)
        source = _Source(path, formats[suffix], encoding, errors)
        if suffix == ".txt":
            with source.open() as f:
                if "\t" not in f.readline(MAX_LINE_CHARS):
                    raise InputError(f"{path.name} is not tab-separated; save it as .csv, .tsv or .jsonl.")
    except OSError as e:
        raise InputError(f"Cannot read {path}: {e.strerror or e}.") from None
    except UnicodeDecodeError:  # the file changed under us
        raise InputError(f"{path.name} is not UTF-8 or CP949 text.") from None
    return source


def _detect_encoding(path: Path) -> tuple[str, str]:
    """BOM first; else the first of UTF-8 / CP949 that decodes the whole file strictly (streamed)."""
    with path.open("rb") as f:
        head = f.read(4)
        if not head:
            raise InputError(f"{path.name} is empty.")
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig", "surrogateescape"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            f.seek(0)
            if _decodes(f, "utf-16"):
                return "utf-16", "strict"
            raise InputError(f"{path.name} starts like UTF-16 text but is not valid UTF-16.")
        for encoding in ("utf-8", "cp949"):
            f.seek(0)
            if _decodes(f, encoding):
                return encoding, "strict"
    raise InputError(f"{path.name} is not UTF-8 or CP949 text; save it as 'CSV UTF-8' and try again.")


def _decodes(f: Any, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        while chunk := f.read(_CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class _LineTooLong(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Lines:
    """Physical lines of a text file, each at most MAX_LINE_CHARS, numbered as they are read.

    A longer line is skipped to its end and reported by raising _LineTooLong from __next__. Unlike a
    generator, this iterator keeps working after raising, so the csv reader carries on with the next line.
    `quotes` counts quote characters since the caller last reset it, for `skip_open_quote`."""

    def __init__(self, f: TextIO) -> None:
        self._f = f
        self.number = 0
        self.quotes = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._f.readline(MAX_LINE_CHARS)
        if not line:
            raise StopIteration
        self.number += 1
        self.quotes += line.count('"')
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            while rest := self._f.readline(MAX_LINE_CHARS):
                self.quotes += rest.count('"')
                if rest.endswith(("\n", "\r")):
                    break
            raise _LineTooLong(self.number)
        return line

    def skip_open_quote(self) -> None:
        """After a record failed part-way: if its quotes so far leave a quoted field open, skip lines until
        that field closes, so parsing resumes at the next record instead of inside a giant field. (Exact for
        files written with standard quoting; a best effort for malformed ones.)"""
        line_done = True
        while self.quotes % 2 or not line_done:
            chunk = self._f.readline(MAX_LINE_CHARS)
            if not chunk:
                return
            line_done = chunk.endswith(("\n", "\r"))
            self.number += line_done
            self.quotes += chunk.count('"')


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().lower()


def _listing(header: Sequence[str]) -> str:
    shown = [repr(h) for h in header[:20] if h] + (["..."] if len(header) > 20 else [])
    return ", ".join(shown) or "no named columns"


def _require_columns(source: _Source, header: list[str], needed: Iterable[str]) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(
            f"{source.name} has no {', '.join(repr(c) for c in missing)} column; found: {_listing(header)}."
        )


def _table_records(source: _Source, f: TextIO) -> Iterator[tuple[int, list[str]] | Rejected]:
    """Non-blank CSV/TSV records with the line each starts on."""
    csv.field_size_limit(MAX_FIELD_CHARS)  # process-wide setting; every reader here wants the same cap
    lines = _Lines(f)
    reader = csv.reader(lines, delimiter="\t" if source.format == "tsv" else ",")
    while True:
        start = lines.number + 1
        lines.quotes = 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _LineTooLong as e:
            lines.skip_open_quote()
            yield Rejected(e.line, f"line is longer than {MAX_LINE_CHARS:,} characters")
            continue
        except csv.Error as e:
            lines.skip_open_quote()
            reason = (
                f"a field is longer than {MAX_FIELD_CHARS:,} characters"
                if "field limit" in str(e)
                else f"not valid CSV ({e})"
            )
            yield Rejected(start, reason)
            continue
        if any(c.strip() for c in cells):
            yield start, cells


def _read_header(source: _Source) -> list[str]:
    try:
        with source.open() as f:
            for item in _table_records(source, f):
                if isinstance(item, Rejected):
                    raise InputError(
                        f"{source.name}: cannot read the header (line {item.line}): {item.reason}."
                    )
                return [_key(_unneutralize(c)) for c in item[1]]
    except OSError as e:
        raise InputError(f"Cannot read {source.path}: {e.strerror or e}.") from None
    except UnicodeDecodeError:
        raise InputError(f"{source.name} is not {source.encoding} text.") from None
    raise InputError(f"{source.name} has no header line.")


def _records(source: _Source) -> Iterator[tuple[int, dict[str, Any]] | Rejected]:
    """Every record after the header (tables) or every non-blank line (JSONL) as a dict."""
    try:
        with source.open() as f:
            if source.format == "jsonl":
                yield from _jsonl_records(f)
            else:
                header: list[str] | None = None
                for item in _table_records(source, f):
                    if isinstance(item, Rejected):
                        yield item
                    elif header is None:
                        header = [_key(_unneutralize(c)) for c in item[1]]
                    else:
                        line, cells = item
                        rec: dict[str, Any] = {}
                        for i, name in enumerate(header):  # short rows: missing cells are empty
                            rec.setdefault(name, _unneutralize(cells[i]) if i < len(cells) else "")
                        yield line, rec
    except OSError as e:
        raise InputError(f"Cannot read {source.path}: {e.strerror or e}.") from None
    except UnicodeDecodeError:  # strict decoding already passed once; the file changed while reading
        raise InputError(f"{source.name} is not {source.encoding} text.") from None


def _jsonl_records(f: TextIO) -> Iterator[tuple[int, dict[str, Any]] | Rejected]:
    lines = _Lines(f)
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except _LineTooLong as e:
            yield Rejected(e.line, f"line is longer than {MAX_LINE_CHARS:,} characters")
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield Rejected(lines.number, f"invalid JSON ({e.msg} at column {e.colno})")
            continue
        except (ValueError, RecursionError) as e:  # e.g. nesting too deep, integer too long
            yield Rejected(lines.number, f"invalid JSON ({str(e)[:80] or type(e).__name__})")
            continue
        if not isinstance(obj, dict):
            yield Rejected(lines.number, "not a JSON object")
            continue
        rec: dict[str, Any] = {}
        for name, value in obj.items():
            rec.setdefault(_key(name), value)
        yield lines.number, rec
