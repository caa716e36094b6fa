"""The message input: Enter sends, Shift+Enter breaks the line, and the Korean IME is left alone."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QToolButton, QWidget

from . import icons

MAX_LINES = 6


class MessageInput(QPlainTextEdit):
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageInput")
        self.setAccessibleName("메시지 입력")
        self.setPlaceholderText("메시지를 입력하세요  ·  Enter 보내기, Shift+Enter 줄바꿈")
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._composing = False
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        # While Hangul is being composed (preedit), Enter belongs to the IME: it commits the syllable.
        self._composing = bool(event.preeditString())
        super().inputMethodEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not self._composing and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submit()
            return
        super().keyPressEvent(event)

    def submit(self) -> None:
        """Send what is typed (nothing happens for empty or whitespace-only input)."""
        text = self.toPlainText()
        if not text.strip():
            return
        self.clear()
        self.submitted.emit(text.strip())

    def _fit_height(self) -> None:
        wanted = max(1, int(self.document().size().height()))  # plain-text layout: height counts lines
        lines = min(MAX_LINES, wanted)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if wanted > MAX_LINES
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        line_h = self.fontMetrics().lineSpacing()
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        self.setFixedHeight(lines * line_h + int(self.document().documentMargin() * 2) + margins + 6)


class Composer(QFrame):
    """The input box with its send button, framed like a chat app's compose area."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Composer")
        self.input = MessageInput(self)
        self.send_button = QToolButton(self)
        self.send_button.setObjectName("SendButton")
        self.send_button.setToolTip("보내기 (Enter)")
        self.send_button.setAccessibleName("보내기")
        self.send_button.setIconSize(QSize(18, 18))
        self.send_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.send_button.clicked.connect(self.input.submit)
        self.input.submitted.connect(self.submitted)
        self.input.textChanged.connect(self._update_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.input, 1)
        layout.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.refresh_icons()
        self._update_button()

    def refresh_icons(self) -> None:
        self.send_button.setIcon(icons.icon("send", "#ffffff", 18))

    def _update_button(self) -> None:
        self.send_button.setEnabled(bool(self.input.toPlainText().strip()))
