"""Messages of one conversation for a QListView, loaded lazily in pages: newest page first, older on demand.

Rows are store Messages, oldest at the top. A message still being sent is a row with a negative id
until the engine's reply replaces it with the stored user message and appends the bot's answer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from kobert_chat.store import Message

from .worker import Worker

PAGE_SIZE = 100
MessageRole = Qt.ItemDataRole.UserRole + 1
DayRole = Qt.ItemDataRole.UserRole + 2  # "2026년 11월 24일 화요일" on the first message of a day, else ""
WEEKDAYS = "월화수목금토일"

Index = QModelIndex | QPersistentModelIndex


@lru_cache(maxsize=65536)  # row heights ask for day headers often; parsing dates is the costly part
def local_date(iso: str) -> date:
    return local_time(iso).date()


def local_time(iso: str) -> datetime:
    stamp = datetime.fromisoformat(iso)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone()


def clock_text(iso: str) -> str:
    """'오후 3:05' — the way Korean chat apps show a time."""
    t = local_time(iso)
    return f"{'오전' if t.hour < 12 else '오후'} {t.hour % 12 or 12}:{t.minute:02d}"


def day_text(iso: str) -> str:
    t = local_time(iso)
    return f"{t.year}년 {t.month}월 {t.day}일 {WEEKDAYS[t.weekday()]}요일"


class ChatModel(QAbstractListModel):
    loaded = Signal()  # the newest page of a newly chosen conversation is in
    about_to_prepend = Signal()  # older rows are about to be inserted at the top: the view keeps its place
    prepended = Signal(int)

    def __init__(self, worker: Worker, parent=None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._engine = None  # kobert_chat.engine.ChatEngine, called on the worker thread only
        self._cid: int | None = None
        self._rows: list[Message] = []
        self._first_offset = 0  # store offset of self._rows[0]; > 0 means older messages exist
        self._fetching = False
        self._older_wanted = True  # the view turns this on only while the top of the list is in sight
        self._first_page_in = True
        self._generation = 0  # bumps on every conversation switch so late pages are ignored
        self._next_pending = -1

    # -- setup -----------------------------------------------------------------------------------
    def set_engine(self, engine) -> None:
        self._engine = engine

    @property
    def conversation_id(self) -> int | None:
        return self._cid

    def set_conversation(self, cid: int | None) -> None:
        self._generation += 1
        self.beginResetModel()
        self._cid, self._rows, self._first_offset, self._fetching = cid, [], 0, False
        self._older_wanted, self._first_page_in = False, cid is None  # the view asks for older pages later
        self.endResetModel()
        if cid is None or self._engine is None:
            self.loaded.emit()
            return
        engine, generation = self._engine, self._generation

        def newest_page() -> tuple[int, list[Message]]:
            return engine.newest_messages(cid, PAGE_SIZE)

        self._fetching = True
        self._worker.run(newest_page, lambda page: self._set_first_page(generation, *page), owner=self)

    def _set_first_page(self, generation: int, offset: int, messages: list[Message]) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        pending = self._rows  # messages typed while the first page was loading stay at the bottom
        self.beginResetModel()
        self._rows, self._first_offset = messages + pending, offset
        self._first_page_in = True
        self.endResetModel()
        self.loaded.emit()

    # -- Qt model API ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        message = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return message.text if role == Qt.ItemDataRole.DisplayRole else None
        if role == MessageRole:
            return message
        if role == DayRole:
            return self.day_header(index.row())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "나" if message.role == "user" else "챗봇"
            return f"{who}: {message.text}"
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        """True while older messages exist and the view wants them.

        Qt's own calls assume rows are appended at the bottom (it asks whenever the last row is
        visible); gating on the view's 'top is in sight' flag turns that into paging upwards.
        """
        if parent.isValid() or self._cid is None or self._engine is None:
            return False
        return self._first_offset > 0 and not self._fetching and self._older_wanted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        engine, cid, generation = self._engine, self._cid, self._generation
        offset = max(0, self._first_offset - PAGE_SIZE)
        limit = self._first_offset - offset
        self._fetching = True
        self._worker.run(
            lambda: engine.messages(cid, offset=offset, limit=limit),
            lambda rows: self._prepend(generation, offset, rows),
            owner=self,
        )

    def _prepend(self, generation: int, offset: int, messages: list[Message]) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        if not messages:
            self._first_offset = 0
            return
        self.about_to_prepend.emit()
        self.beginInsertRows(QModelIndex(), 0, len(messages) - 1)
        self._rows[0:0] = messages
        self._first_offset = offset
        self.endInsertRows()
        boundary = self.index(len(messages))  # its day header may have gone away
        self.dataChanged.emit(boundary, boundary, [DayRole])
        self.prepended.emit(len(messages))

    def set_older_wanted(self, wanted: bool) -> None:
        self._older_wanted = wanted

    def loading(self) -> bool:
        return self._fetching

    def first_page_in(self) -> bool:
        """The newest page of the current conversation is shown (older pages may still be coming)."""
        return self._first_page_in

    def has_older(self) -> bool:
        return self._first_offset > 0

    # -- rows the chat panel adds or changes -----------------------------------------------------
    def message_at(self, row: int) -> Message | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, message_id: int) -> int:
        for row in range(len(self._rows) - 1, -1, -1):  # recent messages are the likely ones
            if self._rows[row].id == message_id:
                return row
        return -1

    def add_pending(self, text: str) -> int:
        """Show the user's message at once; returns the temporary id that resolve_pending replaces."""
        temp_id, self._next_pending = self._next_pending, self._next_pending - 1
        now = datetime.now(timezone.utc).isoformat()
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(Message(temp_id, self._cid or 0, "user", text, now))
        self.endInsertRows()
        return temp_id

    def resolve_pending(self, temp_id: int, user: Message, bot: Message) -> None:
        row = self.row_of(temp_id)
        if row < 0:
            return  # the user switched conversations meanwhile; the store has both messages
        self._rows[row] = user
        self.dataChanged.emit(self.index(row), self.index(row))
        self.beginInsertRows(QModelIndex(), row + 1, row + 1)
        self._rows.insert(row + 1, bot)
        self.endInsertRows()

    def drop_pending(self, temp_id: int) -> None:
        row = self.row_of(temp_id)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()

    def adopt_conversation(self, cid: int) -> None:
        """The conversation was created for the first message typed into an empty chat."""
        self._cid = cid
        self._rows = [replace(m, conversation_id=cid) for m in self._rows]

    def append_message(self, message: Message) -> None:
        """A message the engine stored in this conversation outside a send (a clarified answer)."""
        if message.conversation_id != self._cid or self.row_of(message.id) >= 0:
            return
        row = len(self._rows)
        while row > 0 and self._rows[row - 1].id < 0:  # messages still being sent stay below it
            row -= 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, message)
        self.endInsertRows()

    def replace_message(self, message: Message) -> None:
        """A label changed: repaint that message if it is loaded."""
        row = self.row_of(message.id)
        if row >= 0:
            self._rows[row] = message
            self.dataChanged.emit(self.index(row), self.index(row))

    # -- helpers ---------------------------------------------------------------------------------
    def day_header(self, row: int) -> str:
        message = self._rows[row]
        if row == 0:
            return day_text(message.created_at)
        same_day = local_date(self._rows[row - 1].created_at) == local_date(message.created_at)
        return "" if same_day else day_text(message.created_at)
