"""At 800x600 every toolbar action is still one or two clicks away, and the sidebar folds away."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from tests.helpers.ui import WAIT, send


def toolbar_actions(window):
    return [window.inbox_action, window.retrain_action, window.answers_action, window.models_action,
            window.settings_action]  # fmt: skip


def on_screen(window, widget) -> bool:
    """Visible and wholly inside the window (not cut off at its right edge)."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return widget.isVisible() and window.rect().contains(QRect(top_left, widget.size()))


def assert_all_reachable(window) -> None:
    toolbar = window.chat.toolbar
    for action in toolbar_actions(window):
        if action in toolbar.shown_actions():
            assert on_screen(window, toolbar.button_for(action)), action.text()
        else:
            assert action in toolbar.overflow_actions(), action.text()
            assert on_screen(window, toolbar.more_button)


def settle(qtbot, window, width, height):
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.height() == height, timeout=WAIT)
    QApplication.processEvents()


def test_toolbar_actions_are_reachable_at_800x600(qtbot, window):
    settle(qtbot, window, 800, 600)
    assert_all_reachable(window)
    window.chat.sidebar_button.click()  # the sidebar open as well: the chat is 530 px wide
    QApplication.processEvents()
    assert window.sidebar.isVisible()
    assert_all_reachable(window)
    # at the smallest window size some actions move into the 더 보기 menu
    settle(qtbot, window, window.minimumWidth(), window.minimumHeight())
    toolbar = window.chat.toolbar
    assert window.sidebar.isVisible() and toolbar.overflow_actions()
    assert_all_reachable(window)
    assert toolbar.more_button.text() == "더 보기"
    # an action in the menu works like its button
    hidden = toolbar.overflow_actions()[-1]
    assert hidden is window.settings_action
    hidden.trigger()
    qtbot.waitUntil(
        lambda: "settings" in window.dialogs and window.dialogs["settings"].isVisible(), timeout=WAIT
    )
    window.dialogs["settings"].reject()
    # wide again: every action has its button, the menu is gone
    window.set_sidebar_visible(True, by_user=True)
    settle(qtbot, window, 1280, 800)
    assert toolbar.shown_actions() == toolbar_actions(window) and not toolbar.more_button.isVisible()


def test_a_longer_retrain_label_still_fits(qtbot, window):
    settle(qtbot, window, 800, 600)
    window._set_label_count(1234)  # "다시 학습 (1234)": wider than the label it replaced
    QApplication.processEvents()
    assert_all_reachable(window)


def test_the_sidebar_folds_away_on_a_small_window_and_comes_back(qtbot, window):
    assert window.sidebar.isVisible() and not window.chat.sidebar_button.isVisible()
    settle(qtbot, window, 800, 600)
    assert not window.sidebar.isVisible()  # folded by itself: the chat gets the whole width
    assert window.chat.sidebar_button.isVisible() and window.chat.new_button.isVisible()
    assert window.chat.width() >= 790
    window.chat.sidebar_button.click()
    assert window.sidebar.isVisible() and not window.chat.sidebar_button.isVisible()
    window.sidebar.hide_button.click()
    assert not window.sidebar.isVisible()
    window.sidebar_action.trigger()  # Ctrl+B
    assert window.sidebar.isVisible()
    settle(qtbot, window, 1200, 800)
    assert window.sidebar.isVisible()  # the user's choice holds


def test_new_chat_from_the_header_while_the_sidebar_is_folded(qtbot, window):
    settle(qtbot, window, 800, 600)
    send(qtbot, window, "안녕하세요")
    assert window.chat.model.rowCount() == 2
    window.chat.new_button.click()
    assert window.chat.model.conversation_id is None and window.chat.model.rowCount() == 0
