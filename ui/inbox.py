"""검토함: user messages nobody labeled yet, the model's least confident first, labeled in one click each."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

from kobert_chat.store import Message

from .worker import Worker

HEADS = ("intent", "emotion")
LIMIT = 200
CONFIRM, SAVE = "맞아요", "저장"


class InboxDialog(QDialog):
    labeled = Signal(object)  # the updated Message

    def __init__(
        self, engine, worker: Worker, label_names: dict[str, dict[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("검토함")
        self.setObjectName("InboxDialog")
        self.resize(820, 560)
        self.engine = engine
        self._worker = worker
        self.label_names = label_names
        self.messages: list[Message] = []

        headline = QLabel("모델이 헷갈려한 문장부터 보여 드려요")
        headline.setObjectName("DialogHeadline")
        hint = QLabel(
            "예측이 맞으면 ‘맞아요’, 틀리면 라벨을 골라 ‘저장’을 누르세요. 저장한 라벨은 다음 학습에 쓰여요."
        )
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        self.count_label = QLabel("")
        self.count_label.setObjectName("Muted")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("InboxTable")
        self.table.setHorizontalHeaderLabels(["메시지", "의도", "감정", ""])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(46)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 190), (2, 160), (3, 96)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.table.setColumnWidth(column, width)
        self.empty = QLabel("검토할 메시지가 없어요. 대화를 나누면 여기에 쌓여요.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("Muted")
        self.empty.hide()
        close = QPushButton("닫기")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.addWidget(headline)
        layout.addWidget(hint)
        layout.addSpacing(6)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addLayout(bottom)
        self.reload()

    def reload(self) -> None:
        engine = self.engine
        self._worker.run(
            lambda: engine.inbox(limit=LIMIT),
            self._fill,
            owner=self,
        )

    def is_loading(self) -> bool:
        return self._worker.busy(self)

    def _fill(self, messages: list[Message]) -> None:
        self.messages = list(messages)
        self.table.setRowCount(0)
        for message in self.messages:
            self._add_row(message)
        self._update_count()

    def _add_row(self, message: Message) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        item = QTableWidgetItem(" ".join(message.text.split()))
        item.setToolTip(message.text)
        item.setData(Qt.ItemDataRole.UserRole, message.id)
        self.table.setItem(row, 0, item)
        button = QPushButton(CONFIRM)
        button.setObjectName("RowButton")
        combos = []
        for column, head in enumerate(HEADS, start=1):
            combo = self._label_combo(message, head)
            combo.currentIndexChanged.connect(
                lambda _i, b=button, cs=combos, m=message: b.setText(
                    CONFIRM
                    if all(
                        c.currentData() == (m.predictions.get(h) or {}).get("label")
                        for c, h in zip(cs, HEADS, strict=False)
                    )
                    else SAVE
                )
            )
            combos.append(combo)
            self.table.setCellWidget(row, column, combo)
        button.clicked.connect(
            lambda _c=False, m=message, cs=combos: self.save(m, [c.currentData() for c in cs])
        )
        self.table.setCellWidget(row, 3, button)

    def _label_combo(self, message: Message, head: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName("InboxCombo")
        prediction = message.predictions.get(head) or {}
        predicted = prediction.get("label")
        for label, display in self.label_names.get(head, {}).items():
            text = (
                f"{display} ({round(prediction.get('confidence', 0) * 100)}%)"
                if label == predicted
                else display
            )
            combo.addItem(text, label)
        if predicted is not None:
            combo.setCurrentIndex(max(0, combo.findData(predicted)))
        return combo

    def row_of(self, message_id: int) -> int:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == message_id:
                return row
        return -1

    def save(self, message: Message, chosen: list[str | None]) -> None:
        """Per head: the prediction kept -> confirm it; another label chosen -> a correction."""
        engine = self.engine

        def label_both() -> Message:
            result = message
            for head, label in zip(HEADS, chosen, strict=False):
                predicted = (message.predictions.get(head) or {}).get("label")
                if label is None:
                    continue
                result = (
                    engine.confirm(message.id, head)
                    if label == predicted
                    else engine.label(message.id, head, label)
                )
            return result

        self._worker.run(label_both, self._saved, owner=self)

    def _saved(self, message: Message) -> None:
        row = self.row_of(message.id)
        if row >= 0:
            self.table.removeRow(row)
            self.messages = [m for m in self.messages if m.id != message.id]
        self._update_count()
        self.labeled.emit(message)

    def keyPressEvent(self, event) -> None:
        # Enter on a selected row = press its button (맞아요 / 저장): labeling without the mouse.
        row = self.table.currentRow()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and row >= 0:
            self.table.cellWidget(row, 3).click()
            return
        super().keyPressEvent(event)

    def _update_count(self) -> None:
        n = self.table.rowCount()
        self.count_label.setText(f"검토할 메시지 {n}개" if n else "")
        self.table.setVisible(n > 0)
        self.empty.setVisible(n == 0)
