"""Sidebar and message list over real stored conversations: paging, rename, delete, search, error dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, send

PREDICTION = {
    "intent": {"label": "smalltalk", "confidence": 0.8, "top": [["smalltalk", 0.8], ["worry", 0.1]]},
    "emotion": {"label": "neutral", "confidence": 0.7, "top": [["neutral", 0.7], ["sadness", 0.2]]},
}


def open_store(home):
    return Store.open(paths.database_path(home))


@pytest.fixture
def two_conversations(model_home):
    store = open_store(model_home)
    try:
        worry = store.create_conversation("고민 상담")
        store.log_turn(worry.id, "요즘 잠이 안 와", PREDICTION, None, "많이 힘들었겠어요.", None)
        trip = store.create_conversation("여행 계획")
        store.log_turn(trip.id, "제주도 가고 싶다", PREDICTION, None, "좋은 생각이에요!", None)
        return worry.id, trip.id
    finally:
        store.close()


@pytest.fixture
def long_conversation(model_home):
    store = open_store(model_home)
    try:
        cid = store.create_conversation("긴 대화").id
        with store.transaction():  # one commit, not 125: the disk is shared
            for i in range(125):  # 250 messages: more than two pages
                store.log_turn(cid, f"질문 {i}", PREDICTION, None, f"대답 {i}", None)
        return cid
    finally:
        store.close()


def test_long_conversation_loads_newest_page_first_and_older_pages_on_scroll_up(
    qtbot, long_conversation, window
):
    model, view = window.chat.model, window.chat.view
    assert model.conversation_id == long_conversation
    assert model.rowCount() == 100 and model.message_at(99).text == "대답 124"  # newest page only
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # opened at the bottom, like a chat app
    first_shown = model.message_at(0).id
    bar.setValue(0)  # scroll to the top: the previous page loads above
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=WAIT)
    assert model.message_at(0).text == "질문 25"
    assert view.indexAt(view.viewport().rect().topLeft()).row() >= 90  # the reading position stayed put
    assert model.row_of(first_shown) == 100
    bar.setValue(0)
    qtbot.waitUntil(lambda: model.rowCount() == 250, timeout=WAIT)
    assert model.message_at(0).text == "질문 0" and not model.has_older()


def test_rename_and_delete_with_confirmation(qtbot, two_conversations, window, monkeypatch, model_home):
    worry, trip = two_conversations
    sidebar = window.sidebar
    assert [c.id for c in sidebar.conversations()] == [trip, worry]  # newest activity first
    assert window.chat.model.conversation_id == trip
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("제주 여행", True))
    sidebar.rename_action.trigger()
    qtbot.waitUntil(lambda: sidebar.conversations()[0].title == "제주 여행", timeout=WAIT)
    assert window.chat.title.text() == "제주 여행"

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    sidebar.delete_action.trigger()  # answered No: nothing happens
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    sidebar.delete_action.trigger()
    qtbot.waitUntil(lambda: [c.id for c in sidebar.conversations()] == [worry], timeout=WAIT)
    qtbot.waitUntil(
        lambda: window.chat.model.conversation_id == worry and window.chat.model.rowCount() == 2, timeout=WAIT
    )
    store = open_store(model_home)
    try:
        assert [(c.id, c.title) for c in store.conversations()] == [(worry, "고민 상담")]
    finally:
        store.close()


def test_search_filters_the_list(qtbot, two_conversations, window):
    worry, _trip = two_conversations
    window.sidebar.search.setText("잠이")  # matches message text, not only titles
    qtbot.waitUntil(lambda: [c.id for c in window.sidebar.conversations()] == [worry], timeout=WAIT)
    window.sidebar.search.setText("없는 단어")
    qtbot.waitUntil(
        lambda: window.sidebar.conversations() == [] and window.sidebar.empty_label.isVisible(), timeout=WAIT
    )
    assert window.sidebar.empty_label.text() == "찾는 대화가 없어요."


def test_a_rejected_rename_shows_a_korean_error_dialog(qtbot, two_conversations, window, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("   ", True))
    window.sidebar.rename_action.trigger()

    def error_box():
        boxes = [
            b for b in window.findChildren(QMessageBox) if b.objectName() == "ErrorDialog" and b.isVisible()
        ]
        return boxes[0] if boxes else None

    qtbot.waitUntil(lambda: error_box() is not None, timeout=WAIT)
    box = error_box()
    assert box.text() == "입력한 내용을 처리할 수 없어요."
    assert box.informativeText() == "입력한 내용을 확인한 뒤 다시 해 주세요."  # Korean first
    assert "empty" in box.detailedText()  # the engine's own (English) sentence waits behind 자세히
    details = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.ActionRole)
    assert details.text() == "자세히"
    details.click()
    assert details.text() == "간단히"
    box.close()


def test_a_long_session_of_repainting_keeps_running(qtbot, long_conversation, window):
    # PySide6 6.12 on Python 3.11 drops a reference to None on every void call; without
    # ui/pyside_fix.py the process aborts after a few thousand, i.e. a minute of scrolling.
    view = window.chat.view
    bar = view.verticalScrollBar()
    for step in range(60):
        bar.setValue(bar.maximum() - (step % 10) * 200)
        view.viewport().repaint()
    assert window.isVisible() and window.chat.model.rowCount() >= 100


def test_the_sidebar_shows_each_conversations_last_message(qtbot, two_conversations, window):
    from ui.sidebar import preview_line

    worry, trip = two_conversations
    rows = {c.id: c for c in window.sidebar.conversations()}
    assert preview_line(rows[worry]) == "많이 힘들었겠어요."  # the bot's reply was the last message
    assert preview_line(rows[trip]) == "좋은 생각이에요!"
    item = window.sidebar.list.item(0)
    assert item.toolTip() == "여행 계획\n좋은 생각이에요!"
    send(qtbot, window, "비행기 표는 언제 사야 할까")  # a new turn: the preview follows the reply
    bot = window.chat.model.message_at(window.chat.model.rowCount() - 1)
    qtbot.waitUntil(
        lambda: (
            window.sidebar.conversations()[0].id == trip
            and preview_line(window.sidebar.conversations()[0]) == " ".join(bot.text.split())
        ),
        timeout=WAIT,
    )
