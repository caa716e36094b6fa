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

from .confirm import confirm
from .model_names import model_kind, score_text, when_text
from .worker import Worker

COLUMNS = ["", "모델", "만든 때", "의도 점수", "감정 점수", "학습에 쓴 문장"]
SCORE_TIP = (
    "학습할 때 따로 떼어 둔 문장으로 매긴 점수예요 (100점 만점). 모든 의도(감정)를 골고루 잘 맞힐수록 높아요."
)


def score_of(version: ModelVersion, head: str) -> str:
    return score_text((version.metrics.get("validation") or {}).get(head, {}).get("macro_f1"))


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

        headline = QLabel("모델")
        headline.setObjectName("DialogHeadline")
        hint = QLabel(
            "● 표시가 지금 대답하는 모델이에요. 점수는 100점 만점이고, 학습할 때 따로 떼어 둔 문장을 "
            "얼마나 잘 맞혔는지예요. 언제든 다른 모델로 바꾸거나 되돌릴 수 있어요."
        )
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
        self.kobert_button.setToolTip(
            "더 큰 한국어 모델 KoBERT(약 370MB)를 한 번 내려받아 내 데이터로 학습해요"
        )
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
            cells = [
                "●" if v.active else "",
                model_kind(v),
                when_text(v.created_at),
                score_of(v, "intent"),
                score_of(v, "emotion"),
                f"{v.n_train:,}개",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(
                    ("지금 대답하는 모델 · " if v.active else "")
                    + (SCORE_TIP if column in (3, 4) else f"버전 이름: {v.id}")
                )
                item.setData(Qt.ItemDataRole.UserRole, v.id)
                if v.active:
                    item.setFont(bold)
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
        if confirm(
            self,
            "모델 버리기",
            f"{model_kind(chosen)} ({when_text(chosen.created_at)})을 지울까요? 되돌릴 수 없어요.",
        ):
            self._worker.run(lambda: engine.discard(chosen.id), lambda _r: self.reload(), owner=self)
