"""Add or edit one answer: its text, the intent and emotion it fits, its 말투 (존댓말/반말), its weight, on
or off; a linked answer also shows the example sentences it is tied to."""

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
from kobert_chat.store.answers import DETECT

KINDS = {"answer": "답변", "fallback": "모를 때", "crisis": "위기 대응"}
# The level choices; DETECT: from the text (what a new answer gets unless the user picks one)
LEVELS = {DETECT: "글에서 알아내기", "polite": "존댓말", "casual": "반말", None: "상관없음 (둘 다)"}
ORIGIN_NOTES = {
    "import": "가져온 질문·답 파일의 질문이에요. 비슷한 메시지에 이 답변을 써요.",
    "taught": "채팅에서 ‘이렇게 답해 줘’로 가르친 메시지예요. 비슷한 메시지에 이 답변을 써요.",
}


class AnswerForm(QDialog):
    submitted = Signal(dict)  # text, kind, intent, emotion, weight, enabled, and level when it was chosen

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
        self.level = QComboBox()
        for key, name in LEVELS.items():
            self.level.addItem(name, key)
        self.level.setToolTip(
            "챗봇은 상대의 말투에 맞는 답변을 먼저 골라요. ‘글에서 알아내기’는 답변의 끝말(-요, -니다 …)로 정해요"
        )
        self.examples = QLabel("")
        self.examples.setObjectName("Muted")
        self.examples.setWordWrap(True)
        self.examples.hide()
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
        form.addRow("말투", self.level)
        form.addRow("비중", self.weight)
        form.addRow("", self.enabled)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.examples_title = QLabel("예시 문장")
        self.examples_title.hide()
        layout.addWidget(self.examples_title)
        layout.addWidget(self.examples)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        if answer is not None:
            self.text.setPlainText(answer.text)
            self.kind.setCurrentIndex(max(0, self.kind.findData(answer.kind)))
            self.intent.setCurrentIndex(max(0, self.intent.findData(answer.intent)))
            self.emotion.setCurrentIndex(max(0, self.emotion.findData(answer.emotion)))
            self.weight.setValue(answer.weight)
            self.enabled.setChecked(answer.enabled)
            self.level.setCurrentIndex(max(0, self.level.findData(answer.level)))
            if answer.links:
                self.set_examples([], answer)
        self._initial_level = self.level.currentData() if answer is not None else None
        self._answer = answer
        self.text.textChanged.connect(self._check)
        self.kind.currentIndexChanged.connect(self._check)
        self.intent.currentIndexChanged.connect(self._check)
        self._check()

    def set_examples(self, examples: list[str], answer: Answer | None = None) -> None:
        """The sentences this answer is tied to (loaded by the dialog on its worker)."""
        answer = answer or self._answer
        count = answer.links if answer is not None else len(examples)
        note = ORIGIN_NOTES.get(answer.origin, "") if answer is not None else ""
        shown = "\n".join(f"· {e}" for e in examples[:8])
        if len(examples) > 8:
            shown += f"\n… 외 {len(examples) - 8}개"
        self.examples_title.setText(f"예시 문장 {count}개")
        self.examples.setText("\n".join(t for t in (note, shown or "불러오는 중…") if t))
        self.examples_title.show()
        self.examples.show()

    def values(self) -> dict:
        values = {
            "text": self.text.toPlainText().strip(),
            "kind": self.kind.currentData(),
            "intent": self.intent.currentData(),
            "emotion": self.emotion.currentData(),
            "weight": self.weight.value(),
            "enabled": self.enabled.isChecked(),
        }
        level = self.level.currentData()
        if (
            self._answer is None or level != self._initial_level
        ):  # untouched: the engine keeps or re-detects it
            values["level"] = level
        return values

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
