""" "이렇게 답해 줘": a small editor, prefilled with the bot's reply, for the answer to one user message.

Saving hands the text to the chat panel, which stores it with ChatEngine.teach_answer (a linked answer
for that message: the same message gets it from the next turn on, without retraining)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from .fonts import renderable


class TeachAnswerDialog(QDialog):
    submitted = Signal(str)  # the answer text, stripped and not empty

    def __init__(self, user_text: str, reply_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("이렇게 답해 줘")
        self.setObjectName("TeachAnswerDialog")
        self.resize(480, 300)
        shown = renderable(" ".join(user_text.split()))
        self.question = QLabel(f"“{shown[:200]}”에 챗봇이 이렇게 대답하게 할게요.")
        self.question.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setPlainText(reply_text)
        self.text.selectAll()
        self.hint = QLabel(
            "다시 학습하지 않아도 다음 메시지부터 바로 쓰여요. 답변 창에서 언제든 고치거나 지울 수 있어요."
        )
        self.hint.setObjectName("Muted")
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("저장")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("취소")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._check)
        self._check()

    def answer_text(self) -> str:
        return self.text.toPlainText().strip()

    def _check(self) -> None:
        self.save_button.setEnabled(bool(self.answer_text()))  # nothing to save: no save

    def _submit(self) -> None:
        if self.answer_text():
            self.submitted.emit(self.answer_text())
            self.accept()
