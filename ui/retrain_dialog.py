"""Retrain: choose quick or full, watch progress, compare, then promote or discard the new version.

Promote asks twice when the new model gets more of the user's own labels wrong (the regression guard):
a bar above the buttons names how many, and only its 그래도 바꾸기 switches."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kobert_chat import progress
from kobert_chat.errors import InputError, KobertChatError

from . import errors
from .charts import TrainingChart
from .details import DetailsToggle
from .eta import EtaEstimator, range_text
from .training_process import TrainingProcess
from .training_result import TrainingResultView
from .worker import Worker

MODES = {
    "quick": (
        "빠른 학습 (권장)",
        "문장을 읽는 부분은 그대로 두고, 의도와 감정을 고르는 부분만 새로 배워요. 보통 몇 분이면 끝나요.",
    ),
    "full": (
        "전체 학습",
        "모델 전체를 다시 다듬어요. 더 정확해질 수 있지만, 그래픽카드가 없으면 오래 걸려요.",
    ),
}


class RetrainDialog(QDialog):
    model_changed = Signal()  # the new version was promoted

    def __init__(
        self,
        engine,
        worker: Worker,
        label_names: dict[str, dict[str, str]],
        parent: QWidget | None = None,
        extra_args: tuple[str, ...] = (),
        label_count: int = 0,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("모델 다시 학습")
        self.label_count = label_count
        self.setObjectName("RetrainDialog")
        self.resize(640, 380)  # grows when training starts: the chart and results need the room
        self.engine = engine
        self._worker = worker
        self._extra_args = tuple(extra_args)  # e.g. ("--epochs", "3"): tests keep runs short
        self.process: TrainingProcess | None = None
        self.done_event: progress.Done | None = None
        self.outcome: str | None = None
        self._steps_per_epoch = 1.0
        self._epochs = 0
        self.eta_estimate = EtaEstimator()
        self._stages = 0  # full mode trains in two stages (encoder, then heads): each sends "start"
        self._x_offset = 0.0  # where the current stage starts on the chart's epoch axis
        self._last_x = 0.0
        self._close_when_stopped = False

        self.pages = QStackedWidget()
        self.pages.addWidget(self._choose_page())
        self.pages.addWidget(self._progress_page())
        self.result_view = TrainingResultView(label_names)
        self.pages.addWidget(self._result_page())
        self.pages.addWidget(self._message_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.addWidget(self.pages)

    # -- pages -----------------------------------------------------------------------------------
    def _choose_page(self) -> QWidget:
        page = QWidget()
        headline = QLabel("새로 단 라벨로 모델을 다시 학습할까요?")
        headline.setObjectName("DialogHeadline")
        news = f"라벨을 새로 단 메시지가 {self.label_count:,}개 있어요. " if self.label_count else ""
        intro = QLabel(
            f"{news}함께 들어 있는 학습 문장과, 직접 고치거나 ‘맞아요’로 확인한 라벨을 모두 써서 새 모델을 "
            "만들어요. 결과를 보고 새 모델로 바꾸기 전까지는 지금 모델이 그대로 대답해요."
        )
        intro.setWordWrap(True)
        intro.setObjectName("Muted")
        layout = QVBoxLayout(page)
        layout.addWidget(headline)
        layout.addWidget(intro)
        layout.addSpacing(10)
        self.mode_buttons: dict[str, QRadioButton] = {}
        for mode, (title, text) in MODES.items():
            button = QRadioButton(title)
            button.setObjectName("ModeOption")
            button.setChecked(mode == "quick")
            note = QLabel(text)
            note.setObjectName("Muted")
            note.setWordWrap(True)
            note.setContentsMargins(26, 0, 0, 8)
            layout.addWidget(button)
            layout.addWidget(note)
            self.mode_buttons[mode] = button
        layout.addStretch(1)
        self.doctor_button = QPushButton("학습 전에 라벨 점검하기")
        self.doctor_button.setObjectName("DetailsToggle")
        self.doctor_button.setFlat(True)
        self.doctor_button.setToolTip("잘못 달렸을 것 같은 라벨을 찾아 고쳐요")
        self.doctor_button.clicked.connect(self.open_doctor)
        layout.addWidget(self.doctor_button, 0, Qt.AlignmentFlag.AlignLeft)
        start = QPushButton("학습 시작")
        start.setObjectName("PrimaryButton")
        start.setDefault(True)
        start.clicked.connect(lambda: self.start(self.chosen_mode()))
        close = QPushButton("닫기")
        close.clicked.connect(self.reject)
        layout.addLayout(_button_row(close, start))
        return page

    def _progress_page(self) -> QWidget:
        page = QWidget()
        self.stage = QLabel("학습을 준비하는 중…")
        self.stage.setObjectName("DialogHeadline")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        self.eta = QLabel("")
        self.eta.setObjectName("Muted")
        self.sizes = QLabel("")  # how many sentences it learns from and checks on
        self.sizes.setObjectName("Muted")
        self.sizes.setWordWrap(True)
        self.details = QWidget()
        self.chart = TrainingChart()
        self.loss_label = QLabel("")
        self.loss_label.setObjectName("Muted")
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.loss_label)
        details.addWidget(self.chart, 1)
        self.details_toggle = DetailsToggle(self.details)
        self.details_toggle.toggled_open.connect(self._details_opened)
        self.cancel_button = QPushButton("취소")
        self.cancel_button.clicked.connect(self.cancel_training)
        layout = QVBoxLayout(page)
        layout.addWidget(self.stage)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addWidget(self.sizes)
        layout.addWidget(self.details_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details, 1)
        layout.addStretch(0)
        layout.addLayout(_button_row(self.cancel_button))
        return page

    def _details_opened(self, open_: bool) -> None:
        if open_:  # the chart needs the room
            self.resize(max(self.width(), 900), max(self.height(), 600))

    def _result_page(self) -> QWidget:
        page = QWidget()
        self.promote_button = QPushButton("새 모델로 바꾸기")
        self.promote_button.setObjectName("PrimaryButton")
        self.promote_button.clicked.connect(self.promote)
        self.discard_button = QPushButton("버리고 지금 모델 쓰기")
        self.discard_button.clicked.connect(self.discard)
        # the second question, when the new model gets more of the user's own labels wrong
        self.confirm_bar = QFrame()
        self.confirm_bar.setObjectName("NoticeBar")
        self.confirm_text = QLabel("")
        self.confirm_text.setObjectName("NoticeText")
        self.confirm_text.setWordWrap(True)
        self.confirm_yes = QPushButton("그래도 바꾸기")
        self.confirm_yes.clicked.connect(self._activate)
        self.confirm_no = QPushButton("바꾸지 않기")
        self.confirm_no.clicked.connect(self.decline_promote)
        bar = QHBoxLayout(self.confirm_bar)
        bar.setContentsMargins(12, 8, 8, 8)
        bar.addWidget(self.confirm_text, 1)
        bar.addWidget(self.confirm_no)
        bar.addWidget(self.confirm_yes)
        self.confirm_bar.hide()
        layout = QVBoxLayout(page)
        layout.addWidget(self.result_view, 1)
        layout.addWidget(self.confirm_bar)
        layout.addLayout(_button_row(self.discard_button, self.promote_button))
        return page

    def _message_page(self) -> QWidget:
        page = QWidget()
        self.message = QLabel("")
        self.message.setObjectName("DialogHeadline")
        self.message.setWordWrap(True)
        self.message_detail = QLabel("")
        self.message_detail.setWordWrap(True)
        self.message_detail.setObjectName("Muted")
        self.message_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("닫기")
        close.setObjectName("PrimaryButton")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.message_detail)
        layout.addStretch(2)
        layout.addLayout(_button_row(close))
        return page

    def page(self) -> str:
        return ("choose", "progress", "result", "message")[self.pages.currentIndex()]

    def chosen_mode(self) -> str:
        return next(mode for mode, button in self.mode_buttons.items() if button.isChecked())

    # -- training --------------------------------------------------------------------------------
    def start(self, mode: str) -> None:
        self.chart.clear()
        self._stages, self._x_offset, self._last_x = 0, 0.0, 0.0
        self.stage.setText(f"{MODES[mode][0].split(' (')[0]} 준비 중…")
        self.eta.setText("")
        self.sizes.setText("")
        self.loss_label.setText("")
        self.eta_estimate.reset()
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.pages.setCurrentIndex(1)
        self.process = TrainingProcess(self.engine.home, self)
        self.process.event.connect(self._on_event)
        self.process.finished.connect(self._on_finished)
        self.process.start(mode, self._extra_args)

    def running(self) -> bool:
        return self.process is not None and self.process.running()

    def cancel_training(self) -> None:
        if self.running():
            self.stage.setText("취소하는 중…")
            self.cancel_button.setEnabled(False)
            self.process.cancel()

    def _on_event(self, event: progress.Event) -> None:
        if isinstance(event, progress.Start):
            self._stages += 1
            self._x_offset = self._last_x  # a later stage continues the chart instead of drawing over it
            self.progress.setRange(0, max(1, event.total_steps))
            self.progress.setValue(0)
            self._steps_per_epoch = max(1, event.total_steps) / max(1, event.epochs)
            self._epochs = event.epochs
            self.eta_estimate.reset()
            stage = f"{self._stages}단계 " if self._stages > 1 else ""
            self.stage.setText(f"{stage}학습하는 중")
            self.eta.setText(range_text(None))
            self.sizes.setText(
                f"문장 {event.n_train + event.n_val:,}개 중 {event.n_train:,}개로 배우고, "
                f"{event.n_val:,}개로 잘 배웠는지 확인해요."
            )
        elif isinstance(event, progress.Step):
            self.progress.setValue(event.step)
            self._last_x = self._x_offset + event.step / self._steps_per_epoch
            self.chart.add_loss(self._last_x, float(event.loss))
            self.eta_estimate.add(event.step, event.total_steps)
            rounds = f" · 데이터를 {self._epochs}번 중 {event.epoch}번째 읽는 중" if self._epochs else ""
            self.eta.setText(range_text(self.eta_estimate.estimate()) + rounds)
            self.loss_label.setText(f"지금 틀린 정도(손실): {event.loss:.3f} · 낮아질수록 잘 배우고 있어요")
        elif isinstance(event, progress.Epoch):
            self._last_x = self._x_offset + event.epoch
            self.chart.add_validation(self._last_x, {h: m.get("macro_f1", 0.0) for h, m in event.val.items()})
        elif isinstance(event, progress.Download):
            total = event.total or 0
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(min(event.done, max(total, 1)))
            self.stage.setText(f"KoBERT 내려받는 중 · {event.done / 1e6:,.0f} / {total / 1e6:,.0f}MB")
        elif isinstance(event, (progress.Stage, progress.Data)) and event.message:
            self.stage.setText(event.message)
            if self._stages and self.progress.maximum() and self.progress.value() >= self.progress.maximum():
                # the time left covered the training steps; what follows has no steps to count
                self.eta.setText("학습은 끝났어요. 마무리하는 중이라 몇 분 더 걸릴 수 있어요.")
        elif isinstance(event, progress.Done):
            self.done_event = event

    def _on_finished(self, outcome: str, _code: int) -> None:
        self.outcome = outcome
        if outcome == "done" and self.done_event is not None and self.done_event.version:
            self.show_done(self.done_event)
        elif outcome == "cancelled":
            self._show_message(
                "학습을 취소했어요.", "지금 쓰는 모델은 그대로예요. 새 버전은 만들어지지 않았어요."
            )
        else:
            text = self.process.error_text() if self.process else ""
            self._show_message("학습하지 못했어요.", "지금 쓰는 모델은 그대로예요.")
            errors.show_error(
                self,
                InputError(text)
                if self.process and any(isinstance(e, progress.Error) for e in self.process.events)
                else KobertChatError(text or "학습 프로세스가 오류로 끝났어요."),
            )
        if self._close_when_stopped:
            self.accept()

    def show_done(self, done: progress.Done) -> None:
        """The result page for a finished run (the child's last line)."""
        self.done_event = done
        self.confirm_bar.hide()
        self.result_view.show_result(done)
        self.pages.setCurrentIndex(2)
        self.resize(max(self.width(), 900), max(self.height(), 640))

    # -- promote / discard -----------------------------------------------------------------------
    def new_version(self) -> str | None:
        return self.done_event.version if self.done_event else None

    def needs_second_confirmation(self) -> bool:
        r = self.done_event.regressions if self.done_event else None
        return r is not None and r.worse

    def promote(self) -> None:
        if self.new_version() is None:
            return
        r = self.done_event.regressions if self.done_event else None
        if r is not None and r.worse:
            more = r.new_wrong - r.old_wrong
            self.confirm_text.setText(
                f"정말 바꿀까요? 새 모델은 내가 단 라벨 {r.cases:,}개 중 {r.new_wrong:,}개를 틀려요. "
                f"지금 모델(틀리는 것 {r.old_wrong:,}개)보다 {more:,}개 더 틀려요."
            )
            self.confirm_bar.show()
            self.promote_button.setEnabled(False)
            self.confirm_no.setFocus()  # the safe answer is the one under Enter
            return
        self._activate()

    def decline_promote(self) -> None:
        """The second question answered no: the current model stays; the result stays on screen."""
        self.confirm_bar.hide()
        self.promote_button.setEnabled(True)

    def _activate(self) -> None:
        version, engine = self.new_version(), self.engine
        if version is None:
            return
        self.confirm_bar.hide()
        self._set_result_buttons(False)

        def promoted(_version) -> None:
            self.model_changed.emit()
            self._show_message(
                "새 모델로 바꿨어요.",
                "이제 새 모델이 대답해요. 모델 창에서 언제든 전 모델로 되돌릴 수 있어요.",
            )

        self._worker.run(
            lambda: engine.activate(version),
            promoted,
            owner=self,
            on_finished=lambda ok: ok or self._set_result_buttons(True),
        )

    def discard(self) -> None:
        version, engine = self.new_version(), self.engine
        if version is None:
            return
        self._set_result_buttons(False)
        self._worker.run(
            lambda: engine.discard(version),
            lambda _r: self._show_message("새 모델을 버렸어요.", "지금 쓰는 모델은 그대로예요."),
            owner=self,
            on_finished=lambda ok: ok or self._set_result_buttons(True),
        )

    def open_doctor(self):
        from .doctor_dialog import DoctorDialog

        dialog = DoctorDialog(self.engine, self._worker, self.result_view.label_names, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _set_result_buttons(self, enabled: bool) -> None:
        self.promote_button.setEnabled(enabled)
        self.discard_button.setEnabled(enabled)

    def _show_message(self, text: str, detail: str) -> None:
        self.message.setText(text)
        self.message_detail.setText(detail)
        self.pages.setCurrentIndex(3)

    def reject(self) -> None:
        if self.running():  # closing mid-training cancels it; the dialog goes once the child is gone
            self._close_when_stopped = True
            self.cancel_training()
            return
        super().reject()


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row
