"""Store: the one object that reads and writes kobert-chat's SQLite file.

Opening is careful because the file holds the user's history: an existing file is first inspected
through a read-only, immutable connection, and only a SQLite database that passes
`PRAGMA quick_check`, holds kobert-chat's tables (another program's SQLite file is never touched, not
even switched to WAL) and whose schema version we understand is ever opened for writing. A file that
is already up to date is not written at all by opening it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from sqlite_utils import Database

from kobert_chat.errors import StoreError
from kobert_chat.labels import DEFAULT_HEADS

from .answers import AnswersMixin
from .chat import ChatMixin
from .core import BUSY_TIMEOUT_S
from .doctor import DoctorMixin
from .examples import ExamplesMixin
from .links import LinksMixin
from .migrations import CORE_TABLES, MIGRATIONS, Migration, migrate, newer_version_message, schema_version
from .models import ModelsMixin

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (the named constants need Python 3.11)


class Store(ChatMixin, AnswersMixin, LinksMixin, ModelsMixin, ExamplesMixin, DoctorMixin):
    """Conversations, messages and labels, answers and their linked examples, model versions, training
    runs, examples.

    One Store may be used from several threads (statements are serialized by a lock); several
    processes may open the same file (WAL, busy timeout). Use `with store.transaction():` to make
    several calls one atomic write."""

    @classmethod
    def open(cls, path: Path | str, *, migrations: Sequence[Migration] = MIGRATIONS) -> Store:
        """Open or create the database at `path` and bring its schema up to date.

        `migrations` is for tests; the app always uses MIGRATIONS.
        Raises StoreError, leaving the file untouched, when it is not a SQLite database, is
        damaged, or was written by a newer kobert-chat."""
        path = Path(path)
        _inspect_existing(path, len(migrations))
        path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            db = Database(conn, execute_plugins=False)
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA foreign_keys = ON")
            if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise StoreError(f"Could not switch {path} to write-ahead logging; is the folder read-only?")
            db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses at most the last commit
            store = cls(db, path)
            if not store._up_to_date(len(migrations)):  # no write lock needed just to open a current file
                with store.transaction():
                    migrate(db, migrations, path)
                    # Default labels added to labels.py after a database was made reach it here, for every
                    # opener (app, CLI, training child), without a migration per label.
                    for head, labels in DEFAULT_HEADS.items():
                        store.ensure_labels(head, labels)
            return store
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise StoreError(
                f"Could not open the database {path}: {exc}. If another kobert-chat is busy with it, "
                f"try again; otherwise keep a copy of the file as a backup before anything else."
            ) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise

    def _up_to_date(self, known_version: int) -> bool:
        if self.schema_version != known_version:
            return False
        sets = self.label_sets()
        return all(
            {label for label, _ in labels} <= {label for label, _ in sets.get(head, [])}
            for head, labels in DEFAULT_HEADS.items()
        )

    @property
    def schema_version(self) -> int:
        with self._lock:
            return schema_version(self._db)

    def __enter__(self) -> Store:
        return self

    def __repr__(self) -> str:
        return f"<Store {self.path}>"


def _inspect_existing(path: Path, known_version: int) -> None:
    """Refuse a file we must not write to, without changing it or creating files beside it."""
    if not path.exists():
        return
    if not path.is_file():
        raise StoreError(f"The database path {path} is not a file; move it aside or choose another home.")
    with path.open("rb") as f:
        header = f.read(len(_SQLITE_MAGIC))
    if not header:
        return  # an empty file is an empty SQLite database; nothing to lose
    if header != _SQLITE_MAGIC:
        raise StoreError(
            f"The file {path} is not a SQLite database, so kobert-chat will not touch it; "
            f"move it aside (keep a copy if it matters) and start again."
        )
    # immutable=1 creates no -wal/-shm files and takes no locks. If a -wal file exists, its
    # newest pages matter, so read through it (the files already exist; nothing new appears).
    wal = path.with_name(path.name + "-wal")
    uri = path.resolve().as_uri() + ("?mode=ro" if wal.exists() else "?mode=ro&immutable=1")
    try:
        check = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            problems = [row[0] for row in check.execute("PRAGMA quick_check").fetchall()]
            found = check.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0]
                for row in check.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            }
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) in _BUSY_CODES:
            raise StoreError(f"The database {path} is busy in another program; try again.") from exc
        problems, found, tables = [str(exc)], 0, set()
    if problems != ["ok"]:
        # quick_check reports can run to pages; the first finding is enough to name the damage.
        first = next((line for line in problems[0].splitlines() if not line.startswith("***")), "")
        raise StoreError(
            f"The database {path} is damaged ({first[:200]}), so kobert-chat will not write to it. "
            f"Keep a copy of the file as a backup, then move it aside to start fresh."
        )
    if (found == 0 and tables) or (found > 0 and not CORE_TABLES <= tables):
        shown = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "")
        raise StoreError(
            f"The file {path} is a SQLite database of another program (tables: {shown or 'none'}), so "
            f"kobert-chat will not touch it; keep it where it is and choose another data folder "
            f"(KOBERT_CHAT_HOME), or move it aside (keep a copy if it matters)."
        )
    if found > known_version:
        raise StoreError(newer_version_message(path, found, known_version))
