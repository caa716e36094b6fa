"""What the window says when things go wrong around the user: another program holds the database while
sending (the typed message is kept), and the active model would not load at start (the engine fell back)."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers import install_model
from tests.helpers.ui import WAIT, send, type_korean

BUSY_WAIT = 120_000  # ms: the engine first waits out SQLite's busy timeout (and any retries)


def error_dialogs(window):
    return [b for b in window.findChildren(QMessageBox) if b.objectName() == "ErrorDialog" and b.isVisible()]


def test_a_busy_database_keeps_the_typed_message_and_says_why(qtbot, window, model_home):
    send(qtbot, window, "처음 보내는 메시지")
    model, box = window.chat.model, window.chat.composer.input
    holder = sqlite3.connect(paths.database_path(model_home), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        box.setFocus()
        type_korean(box, "잠깐만 기다려 줘")
        qtbot.keyClick(box, Qt.Key.Key_Return)
        assert model.rowCount() == 3  # shown at once, while it waits
        qtbot.waitUntil(lambda: window.chat.send_problem.isVisible(), timeout=BUSY_WAIT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "다른 프로그램이 대화 기록을 쓰고 있어서" in window.chat.send_problem.text()
    assert box.toPlainText() == "잠깐만 기다려 줘"  # kept, ready to send again
    assert model.rowCount() == 2  # the unsent bubble went; nothing half-stored
    assert error_dialogs(window) == []  # said under the input, not in a dialog to click away
    qtbot.keyClick(box, Qt.Key.Key_Return)  # the lock is gone now: the same text goes through
    qtbot.waitUntil(lambda: model.rowCount() == 4 and model.message_at(2).id > 0, timeout=WAIT)
    assert model.message_at(2).text == "잠깐만 기다려 줘" and not window.chat.send_problem.isVisible()
    store = Store.open(paths.database_path(model_home))
    try:
        texts = [m.text for m in store.messages(model.conversation_id) if m.role == "user"]
    finally:
        store.close()
    assert texts == ["처음 보내는 메시지", "잠깐만 기다려 줘"]


def test_a_fallback_to_an_older_model_is_shown_in_the_window(qtbot, model_home, tiny_model_dir, request):
    older = Store.open(paths.database_path(model_home))
    try:
        first = older.active_model_version().id
    finally:
        older.close()
    broken = install_model(model_home, tiny_model_dir, activate=True)
    (paths.models_dir(model_home) / broken / "model.safetensors").unlink()  # the newest model is damaged
    window = request.getfixturevalue("window")
    assert window.engine.model_version == first
    notice = window.chat.notice
    assert notice.isVisible()
    assert notice.text.text().startswith(
        "지금 쓰던 모델을 불러오지 못해서, 전에 쓰던 모델로 바꿔 대답하고 있어요."
    )
    assert notice.details.isHidden()  # the engine's own words (version ids, file names) wait behind 자세히
    notice.toggle.click()
    assert notice.details.isVisible() and broken in notice.details.text()
    assert error_dialogs(window) == []
    send(qtbot, window, "그래도 대화는 되지?")  # and the chat goes on with the older model
