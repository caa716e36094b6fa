"""라벨 점검: the label doctor (kobert_chat/doctor.py) in the window.

It looks over the bundled sentences and the user's labels for labels that are probably wrong: the same
sentence with different labels, and sentences a model trained without them confidently reads otherwise.
Each finding shows the nearest training sentences with their labels as evidence, and one key fixes it:
1 그대로 두기 (keep: never shown again), 2 라벨 바꾸기 (to the label picked next to it), 3 빼기 (remove
that label from training). The check runs on the worker (up to ~2 minutes on all the data), with 취소.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kobert_chat.doctor import FOLDS, Finding
from kobert_chat.errors import TrainingCancelled
from kobert_chat.labels import HEAD_DISPLAY

from .fonts import renderable
from .worker import Worker

KINDS = {
    "conflict": "같은 문장인데 라벨이 달라요",
    "disagreement": "모델이 자신 있게 다르게 봐요",
}
WHERE = {
    "bundled": "함께 들어 있는 학습 문장",
    "message": "내가 대화에서 단 라벨",
    "example": "내가 가져온 문장",
}
FIXES = (("keep", "1", "그대로 두기"), ("relabel", "2", "라벨 바꾸기"), ("remove", "3", "빼기"))


def where(ref: str) -> str:
    return WHERE.get(ref.partition(":")[0], ref)


def explanation(finding: Finding, names: dict[str, str]) -> str:
    """One or two plain sentences: what the data says and why the doctor doubts it."""
    label = names.get(finding.label, finding.label)
    other = names.get(finding.suggested or "", finding.suggested or "")
    head = HEAD_DISPLAY.get(finding.head, finding.head)
    if finding.kind == "conflict":
        return (
            f"{head} 라벨이 ‘{label}’인데, 같거나 거의 같은 문장에는 ‘{other}’가 달려 있어요. "
            "둘 중 하나는 틀렸을 가능성이 커요."
        )
    return (
        f"{head} 라벨이 ‘{label}’인데, 이 문장을 빼고 배운 모델은 {finding.confidence:.0%} 확신으로 "
        f"‘{other}’라고 봐요."
    )


class DoctorDialog(QDialog):
    fixed = Signal(object, str)  # (finding, action) after the fix reached the data

    def __init__(
        self, engine, worker: Worker, label_names: dict[str, dict[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("라벨 점검")
        self.setObjectName("DoctorDialog")
        self.resize(900, 600)
        self.engine = engine
        self._worker = worker
        self.label_names = label_names
        self.findings: list[Finding] = []
        self.outcome: str | None = None  # "done" | "cancelled" | "failed" once a check ended
        self._stop = threading.Event()
        self._fits = 0

        self.pages = QStackedWidget()
        self.pages.addWidget(self._start_page())
        self.pages.addWidget(self._progress_page())
        self.pages.addWidget(self._findings_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.addWidget(self.pages)

    # -- pages -----------------------------------------------------------------------------------
    def _start_page(self) -> QWidget:
        page = QWidget()
        headline = QLabel("잘못 달렸을 것 같은 라벨을 찾아요")
        headline.setObjectName("DialogHeadline")
        intro = QLabel(
            "함께 들어 있는 학습 문장과 내가 단 라벨을 모두 살펴서, 같은 문장인데 라벨이 다른 것과 "
            "모델이 자신 있게 다르게 보는 것을 찾아요. 찾은 것마다 비슷한 학습 문장을 근거로 보여 드리고, "
            "그대로 두거나 라벨을 바꾸거나 학습에서 뺄 수 있어요. 고친 내용은 다음 학습부터 쓰여요."
        )
        intro.setWordWrap(True)
        intro.setObjectName("Muted")
        note = QLabel("전체를 살피는 데 이 컴퓨터에서 1~2분쯤 걸려요. 그동안에는 챗봇이 대답하지 못해요.")
        note.setWordWrap(True)
        note.setObjectName("Muted")
        self.start_button = QPushButton("점검 시작")
        self.start_button.setObjectName("PrimaryButton")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        close = QPushButton("닫기")
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(page)
        layout.addWidget(headline)
        layout.addWidget(intro)
        layout.addWidget(note)
        layout.addStretch(1)
        layout.addLayout(_row(close, self.start_button))
        return page

    def _progress_page(self) -> QWidget:
        page = QWidget()
        self.stage = QLabel("라벨을 살펴보는 중…")
        self.stage.setObjectName("DialogHeadline")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        self.progress_text = QLabel("")
        self.progress_text.setObjectName("Muted")
        self.cancel_button = QPushButton("취소")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.stage)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addStretch(2)
        layout.addLayout(_row(self.cancel_button))
        return page

    def _findings_page(self) -> QWidget:
        page = QWidget()
        self.result_headline = QLabel("")
        self.result_headline.setObjectName("DialogHeadline")
        self.result_hint = QLabel(
            "위아래 화살표로 고르고, 1 그대로 두기 · 2 라벨 바꾸기(오른쪽에서 고른 라벨로) · 3 빼기."
        )
        self.result_hint.setObjectName("Muted")
        self.result_hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("DoctorList")
        self.list.currentRowChanged.connect(self._show_finding)

        self.kind_label = QLabel("")
        self.kind_label.setObjectName("SectionTitle")
        self.text_label = QLabel("")
        self.text_label.setWordWrap(True)
        self.text_label.setObjectName("Verdict")
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where_label = QLabel("")
        self.where_label.setObjectName("Muted")
        self.why_label = QLabel("")
        self.why_label.setWordWrap(True)
        evidence_title = QLabel("비슷한 학습 문장 (근거)")
        evidence_title.setObjectName("SectionTitle")
        self.evidence = QListWidget()
        self.evidence.setObjectName("DoctorEvidence")
        self.evidence.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.evidence.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.new_label = QComboBox()
        self.new_label.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the list
        self.fix_buttons: dict[str, QPushButton] = {}
        fixes = QHBoxLayout()
        for action, key, text in FIXES:
            button = QPushButton(f"{key} {text}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, a=action: self.fix_current(a))
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda a=action: self.fix_current(a))
            self.fix_buttons[action] = button
            fixes.addWidget(button)
            if action == "relabel":
                fixes.addWidget(self.new_label)
        fixes.addStretch(1)
        self.fix_buttons["relabel"].setObjectName("PrimaryButton")

        detail = QVBoxLayout()
        detail.addWidget(self.kind_label)
        detail.addWidget(self.text_label)
        detail.addWidget(self.where_label)
        detail.addWidget(self.why_label)
        detail.addSpacing(6)
        detail.addWidget(evidence_title)
        detail.addWidget(self.evidence, 1)
        detail.addLayout(fixes)
        self.detail = QWidget()
        self.detail.setLayout(detail)
        body = QHBoxLayout()
        body.addWidget(self.list, 2)
        body.addSpacing(12)
        body.addWidget(self.detail, 3)
        self.empty = QLabel("")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        self.empty.hide()
        again = QPushButton("다시 점검")
        again.clicked.connect(self.start)
        close = QPushButton("닫기")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(page)
        layout.addWidget(self.result_headline)
        layout.addWidget(self.result_hint)
        layout.addLayout(body, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(_row(again, close))
        return page

    def page(self) -> str:
        return ("start", "progress", "findings")[self.pages.currentIndex()]

    # -- the check -------------------------------------------------------------------------------
    def start(self) -> None:
        """Run the doctor on the worker; each cross-validation fit ticks the bar (heads x FOLDS)."""
        self._stop.clear()
        self._fits = 0
        self.outcome = None
        heads = max(1, len(self.label_names))
        self.progress.setRange(0, heads * FOLDS)
        self.progress.setValue(0)
        self.stage.setText("라벨을 살펴보는 중…")
        self.progress_text.setText("같은 문장끼리 라벨을 맞춰 보는 중")
        self.cancel_button.setEnabled(True)
        self.pages.setCurrentIndex(1)
        engine, stop, tick = self.engine, self._stop, self._worker.relay(self._tick, owner=self)

        def should_stop() -> bool:  # called before each fit, on the worker thread
            if stop.is_set():
                return True
            tick()
            return False

        self._worker.run(
            lambda: engine.doctor(should_stop),
            self._show_findings,
            owner=self,
            on_error=self._failed,
        )

    def running(self) -> bool:
        return self._worker.busy(self) and self.outcome is None

    def _tick(self) -> None:
        self._fits += 1
        self.progress.setValue(min(self._fits, self.progress.maximum()))
        self.progress_text.setText(
            f"문장마다, 그 문장을 빼고 배운 모델이 어떻게 보는지 확인하는 중 ({self._fits}/{self.progress.maximum()})"
        )

    def cancel(self) -> None:
        self._stop.set()
        self.cancel_button.setEnabled(False)
        self.stage.setText("취소하는 중…")

    def _failed(self, exc: BaseException) -> bool:
        if isinstance(exc, TrainingCancelled):
            self.outcome = "cancelled"
            self.pages.setCurrentIndex(0)
            return True
        self.outcome = "failed"
        self.pages.setCurrentIndex(0)
        return False  # the error dialog says what went wrong

    def _show_findings(self, findings: list[Finding]) -> None:
        self.outcome = "done"
        self.findings = list(findings)
        self.list.clear()
        for finding in self.findings:
            self.list.addItem(self._item(finding))
        self.pages.setCurrentIndex(2)
        self._update_headline()
        if self.findings:
            self.list.setCurrentRow(0)
            self.list.setFocus()

    def _item(self, finding: Finding) -> QListWidgetItem:
        names = self.label_names.get(finding.head, {})
        head = HEAD_DISPLAY.get(finding.head, finding.head)
        text = " ".join(finding.text.split())
        item = QListWidgetItem(
            f"[{head}] {KINDS.get(finding.kind, finding.kind)}\n"
            f"‘{renderable(text)}’ · {names.get(finding.label, finding.label)}"
        )
        item.setToolTip(finding.text)
        return item

    def _update_headline(self) -> None:
        n = len(self.findings)
        self.result_headline.setText(f"살펴볼 라벨이 {n:,}개 있어요" if n else "살펴볼 라벨이 없어요")
        self.empty.setText(
            "잘못 달렸을 것 같은 라벨을 찾지 못했어요. 라벨을 더 달면 다시 점검해 보세요." if not n else ""
        )
        for widget in (self.list, self.detail, self.result_hint):
            widget.setVisible(n > 0)
        self.empty.setVisible(n == 0)

    def _show_finding(self, row: int) -> None:
        if not 0 <= row < len(self.findings):
            return
        finding = self.findings[row]
        names = self.label_names.get(finding.head, {})
        self.kind_label.setText(KINDS.get(finding.kind, finding.kind))
        self.text_label.setText(f"‘{renderable(finding.text)}’")
        self.where_label.setText(
            f"{where(finding.ref)} · {HEAD_DISPLAY.get(finding.head, finding.head)}: "
            f"{names.get(finding.label, finding.label)}"
        )
        self.why_label.setText(explanation(finding, names))
        self.evidence.clear()
        for n in finding.evidence:
            self.evidence.addItem(
                f"‘{renderable(' '.join(n.text.split()))}’ → {names.get(n.label, n.label)} "
                f"(비슷한 정도 {n.similarity:.0%})"
            )
        if not finding.evidence:
            self.evidence.addItem("비슷한 문장이 없어요.")
        self.new_label.clear()
        for label, display in names.items():
            if label != finding.label:
                self.new_label.addItem(display, label)
        if finding.suggested:
            self.new_label.setCurrentIndex(max(0, self.new_label.findData(finding.suggested)))

    # -- fixes -----------------------------------------------------------------------------------
    def current_finding(self) -> Finding | None:
        row = self.list.currentRow()
        return self.findings[row] if self.page() == "findings" and 0 <= row < len(self.findings) else None

    def fix_current(self, action: str) -> None:
        finding = self.current_finding()
        if finding is None or self._worker.busy(self):
            return
        new_label = self.new_label.currentData() if action == "relabel" else None
        engine = self.engine
        for button in self.fix_buttons.values():
            button.setEnabled(False)
        self._worker.run(
            lambda: engine.apply_doctor_fix(finding, action, new_label),
            lambda _r: self._fixed(finding, action),
            owner=self,
            on_finished=lambda _ok: [b.setEnabled(True) for b in self.fix_buttons.values()],
        )

    def _fixed(self, finding: Finding, action: str) -> None:
        if finding in self.findings:
            row = self.findings.index(finding)
            self.findings.pop(row)
            self.list.takeItem(row)
            self._update_headline()
            if self.findings:
                self.list.setCurrentRow(min(row, len(self.findings) - 1))
        self.fixed.emit(finding, action)

    def reject(self) -> None:
        if self.running():  # closing mid-check stops it at its next fit
            self.cancel()
        super().reject()


def _row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row
