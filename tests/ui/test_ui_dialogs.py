"""Answer editor, settings and model manager against the real store."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from kobert_chat import paths
from kobert_chat.settings import load_settings
from kobert_chat.store import Store
from tests.helpers import install_model
from tests.helpers.ui import WAIT


def stored_answer(home, answer_id):
    store = Store.open(paths.database_path(home))
    try:
        return next((a for a in store.answers(enabled_only=False) if a.id == answer_id), None)
    finally:
        store.close()


def fill_and_save(qtbot, dialog, text, weight, intent=None, emotion=None):
    form = dialog.form
    form.text.setPlainText(text)
    if intent:
        form.intent.setCurrentIndex(form.intent.findData(intent))
    if emotion:
        form.emotion.setCurrentIndex(form.emotion.findData(emotion))
    form.weight.setValue(weight)
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def test_answer_editor_round_trip(qtbot, window, model_home, tmp_path, monkeypatch):
    dialog = window.open_answers()
    qtbot.waitUntil(lambda: not dialog.is_loading() and bool(dialog.answers), timeout=WAIT)
    dialog.open_form(None)
    assert not dialog.form.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()  # no text yet
    fill_and_save(
        qtbot, dialog, "반가워요! 오늘도 좋은 하루예요.", 2.5, intent="greeting", emotion="happiness"
    )
    qtbot.waitUntil(
        lambda: any(a.text == "반가워요! 오늘도 좋은 하루예요." for a in dialog.answers), timeout=WAIT
    )
    added = next(a for a in dialog.answers if a.text == "반가워요! 오늘도 좋은 하루예요.")
    assert dialog.selected_answer() == added.id

    dialog.intent_filter.setCurrentIndex(dialog.intent_filter.findData("greeting"))  # Korean names, filtered
    dialog.emotion_filter.setCurrentIndex(dialog.emotion_filter.findData("happiness"))
    assert added.id in [a.id for a in dialog.visible_answers()]
    assert all(a.intent == "greeting" and a.emotion == "happiness" for a in dialog.visible_answers())
    assert dialog.intent_filter.currentText() == "인사"

    dialog.select_answer(added.id)
    dialog.edit_selected()
    fill_and_save(qtbot, dialog, "반가워요! 만나서 기뻐요.", 3.0)
    qtbot.waitUntil(lambda: any(a.text == "반가워요! 만나서 기뻐요." for a in dialog.answers), timeout=WAIT)
    dialog.set_enabled(added.id, False)  # untick 사용
    qtbot.waitUntil(lambda: not next(a for a in dialog.answers if a.id == added.id).enabled, timeout=WAIT)
    stored = stored_answer(model_home, added.id)
    assert (stored.text, stored.weight, stored.enabled) == ("반가워요! 만나서 기뻐요.", 3.0, False)
    assert (stored.intent, stored.emotion) == ("greeting", "happiness")

    # import a file with one good answer and one bad row; the summary says which
    source = tmp_path / "answers.csv"
    source.write_text(
        "kind,intent,emotion,text,weight\nanswer,감사,,천만에요! 언제든지요.,1\nanswer,없는라벨,,이상해요,1\n",
        encoding="utf-8",
    )
    dialog.import_from(source)
    qtbot.waitUntil(lambda: dialog.last_summary.startswith("문장 0개와 답변 1개"), timeout=WAIT)
    assert "1개 행은 받아들이지 못했어요" in dialog.last_summary
    qtbot.waitUntil(lambda: any(a.text == "천만에요! 언제든지요." for a in dialog.answers), timeout=WAIT)
    exported = tmp_path / "out.csv"
    dialog.export_to(exported)
    qtbot.waitUntil(lambda: dialog.last_summary.startswith("라벨 단 문장"), timeout=WAIT)
    assert "천만에요! 언제든지요." in exported.read_text(encoding="utf-8-sig")

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.intent_filter.setCurrentIndex(0)
    dialog.emotion_filter.setCurrentIndex(0)
    dialog.select_answer(added.id)
    dialog.delete_selected()
    qtbot.waitUntil(lambda: all(a.id != added.id for a in dialog.answers), timeout=WAIT)
    assert stored_answer(model_home, added.id) is None


def test_settings_are_saved_and_the_theme_applies(qtbot, window, model_home, tmp_path):
    from ui import theme

    dialog = window.open_settings()
    dialog.threshold.setValue(55)
    dialog.int8.setChecked(True)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.choose_folder(tmp_path / "elsewhere")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    saved = load_settings(paths.settings_path(model_home))
    assert (saved.threshold, saved.theme, saved.quantize_int8) == (0.55, "dark", True)
    qtbot.waitUntil(lambda: window.engine.classifier.quantized, timeout=WAIT)  # reloaded as int8
    assert theme.colors().name == "dark"
    assert json.loads(paths.location_file().read_text())["data_dir"] == str(tmp_path / "elsewhere")


def test_model_manager_activates_and_rolls_back(qtbot, model_home, tiny_model_dir, request):
    newer = install_model(model_home, tiny_model_dir, activate=False)
    win = request.getfixturevalue("window")
    old = win.engine.model_version
    dialog = win.open_models()
    qtbot.waitUntil(lambda: not dialog.is_loading() and len(dialog.versions) == 2, timeout=WAIT)

    def version_at(r):
        return dialog.table.item(r, 1).data(Qt.ItemDataRole.UserRole)

    marks = {version_at(r): dialog.table.item(r, 0).text() for r in range(2)}
    assert marks == {old: "●", newer: ""}
    # plain names and points, never version ids or raw F1 as the row's words
    assert {dialog.table.item(r, 1).text() for r in range(2)} == {"기본 모델"}
    assert all(
        dialog.table.item(r, 3).text() in ("—",) or dialog.table.item(r, 3).text().endswith("점")
        for r in range(2)
    )
    assert all(old not in dialog.table.item(r, c).text() for r in range(2) for c in range(6))
    row = next(r for r in range(2) if version_at(r) == newer)
    dialog.table.selectRow(row)
    dialog.activate_button.click()
    qtbot.waitUntil(lambda: win.engine.model_version == newer, timeout=WAIT)
    qtbot.waitUntil(lambda: newer in win.model_label.toolTip(), timeout=WAIT)
    assert win.model_label.text().startswith("대답하는 모델: 기본 모델")
    dialog.rollback_button.click()
    qtbot.waitUntil(lambda: win.engine.model_version == old, timeout=WAIT)
    store = Store.open(paths.database_path(model_home))
    try:
        assert store.active_model_version().id == old
    finally:
        store.close()
