"""Atomic file writes: write a sibling temp file, fsync, rename. A crash leaves old or new, never half.

`replacing()` is the one writer: it streams (an export of 100k rows never sits in memory) and every
other helper here goes through it. A failed write (disk full, read-only folder) raises WriteError from
write_bytes/write_text, a clear message that is also an OSError; `replacing` lets the OSError through
so callers can word it for their file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import WriteError


@contextlib.contextmanager
def replacing(path: Path, encoding: str | None = None, *, make_parents: bool = True) -> Iterator[IO[Any]]:
    """A file object (text with `encoding`, else binary) whose content replaces `path` when the block
    ends without an exception; on any exception the temp file is removed and `path` is untouched."""
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        mode = "w" if encoding else "wb"
        with os.fdopen(fd, mode, encoding=encoding, newline="" if encoding else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        with replacing(path) as f:
            f.write(data)
    except OSError as exc:
        raise write_error(path, exc) from exc


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_error(path: Path, exc: OSError) -> WriteError:
    """A message a user can act on; it says the old file is unchanged (that is what the temp file is for)."""
    why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    error = WriteError(
        f"{path.name}을(를) 저장하지 못했어요: could not write {path} ({why}); "
        f"the previous version of the file is unchanged."
    )
    error.errno = exc.errno
    return error
