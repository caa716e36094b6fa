"""Work around a fatal reference-count bug in PySide6 6.12 on Python 3.11.

Every call to a wrapped C++ method that returns void (QWidget.update, QPainter.setPen,
QFont.setBold, ...) drops one reference to None without having taken it. From Python 3.12 on,
None is immortal (PEP 683) and nothing happens; on 3.11 None's count (about 5,000 at start) runs
out after a few thousand such calls and the process aborts with "none_dealloc: deallocating None".
Painting one screen of chat bubbles makes hundreds of these calls, so the app would die within
minutes. We give None an effectively infinite count, which is what 3.12 does by design.
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL = 1 << 60  # far beyond any real count, and far from overflowing a 64-bit Py_ssize_t


def keep_none_alive() -> None:
    """Idempotent; a no-op where None is already immortal or the interpreter is not CPython."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's first field
    if refcount.value < IMMORTAL // 2:
        refcount.value = IMMORTAL
