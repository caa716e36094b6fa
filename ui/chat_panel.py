"""The middle of the window: header with the toolbar, the message list, the composer.

Sending and labeling go through the worker; the list shows the user's message at once and the
reply when the engine has it, so the input stays usable while the model thinks.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolBar, QVBoxLayout, QWidget

from kobert_chat.store import Message
from kobert_chat.titles import DEFAULT_TITLE

from .chat_model import ChatModel
from .chat_view import ChatView
from .composer import Composer
from .worker import Worker


class ChatPanel(QWidget):
    replied = Signal(int)  # conversation id: a turn was stored (the sidebar re-sorts)
    labels_changed = Signal()

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatPanel")
        self._worker = worker
        self.engine = None
        self._new_conversation: dict | None = None  # shared by sends typed before the first reply arrives

        self.title = QLabel(DEFAULT_TITLE)
        self.title.setObjectName("ChatTitle")
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("ChatSubtitle")
        self.toolbar = QToolBar("도구 모음")
        self.toolbar.setObjectName("MainToolbar")
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        header = QFrame()
        header.setObjectName("ChatHeader")
        titles = QVBoxLayout()
        titles.setSpacing(1)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header_row = QHBoxLayout(header)
        header_row.setContentsMargins(20, 10, 12, 10)
        header_row.addLayout(titles, 1)
        header_row.addWidget(self.toolbar)

        self.model = ChatModel(worker, self)
        self.view = ChatView(self.model)
        self.view.label_chosen.connect(self.set_label)
        self.view.confirm_chosen.connect(self.confirm_label)
        self.composer = Composer()
        self.composer.submitted.connect(self.send)
        self.composer.setEnabled(False)  # until the engine is ready
        composer_row = QHBoxLayout()
        composer_row.setContentsMargins(16, 8, 16, 14)
        composer_row.addWidget(self.composer)
        composer_area = QFrame()
        composer_area.setObjectName("ComposerArea")
        composer_area.setLayout(composer_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.view, 1)
        layout.addWidget(composer_area)
        self.set_header(None, 0)

    def set_engine(self, engine, label_names: dict[str, dict[str, str]]) -> None:
        self.engine = engine
        self.model.set_engine(engine)
        self.view.set_label_names(label_names)
        self.composer.setEnabled(True)
        self.composer.input.setFocus()

    def show_conversation(self, cid: int | None, title: str | None, count: int = 0) -> None:
        if cid != self.model.conversation_id:
            self._new_conversation = None
            self.model.set_conversation(cid)
        self.set_header(title, count)

    def set_header(self, title: str | None, count: int) -> None:
        self.title.setText(title or DEFAULT_TITLE)
        self.subtitle.setText(f"메시지 {count}개" if count else "새 대화를 시작해 보세요")

    # -- sending ---------------------------------------------------------------------------------
    def send(self, text: str) -> None:
        if self.engine is None or not text.strip():
            return
        engine, cid = self.engine, self.model.conversation_id
        # Sends typed before the first reply of a new chat all go to the conversation that first send
        # creates: ops run one at a time, so the second reads the id the first stored here.
        box = None
        if cid is None:
            box = self._new_conversation = self._new_conversation or {"cid": None}
        temp_id = self.model.add_pending(text)
        self.view.scroll_to_end()

        def turn():
            reply = engine.send(box["cid"] if box is not None else cid, text)
            if box is not None:
                box["cid"] = reply.conversation_id
            return reply

        def done(reply) -> None:
            if box is not None and self.model.conversation_id is None:
                self.model.adopt_conversation(reply.conversation_id)
            self.model.resolve_pending(temp_id, reply.user, reply.bot)
            self.replied.emit(reply.conversation_id)

        def finished(ok: bool) -> None:
            if not ok:
                self.model.drop_pending(temp_id)
                if not self.composer.input.toPlainText():
                    self.composer.input.setPlainText(text)  # do not lose what the user typed

        self._worker.run(turn, done, owner=self, on_finished=finished)

    # -- labeling --------------------------------------------------------------------------------
    def set_label(self, message_id: int, head: str, label: str) -> None:
        engine = self.engine
        self._worker.run(lambda: engine.label(message_id, head, label), self._label_saved, owner=self)

    def confirm_label(self, message_id: int, head: str) -> None:
        engine = self.engine
        self._worker.run(lambda: engine.confirm(message_id, head), self._label_saved, owner=self)

    def _label_saved(self, message: Message) -> None:
        self.model.replace_message(message)
        self.labels_changed.emit()

    def update_message(self, message: Message) -> None:
        """A message labeled elsewhere (the inbox): repaint it if it is on screen."""
        self.model.replace_message(message)
