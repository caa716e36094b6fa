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


def open_window(qtbot, qapp):
    """The real main window, started as ui.app starts it, once the model is in (the chat shows before
    the model, and a turn meanwhile gets the quick expert: tests want the model)."""
    from ui import theme
    from ui.main_window import MainWindow

    theme.apply_theme(qapp, "light")
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show()
    settled: list[bool] = []  # the engine's thread says "loaded" before the window has shown its notices
    win.model_loaded.connect(lambda: settled.append(True))
    with qtbot.waitSignal(win.ready, timeout=WAIT):
        win.start()
    qtbot.waitUntil(lambda: win.model_is_loaded and bool(settled), timeout=WAIT)
    return win


def close_window(qtbot, win) -> None:
    """Close the window and wait until its worker has nothing left to do."""
    win.close()
    win.worker.wait()
    qtbot.waitUntil(lambda: not win.worker.busy(), timeout=WAIT)
