"""A calm strip above the chat for things the user should know but need not act on at once
(e.g. the engine fell back to an older model because the active one would not load)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .details import DetailsToggle


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NoticeBar")
        self.text = QLabel("")
        self.text.setObjectName("NoticeText")
        self.text.setWordWrap(True)
        self.details = QLabel("")
        self.details.setObjectName("Muted")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.toggle = DetailsToggle(self.details)
        close = QPushButton("닫기")
        close.setObjectName("NoticeClose")
        close.clicked.connect(self.hide)
        top = QHBoxLayout()
        top.addWidget(self.text, 1)
        top.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 12, 10)
        layout.addLayout(top)
        layout.addWidget(self.details)
        self.hide()

    def show_notice(self, text: str, details: str = "") -> None:
        self.text.setText(text)
        self.details.setText(details)
        self.toggle.setVisible(bool(details))
        self.toggle.setChecked(False)
        self.show()
