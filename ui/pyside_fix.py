"""Work around fatal reference-count bugs in PySide6 6.12 on Python 3.11.

Every call to a wrapped C++ method that returns void (QWidget.update, QPainter.setPen,
QFont.setBold, ...) drops one reference to None without having taken it, and every delivery of a
bool signal argument to a Python slot (a button's clicked/toggled(bool), Signal(bool)) drops one
reference to True or False. From Python 3.12 on, None, True and False are immortal (PEP 683) and
nothing happens; on 3.11 their counts (a few thousand at start) run out and the process aborts with
"none_dealloc: deallocating None" or "bool_dealloc: deallocating True or False". Painting one
screen of chat bubbles makes hundreds of the first kind; a long session of clicks enough of the
second. We give the three an effectively infinite count, which is what 3.12 does by design.
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL = 1 << 60  # far beyond any real count, and far from overflowing a 64-bit Py_ssize_t


def keep_none_alive() -> None:
    """None, True and False never freed. Idempotent; a no-op where they are already immortal or the
    interpreter is not CPython."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt is PyObject's first field
        if refcount.value < IMMORTAL // 2:
            refcount.value = IMMORTAL
