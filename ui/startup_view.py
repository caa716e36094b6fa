"""What the window shows while the engine opens. On a fresh data folder the 기본 모델 is built first
(minutes on a 2-core machine): say what is happening in plain words, how much is left (measured here,
as a range), and let the user stop it. A stopped build leaves nothing behind and can be started again."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kobert_chat import progress

from .eta import EtaEstimator, range_text
from .model_names import STARTER_NAME

CARD_WIDTH = 460


def first_run_note(n_train: int, n_val: int) -> str:
    """The numbers add up with what trains: the bundled training lines = learned from + checked on."""
    return (
        f"처음 실행이라 이 컴퓨터에서 {STARTER_NAME}을 만들고 있어요. 함께 들어 있는 한국어 문장 "
        f"{n_train + n_val:,}개 중 {n_train:,}개로 배우고, {n_val:,}개로 잘 배웠는지 확인해요. "
        "한 번만 하면 되고, 끝나면 바로 대화할 수 있어요."
    )


class StartupView(QWidget):
    retry_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StartupView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # let the style sheet paint it
        self.eta = EtaEstimator()
        self._epochs = 0
        self.card = QFrame()
        self.card.setObjectName("StartupCard")
        self.card.setFixedWidth(CARD_WIDTH)
        self.card.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
        title = QLabel("kobert-chat")
        title.setObjectName("StartupTitle")
        subtitle = QLabel("내 컴퓨터에서만 돌아가는 한국어 챗봇")
        subtitle.setObjectName("StartupSubtitle")
        self.stage = self._wrapped("StartupStage")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until we know how much work there is
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(8)
        self.detail = self._wrapped("StartupDetail")
        self.note = self._wrapped("StartupDetail")
        self.note.hide()
        self.cancel = QPushButton("취소")
        self.cancel.setToolTip(f"{STARTER_NAME} 만들기를 멈춰요. 만들던 것은 남기지 않아요.")
        self.cancel.clicked.connect(self._cancel_clicked)
        self.retry = QPushButton("다시 시도")
        self.retry.setObjectName("PrimaryButton")
        self.retry.clicked.connect(self.retry_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.retry)
        inner = QVBoxLayout(self.card)
        inner.setContentsMargins(32, 30, 32, 30)
        inner.setSpacing(10)
        for widget in (title, subtitle):
            inner.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addSpacing(14)
        inner.addWidget(self.stage)
        inner.addWidget(self.progress)
        inner.addWidget(self.detail)
        inner.addWidget(self.note)
        inner.addLayout(buttons)
        # No alignment flag on the card: an aligned item is sized by its sizeHint, which ignores that
        # wrapped labels need more height at this width (that clipped the second line). Stretches centre it.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.reset()

    @staticmethod
    def _wrapped(name: str) -> QLabel:
        label = QLabel("")
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        return label

    def reset(self) -> None:
        self.stage.setText("준비하는 중…")
        self.detail.setText("")
        self.note.hide()
        self.progress.setRange(0, 0)
        self.cancel.hide()
        self.cancel.setEnabled(True)
        self.retry.hide()
        self.eta.reset()
        self._epochs = 0

    def building(self) -> bool:
        """The 기본 모델 is being built (only the build sends progress)."""
        return self.cancel.isVisible() and self.cancel.isEnabled()

    def update_progress(self, event: progress.Event) -> None:
        """Events from ChatEngine.open(on_progress=...): the 기본 모델's build."""
        if not self.cancel.isVisible() and not self.retry.isVisible():
            self.cancel.show()  # progress means a build: from now on it can be stopped
            self.note.setText(
                f"처음 실행이라 이 컴퓨터에서 {STARTER_NAME}을 만들고 있어요. 한 번만 하면 되고, "
                "끝나면 바로 대화할 수 있어요."
            )
            self.note.show()
        if not self.cancel.isEnabled():
            return  # stopping: keep saying so
        if isinstance(event, progress.Stage) and event.message:
            self.stage.setText(f"{event.message}…")
            if self.progress.maximum() and self.progress.value() >= self.progress.maximum():
                self.detail.setText("거의 다 됐어요. 마무리하는 중이에요.")
        if isinstance(event, progress.Start):
            self._epochs = event.epochs
            self.eta.reset()
            self.note.setText(first_run_note(event.n_train, event.n_val))
            self.note.show()
            self.detail.setText(range_text(None))
        elif isinstance(event, progress.Step) and event.total_steps:
            self.progress.setRange(0, event.total_steps)
            self.progress.setValue(event.step)
            self.stage.setText(f"{STARTER_NAME}을 학습하는 중")
            self.eta.add(event.step, event.total_steps)
            rounds = f" · 문장 전체를 {self._epochs}번 중 {event.epoch}번째 읽는 중" if self._epochs else ""
            self.detail.setText(range_text(self.eta.estimate()) + rounds)

    def _cancel_clicked(self) -> None:
        self.cancel.setEnabled(False)
        self.stage.setText("멈추는 중…")
        self.detail.setText("지금 하던 계산이 끝나는 대로 멈춰요.")
        self.cancel_requested.emit()

    def show_cancelled(self) -> None:
        self.note.hide()
        self.cancel.hide()
        self.stage.setText(f"{STARTER_NAME} 만들기를 멈췄어요")
        self.detail.setText(
            "아직 대화할 모델이 없어요. 만들던 것은 남기지 않고 지웠어요. "
            "준비되면 ‘다시 만들기’를 눌러 주세요. 처음부터 다시 만들어요."
        )
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.retry.setText("다시 만들기")
        self.retry.show()

    def show_failure(self, text: str) -> None:
        self.note.hide()
        self.cancel.hide()
        self.stage.setText("시작하지 못했어요")
        self.detail.setText(text)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.retry.setText("다시 시도")
        self.retry.show()
