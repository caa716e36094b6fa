"""The message list: bottom-anchored scrolling, paging upwards, badge menus, keyboard and copy, and on
bot bubbles the clarify choices and the "이렇게 답해 줘" / "이 답변 그만" actions (click or context menu)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QFont, QGuiApplication, QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QToolTip

from kobert_chat.labels import HEAD_DISPLAY

from . import theme
from .bubble_delegate import STOP_TEXT, TEACH_TEXT, Badge, BotItem, BubbleDelegate, path_tooltip
from .chat_model import ChatModel, MessageRole

CONFIRM_TEXT = "맞아요 (확인)"
HEAD_KEYS = {Qt.Key.Key_I: "intent", Qt.Key.Key_E: "emotion"}


class ChatView(QListView):
    label_chosen = Signal(int, str, str)  # message id, head, label id
    confirm_chosen = Signal(int, str)  # message id, head
    clarify_chosen = Signal(int, str)  # the clarifying question's message id, the intent picked
    teach_requested = Signal(int)  # bot message id: "이렇게 답해 줘"
    stop_requested = Signal(int)  # bot message id: "이 답변 그만" (its answer is not given again)

    def __init__(self, model: ChatModel, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatView")
        self.setAccessibleName("대화 내용")
        self.chat_model = model
        self.setModel(model)
        self.bubbles = BubbleDelegate(self)
        self.setItemDelegate(self.bubbles)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap bubbles when the window width changes
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setMouseTracking(True)
        self.open_menu: QMenu | None = None  # the last badge/context menu shown (tests look at it)
        self.empty_title = "무엇이든 편하게 이야기해 보세요"
        self.empty_hint = "보낸 메시지마다 챗봇이 읽은 의도와 감정이 표시돼요.\n틀렸다면 눌러서 고쳐 주세요. 다음 학습에 반영돼요."
        self._stick_bottom = True
        self._bottom_distance = 0
        self._settling = False
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scroll)
        bar.rangeChanged.connect(self._on_range)
        model.about_to_prepend.connect(self._remember_position)
        model.prepended.connect(self._restore_position)
        model.loaded.connect(self._on_loaded)
        model.dataChanged.connect(lambda *_: self.scheduleDelayedItemsLayout())  # a day header may come or go

    def set_label_names(self, names: dict[str, dict[str, str]]) -> None:
        self.bubbles.label_names = names
        self.bubbles.forget_heights()
        self.scheduleDelayedItemsLayout()
        self.viewport().update()

    # -- scrolling -------------------------------------------------------------------------------
    def scroll_to_end(self) -> None:
        self._stick_bottom = True
        self.scrollToBottom()

    def _on_loaded(self) -> None:
        self._settling = True  # layout passes through small scroll ranges: do not page on those
        try:
            self.doItemsLayout()
            self.scroll_to_end()
        finally:
            self._settling = False
        self._update_paging()

    def _on_scroll(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick_bottom = value >= bar.maximum() - 4
        self._update_paging()

    def _on_range(self, _minimum: int, maximum: int) -> None:
        if self._stick_bottom:
            self.verticalScrollBar().setValue(maximum)
        self._update_paging()

    def _update_paging(self) -> None:
        """Older pages load while the top of the list is in sight (or the list does not fill the view)."""
        if self._settling:
            return
        near_top = self.verticalScrollBar().value() <= max(80, self.viewport().height() // 2)
        self.chat_model.set_older_wanted(near_top)
        if near_top and self.chat_model.canFetchMore():
            self.chat_model.fetchMore()

    def _remember_position(self) -> None:
        bar = self.verticalScrollBar()
        self._bottom_distance = bar.maximum() - bar.value()

    def _restore_position(self, _count: int) -> None:
        # Rows went in above what the user is reading: keep that text where it was on screen.
        self._settling = True
        try:
            self.doItemsLayout()
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum() - self._bottom_distance)
        finally:
            self._settling = False
        self._update_paging()

    # -- badges and menus ------------------------------------------------------------------------
    def badge_rects(self, index: QModelIndex) -> list[Badge]:
        return self.bubbles.badges_for(self.visualRect(index), index)

    def label_menu(self, index: QModelIndex, head: str) -> QMenu | None:
        """The menu a badge opens: '맞아요' to confirm the prediction, or one of the labels."""
        message = index.data(MessageRole)
        if message is None or message.role != "user" or message.id < 0 or head not in message.predictions:
            return None
        names = self.bubbles.label_names.get(head, {})
        prediction = message.predictions[head]
        chance = {label: p for label, p in prediction.get("top", [])}
        current = message.labels.get(head, prediction.get("label"))
        menu = QMenu(self)
        menu.setObjectName("LabelMenu")
        menu.setTitle(f"{HEAD_DISPLAY.get(head, head)} 고치기")
        confirm = menu.addAction(CONFIRM_TEXT)
        confirm.triggered.connect(lambda: self.confirm_chosen.emit(message.id, head))
        menu.addSeparator()
        menu.addAction(f"다른 {HEAD_DISPLAY.get(head, head)} 고르기").setEnabled(False)  # a quiet heading
        for label, display in names.items() or [(current, current)]:
            percent = round(chance.get(label, 0.0) * 100)
            text = f"{display}  ·  {percent}%" if percent >= 1 else display
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(label == current)
            action.setData(label)
            action.triggered.connect(
                lambda _checked=False, lab=label: self.label_chosen.emit(message.id, head, lab)
            )
        return menu

    def open_label_menu(self, index: QModelIndex, head: str) -> QMenu | None:
        menu = self.label_menu(index, head)
        if menu is None:
            return None
        badge = next((b for b in self.badge_rects(index) if b.head == head), None)
        anchor = badge.rect.bottomLeft() + QPoint(0, 4) if badge else self.visualRect(index).center()
        self._popup(menu, self.viewport().mapToGlobal(anchor))
        return menu

    def bot_items(self, index: QModelIndex) -> list[BotItem]:
        """What is under a bot bubble (path badges, clarify choices, actions), where it is drawn."""
        return self.bubbles.items_for(self.visualRect(index), index)

    def activate_item(self, index: QModelIndex, item: BotItem) -> bool:
        """A click on something under a bot bubble; False when it does nothing (a badge, a past choice)."""
        message = index.data(MessageRole)
        if message is None or message.id < 0:
            return False
        if item.kind == "choice" and item.state == "open":
            self.clarify_chosen.emit(message.id, item.value)
            return True
        if item.kind == "teach":
            self.teach_requested.emit(message.id)
            return True
        if item.kind == "stop" and message.answer_id is not None:
            self.stop_requested.emit(message.id)
            return True
        return False

    def _popup(self, menu: QMenu, pos: QPoint) -> None:
        if self.open_menu is not None and self.open_menu is not menu:
            self.open_menu.deleteLater()
        self.open_menu = menu
        menu.popup(pos)  # non-blocking: replies and paging keep arriving while it is open

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        self.open_message_menu(
            self.currentIndex() if keyboard else self.indexAt(event.pos()), None if keyboard else event.pos()
        )

    def open_message_menu(self, index: QModelIndex, pos: QPoint | None = None) -> QMenu | None:
        """Copy, and for user messages the two label menus. pos None: under the message (keyboard)."""
        if not index.isValid():
            return None
        self.setCurrentIndex(index)
        message = index.data(MessageRole)
        menu = QMenu(self)
        menu.setObjectName("MessageMenu")
        copy = menu.addAction("복사")
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.triggered.connect(self.copy_current)
        for head, key in (("intent", "I"), ("emotion", "E")):
            sub = self.label_menu(index, head)
            if sub is not None:
                sub.setTitle(f"{HEAD_DISPLAY[head]} 고치기 ({key})")
                menu.addMenu(sub)
        if message is not None and message.role == "user" and message.predictions:
            menu.insertSeparator(menu.actions()[1])
        if message is not None and message.role == "bot" and message.id > 0:
            path = message.details.get("path")
            asked = message.details.get("clarify")
            if isinstance(asked, dict) and asked.get("chosen") is None:  # the choices, from the keyboard too
                menu.addSeparator()
                names = self.bubbles.label_names.get("intent", {})
                for intent in asked.get("options", []):
                    choice = menu.addAction(f"‘{names.get(intent, intent)}’ 얘기예요")
                    choice.triggered.connect(
                        lambda _checked=False, i=intent: self.clarify_chosen.emit(message.id, i)
                    )
            if path not in ("clarify", "crisis"):
                menu.addSeparator()
                teach = menu.addAction(f"{TEACH_TEXT}…")
                teach.setToolTip("이 메시지에 챗봇이 다음부터 할 말을 직접 적어요")
                teach.triggered.connect(lambda: self.teach_requested.emit(message.id))
                if message.answer_id is not None:
                    stop = menu.addAction(STOP_TEXT)
                    stop.triggered.connect(lambda: self.stop_requested.emit(message.id))
        anchor = pos if pos is not None else self.bubbles.bubble_rect(self.visualRect(index), index).center()
        self._popup(menu, self.viewport().mapToGlobal(anchor))
        return menu

    # -- mouse and keyboard ----------------------------------------------------------------------
    def _badge_under(self, pos: QPoint) -> tuple[QModelIndex, Badge | None]:
        index = self.indexAt(pos)
        if not index.isValid():
            return index, None
        return index, self.bubbles.badge_at(self.visualRect(index), index, pos)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            index, badge = self._badge_under(event.position().toPoint())
            if badge is not None:
                self.setCurrentIndex(index)
                self.open_label_menu(index, badge.head)
                return
            item = self._item_under(event.position().toPoint())[1]
            if item is not None and self.activate_item(index, item):
                return
        super().mousePressEvent(event)

    def _item_under(self, pos: QPoint) -> tuple[QModelIndex, BotItem | None]:
        index = self.indexAt(pos)
        if not index.isValid():
            return index, None
        return index, self.bubbles.item_at(self.visualRect(index), index, pos)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position().toPoint()
        _index, badge = self._badge_under(pos)
        item = None if badge else self._item_under(pos)[1]
        clickable = badge is not None or (
            item is not None and (item.kind in ("teach", "stop") or item.state == "open")
        )
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            _index, badge = self._badge_under(event.pos())
            if badge is not None:
                what = HEAD_DISPLAY.get(badge.head, badge.head)
                state = {
                    "user": "직접 고친 라벨",
                    "confirmed": "맞다고 확인한 예측",
                    "predicted": "모델의 예측 · 눌러서 확인하거나 고치기",
                }[badge.state]
                QToolTip.showText(event.globalPos(), f"{what}: {badge.text}\n{state}", self.viewport())
                return True
            index, item = self._item_under(event.pos())
            tip = self.item_tooltip(index, item) if item is not None else ""
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
                return True
        return super().viewportEvent(event)

    def item_tooltip(self, index: QModelIndex, item: BotItem) -> str:
        message = index.data(MessageRole)
        if message is None:
            return ""
        if item.kind == "path":
            return path_tooltip(message)
        if item.kind == "choice":
            if item.state == "open":
                return f"‘{item.text}’ 얘기라고 알려 주면 그 얘기로 대답하고, 내 메시지에 이 라벨을 달아요"
            return "이미 고른 질문이에요"
        if item.kind == "teach":
            return "다음부터 같은 말에 챗봇이 할 대답을 직접 적어요. 다시 학습하지 않아도 바로 쓰여요."
        return "이 답변을 다시 쓰지 않아요. 답변 창에서 ‘사용’을 다시 체크하면 되돌릴 수 있어요."

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_current()
            return
        menu_key = event.key() == Qt.Key.Key_Menu or (
            event.key() == Qt.Key.Key_F10 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if menu_key and self.open_message_menu(self.currentIndex()) is not None:
            return  # accepted here, so Qt does not also send a context-menu event
        head = HEAD_KEYS.get(Qt.Key(event.key()))
        if head and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            index = self.currentIndex()
            if index.isValid() and self.open_label_menu(index, head) is not None:
                return
        super().keyPressEvent(event)

    def copy_current(self) -> None:
        index = self.currentIndex()
        if index.isValid():
            QGuiApplication.clipboard().setText(index.data(Qt.ItemDataRole.DisplayRole) or "")

    # -- empty state -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.model().rowCount() or self.chat_model.loading() or not self.empty_title:
            return
        c = theme.colors()
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self.viewport().rect()
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() + 4)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(QColor(c.text))
        mid = area.center().y()
        painter.drawText(
            QRect(area.left(), mid - 44, area.width(), 34),
            int(Qt.AlignmentFlag.AlignCenter),
            self.empty_title,
        )
        painter.setFont(self.font())
        painter.setPen(QColor(c.muted))
        painter.drawText(
            QRect(area.left() + 20, mid - 2, area.width() - 40, 60),
            int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
            self.empty_hint,
        )
        painter.end()
