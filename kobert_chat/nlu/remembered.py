"""N-grams read back from disk (text_grams.py), for tfidf.py and ngrams.py to look up before they
cut a text again. Keyed by a digest of the text, which is all the cache files hold of it."""

from __future__ import annotations

import hashlib
from typing import Any

_KEY_BYTES = 16
_ROWS: dict[tuple[str, str], dict[bytes, Any]] = {}  # (kind, analyzer or bucket count) -> text key -> value


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=_KEY_BYTES).digest()


def remember(kind: str, param: str, rows: dict[bytes, Any]) -> None:
    """Make these rows the ones looked up for (kind, param); rows read before are kept."""
    _ROWS.setdefault((kind, param), {}).update(rows)


def lookup(kind: str, param: str, text: str) -> Any | None:
    rows = _ROWS.get((kind, param))
    return rows.get(text_key(text)) if rows else None  # no digest at all when nothing was read


def forget() -> None:
    """Drop everything read (tests; a process that switches homes)."""
    _ROWS.clear()
