"""Helpers shared by the UI tests (imported by name: tests/ui is on sys.path under pytest)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

WAIT = 60_000  # ms; generous: the machine is shared


def type_korean(widget, text: str, preedit: str = "") -> None:
    """Type Hangul the way an IME delivers it: committed text (QTest's key clicks are ASCII-only).

    With `preedit`, leaves that syllable still being composed, as while the user is mid-syllable."""
    event = QInputMethodEvent(preedit, [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def send(qtbot, win, text: str) -> None:
    """Type `text` into the composer and press Enter, then wait until the reply is in the list."""
    model = win.chat.model
    before = model.rowCount()
    box = win.chat.composer.input
    box.setFocus()
    type_korean(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rowCount() == before + 2 and model.message_at(before).id > 0, timeout=WAIT)
