"""Atomic file writes: write a sibling temp file, fsync, rename. A crash leaves old or new, never half.

A failed write (disk full, read-only folder) raises WriteError, a clear message that is also an OSError."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import WriteError


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        _replace(path, data)
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


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
