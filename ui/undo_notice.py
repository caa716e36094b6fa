"""The notice bar with one optional action button (e.g. 되돌리기 after "이 답변 그만" from a bubble)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from .notice_bar import NoticeBar


class UndoNoticeBar(NoticeBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = QPushButton("")
        self.action.setObjectName("NoticeAction")
        self.action.clicked.connect(self._run)
        self.action.hide()
        top = self.layout().itemAt(0).layout()  # NoticeBar's row: text, 자세히, 닫기
        top.insertWidget(1, self.action, 0, Qt.AlignmentFlag.AlignTop)
        self._callback: Callable[[], None] | None = None

    def show_notice(self, text: str, details: str = "") -> None:
        self.clear_action()  # a new notice has no action unless set_action gives it one
        super().show_notice(text, details)

    def set_action(self, text: str, callback: Callable[[], None]) -> None:
        self.action.setText(text)
        self._callback = callback
        self.action.show()

    def clear_action(self) -> None:
        self._callback = None
        self.action.hide()

    def _run(self) -> None:
        callback, self._callback = self._callback, None
        self.action.hide()
        if callback is not None:
            callback()
