"""Reading raw table and JSON-lines files: type from the suffix, encoding detection, physical lines of
bounded length, CSV/TSV records with their line numbers, JSON objects. No meaning is given to columns
here (rows.py does that).

Files come from Excel as often as from scripts, so reading accepts UTF-8 (with or without BOM), CP949
(what Korean Excel saves; covers EUC-KR) and UTF-16 with a BOM ("Unicode text"). Everything streams: a
100,000-row file never sits in memory as rows.

Problems with the file as a whole raise InputError before any record is used: a header that names a
column twice, and a quote that never closes (it would swallow every row after it). A record whose
number of cells does not match the header is rejected with that reason; cell values are never
changed here (no trimming, no normalisation).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from kobert_chat.errors import InputError

# No valid record comes near these (text is capped at 10,000 characters); they only bound memory, so a
# giant field or a file without line breaks is rejected with a reason instead of being read whole.
MAX_LINE_CHARS = 1_000_000
MAX_FIELD_CHARS = 1_000_000
_CHUNK_BYTES = 1 << 20

Format = Literal["csv", "tsv", "jsonl"]


@dataclass(frozen=True)
class Rejected:
    """A record that could not be used, with the line it starts on and why."""

    line: int
    reason: str


# Spreadsheets run cells that start with these as formulas (CSV injection). Export prefixes one quote;
# reading removes one quote only when the rest would again start with quotes + one of these, which makes
# the mapping reversible even for text that itself starts with a quote.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def neutralize(cell: str) -> str:
    return "'" + cell if _FORMULA_START.match(cell) else cell


def unneutralize(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell, 1) else cell


@dataclass(frozen=True)
class Source:
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


def open_source(path: Path | str) -> Source:
    path = Path(path)
    suffix = path.suffix.lower()
    formats: dict[str, Format] = {".csv": "csv", ".tsv": "tsv", ".txt": "tsv", ".jsonl": "jsonl"}
    if suffix not in formats:
        raise InputError(
            f"{path.name}: unsupported file type; use .csv, .tsv, .txt (tab-separated) or .jsonl."
        )
    try:
        encoding, errors = _detect_encoding(path)
        source = Source(path, formats[suffix], encoding, errors)
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

    def skip_open_quote(self) -> bool:
        """After a record failed part-way: if its quotes so far leave a quoted field open, skip lines until
        that field closes, so parsing resumes at the next record instead of inside a giant field. (Exact for
        files written with standard quoting; a best effort for malformed ones.) False if the file ended
        with the field still open: the quote never closes."""
        line_done = True
        while self.quotes % 2 or not line_done:
            chunk = self._f.readline(MAX_LINE_CHARS)
            if not chunk:
                return not self.quotes % 2
            line_done = chunk.endswith(("\n", "\r"))
            self.number += line_done
            self.quotes += chunk.count('"')
        return True


def key(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().lower()


def listing(header: Sequence[str]) -> str:
    shown = [repr(h) for h in header[:20] if h] + (["..."] if len(header) > 20 else [])
    return ", ".join(shown) or "no named columns"


def require_columns(source: Source, header: list[str], needed: Iterable[str]) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(
            f"{source.name} has no {', '.join(repr(c) for c in missing)} column; found: {listing(header)}."
        )


def _table_records(source: Source, f: TextIO) -> Iterator[tuple[int, list[str]] | Rejected]:
    """Non-blank CSV/TSV records with the line each starts on. InputError for a quote that never closes."""
    csv.field_size_limit(MAX_FIELD_CHARS)  # process-wide setting; every reader here wants the same cap
    lines = _Lines(f)
    # strict: a quoted field still open at the end of the file is an error, not a field holding the rest
    reader = csv.reader(lines, delimiter="\t" if source.format == "tsv" else ",", strict=True)
    while True:
        start = lines.number + 1
        lines.quotes = 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _LineTooLong as e:
            if not lines.skip_open_quote():
                raise _unterminated(source, start) from None
            yield Rejected(e.line, f"line is longer than {MAX_LINE_CHARS:,} characters")
            continue
        except csv.Error as e:
            if "unexpected end of data" in str(e) or not lines.skip_open_quote():
                raise _unterminated(source, start) from None
            reason = (
                f"a field is longer than {MAX_FIELD_CHARS:,} characters"
                if "field limit" in str(e)
                else f"not valid CSV ({e})"
            )
            yield Rejected(start, reason)
            continue
        if any(c.strip() for c in cells):
            yield start, cells


def _unterminated(source: Source, line: int) -> InputError:
    return InputError(
        f"{source.name}: unterminated quote at line {line}: the quoted field that starts there never "
        f'closes, so every row after it would be read as part of it. Close the quote (or double a "" '
        f"inside the text) and try again; nothing was imported."
    )


def _header(source: Source, cells: list[str]) -> list[str]:
    """Column names as keys; InputError if one (non-empty) name is given twice."""
    header = [key(unneutralize(c)) for c in cells]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, 1):
        if name and name in seen:
            raise InputError(
                f"{source.name}: the column {name!r} appears twice in the header (columns {seen[name]} "
                f"and {position}); rename or remove one and try again."
            )
        seen.setdefault(name, position)
    return header


def _ragged(cells: list[str], header: list[str], delimiter: str) -> str | None:
    """Why a record's cells do not line up with the header, or None. Missing cells under unnamed
    trailing columns, and empty cells beyond the header (trailing delimiters), carry nothing: fine."""
    named = max((i + 1 for i, name in enumerate(header) if name), default=0)
    extra = [c for c in cells[len(header) :] if c.strip()]
    if len(cells) >= named and not extra:
        return None
    sign = "TAB" if delimiter == "\t" else repr(delimiter)
    return (
        f"has {len(cells)} fields but the header has {len(header)} (a missing or extra {sign}? text "
        f"containing {sign} must be in quotes)"
    )


def read_header(source: Source) -> list[str]:
    try:
        with source.open() as f:
            for item in _table_records(source, f):
                if isinstance(item, Rejected):
                    raise InputError(
                        f"{source.name}: cannot read the header (line {item.line}): {item.reason}."
                    )
                return _header(source, item[1])
    except OSError as e:
        raise InputError(f"Cannot read {source.path}: {e.strerror or e}.") from None
    except UnicodeDecodeError:
        raise InputError(f"{source.name} is not {source.encoding} text.") from None
    raise InputError(f"{source.name} has no header line.")


def records(source: Source) -> Iterator[tuple[int, dict[str, Any]] | Rejected]:
    """Every record after the header (tables) or every non-blank line (JSONL) as a dict."""
    try:
        with source.open() as f:
            if source.format == "jsonl":
                yield from _jsonl_records(f)
            else:
                header: list[str] | None = None
                delimiter = "\t" if source.format == "tsv" else ","
                for item in _table_records(source, f):
                    if isinstance(item, Rejected):
                        yield item
                    elif header is None:
                        header = _header(source, item[1])
                    else:
                        line, cells = item
                        problem = _ragged(cells, header, delimiter)
                        if problem:
                            yield Rejected(line, problem)
                            continue
                        rec: dict[str, Any] = {}
                        for i, name in enumerate(header):  # (only unnamed columns can lack a cell)
                            if name:
                                rec[name] = unneutralize(cells[i]) if i < len(cells) else ""
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
            obj = json.loads(line, object_pairs_hook=_Pairs)
        except json.JSONDecodeError as e:
            yield Rejected(lines.number, f"invalid JSON ({e.msg} at column {e.colno})")
            continue
        except (ValueError, RecursionError) as e:  # e.g. nesting too deep, integer too long
            yield Rejected(lines.number, f"invalid JSON ({str(e)[:80] or type(e).__name__})")
            continue
        if not isinstance(obj, _Pairs):
            yield Rejected(lines.number, "not a JSON object")
            continue
        rec: dict[str, Any] = {}
        twice = None
        for name, value in obj:
            if key(name) in rec:
                twice = key(name)
                break
            rec[key(name)] = dict(value) if isinstance(value, _Pairs) else value
        if twice is not None:
            yield Rejected(lines.number, f"the key {twice!r} appears twice in this object")
            continue
        yield lines.number, rec


class _Pairs(list):
    """A JSON object as its (key, value) pairs, so a key given twice is seen instead of silently lost."""
