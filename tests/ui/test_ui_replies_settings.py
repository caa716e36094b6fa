"""Settings for how the bot answers (말투, 예시 답변 기준, 헷갈리면 되묻기, 같은 답 피하기) round-trip through
the dialog and the file; the answer editor's 말투 column and form (detected when left to the text)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from kobert_chat import paths
from kobert_chat.settings import load_settings
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, send


def stored_answer(home, answer_id):
    with Store.open(paths.database_path(home)) as store:
        return store.answer(answer_id)


def test_reply_settings_round_trip_through_the_dialog(qtbot, window, model_home):
    dialog = window.open_settings()
    # the defaults, in plain words
    assert dialog.bot_level.currentText() == "상대에 맞춤"
    assert (
        dialog.link_threshold.value() == 30 and dialog.clarify.isChecked() and dialog.no_repeat.value() == 5
    )
    assert [dialog.bot_level.itemText(i) for i in range(3)] == ["상대에 맞춤", "항상 존댓말", "항상 반말"]
    dialog.bot_level.setCurrentIndex(dialog.bot_level.findData("casual"))
    dialog.link_threshold.setValue(45)
    dialog.clarify.setChecked(False)
    dialog.no_repeat.setValue(3)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    saved = load_settings(paths.settings_path(model_home))
    assert (saved.bot_level, saved.link_threshold, saved.clarify, saved.no_repeat_turns) == (
        "casual",
        0.45,
        False,
        3,
    )
    assert window.engine.settings.bot_level == "casual"
    qtbot.waitUntil(lambda: not window.dialogs["settings"].isVisible(), timeout=WAIT)

    again = window.open_settings()  # a new dialog reads them back
    assert again is not dialog
    assert again.bot_level.currentData() == "casual" and again.link_threshold.value() == 45
    assert not again.clarify.isChecked() and again.no_repeat.value() == 3
    assert again.no_repeat.specialValueText() == "피하지 않음"  # 0 turns, said in words
    again.reject()

    send(qtbot, window, "안녕하세요, 반갑습니다")  # 존댓말 in, 반말 out: the setting fixes the bot's level
    assert window.chat.model.message_at(1).details["level"] == "casual"


def test_the_answer_form_sets_or_detects_the_level(qtbot, window, model_home):
    from ui.answers_model import LEVEL, TEXT

    dialog = window.open_answers()
    qtbot.waitUntil(lambda: not dialog.is_loading() and bool(dialog.answers), timeout=WAIT)
    model = dialog.model
    levels = {model.data(model.index(r, LEVEL)) for r in range(model.rowCount())}
    assert levels <= {"존댓말", "반말", "—"} and {"존댓말", "반말"} <= levels

    def add(text, level=None):
        form = dialog.open_form(None)
        form.text.setPlainText(text)
        form.intent.setCurrentIndex(1)
        if level is not None:
            form.level.setCurrentIndex(form.level.findData(level))
        if level is None:  # left alone: the level comes from the text
            assert form.level.currentText() == "글에서 알아내기"
        before = len(dialog.answers)
        form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: len(dialog.answers) == before + 1, timeout=WAIT)
        return dialog.answers[-1]

    detected = add("오늘도 좋은 하루 보내세요.")
    assert detected.level == "polite"
    chosen = add("오늘도 좋은 하루 보내세요.", "casual")  # the user's choice beats the text
    assert stored_answer(model_home, chosen.id).level == "casual"
    row = model.row_of(chosen.id)
    assert model.data(model.index(row, LEVEL)) == "반말"

    # editing the text alone keeps a level set by hand; choosing 상관없음 clears it
    dialog.select_answer(chosen.id)
    dialog.edit_selected()
    assert dialog.form.level.currentData() == "casual"
    dialog.form.text.setPlainText("좋은 하루 보내세요!")
    dialog.form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: model.data(model.index(row, TEXT)) == "좋은 하루 보내세요!", timeout=WAIT)
    assert stored_answer(model_home, chosen.id).level == "casual"
    dialog.select_answer(chosen.id)
    dialog.edit_selected()
    dialog.form.level.setCurrentIndex(dialog.form.level.findData(None))
    dialog.form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: model.data(model.index(row, LEVEL)) == "—", timeout=WAIT)
    assert stored_answer(model_home, chosen.id).level is None
