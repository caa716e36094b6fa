"""The connection the Store's parts share: one lock, one transaction helper, one clock, JSON helpers."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kobert_chat.errors import InputError, StoreError

# Primary SQLite result codes of a write that could not happen (named constants need Python 3.11).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL = 5, 6, 8, 10, 13
BUSY_TIMEOUT_S = 5.0  # SQLite's own wait for a lock, per statement
# How long a write waits for another program's write lock before giving up (the training child, a
# backup tool, a second chat: all of them are merely slow). KOBERT_CHAT_WRITE_WAIT_S overrides it.
WRITE_WAIT_S = 60.0
NOTICE_AFTER_S = 1.0  # the first wait this long, then the user is told we are waiting


class StoreBusy(StoreError):
    """Another program held the write lock longer than the write wait; nothing was written."""


def write_wait_s() -> float:
    try:
        value = float(os.environ.get("KOBERT_CHAT_WRITE_WAIT_S", WRITE_WAIT_S))
    except ValueError:
        return WRITE_WAIT_S
    return value if 0 < value < 86_400 else WRITE_WAIT_S


class StoreCore:
    """Base of Store. Every statement runs under `_lock`, so one Store may be shared by the UI
    thread and a worker thread; separate processes coordinate through SQLite's own locks."""

    path: Path
    _db: Database

    def __init__(self, db: Database, path: Path) -> None:
        self._db = db
        self.path = path
        self._lock = threading.RLock()
        self._last_now: datetime | None = None
        self._closed = False
        # Called (with a one-line Korean notice) once per write that has to wait for another program's
        # write lock; the CLI prints it, the window shows it. Runs on the thread doing the write.
        self.on_wait: Callable[[str], None] | None = None
        self.write_wait_s = write_wait_s()
        # fold(text): Unicode case folding for search, beyond the ASCII-only folding LIKE does.
        db.register_function(casefold, deterministic=True, name="fold")

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> StoreCore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. Nested use becomes a savepoint."""
        with self._lock:
            conn = self._db.conn
            if conn.in_transaction:
                with self._db.atomic():
                    yield
                return
            # IMMEDIATE takes the write lock up front: a deferred transaction that later needs to
            # write can fail at once with SQLITE_BUSY instead of waiting out busy_timeout.
            self._begin_immediate(conn)
            try:
                try:
                    yield
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                failure = write_failure(self.path, exc)
                if failure is None:
                    raise
                raise failure from exc

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, waiting for another program's write lock up to `write_wait_s`. Nothing has
        been written when this waits or fails, so retrying it is always safe; the caller's block runs
        only once the lock is ours."""
        started = time.monotonic()
        told = False
        wait_ms = int(NOTICE_AFTER_S * 1000)
        while True:
            conn.execute(f"PRAGMA busy_timeout = {wait_ms}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    failure = write_failure(self.path, exc)
                    if failure is None:
                        raise
                    raise failure from exc
                waited = time.monotonic() - started
                if waited >= self.write_wait_s:
                    raise StoreBusy(
                        f"다른 프로그램이 데이터베이스를 {waited:.0f}초 넘게 쓰고 있어서 저장하지 못했어요: "
                        f"{self.path} stayed locked by another program; nothing from this change was "
                        f"saved and earlier data is intact. Close the other program (or wait) and try again."
                    ) from exc
                if not told and self.on_wait is not None:
                    told = True
                    self.on_wait(
                        "다른 프로그램이 데이터베이스를 쓰고 있어서 기다리는 중… "
                        f"(최대 {self.write_wait_s:.0f}초; 아무것도 잃지 않아요)"
                    )
                wait_ms = int(min(BUSY_TIMEOUT_S, max(0.05, self.write_wait_s - waited)) * 1000)
            finally:
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")

    # -- reading -----------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute(sql, params)
            keys = [d[0] for d in cursor.description]
            return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]

    def _row(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, params).fetchone()[0]

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row; its integer primary key."""
        with self._lock:
            pk = self._db.table(table).insert(values).last_pk
        assert isinstance(pk, int), pk
        return pk

    def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    # -- values ------------------------------------------------------------------------------
    def _now(self) -> str:
        """ISO-8601 UTC with microseconds, strictly increasing within this Store so that
        'labels since <timestamp>' never misses a label written in the same microsecond."""
        with self._lock:
            now = datetime.now(timezone.utc)
            if self._last_now is not None and now <= self._last_now:
                now = self._last_now + timedelta(microseconds=1)
            self._last_now = now
            return now.isoformat(timespec="microseconds")


def write_failure(path: Path, exc: sqlite3.OperationalError) -> StoreError | None:
    """A clear StoreError for a write SQLite refused (disk full, busy, read-only, I/O); None for others.
    The transaction was rolled back, so the message can promise that nothing was half-saved."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL or "disk is full" in str(exc):
        return StoreError(
            f"디스크가 가득 차서 저장하지 못했어요: the disk holding {path} is full ({exc}). Nothing from this "
            f"change was saved and earlier data is intact; free some space and try again."
        )
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreError(
            f"The database {path} is busy in another program ({exc}); nothing was saved, try again."
        )
    if primary in (_SQLITE_READONLY, _SQLITE_IOERR):
        return StoreError(
            f"Could not write to the database {path} ({exc}); nothing from this change was saved. "
            f"Check that the folder is writable and the disk is not full."
        )
    return None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def dedupe_key(text: str) -> str:
    """What makes two texts the same for duplicate detection: NFC, outer whitespace ignored. Stored text
    itself is never changed (the user's bytes are kept); only comparisons use this."""
    return unicodedata.normalize("NFC", text).strip()


def casefold(text: str | None) -> str:
    return (text or "").casefold()


def normalize_timestamp(ts: str) -> str:
    """Any ISO-8601 timestamp -> our stored form, so string comparison orders correctly."""
    if not isinstance(ts, str):
        raise InputError(f"A timestamp must be ISO-8601 text, not {type(ts).__name__}.")
    try:
        # Python 3.10's fromisoformat does not read a trailing "Z".
        parsed = datetime.fromisoformat(ts[:-1] + "+00:00" if ts.endswith("Z") else ts)
    except (TypeError, ValueError) as exc:
        raise InputError(f"'{ts}' is not an ISO-8601 timestamp.") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds")


def to_json(value: Any, what: str, *, sort_keys: bool = False) -> str:
    """JSON text that SQLite's json_extract can always read (no NaN), non-ASCII kept readable."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=sort_keys)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} must be plain JSON data (numbers must be finite): {exc}") from exc


def from_json(text: str | None) -> Any:
    return json.loads(text) if text else {}


def check_text(text: object, what: str) -> str:
    """Text SQLite can store exactly: a str that encodes to UTF-8 (lone surrogates cannot)."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be text, not {type(text).__name__}.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{what} contains characters that cannot be saved (invalid Unicode).") from exc
    return text
