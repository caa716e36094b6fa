"""검토함: user messages nobody labeled yet, the model's least confident first, labeled in one click each.

One click is easy to give by mistake, so every 맞아요 / 저장 can be taken back: the bar under the list
offers 되돌리기 for the last ones (the labels come off again and the row returns where it was)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFrame,
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

from .fonts import renderable
from .worker import Worker

HEADS = ("intent", "emotion")
LIMIT = 200
CONFIRM, SAVE = "맞아요", "저장"
UNDO_DEPTH = 20
QUOTE_LENGTH = 18


def quoted(text: str) -> str:
    line = " ".join(text.split())
    return f"‘{line if len(line) <= QUOTE_LENGTH else line[: QUOTE_LENGTH - 1] + '…'}’"


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
        self._undo: list[tuple[Message, int, str]] = []  # (message as listed, its row, what was done)

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
        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("UndoBar")
        self.undo_text = QLabel("")
        self.undo_button = QPushButton("되돌리기")
        self.undo_button.setObjectName("UndoButton")
        self.undo_button.setToolTip("방금 단 라벨을 지우고 메시지를 검토함에 다시 넣어요 (Ctrl+Z)")
        self.undo_button.setShortcut("Ctrl+Z")
        self.undo_button.clicked.connect(self.undo)
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(12, 6, 8, 6)
        undo_row.addWidget(self.undo_text, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
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
        layout.addWidget(self.undo_bar)
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

    def _add_row(self, message: Message, row: int | None = None) -> None:
        row = self.table.rowCount() if row is None else min(row, self.table.rowCount())
        self.table.insertRow(row)
        item = QTableWidgetItem(renderable(" ".join(message.text.split())))
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

        confirmed = all(
            label is None or label == (message.predictions.get(head) or {}).get("label")
            for head, label in zip(HEADS, chosen, strict=False)
        )
        done = "확인했어요" if confirmed else "라벨을 저장했어요"
        self._worker.run(label_both, lambda m: self._saved(m, message, done), owner=self)

    def _saved(self, message: Message, listed: Message, done: str) -> None:
        row = self.row_of(message.id)
        if row >= 0:
            self.table.removeRow(row)
            self.messages = [m for m in self.messages if m.id != message.id]
        self._undo.append((listed, max(row, 0), done))
        del self._undo[:-UNDO_DEPTH]
        self._show_undo()
        self._update_count()
        self.labeled.emit(message)

    # -- undo ------------------------------------------------------------------------------------
    def _show_undo(self) -> None:
        if not self._undo:
            self.undo_bar.hide()
            return
        listed, _row, done = self._undo[-1]
        self.undo_text.setText(f"{quoted(renderable(listed.text))} 메시지를 {done}.")
        self.undo_button.setEnabled(True)
        self.undo_bar.show()

    def undo(self) -> None:
        """Put the last labeled message back as it was listed (no labels) and back in its row."""
        if not self._undo:
            return
        listed, row, _done = self._undo.pop()
        engine = self.engine
        self.undo_button.setEnabled(False)

        def restore() -> Message:
            result = listed
            for head in HEADS:
                if head in listed.labels:  # (the inbox lists unlabeled messages: kept for safety)
                    result = (
                        engine.confirm(listed.id, head)
                        if listed.label_sources.get(head) == "confirmed"
                        else engine.label(listed.id, head, listed.labels[head])
                    )
                else:
                    result = engine.clear_label(listed.id, head)
            return result

        def restored(message: Message) -> None:
            if self.row_of(message.id) < 0:
                self._add_row(message, row)
                self.messages.insert(min(row, len(self.messages)), message)
            self._show_undo()
            self._update_count()
            self.labeled.emit(message)

        self._worker.run(restore, restored, owner=self, on_finished=lambda ok: ok or self._show_undo())

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
