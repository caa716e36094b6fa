"""The conversation list on the left: newest first, search, new, rename, delete (with confirmation)."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kobert_chat.store import Conversation
from kobert_chat.titles import DEFAULT_TITLE

from . import icons, theme
from .chat_model import clock_text, local_time
from .confirm import confirm
from .fonts import renderable
from .worker import Worker

ConversationRole = Qt.ItemDataRole.UserRole + 1


def short_when(iso: str) -> str:
    """'오후 3:05' today, '어제', '11월 20일' this year, else '2025. 11. 20.'"""
    t, now = local_time(iso), datetime.now().astimezone()
    if t.date() == now.date():
        return clock_text(iso)
    if t.date() == (now - timedelta(days=1)).date():
        return "어제"
    return f"{t.month}월 {t.day}일" if t.year == now.year else f"{t.year}. {t.month}. {t.day}."


def preview_line(conversation: Conversation) -> str:
    """The second line of a row: the start of the last message, on one line."""
    if not conversation.message_count:
        return "아직 메시지가 없어요"
    text = " ".join(renderable(conversation.preview or "").split())
    return text or f"메시지 {conversation.message_count}개"


class ConversationDelegate(QStyledItemDelegate):
    HEIGHT = 58

    def sizeHint(self, option, index: QModelIndex) -> QSize:
        return QSize(option.rect.width(), self.HEIGHT)

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        conversation: Conversation = index.data(ConversationRole)
        if conversation is None:
            return
        c = theme.colors()
        r = option.rect.adjusted(8, 2, -8, -2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.mix(c.accent, c.sidebar, 0.82 if selected else 0.93))
            painter.drawRoundedRect(r, 9, 9)
        title_font = QFont(option.font)
        title_font.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() - 1.5))
        when = short_when(conversation.updated_at)
        fm_small = QFontMetrics(small)
        when_w = fm_small.horizontalAdvance(when) + 2
        inner = r.adjusted(12, 9, -12, -9)
        title_rect = QRect(inner.left(), inner.top(), inner.width() - when_w - 8, inner.height() // 2)
        painter.setFont(title_font)
        painter.setPen(QColor(c.text))
        title = QFontMetrics(title_font).elidedText(
            renderable(conversation.title), Qt.TextElideMode.ElideRight, title_rect.width()
        )
        painter.drawText(title_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
        painter.setFont(small)
        painter.setPen(QColor(c.muted))
        painter.drawText(
            QRect(inner.right() - when_w, inner.top(), when_w, inner.height() // 2),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            when,
        )
        preview_rect = QRect(
            inner.left(), inner.top() + inner.height() // 2, inner.width(), inner.height() // 2
        )
        preview = fm_small.elidedText(
            preview_line(conversation), Qt.TextElideMode.ElideRight, preview_rect.width()
        )
        painter.drawText(
            preview_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), preview
        )
        painter.restore()


class Sidebar(QFrame):
    conversation_selected = Signal(object)  # conversation id, or None when the list is empty
    new_requested = Signal()
    hide_requested = Signal()  # fold the sidebar away (the chat header then shows a button to bring it back)
    refreshed = Signal()  # the list was (re)filled

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self._worker = worker
        self._engine = None  # kobert_chat.engine.ChatEngine, called on the worker thread only
        self._selected: int | None = None
        self._new_chat = False  # the user started a new chat that has no conversation row yet

        title = QLabel("kobert-chat")
        title.setObjectName("AppTitle")
        self.new_button = QToolButton()
        self.new_button.setObjectName("NewButton")
        self.new_button.setToolTip("새 대화 (Ctrl+N)")
        self.new_button.setAccessibleName(DEFAULT_TITLE)
        self.new_button.clicked.connect(self.new_requested)
        self.hide_button = QToolButton()
        self.hide_button.setObjectName("NewButton")  # the same quiet look
        self.hide_button.setToolTip("대화 목록 숨기기 (Ctrl+B)")
        self.hide_button.setAccessibleName("대화 목록 숨기기")
        self.hide_button.clicked.connect(self.hide_requested)
        self.search = QLineEdit()
        self.search.setObjectName("SearchBox")
        self.search.setPlaceholderText("대화 검색")
        self.search.setClearButtonEnabled(True)
        self._search_action = self.search.addAction(
            icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition
        )
        self._search_timer = QTimer(self, singleShot=True, interval=250)  # search as you type, not per key
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())

        self.list = QListWidget()
        self.list.setObjectName("ConversationList")
        self.list.setAccessibleName("대화 목록")
        self.list.setItemDelegate(ConversationDelegate(self.list))
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setMouseTracking(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.rename_current())
        self.empty_label = QLabel("대화가 없어요.\n메시지를 보내면 새 대화가 시작돼요.")
        self.empty_label.setObjectName("SidebarEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()

        self.rename_action = QAction("이름 바꾸기", self, shortcut=QKeySequence(Qt.Key.Key_F2))
        self.rename_action.triggered.connect(self.rename_current)
        self.delete_action = QAction("삭제", self, shortcut=QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.triggered.connect(self.delete_current)
        for action in (self.rename_action, self.delete_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.list.addAction(action)

        top = QHBoxLayout()
        top.setContentsMargins(16, 14, 10, 6)
        top.addWidget(title, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.hide_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        search_row = QHBoxLayout()
        search_row.setContentsMargins(12, 0, 12, 4)
        search_row.addWidget(self.search)
        layout.addLayout(search_row)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_label, 1)
        self.refresh_icons()

    def refresh_icons(self) -> None:
        self.new_button.setIcon(icons.icon("new", theme.colors().text))
        self.hide_button.setIcon(icons.icon("sidebar", theme.colors().text))
        self._search_action.setIcon(icons.icon("search", size=16))

    def set_engine(self, engine) -> None:
        self._engine = engine

    # -- listing ---------------------------------------------------------------------------------
    def current_id(self) -> int | None:
        return self._selected

    def current_conversation(self) -> Conversation | None:
        item = self.list.currentItem()
        return item.data(ConversationRole) if item else None

    def conversations(self) -> list[Conversation]:
        return [self.list.item(i).data(ConversationRole) for i in range(self.list.count())]

    def refresh(self, select: int | None = None) -> None:
        """Reload the list (after a reply, rename, delete or search), keeping or moving the selection."""
        if self._engine is None:
            return
        engine, search = self._engine, self.search.text().strip() or None
        want = select if select is not None else self._selected
        self._worker.run(
            lambda: engine.conversations(search),
            lambda rows: self._fill(rows, want),
            owner=self,
        )

    def is_loading(self) -> bool:
        return self._worker.busy(self)

    def _fill(self, conversations: list[Conversation], want: int | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        chosen = None
        for conversation in conversations:
            item = QListWidgetItem(conversation.title)
            item.setData(ConversationRole, conversation)
            item.setToolTip(f"{conversation.title}\n{preview_line(conversation)}")
            self.list.addItem(item)
            if conversation.id == want:
                chosen = item
        searching = bool(self.search.text().strip())
        if chosen is None and not searching and not self._new_chat and self.list.count():
            chosen = self.list.item(0)
        if chosen is not None:
            self.list.setCurrentItem(chosen)
        self.list.blockSignals(False)
        self.empty_label.setText(
            "찾는 대화가 없어요." if searching else "대화가 없어요.\n메시지를 보내면 새 대화가 시작돼요."
        )
        self.empty_label.setVisible(self.list.count() == 0)
        self.list.setVisible(self.list.count() > 0)
        new_id = (
            chosen.data(ConversationRole).id
            if chosen is not None
            else (self._selected if searching else None)
        )
        if new_id != self._selected:
            self._selected = new_id
            self.conversation_selected.emit(new_id)
        self.refreshed.emit()

    def _current_changed(self, current: QListWidgetItem | None, _previous) -> None:
        new_id = current.data(ConversationRole).id if current is not None else None
        self._new_chat = self._new_chat and new_id is None
        if new_id is not None and new_id != self._selected:
            self._selected = new_id
            self.conversation_selected.emit(new_id)

    def clear_selection(self) -> None:
        """A new, still empty chat: nothing in the list is the current conversation."""
        self.list.blockSignals(True)
        self.list.setCurrentItem(None)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self._selected = None
        self._new_chat = True

    def select(self, cid: int | None) -> None:
        """Show `cid` (e.g. a conversation just created) and refresh the list around it."""
        self._new_chat = False
        self.refresh(select=cid)

    # -- rename / delete -------------------------------------------------------------------------
    def _context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.rename_action)
        menu.addAction(self.delete_action)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def rename_current(self) -> None:
        conversation = self.current_conversation()
        if conversation is None or self._engine is None:
            return
        title, ok = QInputDialog.getText(
            self, "대화 이름 바꾸기", "새 이름", QLineEdit.EchoMode.Normal, conversation.title
        )
        if not ok or title.strip() == conversation.title:
            return
        engine, cid = self._engine, conversation.id
        self._worker.run(
            lambda: engine.rename_conversation(cid, title), lambda _c: self.refresh(), owner=self
        )

    def delete_current(self) -> None:
        conversation = self.current_conversation()
        if conversation is None or self._engine is None:
            return
        if not confirm(
            self,
            "대화 삭제",
            f"‘{conversation.title}’ 대화를 삭제할까요?\n메시지와 직접 단 라벨도 함께 지워지고 되돌릴 수 없어요.",
        ):
            return
        engine, cid = self._engine, conversation.id
        self._worker.run(lambda: engine.delete_conversation(cid), lambda _r: self.refresh(), owner=self)
