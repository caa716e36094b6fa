"""검토함: least confident first; one click labels a message and takes it off the list."""

from __future__ import annotations

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, send


def test_inbox_lists_least_confident_first_and_labeling_removes_rows(qtbot, window, model_home):
    for text in ("안녕 반가워", "오늘 너무 우울해", "고마워 정말"):
        send(qtbot, window, text)
    inbox = window.open_inbox()
    qtbot.waitUntil(lambda: not inbox.is_loading() and inbox.table.rowCount() == 3, timeout=WAIT)
    confidences = [m.predictions["intent"]["confidence"] for m in inbox.messages]
    assert confidences == sorted(confidences)
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
    qtbot.waitUntil(lambda: window.retrain_action.text() == "다시 학습 (4)", timeout=WAIT)
    # the chat shows the same labels as checked badges
    row = window.chat.model.row_of(first.id)
    states = [b.state for b in window.chat.view.badge_rects(window.chat.model.index(row))]
    assert states == ["confirmed", "confirmed"]
