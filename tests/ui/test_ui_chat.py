"""Chatting in the real window: bubbles, badges, Enter vs Shift+Enter, correcting and confirming labels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from kobert_chat import paths
from kobert_chat.labels import EMOTIONS, INTENTS
from kobert_chat.store import Store
from tests.helpers.ui import WAIT, send, type_korean

KOREAN_NAMES = {korean for _, korean in INTENTS + EMOTIONS}


def fresh_message(home, message_id):
    store = Store.open(paths.database_path(home))
    try:
        return store.message(message_id)
    finally:
        store.close()


def test_sending_shows_user_bubble_reply_and_badges(qtbot, window, model_home):
    send(qtbot, window, "안녕하세요 반가워요")
    model, view = window.chat.model, window.chat.view
    user, bot = model.message_at(0), model.message_at(1)
    assert (user.role, user.text) == ("user", "안녕하세요 반가워요")
    assert bot.role == "bot" and bot.text.strip()
    badges = view.badge_rects(model.index(0))
    assert [b.head for b in badges] == ["intent", "emotion"]
    for badge in badges:  # e.g. "인사 93%": a Korean label name and a percentage
        name, percent = badge.text.rsplit(" ", 1)
        assert name in KOREAN_NAMES and percent.endswith("%")
    assert view.badge_rects(model.index(1)) == []  # the bot's own messages carry no badges
    # the conversation was created for the first message and named after it
    qtbot.waitUntil(
        lambda: [c.title for c in window.sidebar.conversations()] == ["안녕하세요 반가워요"], timeout=WAIT
    )
    assert window.chat.title.text() == "안녕하세요 반가워요"


def test_enter_sends_but_shift_enter_adds_a_line(qtbot, window):
    box, model = window.chat.composer.input, window.chat.model
    box.setFocus()
    qtbot.keyClicks(box, "   ")
    qtbot.keyClick(box, Qt.Key.Key_Return)  # whitespace only: nothing is sent
    assert model.rowCount() == 0
    box.clear()
    type_korean(box, "둘", preedit="째")  # a syllable still being composed by the Korean IME
    qtbot.keyClick(box, Qt.Key.Key_Return)  # ...so Enter is left to the IME: nothing is sent
    assert model.rowCount() == 0 and "둘" in box.toPlainText()
    type_korean(box, "째")  # the IME commits the syllable
    box.clear()
    type_korean(box, "첫 줄")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    type_korean(box, "둘째 줄")
    assert box.toPlainText() == "첫 줄\n둘째 줄" and model.rowCount() == 0
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rowCount() == 2 and model.message_at(0).id > 0, timeout=WAIT)
    assert model.message_at(0).text == "첫 줄\n둘째 줄"
    assert box.toPlainText() == ""


def test_correcting_a_label_from_the_badge_menu_is_stored(qtbot, window, model_home):
    send(qtbot, window, "오늘 정말 고마웠어")
    view, model = window.chat.view, window.chat.model
    user = model.message_at(0)
    badge = view.badge_rects(model.index(0))[0]
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=badge.rect.center())
    menu = view.open_menu
    assert isinstance(menu, QMenu) and menu.isVisible()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[0] == "맞아요 (확인)" and any("인사" in t for t in texts)
    predicted = user.predictions["intent"]["label"]
    other = "thanks" if predicted != "thanks" else "greeting"
    next(a for a in menu.actions() if a.data() == other).trigger()
    qtbot.waitUntil(lambda: model.message_at(0).labels.get("intent") == other, timeout=WAIT)
    stored = fresh_message(model_home, user.id)
    assert stored.labels["intent"] == other and stored.label_sources["intent"] == "user"
    corrected = view.badge_rects(model.index(0))[0]
    assert corrected.state == "user" and "%" not in corrected.text  # drawn as a checked, filled badge
    qtbot.waitUntil(lambda: window.retrain_action.text() == "다시 학습 (1)", timeout=WAIT)
    assert window.retrain_action.isEnabled()


def test_confirming_with_the_keyboard(qtbot, window, model_home):
    send(qtbot, window, "요즘 너무 슬퍼")
    view, model = window.chat.view, window.chat.model
    user = model.message_at(0)
    view.setFocus()
    view.setCurrentIndex(model.index(1))
    qtbot.keyClick(view, Qt.Key.Key_Up)  # arrows move between messages
    assert view.currentIndex().row() == 0
    qtbot.keyClick(view, Qt.Key.Key_E)  # E: the emotion badge's menu
    menu = view.open_menu
    assert menu is not None and menu.isVisible()
    next(a for a in menu.actions() if a.text() == "맞아요 (확인)").trigger()
    qtbot.waitUntil(lambda: "emotion" in model.message_at(0).labels, timeout=WAIT)
    stored = fresh_message(model_home, user.id)
    assert stored.labels["emotion"] == user.predictions["emotion"]["label"]
    assert stored.label_sources["emotion"] == "confirmed"
    assert "intent" not in stored.labels


def test_copy_and_context_menu(qtbot, window):
    send(qtbot, window, "복사할 문장이에요")
    view = window.chat.view
    view.setFocus()
    view.setCurrentIndex(window.chat.model.index(0))
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "복사할 문장이에요"
    qtbot.keyClick(view, Qt.Key.Key_Menu)  # the context-menu key opens the same actions
    menu = view.open_menu
    assert menu is not None and menu.objectName() == "MessageMenu"
    titles = [a.text() for a in menu.actions()]
    assert "복사" in titles and "의도 고치기 (I)" in titles and "감정 고치기 (E)" in titles
    menu.close()
