"""The answer editor changes one row per save, toggle or delete: no refill of the whole table (that froze
the app for seconds), and rows the user is not touching stay exactly where they are."""

from __future__ import annotations

from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.ui import WAIT
from ui.answers_model import TEXT, WEIGHT


def stored(home, answer_id):
    store = Store.open(paths.database_path(home))
    try:
        return next((a for a in store.answers(enabled_only=False) if a.id == answer_id), None)
    finally:
        store.close()


class Changes:
    """What the table's model told its view, counted."""

    def __init__(self, model) -> None:
        self.resets = self.layouts = self.inserted = self.removed = 0
        self.changed_rows: list[tuple[int, int]] = []
        model.modelReset.connect(lambda: self._bump("resets"))
        model.layoutChanged.connect(lambda *_: self._bump("layouts"))
        model.rowsInserted.connect(lambda *_: self._bump("inserted"))
        model.rowsRemoved.connect(lambda *_: self._bump("removed"))
        model.dataChanged.connect(lambda a, b, *_: self.changed_rows.append((a.row(), b.row())))

    def _bump(self, name: str) -> None:
        setattr(self, name, getattr(self, name) + 1)


def test_edits_and_toggles_change_one_row_without_a_refill(qtbot, window, model_home, monkeypatch):
    dialog = window.open_answers()
    qtbot.waitUntil(lambda: not dialog.is_loading() and len(dialog.answers) > 100, timeout=WAIT)
    model, table = dialog.model, dialog.table
    rows_before = model.rowCount()
    target = model.answer_at(10)
    neighbour = QPersistentModelIndex(model.index(40, TEXT))  # a refill would invalidate this
    neighbour_answer = model.answer_at(40)
    changes = Changes(model)

    # toggle 사용 off: shown at once, stored on the worker, one row repainted
    dialog.set_enabled(target.id, False)
    assert model.data(model.index(10, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=WAIT)
    assert stored(model_home, target.id).enabled is False
    assert not model.answer_at(10).enabled

    # edit through the form: the same row gets the new text
    table.selectRow(10)
    dialog.edit_selected()
    dialog.form.text.setPlainText("고쳐 쓴 답변이에요.")
    dialog.form.weight.setValue(2.5)
    dialog.form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: model.answer_at(10).text == "고쳐 쓴 답변이에요.", timeout=WAIT)
    assert (
        model.data(model.index(10, TEXT)) == "고쳐 쓴 답변이에요."
        and model.data(model.index(10, WEIGHT)) == "2.5"
    )
    assert (stored(model_home, target.id).text, stored(model_home, target.id).weight) == (
        "고쳐 쓴 답변이에요.",
        2.5,
    )
    assert dialog.selected_answer() == target.id

    assert changes.resets == 0 and changes.layouts == 0 and changes.inserted == 0 and changes.removed == 0
    assert changes.changed_rows and all(a == b == 10 for a, b in changes.changed_rows)
    assert neighbour.isValid() and neighbour.row() == 40 and model.answer_at(40) == neighbour_answer
    assert model.rowCount() == rows_before

    # adding inserts one row; deleting removes one; still no refill
    dialog.save(None, {"text": "새로 더한 답변", "kind": "answer", "intent": "greeting", "emotion": None,
                       "weight": 1.0, "enabled": True})  # fmt: skip
    qtbot.waitUntil(lambda: model.rowCount() == rows_before + 1, timeout=WAIT)
    added = model.answer_at(model.rowCount() - 1)
    assert added.text == "새로 더한 답변" and dialog.selected_answer() == added.id
    assert dialog.count_label.text() == f"{rows_before + 1}개 / 전체 {rows_before + 1}개"
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=WAIT)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.delete_selected()
    qtbot.waitUntil(lambda: model.rowCount() == rows_before, timeout=WAIT)
    assert stored(model_home, added.id) is None
    assert changes.resets == 0 and changes.inserted == 1 and changes.removed == 1
    assert neighbour.isValid() and neighbour.row() == 40


def test_an_edit_that_leaves_the_filter_drops_only_that_row(qtbot, window):
    dialog = window.open_answers()
    qtbot.waitUntil(lambda: not dialog.is_loading() and bool(dialog.answers), timeout=WAIT)
    dialog.intent_filter.setCurrentIndex(dialog.intent_filter.findData("greeting"))
    model = dialog.model
    shown = model.rowCount()
    assert shown and all(a.intent == "greeting" for a in model.visible())
    first = model.answer_at(0)
    changes = Changes(model)
    dialog.save(first.id, {"text": first.text, "kind": first.kind, "intent": "thanks", "emotion": first.emotion,
                           "weight": first.weight, "enabled": first.enabled})  # fmt: skip
    qtbot.waitUntil(lambda: model.rowCount() == shown - 1, timeout=WAIT)
    assert changes.resets == 0 and changes.removed == 1
    assert next(a for a in dialog.answers if a.id == first.id).intent == "thanks"
