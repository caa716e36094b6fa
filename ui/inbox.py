"""검토함: user messages nobody labeled yet, in the engine's order (engine.inbox_items: the least certain
first, near-duplicates spread out), each with the model's suggested label per head.

The keyboard labels without the mouse: ↑/↓ move between messages, ←/→ choose the head (의도 / 감정),
1-9 pick that head's label (1 is the suggestion, then the model's next guesses, then the rest) and go
on to the next head, Enter saves the row (the suggestion for a head left alone). One key is easy to
give by mistake, so every 맞아요 / 저장 can be taken back: the bar under the list offers 되돌리기 for the
last ones (the labels come off again and the row returns where it was). The line under the title says
what more labels would bring (engine.inbox_outlook: "이제 충분해요" when retrains stop changing much)."""

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

from kobert_chat.inbox_ranking import Ranked
from kobert_chat.labels import HEAD_DISPLAY
from kobert_chat.predictions import HeadPrediction
from kobert_chat.store import Message
from kobert_chat.teaching import Outlook

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


def choices(prediction: HeadPrediction | None, labels: list[str]) -> list[str]:
    """The order keys 1-9 pick from: the suggestion, the model's next guesses, then the rest as listed."""
    first = [lab for lab, _p in (prediction.top if prediction else []) if lab in labels]
    return first + [lab for lab in labels if lab not in first]


class InboxTable(QTableWidget):
    """The list's keys go to the dialog (digits, ←/→, Enter); ↑/↓ move between rows as usual."""

    digit = Signal(int)
    head_step = Signal(int)
    accept_row = Signal()

    def keyPressEvent(self, event) -> None:
        key, text = event.key(), event.text()
        plain = not event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        if plain and len(text) == 1 and text in "123456789":  # the text, so the keypad and IMEs work too
            self.digit.emit(int(text))
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.head_step.emit(-1 if key == Qt.Key.Key_Left else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept_row.emit()
        else:
            super().keyPressEvent(event)


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
        self.suggestions: dict[int, dict[str, HeadPrediction]] = {}  # message id -> fresh prediction per head
        self.active_head = 0  # which head the digit keys label (index into HEADS)
        self._undo: list[tuple[Message, int, str]] = []  # (message as listed, its row, what was done)

        headline = QLabel("모델이 헷갈려한 문장부터 보여 드려요")
        headline.setObjectName("DialogHeadline")
        hint = QLabel(
            "예측이 맞으면 ‘맞아요’(Enter), 틀리면 라벨을 골라 ‘저장’을 누르세요. 저장한 라벨은 다음 학습에 "
            "쓰여요. 키보드로: ↑↓ 메시지, ←→ 의도/감정, 숫자 1~9 라벨 고르기."
        )
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        self.outlook = QLabel("")
        self.outlook.setObjectName("Verdict")
        self.outlook.setWordWrap(True)
        self.outlook.hide()
        self.keys_label = QLabel("")  # what 1-9 pick for the selected row and head
        self.keys_label.setObjectName("Muted")
        self.keys_label.setWordWrap(True)
        self.count_label = QLabel("")
        self.count_label.setObjectName("Muted")
        self.table = InboxTable(0, 4)
        self.table.digit.connect(self.pick)
        self.table.head_step.connect(self.step_head)
        self.table.accept_row.connect(self.accept_current)
        self.table.currentCellChanged.connect(lambda *_a: self._show_keys())
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
        close.setAutoDefault(False)  # Enter labels the selected row, it never closes the inbox
        close.clicked.connect(self.accept)
        self.doctor_button = QPushButton("라벨 점검")
        self.doctor_button.setAutoDefault(False)
        self.doctor_button.setToolTip("잘못 달렸을 것 같은 라벨을 찾아 고쳐요")
        self.doctor_button.clicked.connect(self.open_doctor)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.doctor_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.addWidget(headline)
        layout.addWidget(hint)
        layout.addWidget(self.outlook)
        layout.addSpacing(6)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.keys_label)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.undo_bar)
        layout.addLayout(bottom)
        self.reload()

    def reload(self) -> None:
        engine = self.engine
        self._worker.run(
            lambda: (engine.inbox_items(limit=LIMIT), engine.inbox_outlook()),
            self._fill,
            owner=self,
        )

    def is_loading(self) -> bool:
        return self._worker.busy(self)

    def _fill(self, result: tuple[list[Ranked[Message]], Outlook]) -> None:
        items, outlook = result
        self.messages = [r.item for r in items]
        self.suggestions = {r.item.id: dict(r.predictions) for r in items}
        self.outlook.setText(outlook.message)
        self.outlook.setVisible(bool(outlook.message))
        self.table.setRowCount(0)
        for message in self.messages:
            self._add_row(message)
        self._update_count()
        if self.messages:
            self.table.setCurrentCell(0, 0)
            self.table.setFocus()
        self._show_keys()

    def suggestion(self, message: Message, head: str) -> HeadPrediction | None:
        """The model's label for this head: fresh from the ranking, else the one stored with the message."""
        fresh = self.suggestions.get(message.id, {}).get(head)
        return fresh if fresh is not None else HeadPrediction.from_dict(message.predictions.get(head) or {})

    def _add_row(self, message: Message, row: int | None = None) -> None:
        row = self.table.rowCount() if row is None else min(row, self.table.rowCount())
        self.table.insertRow(row)
        item = QTableWidgetItem(renderable(" ".join(message.text.split())))
        item.setToolTip(message.text)
        item.setData(Qt.ItemDataRole.UserRole, message.id)
        self.table.setItem(row, 0, item)
        button = QPushButton(CONFIRM)
        button.setObjectName("RowButton")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the list
        combos = []
        suggested = [getattr(self.suggestion(message, h), "label", None) for h in HEADS]
        for column, head in enumerate(HEADS, start=1):
            combo = self._label_combo(message, head)
            combo.currentIndexChanged.connect(
                lambda _i, b=button, cs=combos, want=suggested: b.setText(
                    CONFIRM if all(c.currentData() == w for c, w in zip(cs, want, strict=False)) else SAVE
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
        combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the list
        prediction = self.suggestion(message, head)
        predicted = prediction.label if prediction else None
        for label, display in self.label_names.get(head, {}).items():
            text = (
                f"{display} ({round(prediction.confidence * 100)}%)"
                if prediction and label == predicted
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

        stored = [(message.predictions.get(h) or {}).get("label") for h in HEADS]
        suggested = [getattr(self.suggestion(message, h), "label", None) for h in HEADS]

        def label_both() -> Message:
            result = message
            for head, label, predicted in zip(HEADS, chosen, stored, strict=False):
                if label is None:
                    continue
                # the stored prediction kept: a confirmation; anything else is the user's own label
                result = (
                    engine.confirm(message.id, head)
                    if label == predicted
                    else engine.label(message.id, head, label)
                )
            return result

        confirmed = all(
            label is None or label == want for label, want in zip(chosen, suggested, strict=False)
        )
        done = "확인했어요" if confirmed else "라벨을 저장했어요"
        self._worker.run(label_both, lambda m: self._saved(m, message, done), owner=self)

    def _saved(self, message: Message, listed: Message, done: str) -> None:
        row = self.row_of(message.id)
        if row >= 0:
            self.table.removeRow(row)
            self.messages = [m for m in self.messages if m.id != message.id]
            if self.table.rowCount():
                self.table.setCurrentCell(min(row, self.table.rowCount() - 1), 0)
        self.active_head = 0
        self._undo.append((listed, max(row, 0), done))
        del self._undo[:-UNDO_DEPTH]
        self._show_undo()
        self._update_count()
        self._show_keys()
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

    # -- the keyboard ----------------------------------------------------------------------------
    def current_message(self) -> Message | None:
        row = self.table.currentRow()
        if row < 0 or self.table.item(row, 0) is None:
            return None
        message_id = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        return next((m for m in self.messages if m.id == message_id), None)

    def key_choices(self, message: Message, head: str) -> list[str]:
        return choices(self.suggestion(message, head), list(self.label_names.get(head, {})))

    def pick(self, n: int) -> None:
        """Digit n: the n-th choice for the active head of the selected row; then on to the next head."""
        message, row = self.current_message(), self.table.currentRow()
        if message is None:
            return
        head = HEADS[self.active_head]
        options = self.key_choices(message, head)
        if not 1 <= n <= min(9, len(options)):
            return
        combo = self.table.cellWidget(row, 1 + self.active_head)
        combo.setCurrentIndex(combo.findData(options[n - 1]))
        self.active_head = min(self.active_head + 1, len(HEADS) - 1)
        self._show_keys()

    def step_head(self, step: int) -> None:
        self.active_head = max(0, min(len(HEADS) - 1, self.active_head + step))
        self._show_keys()

    def accept_current(self) -> None:
        """Enter: press the selected row's button (맞아요 with the suggestions, 저장 after a pick)."""
        row = self.table.currentRow()
        if row >= 0 and self.table.cellWidget(row, 3) is not None and not self._worker.busy(self):
            self.table.cellWidget(row, 3).click()

    def _show_keys(self) -> None:
        message = self.current_message()
        for column, head in enumerate(HEADS, start=1):
            name = HEAD_DISPLAY.get(head, head)
            item = self.table.horizontalHeaderItem(column)
            if item is not None:
                item.setText(f"▸ {name}" if column - 1 == self.active_head else name)
        if message is None:
            self.keys_label.setText("")
            return
        head = HEADS[self.active_head]
        names = self.label_names.get(head, {})
        keys = " · ".join(
            f"{i} {names.get(lab, lab)}" for i, lab in enumerate(self.key_choices(message, head)[:9], start=1)
        )
        self.keys_label.setText(f"{HEAD_DISPLAY.get(head, head)} 고르기: {keys} · Enter 저장")

    def open_doctor(self):
        from .doctor_dialog import DoctorDialog

        dialog = DoctorDialog(self.engine, self._worker, self.label_names, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _update_count(self) -> None:
        n = self.table.rowCount()
        self.count_label.setText(f"검토할 메시지 {n}개" if n else "")
        self.table.setVisible(n > 0)
        self.empty.setVisible(n == 0)
