"""What the window shows while the engine opens: on a fresh data folder the starter model is built
first (a few minutes), so show the stage, the epoch and how long is left."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from kobert_chat import progress


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}초"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}분 {rest}초" if rest and minutes < 10 else f"{minutes}분"


class StartupView(QWidget):
    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StartupView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # let the style sheet paint it
        card = QFrame()
        card.setObjectName("StartupCard")
        card.setFixedWidth(440)
        title = QLabel("kobert-chat")
        title.setObjectName("StartupTitle")
        subtitle = QLabel("내 컴퓨터에서만 돌아가는 한국어 챗봇")
        subtitle.setObjectName("StartupSubtitle")
        self.stage = QLabel("준비하는 중…")
        self.stage.setObjectName("StartupStage")
        self.stage.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until we know how much work there is
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.detail = QLabel("")
        self.detail.setObjectName("StartupDetail")
        self.detail.setWordWrap(True)
        self.note = QLabel("")
        self.note.setObjectName("StartupDetail")
        self.note.setWordWrap(True)
        self.note.hide()
        self.retry = QPushButton("다시 시도")
        self.retry.hide()
        self.retry.clicked.connect(self.retry_requested)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 30, 32, 30)
        inner.setSpacing(10)
        for widget in (title, subtitle):
            inner.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addSpacing(14)
        inner.addWidget(self.stage)
        inner.addWidget(self.progress)
        inner.addWidget(self.detail)
        inner.addWidget(self.note)
        inner.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignRight)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def reset(self) -> None:
        self.stage.setText("준비하는 중…")
        self.detail.setText("")
        self.note.hide()
        self.progress.setRange(0, 0)
        self.retry.hide()

    def update_progress(self, event: progress.Event) -> None:
        """Events from ChatEngine.open(on_progress=...): stage / start / step / epoch (the starter build)."""
        if isinstance(event, progress.Stage) and event.message:
            self.stage.setText(event.message)
        if isinstance(event, progress.Start):
            self.note.setText(
                f"처음 실행이라 이 컴퓨터에서 기본 모델을 만들고 있어요 (학습 문장 {event.n_train:,}개). "
                "한 번만 하면 되고, 끝나면 바로 대화할 수 있어요."
            )
            self.note.show()
        elif isinstance(event, progress.Step) and event.total_steps:
            self.progress.setRange(0, event.total_steps)
            self.progress.setValue(event.step)
            self.stage.setText(f"기본 모델 학습 중 · 에포크 {event.epoch}")
            self.detail.setText(f"남은 시간 약 {duration_text(event.eta_s)}")

    def show_failure(self, text: str) -> None:
        self.note.hide()
        self.stage.setText("시작하지 못했어요")
        self.detail.setText(text)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.retry.show()
