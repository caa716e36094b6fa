"""Bot bubbles (issue 11 items 2-3): "이렇게 답해 줘" from a bubble changes the next reply to the same
message without retraining, "이 답변 그만" keeps an answer from being chosen again, both undoable (the
notice's 되돌리기, the answer editor's 사용), and small plain-Korean badges say how an answer was found."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from kobert_chat import paths
from kobert_chat.settings import Settings, save_settings
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, close_window, open_window, send
from ui.chat_panel import STOPPED_NOTICE


def stored_answer(home, answer_id):
    with Store.open(paths.database_path(home)) as store:
        return store.answer(answer_id)


@pytest.fixture
def chat_window(qtbot, qapp, model_home):
    """The real window on the tiny model, with repeats allowed: what changes a reply is then only
    what the test did (teach, stop), never the no-repeat rule."""
    save_settings(paths.settings_path(model_home), Settings(no_repeat_turns=0))
    win = open_window(qtbot, qapp)
    yield win
    close_window(qtbot, win)


def items(win, row):
    view = win.chat.view
    return {item.kind: item for item in view.bot_items(win.chat.model.index(row))}


def click(qtbot, win, item):
    qtbot.mouseClick(win.chat.view.viewport(), Qt.MouseButton.LeftButton, pos=item.rect.center())


def test_teaching_from_a_bubble_changes_the_next_reply_and_stopping_keeps_it_out(
    qtbot, chat_window, model_home
):
    win, chat = chat_window, chat_window.chat
    model = chat.model
    text = "오늘 회사에서 너무 지쳤어요"
    send(qtbot, win, text)
    first_reply = model.message_at(1)
    under = items(win, 1)
    assert {"teach", "stop"} <= set(under)  # on every answered bot bubble
    click(qtbot, win, under["teach"])
    qtbot.waitUntil(lambda: chat.teach_dialog is not None and chat.teach_dialog.isVisible(), timeout=WAIT)
    dialog = chat.teach_dialog
    assert dialog.text.toPlainText() == first_reply.text  # prefilled with the reply
    assert text in dialog.question.text()  # says which message it is for
    taught = "오늘 정말 고생 많았어요. 따뜻한 차 한잔하고 푹 쉬어요."
    dialog.text.setPlainText("   ")
    assert not dialog.save_button.isEnabled()  # nothing to save
    dialog.text.setPlainText(taught)
    dialog.save_button.click()
    qtbot.waitUntil(
        lambda: chat.notice.isVisible() and "가르쳐 준 답" in chat.notice.text.text(), timeout=WAIT
    )

    # the same message now gets the taught answer, without retraining, and its badge says so
    for turn in range(2):
        send(qtbot, win, text)
        row = 3 + 2 * turn
        reply = model.message_at(row)
        assert reply.text == taught
        badge = items(win, row)["path"]
        assert badge.text == "가르쳐 준 답"
        tip = chat.view.item_tooltip(model.index(row), badge)
        assert text in tip and "말투: 존댓말" in tip
    answer = stored_answer(model_home, reply.answer_id)
    assert (answer.origin, answer.links, answer.enabled, answer.level) == ("taught", 1, True, "polite")

    # "이 답변 그만" from the bubble's context menu: never chosen again
    menu = chat.view.open_message_menu(model.index(5))
    stop = next(a for a in menu.actions() if a.text() == "이 답변 그만")
    assert any(a.text().startswith("이렇게 답해 줘") for a in menu.actions())
    stop.trigger()
    # the stop's own notice (the taught one before it had a 되돌리기 button too): the worker has written it
    qtbot.waitUntil(
        lambda: chat.notice.text.text() == STOPPED_NOTICE and chat.notice.action.isVisible(), timeout=WAIT
    )
    assert stored_answer(model_home, answer.id).enabled is False
    for turn in range(2):
        send(qtbot, win, text)
        assert model.message_at(7 + 2 * turn).answer_id != answer.id

    # 되돌리기 in the notice: the answer is back
    chat.notice.action.click()
    qtbot.waitUntil(lambda: stored_answer(model_home, answer.id).enabled, timeout=WAIT)
    send(qtbot, win, text)
    assert model.message_at(11).text == taught


def test_the_answer_editor_shows_taught_answers_with_their_example_and_re_enables_them(
    qtbot, chat_window, model_home
):
    from ui.answers_model import EXAMPLES, LEVEL

    win, chat = chat_window, chat_window.chat
    text = "주말에 뭐 하면 좋을까요"
    send(qtbot, win, text)
    chat.open_teach(chat.model.message_at(1).id)
    qtbot.waitUntil(lambda: chat.teach_dialog is not None and chat.teach_dialog.isVisible(), timeout=WAIT)
    chat.teach_dialog.text.setPlainText("날씨 좋으면 가까운 공원 산책 어때?")
    chat.teach_dialog.save_button.click()
    qtbot.waitUntil(lambda: chat.notice.action.isVisible(), timeout=WAIT)
    send(qtbot, win, text)
    chat.stop_answer(chat.model.message_at(3).id)
    qtbot.waitUntil(lambda: "쓰지 않아요" in chat.notice.text.text(), timeout=WAIT)

    dialog = win.open_answers()
    qtbot.waitUntil(lambda: not dialog.is_loading() and bool(dialog.answers), timeout=WAIT)
    dialog.origin_filter.setCurrentIndex(dialog.origin_filter.findData("taught"))
    rows = dialog.visible_answers()
    assert len(rows) == 1 and rows[0].text == "날씨 좋으면 가까운 공원 산책 어때?" and not rows[0].enabled
    model = dialog.model
    assert model.data(model.index(0, EXAMPLES)) == f"“{text}”"  # its linked example, in the table
    assert model.data(model.index(0, LEVEL)) == "반말"  # detected from the text
    dialog.table.selectRow(0)
    dialog.edit_selected()
    qtbot.waitUntil(lambda: text in dialog.form.examples.text(), timeout=WAIT)
    assert "채팅에서" in dialog.form.examples.text()
    dialog.form.reject()
    dialog.set_enabled(rows[0].id, True)  # 사용: the stopped answer is used again
    qtbot.waitUntil(lambda: stored_answer(model_home, rows[0].id).enabled, timeout=WAIT)
    send(qtbot, win, text)
    assert chat.model.message_at(5).text == "날씨 좋으면 가까운 공원 산책 어때?"


def test_badges_say_how_an_answer_was_found(qtbot, chat_window, model_home, tmp_path):
    win, chat = chat_window, chat_window.chat
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "Q,A\n점심 메뉴 추천해 주세요,오늘은 따끈한 김치찌개 어때요? 든든해요.\n", encoding="utf-8"
    )
    dialog = win.open_answers()
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=WAIT)
    dialog.import_from(pairs)
    qtbot.waitUntil(lambda: "질문과 답 1쌍" in dialog.last_summary, timeout=WAIT)
    dialog.close()
    send(qtbot, win, "점심 메뉴 추천해 주세요")
    under = items(win, 1)
    assert chat.model.message_at(1).text == "오늘은 따끈한 김치찌개 어때요? 든든해요."
    assert under["path"].text == "예시 답변"
    assert "점심 메뉴 추천해 주세요" in chat.view.item_tooltip(chat.model.index(1), under["path"])
    # clicking a badge does nothing but show it; the actions stay on the bubble
    click(qtbot, win, under["path"])
    assert chat.teach_dialog is None
    assert {"teach", "stop"} <= set(under)
