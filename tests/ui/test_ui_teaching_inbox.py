"""검토함 by keyboard: the engine's order (least certain first), the suggested label per row, ↑/↓ between
messages, ←/→ between heads, 1-9 pick a label, Enter saves; the labels land in the database; undo still
works; the outlook line is the engine's."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, send


def stored(home, message_id):
    store = Store.open(paths.database_path(home))
    try:
        return store.message(message_id)
    finally:
        store.close()


def open_inbox(qtbot, window, n):
    inbox = window.open_inbox()
    qtbot.waitUntil(lambda: not inbox.is_loading() and inbox.table.rowCount() == n, timeout=WAIT)
    return inbox


def test_inbox_order_suggestions_and_outlook_come_from_the_engine(qtbot, window):
    for text in ("안녕 반가워", "오늘 너무 우울해", "고마워 정말"):
        send(qtbot, window, text)
    inbox = open_inbox(qtbot, window, 3)
    ranked = window.engine.inbox_items(limit=200)
    assert [m.id for m in inbox.messages] == [r.item.id for r in ranked]
    assert [r.uncertainty for r in ranked] == sorted((r.uncertainty for r in ranked), reverse=True)
    names = window.label_names
    for row, r in enumerate(ranked):  # each row preselects the model's label, with its confidence
        for column, head in ((1, "intent"), (2, "emotion")):
            combo = inbox.table.cellWidget(row, column)
            assert combo.currentData() == r.suggested[head]
            confidence = round(r.predictions[head].confidence * 100)
            assert combo.currentText() == f"{names[head][r.suggested[head]]} ({confidence}%)"
        assert inbox.table.cellWidget(row, 3).text() == "맞아요"
    # the key line names what 1-9 pick for the selected row: the suggestion is 1
    first = ranked[0]
    assert inbox.table.currentRow() == 0
    assert inbox.keys_label.text().startswith(
        f"의도 고르기: 1 {names['intent'][first.suggested['intent']]} · 2 "
    )
    outlook = window.engine.inbox_outlook()
    assert outlook.message and inbox.outlook.text() == outlook.message and inbox.outlook.isVisible()


def test_keys_move_pick_and_save_labels(qtbot, window, model_home):
    for text in ("안녕 반가워", "오늘 너무 우울해", "고마워 정말"):
        send(qtbot, window, text)
    inbox = open_inbox(qtbot, window, 3)
    table = inbox.table
    names = window.label_names

    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentRow() == 2
    qtbot.keyClick(table, Qt.Key.Key_Up)
    assert table.currentRow() == 1
    target = inbox.current_message()

    # → and ← choose the head the digits label; the header shows which
    qtbot.keyClick(table, Qt.Key.Key_Right)
    assert inbox.active_head == 1 and table.horizontalHeaderItem(2).text() == "▸ 감정"
    assert inbox.keys_label.text().startswith("감정 고르기: 1 ")
    qtbot.keyClick(table, Qt.Key.Key_Left)
    assert inbox.active_head == 0 and table.horizontalHeaderItem(1).text() == "▸ 의도"

    # 3 picks the third intent choice and moves on to emotion; 2 picks the second emotion choice
    intents = inbox.key_choices(target, "intent")
    emotions = inbox.key_choices(target, "emotion")
    qtbot.keyClick(table, Qt.Key.Key_3)
    assert table.cellWidget(1, 1).currentData() == intents[2] and inbox.active_head == 1
    qtbot.keyClick(table, Qt.Key.Key_2)
    assert table.cellWidget(1, 2).currentData() == emotions[1]
    assert table.cellWidget(1, 3).text() == "저장"
    assert f"2 {names['emotion'][emotions[1]]}" in inbox.keys_label.text()
    qtbot.keyClick(table, Qt.Key.Key_Return)  # Enter saves the row
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=WAIT)
    assert inbox.row_of(target.id) == -1
    saved = stored(model_home, target.id)
    assert saved.labels == {"intent": intents[2], "emotion": emotions[1]}
    assert saved.label_sources == {"intent": "user", "emotion": "user"}

    # Enter alone accepts the suggestions of the row now selected
    assert inbox.active_head == 0 and table.currentRow() == 1
    accepted = inbox.current_message()
    suggested = {h: inbox.suggestion(accepted, h).label for h in ("intent", "emotion")}
    qtbot.keyClick(table, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=WAIT)
    assert stored(model_home, accepted.id).labels == suggested
    assert inbox.undo_text.text().endswith("메시지를 확인했어요.")

    # undo keeps working after keyboard labeling: the last one comes back unlabeled, in its row
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=WAIT)
    assert inbox.row_of(accepted.id) == 1
    assert stored(model_home, accepted.id).labels == {}
    qtbot.waitUntil(lambda: window.retrain_action.text() == "다시 학습 (1)", timeout=WAIT)


def test_a_digit_beyond_the_labels_changes_nothing(qtbot, window):
    send(qtbot, window, "배고파 죽겠어")
    inbox = open_inbox(qtbot, window, 1)
    message = inbox.current_message()
    inbox.step_head(1)  # emotion: fewer than nine labels
    n = len(inbox.key_choices(message, "emotion"))
    before = inbox.table.cellWidget(0, 2).currentData()
    assert n < 9  # emotion has seven labels
    qtbot.keyClick(inbox.table, getattr(Qt.Key, f"Key_{n + 1}"))
    assert inbox.table.cellWidget(0, 2).currentData() == before and inbox.active_head == 1
    qtbot.keyClick(inbox.table, getattr(Qt.Key, f"Key_{n}"))
    assert inbox.table.cellWidget(0, 2).currentData() == inbox.key_choices(message, "emotion")[n - 1]
