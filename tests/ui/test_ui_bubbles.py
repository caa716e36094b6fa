"""Bubbles draw everything the user typed: emoji-only messages and Shift+Enter line breaks."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor

from tests.helpers.ui import WAIT, send, type_korean
from ui import fonts, theme
from ui.bubble_delegate import bubble_text


def painted_pixels(view, row: int) -> tuple[QRect, int]:
    """The bubble of `row` as drawn on screen, and how many of its pixels are not the bubble colour
    (text, emoji or their fallback words)."""
    index = view.model().index(row)
    bubble = view.bubbles.bubble_rect(view.visualRect(index), index)
    image = view.viewport().grab().toImage()
    fill = QColor(theme.colors().user_bubble)
    inner = bubble.adjusted(8, 6, -8, -6)  # inside the rounded corners
    count = 0
    for x in range(inner.left(), inner.right()):
        for y in range(inner.top(), inner.bottom()):
            c = image.pixelColor(x, y)
            if abs(c.red() - fill.red()) + abs(c.green() - fill.green()) + abs(c.blue() - fill.blue()) > 60:
                count += 1
    return bubble, count


def test_an_emoji_only_message_is_painted(qtbot, window):
    send(qtbot, window, "😂👍")
    view = window.chat.view
    view.viewport().repaint()
    bubble, ink = painted_pixels(view, 0)
    assert bubble.width() > 40 and ink > 30  # something is drawn in it, not an empty bubble
    if not fonts.emoji_supported():  # this machine has no emoji font: the emoji are said in words
        assert bubble_text("😂👍") == "(빵 터짐)(최고)"


def test_without_an_emoji_font_emoji_become_words(monkeypatch):
    monkeypatch.setitem(fonts._state, "emoji", False)  # what a bare Linux machine reports
    assert fonts.renderable("😂😂😂") == "(빵 터짐 ×3)"
    assert fonts.renderable("고마워❤️ 진짜👍") == "고마워(하트) 진짜(최고)"
    assert fonts.renderable("👨‍👩‍👧") == "(이모티콘)"  # a joined family is one emoji
    assert fonts.renderable("안녕 :)") == "안녕 :)"
    assert bubble_text("🙂") == "(미소)"


def test_shift_enter_lines_are_drawn_as_lines(qtbot, window):
    box, model, view = window.chat.composer.input, window.chat.model, window.chat.view
    send(qtbot, window, "첫 줄 둘째 줄 셋째 줄")
    box.setFocus()
    type_korean(box, "첫 줄")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    type_korean(box, "둘째 줄")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    type_korean(box, "셋째 줄")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: model.rowCount() == 4 and model.message_at(2).id > 0, timeout=WAIT)
    assert model.message_at(2).text == "첫 줄\n둘째 줄\n셋째 줄"
    one_line = view.bubbles.bubble_rect(view.visualRect(model.index(0)), model.index(0))
    three_lines = view.bubbles.bubble_rect(view.visualRect(model.index(2)), model.index(2))
    line = view.fontMetrics().lineSpacing()
    assert three_lines.height() >= one_line.height() + 2 * line - 2  # two more lines of text
    assert three_lines.width() < one_line.width()  # each line is shorter than the one-line message
    view.viewport().repaint()
    assert painted_pixels(view, 2)[1] > 30
