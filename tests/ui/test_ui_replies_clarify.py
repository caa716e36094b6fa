"""The clarifying question in the chat (issue 14 item 4): an uncertain intent makes the bot ask about its
top two, shown as buttons in the bubble; a click answers for that intent on the worker and labels the
user's message, as a correction would. With 헷갈리면 되묻기 off, the bot says it is not sure instead."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from kobert_chat import paths
from kobert_chat.labels import INTENTS
from kobert_chat.settings import Settings, save_settings
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, close_window, open_window, send

INTENT_NAMES = dict(INTENTS)


def unsure_home_window(qtbot, qapp, home, settings: Settings):
    save_settings(paths.settings_path(home), settings)  # a confidence bar nothing clears: always unsure
    return open_window(qtbot, qapp)


@pytest.fixture
def unsure_window(qtbot, qapp, model_home):
    win = unsure_home_window(qtbot, qapp, model_home, Settings(threshold=0.99, margin=0.99, clarify=True))
    yield win
    close_window(qtbot, win)


def bot_items(win, row):
    return win.chat.view.bot_items(win.chat.model.index(row))


def test_a_clarify_button_answers_for_that_intent_and_labels_the_message(qtbot, unsure_window, model_home):
    win, chat = unsure_window, unsure_window.chat
    model, view = chat.model, chat.view
    send(qtbot, win, "요즘 좀 그래요")
    question = model.message_at(1)
    assert question.details["path"] == "clarify" and question.text.startswith("혹시 ")
    items = bot_items(win, 1)
    choices = [i for i in items if i.kind == "choice"]
    options = question.details["clarify"]["options"]
    assert [c.value for c in choices] == options and len(options) == 2
    assert [c.text for c in choices] == [INTENT_NAMES[o] for o in options]  # Korean label names
    assert all(c.state == "open" for c in choices)
    assert [i.text for i in items if i.kind == "path"] == ["헷갈려서 물어봄"]
    assert not [i for i in items if i.kind in ("teach", "stop")]  # a question is not an answer to teach

    menu = view.open_message_menu(model.index(1))  # the same choices from the keyboard's context menu
    picks = [a.text() for a in menu.actions() if a.text().endswith("얘기예요")]
    assert picks == [f"‘{INTENT_NAMES[o]}’ 얘기예요" for o in options]
    menu.close()

    pick = choices[1]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pick.rect.center())
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT)
    answer = model.message_at(2)
    assert (
        answer.role == "bot"
        and answer.answer_id is not None
        and answer.details["after_clarify"] == question.id
    )
    assert model.message_at(0).labels == {"intent": pick.value}  # the user's bubble shows the label
    badge = next(b for b in view.badge_rects(model.index(0)) if b.head == "intent")
    assert (badge.state, badge.text) == ("user", INTENT_NAMES[pick.value])
    states = {c.value: c.state for c in bot_items(win, 1) if c.kind == "choice"}
    assert states == {options[0]: "other", options[1]: "chosen"}
    with Store.open(paths.database_path(model_home)) as store:
        user = store.message(model.message_at(0).id)
        assert (user.labels, user.label_sources) == ({"intent": pick.value}, {"intent": "user"})
        assert store.answer(answer.answer_id).intent == pick.value
        assert store.message(question.id).details["clarify"]["chosen"] == pick.value
    qtbot.waitUntil(lambda: win.label_count == 1, timeout=WAIT)  # counts toward 다시 학습

    # a second click on an answered question does nothing
    again = next(c for c in bot_items(win, 1) if c.value == options[0])
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=again.rect.center())
    qtbot.wait(300)
    qtbot.waitUntil(lambda: not win.worker.busy(), timeout=WAIT)
    assert model.rowCount() == 3


def test_with_clarify_off_an_unsure_reply_says_so_in_its_badge(qtbot, qapp, model_home):
    win = unsure_home_window(qtbot, qapp, model_home, Settings(threshold=0.99, margin=0.99, clarify=False))
    try:
        send(qtbot, win, "요즘 좀 그래")
        items = bot_items(win, 1)
        assert [i.text for i in items if i.kind == "path"] == ["잘 모르겠음"]
        assert not [i for i in items if i.kind == "choice"]
        tip = win.chat.view.item_tooltip(win.chat.model.index(1), next(i for i in items if i.kind == "path"))
        assert "확신이 없어서" in tip and "말투: 반말" in tip
    finally:
        close_window(qtbot, win)
