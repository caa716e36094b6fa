"""검토함: the engine's ranking; one click labels a message and takes it off the list, and can be undone."""

from __future__ import annotations

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, send


def test_inbox_lists_least_confident_first_and_labeling_removes_rows(qtbot, window, model_home):
    for text in ("안녕 반가워", "오늘 너무 우울해", "고마워 정말"):
        send(qtbot, window, text)
    inbox = window.open_inbox()
    qtbot.waitUntil(lambda: not inbox.is_loading() and inbox.table.rowCount() == 3, timeout=WAIT)
    # rows in the engine's order (least certain first, near-duplicates spread: kobert_chat/inbox_ranking.py)
    assert [m.id for m in inbox.messages] == [m.id for m in window.engine.inbox(limit=200)]
    shown = [inbox.table.item(row, 0).text() for row in range(3)]
    assert shown == [m.text for m in inbox.messages]

    first = inbox.messages[0]
    button = inbox.table.cellWidget(0, 3)
    assert button.text() == "맞아요"
    button.click()  # the prediction is right: confirm both heads
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 2, timeout=WAIT)
    assert inbox.row_of(first.id) == -1

    second = inbox.messages[0]
    intent_combo = inbox.table.cellWidget(0, 1)
    other = next(
        i
        for i in range(intent_combo.count())
        if intent_combo.itemData(i) != second.predictions["intent"]["label"]
    )
    intent_combo.setCurrentIndex(other)
    chosen = intent_combo.itemData(other)
    button = inbox.table.cellWidget(0, 3)
    assert button.text() == "저장"
    button.click()
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 1, timeout=WAIT)
    assert inbox.count_label.text() == "검토할 메시지 1개"

    store = Store.open(paths.database_path(model_home))
    try:
        confirmed, corrected = store.message(first.id), store.message(second.id)
    finally:
        store.close()
    assert confirmed.label_sources == {"intent": "confirmed", "emotion": "confirmed"}
    assert corrected.labels["intent"] == chosen
    assert corrected.label_sources == {"intent": "user", "emotion": "confirmed"}
    # two messages, four badges: the count is of messages
    qtbot.waitUntil(lambda: window.retrain_action.text() == "다시 학습 (2)", timeout=WAIT)
    # the chat shows the same labels as checked badges
    row = window.chat.model.row_of(first.id)
    states = [b.state for b in window.chat.view.badge_rects(window.chat.model.index(row))]
    assert states == ["confirmed", "confirmed"]


def test_undo_after_one_click_confirm_restores_the_message(qtbot, window, model_home):
    for text in ("오늘 날씨 좋다", "배고파 죽겠어"):
        send(qtbot, window, text)
    inbox = window.open_inbox()
    qtbot.waitUntil(lambda: not inbox.is_loading() and inbox.table.rowCount() == 2, timeout=WAIT)
    first = inbox.messages[0]
    inbox.table.cellWidget(0, 3).click()  # 맞아요: confirmed in one click
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 1 and inbox.undo_bar.isVisible(), timeout=WAIT)
    assert inbox.undo_text.text().endswith("메시지를 확인했어요.") and inbox.undo_button.text() == "되돌리기"
    qtbot.waitUntil(lambda: window.retrain_action.text() == "다시 학습 (1)", timeout=WAIT)

    inbox.undo_button.click()
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 2, timeout=WAIT)
    assert inbox.row_of(first.id) == 0  # back where it was
    assert not inbox.undo_bar.isVisible()
    store = Store.open(paths.database_path(model_home))
    try:
        restored = store.message(first.id)
    finally:
        store.close()
    assert restored.labels == {} and restored.label_sources == {}  # as before the click
    qtbot.waitUntil(lambda: window.retrain_action.text() == "다시 학습", timeout=WAIT)
    row = window.chat.model.row_of(first.id)  # the chat shows predicted badges again, not checked ones
    states = [b.state for b in window.chat.view.badge_rects(window.chat.model.index(row))]
    assert states == ["predicted", "predicted"]
