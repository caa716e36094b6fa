"""Model versions: which one answers now, how good each was, and activate / roll back / discard."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kobert_chat.store import ModelVersion

from .chat_model import local_time
from .confirm import confirm
from .worker import Worker

COLUMNS = ["", "버전", "만든 날짜", "백본", "의도 F1", "감정 F1", "학습 문장"]
BACKBONES = {"starter": "스타터", "kobert": "KoBERT"}


def f1_text(version: ModelVersion, head: str) -> str:
    value = (version.metrics.get("validation") or {}).get(head, {}).get("macro_f1")
    return "—" if value is None else f"{value:.3f}"


class ModelsDialog(QDialog):
    model_changed = Signal()
    train_requested = Signal()
    kobert_requested = Signal()  # "Upgrade to KoBERT": the only place the app may go online, on request

    def __init__(self, engine, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("모델 관리")
        self.setObjectName("ModelsDialog")
        self.resize(780, 440)
        self.engine = engine
        self._worker = worker
        self.versions: list[ModelVersion] = []

        headline = QLabel("모델 버전")
        headline.setObjectName("DialogHeadline")
        hint = QLabel("● 표시가 지금 대답하는 모델이에요. 점수는 학습할 때의 검증 세트 macro-F1이에요.")
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("ModelsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.activate_selected())

        self.activate_button = QPushButton("이 모델 쓰기")
        self.activate_button.setObjectName("PrimaryButton")
        self.activate_button.clicked.connect(self.activate_selected)
        self.rollback_button = QPushButton("이전 모델로 되돌리기")
        self.rollback_button.clicked.connect(self.rollback)
        self.discard_button = QPushButton("버리기")
        self.discard_button.clicked.connect(self.discard_selected)
        train = QPushButton("새로 학습…")
        train.clicked.connect(self.train_requested)
        self.kobert_button = QPushButton("KoBERT로 업그레이드…")
        self.kobert_button.setToolTip("진짜 KoBERT(skt/kobert-base-v1)를 한 번 내려받아 내 데이터로 학습해요")
        self.kobert_button.clicked.connect(self.kobert_requested)
        close = QPushButton("닫기")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (train, self.kobert_button, self.rollback_button, self.discard_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.activate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.addWidget(headline)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self._worker.run(
            self.engine.model_versions,
            self._fill,
            owner=self,
        )

    def is_loading(self) -> bool:
        return self._worker.busy(self)

    def _fill(self, versions: list[ModelVersion]) -> None:
        keep = self.selected_version()
        self.versions = list(versions)
        self.table.setRowCount(len(self.versions))
        bold = QFont(self.font())
        bold.setBold(True)
        for row, v in enumerate(self.versions):
            when = local_time(v.created_at)
            cells = [
                "●" if v.active else "",
                v.id,
                f"{when:%Y-%m-%d %H:%M}",
                BACKBONES.get(v.backbone, v.backbone),
                f1_text(v, "intent"),
                f1_text(v, "emotion"),
                f"{v.n_train:,}",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if v.active:
                    item.setFont(bold)
                    item.setToolTip("지금 대답하는 모델")
                self.table.setItem(row, column, item)
            if v.id == keep or (keep is None and v.active):
                self.table.selectRow(row)
        self._update_buttons()

    def selected_version(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.versions[rows[0].row()].id if rows and rows[0].row() < len(self.versions) else None

    def _selected(self) -> ModelVersion | None:
        vid = self.selected_version()
        return next((v for v in self.versions if v.id == vid), None)

    def _update_buttons(self) -> None:
        chosen = self._selected()
        self.activate_button.setEnabled(chosen is not None and not chosen.active)
        self.discard_button.setEnabled(chosen is not None and not chosen.active)
        self.rollback_button.setEnabled(len(self.versions) > 1)

    def _changed(self, _result) -> None:
        self.model_changed.emit()
        self.reload()

    def activate_selected(self) -> None:
        chosen, engine = self._selected(), self.engine
        if chosen is not None and not chosen.active:
            self._worker.run(lambda: engine.activate(chosen.id), self._changed, owner=self)

    def rollback(self) -> None:
        self._worker.run(self.engine.rollback, self._changed, owner=self)

    def discard_selected(self) -> None:
        chosen, engine = self._selected(), self.engine
        if chosen is None or chosen.active:
            return
        if confirm(self, "모델 버리기", f"모델 {chosen.id}을(를) 지울까요? 되돌릴 수 없어요."):
            self._worker.run(lambda: engine.discard(chosen.id), lambda _r: self.reload(), owner=self)
