"""Add or edit one answer: its text, the intent and emotion it fits, its weight, on or off."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from kobert_chat.store import Answer

KINDS = {"answer": "답변", "fallback": "모를 때", "crisis": "위기 대응"}


class AnswerForm(QDialog):
    submitted = Signal(dict)  # text, kind, intent, emotion, weight, enabled

    def __init__(
        self,
        label_names: dict[str, dict[str, str]],
        answer: Answer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("답변 편집" if answer else "답변 추가")
        self.setObjectName("AnswerForm")
        self.resize(520, 380)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("챗봇이 할 말을 적어 주세요")
        self.kind = QComboBox()
        for key, name in KINDS.items():
            self.kind.addItem(name, key)
        self.kind.setEnabled(answer is None)  # the kind of an existing answer stays as it is
        self.intent = QComboBox()
        self.intent.addItem("없음", None)
        for key, name in label_names.get("intent", {}).items():
            self.intent.addItem(name, key)
        self.emotion = QComboBox()
        self.emotion.addItem("상관없음", None)
        for key, name in label_names.get("emotion", {}).items():
            self.emotion.addItem(name, key)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0.1, 100.0)
        self.weight.setSingleStep(0.5)
        self.weight.setDecimals(1)
        self.weight.setValue(1.0)
        self.weight.setToolTip("같은 상황에 맞는 답변이 여럿이면 비중이 클수록 더 자주 골라요")
        self.enabled = QCheckBox("이 답변 사용")
        self.enabled.setChecked(True)
        self.problem = QLabel("")
        self.problem.setObjectName("FormProblem")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("저장")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("취소")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("답변", self.text)
        form.addRow("종류", self.kind)
        form.addRow("의도", self.intent)
        form.addRow("감정", self.emotion)
        form.addRow("비중", self.weight)
        form.addRow("", self.enabled)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        if answer is not None:
            self.text.setPlainText(answer.text)
            self.kind.setCurrentIndex(max(0, self.kind.findData(answer.kind)))
            self.intent.setCurrentIndex(max(0, self.intent.findData(answer.intent)))
            self.emotion.setCurrentIndex(max(0, self.emotion.findData(answer.emotion)))
            self.weight.setValue(answer.weight)
            self.enabled.setChecked(answer.enabled)
        self.text.textChanged.connect(self._check)
        self.kind.currentIndexChanged.connect(self._check)
        self.intent.currentIndexChanged.connect(self._check)
        self._check()

    def values(self) -> dict:
        return {
            "text": self.text.toPlainText().strip(),
            "kind": self.kind.currentData(),
            "intent": self.intent.currentData(),
            "emotion": self.emotion.currentData(),
            "weight": self.weight.value(),
            "enabled": self.enabled.isChecked(),
        }

    def _check(self) -> None:
        """Say what is missing instead of letting the save fail."""
        v = self.values()
        problem = ""
        if not v["text"]:
            problem = "답변 내용을 적어 주세요."
        elif v["kind"] == "answer" and v["intent"] is None:
            problem = "‘답변’ 종류에는 의도가 필요해요."
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def _submit(self) -> None:
        self.submitted.emit(self.values())
        self.accept()
