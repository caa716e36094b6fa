"""Settings: device, when to fall back to 'not sure' answers, how the bot answers (말투, 예시 답변 기준,
되묻기, 같은 답 피하기), data folder, theme."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kobert_chat import paths
from kobert_chat.settings import MAX_NO_REPEAT_TURNS

from .worker import Worker

DEVICES = {"auto": "자동 (그래픽카드가 있으면 그래픽카드)", "cpu": "CPU", "cuda": "NVIDIA 그래픽카드 (GPU)"}
THEMES = {"system": "시스템 설정 따르기", "light": "밝게", "dark": "어둡게"}
BOT_LEVELS = {"follow": "상대에 맞춤", "polite": "항상 존댓말", "casual": "항상 반말"}
LINK_NOTE = (
    "질문과 답을 짝지어 가져오거나 채팅에서 ‘이렇게 답해 줘’로 가르친 문장이 있으면, 메시지가 그 문장과 "
    "이만큼 비슷할 때 거기 딸린 답을 그대로 써요. 낮추면 더 자주, 높이면 거의 같은 말에만 써요."
)


class SettingsDialog(QDialog):
    saved = Signal()

    def __init__(self, engine, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("설정")
        self.setObjectName("SettingsDialog")
        self.resize(600, 620)
        self.engine = engine
        self._worker = worker
        settings = engine.settings
        self._chosen_folder: Path | None = None
        self._folder_changed = False

        self.device = QComboBox()
        devices = dict(DEVICES)
        if settings.device not in devices:
            devices[settings.device] = settings.device
        for key, name in devices.items():
            self.device.addItem(name, key)
        self.device.setCurrentIndex(max(0, self.device.findData(settings.device)))
        self.threshold = self._percent(settings.threshold)
        self.threshold.setToolTip(
            "챗봇이 의도를 이만큼도 확신하지 못하면 넘겨짚지 않고 ‘잘 모르겠다’고 답해요"
        )
        self.margin = self._percent(settings.margin)
        self.margin.setToolTip(
            "가장 그럴듯한 의도와 두 번째 의도가 이만큼도 차이 나지 않으면 ‘잘 모르겠다’고 답해요"
        )
        self.int8 = QCheckBox("큰 모델을 가볍게 돌리기 (KoBERT처럼 큰 모델을 CPU에서 쓸 때)")
        self.int8.setChecked(bool(settings.quantize_int8))
        self.int8.setToolTip(
            "숫자를 덜 정밀하게 저장해서 큰 모델의 대답이 3~4배쯤 빨라지고 메모리도 덜 써요. "
            "결과는 거의 같아요. 작은 기본 모델은 빨라지지 않아요."
        )
        self.bot_level = QComboBox()
        for key, name in BOT_LEVELS.items():
            self.bot_level.addItem(name, key)
        self.bot_level.setCurrentIndex(max(0, self.bot_level.findData(settings.bot_level)))
        self.bot_level.setToolTip("‘상대에 맞춤’은 내가 존댓말을 쓰면 존댓말로, 반말을 쓰면 반말로 대답해요")
        self.link_threshold = self._percent(settings.link_threshold)
        self.link_threshold.setToolTip(LINK_NOTE)
        self.clarify = QCheckBox("헷갈리면 되묻기 (“혹시 이 얘기예요, 아니면 저 얘기예요?”)")
        self.clarify.setChecked(bool(settings.clarify))
        self.clarify.setToolTip(
            "무슨 얘기인지 헷갈릴 때 잘 모르겠다고 하는 대신, 가장 그럴듯한 두 가지를 버튼으로 보여 주고 "
            "물어봐요. 고른 것은 내 메시지의 라벨이 돼요."
        )
        self.no_repeat = QSpinBox()
        self.no_repeat.setRange(0, MAX_NO_REPEAT_TURNS)
        self.no_repeat.setValue(int(settings.no_repeat_turns))
        self.no_repeat.setSpecialValueText("피하지 않음")
        self.no_repeat.setSuffix("번")
        self.no_repeat.setMaximumWidth(140)
        self.no_repeat.setToolTip(
            "챗봇의 마지막 대답 이만큼 안에서는 (다른 답이 있으면) 같은 답을 다시 하지 않아요"
        )
        self.theme = QComboBox()
        for key, name in THEMES.items():
            self.theme.addItem(name, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))

        self.folder = QLineEdit(str(engine.home))
        self.folder.setReadOnly(True)
        browse = QPushButton("바꾸기…")
        browse.clicked.connect(self._browse)
        default = QPushButton("기본 위치")
        default.clicked.connect(lambda: self.choose_folder(None))
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        folder_row.addWidget(default)
        note = (
            "대화와 모델이 저장되는 폴더예요. 바꾸면 다음 실행부터 적용되고, 지금 데이터는 옮겨지지 않아요."
        )
        if os.environ.get(paths.HOME_ENV):
            note += f" 지금은 {paths.HOME_ENV} 환경 변수가 설정되어 있어 그 폴더가 우선이에요."
        self.folder_note = QLabel(note)
        self.folder_note.setWordWrap(True)
        self.folder_note.setObjectName("Muted")

        form = QFormLayout()
        form.addRow("계산 장치", self.device)
        form.addRow("확신 기준", self.threshold)
        form.addRow("헷갈림 기준", self.margin)
        form.addRow(
            "", self._muted("두 기준이 높을수록 챗봇이 넘겨짚지 않고 ‘잘 모르겠다’고 더 자주 답해요.")
        )
        form.addRow("말투", self.bot_level)
        form.addRow("예시 답변 기준", self.link_threshold)
        form.addRow("", self._muted(LINK_NOTE))
        form.addRow("", self.clarify)
        form.addRow("같은 답 피하기", self.no_repeat)
        form.addRow("", self._muted("챗봇의 마지막 대답 몇 번 안에서는 같은 답을 다시 하지 않아요."))
        form.addRow("가속", self.int8)
        form.addRow("테마", self.theme)
        form.addRow("데이터 폴더", folder_row)
        form.addRow("", self.folder_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("저장")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("취소")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        headline = QLabel("설정")
        headline.setObjectName("DialogHeadline")
        layout.addWidget(headline)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)

    @staticmethod
    def _muted(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("Muted")
        label.setWordWrap(True)
        return label

    @staticmethod
    def _percent(value: float) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, 100)
        box.setSuffix(" %")
        box.setValue(round(value * 100))
        box.setMaximumWidth(140)
        return box

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "데이터 폴더 고르기", self.folder.text())
        if folder:
            self.choose_folder(Path(folder))

    def choose_folder(self, folder: Path | None) -> None:
        self._chosen_folder, self._folder_changed = folder, True
        self.folder.setText(str(folder) if folder else str(paths.default_home()))

    def new_settings(self):
        return replace(
            self.engine.settings,
            device=self.device.currentData(),
            threshold=self.threshold.value() / 100,
            margin=self.margin.value() / 100,
            quantize_int8=self.int8.isChecked(),
            theme=self.theme.currentData(),
            bot_level=self.bot_level.currentData(),
            link_threshold=self.link_threshold.value() / 100,
            clarify=self.clarify.isChecked(),
            no_repeat_turns=self.no_repeat.value(),
        )

    def save(self) -> None:
        engine, settings = self.engine, self.new_settings()
        folder, folder_changed = self._chosen_folder, self._folder_changed
        self.save_button.setEnabled(False)

        def write() -> None:
            engine.save_settings(settings)  # a new device reloads the model: worker thread
            if folder_changed:
                paths.set_chosen_home(folder)

        def done(_result) -> None:
            self.saved.emit()
            self.accept()

        self._worker.run(
            write, done, owner=self, on_finished=lambda ok: ok or self.save_button.setEnabled(True)
        )
