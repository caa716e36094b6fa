"""The middle of the window: header with the toolbar, the message list, the composer.

Sending and labeling go through the worker; the list shows the user's message at once and the
reply when the engine has it, so the input stays usable while the model thinks (or loads). On bot
bubbles: a clarify choice answers through the engine, "이렇게 답해 줘" opens TeachAnswerDialog, "이 답변
그만" stops the answer; the last two say so in the notice bar with a 되돌리기 (undo).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from kobert_chat.store import Message
from kobert_chat.titles import DEFAULT_TITLE

from . import errors, icons, theme
from .chat_model import ChatModel
from .chat_view import ChatView
from .composer import Composer
from .fonts import renderable
from .teach_answer_dialog import TeachAnswerDialog
from .toolbar import OverflowToolbar
from .undo_notice import UndoNoticeBar
from .worker import Worker

BUSY_NOTICE = "다른 프로그램이 대화 기록을 쓰고 있어서 보내지 못했어요. 쓴 메시지는 그대로 두었으니 잠시 뒤 다시 보내 주세요."
SEND_FAILED = "메시지를 보내지 못했어요. 쓴 메시지는 그대로 두었어요."
TAUGHT_NOTICE = "가르쳐 준 답을 저장했어요. 같은 말(비슷한 말도)에는 이제 이렇게 대답해요."
STOPPED_NOTICE = "이 답변은 이제 쓰지 않아요."
UNDONE_NOTICE = "되돌렸어요."


class ElidedLabel(QLabel):
    """A one-line label that shortens itself with … instead of pushing the toolbar off the window."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(90)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setFont(self.font())
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.width())
        painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        painter.end()


class ChatPanel(QWidget):
    replied = Signal(int)  # conversation id: a turn was stored (the sidebar re-sorts)
    labels_changed = Signal()
    answers_changed = Signal()  # an answer was taught, stopped or restored from a bubble

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChatPanel")
        self._worker = worker
        self.engine = None
        self._new_conversation: dict | None = None  # shared by sends typed before the first reply arrives

        self.title = ElidedLabel(DEFAULT_TITLE)
        self.title.setObjectName("ChatTitle")
        self.subtitle = ElidedLabel("")
        self.subtitle.setObjectName("ChatSubtitle")
        self.toolbar = OverflowToolbar()
        # shown while the sidebar is folded away: the list and "new chat" stay one click away
        self.sidebar_button = self._header_button("SidebarButton", "대화 목록 보이기 (Ctrl+B)")
        self.new_button = self._header_button("HeaderNewButton", "새 대화 (Ctrl+N)")
        header = QFrame()
        header.setObjectName("ChatHeader")
        titles = QVBoxLayout()
        titles.setSpacing(1)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header_row = QHBoxLayout(header)
        header_row.setContentsMargins(12, 10, 12, 10)
        header_row.setSpacing(6)
        header_row.addWidget(self.sidebar_button)
        header_row.addWidget(self.new_button)
        header_row.addSpacing(6)
        header_row.addLayout(titles, 1)
        header_row.addWidget(self.toolbar)

        self.model = ChatModel(worker, self)
        self.view = ChatView(self.model)
        self.view.label_chosen.connect(self.set_label)
        self.view.confirm_chosen.connect(self.confirm_label)
        self.view.clarify_chosen.connect(self.answer_clarification)
        self.view.teach_requested.connect(self.open_teach)
        self.view.stop_requested.connect(self.stop_answer)
        self.teach_dialog: TeachAnswerDialog | None = None
        self._asked: set[int] = set()  # clarifying questions whose pick is on its way
        self.composer = Composer()
        self.composer.submitted.connect(self.send)
        self.composer.setEnabled(False)  # until the engine is ready
        self.send_problem = QLabel("")  # why the last message could not be sent (it is back in the input)
        self.send_problem.setObjectName("SendProblem")
        self.send_problem.setWordWrap(True)
        self.send_problem.hide()
        self.composer.input.textChanged.connect(self._typing)
        composer_row = QVBoxLayout()
        composer_row.setContentsMargins(16, 8, 16, 14)
        composer_row.setSpacing(6)
        composer_row.addWidget(self.send_problem)
        composer_row.addWidget(self.composer)
        composer_area = QFrame()
        composer_area.setObjectName("ComposerArea")
        composer_area.setLayout(composer_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.notice = UndoNoticeBar()
        layout.addWidget(header)
        layout.addWidget(self.notice)
        layout.addWidget(self.view, 1)
        layout.addWidget(composer_area)
        self.set_header(None, 0)

    def _header_button(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setIconSize(QSize(20, 20))
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.hide()
        return button

    def refresh_icons(self) -> None:
        self.sidebar_button.setIcon(icons.icon("sidebar", theme.colors().text))
        self.new_button.setIcon(icons.icon("new", theme.colors().text))
        self.toolbar.refresh_icons()
        self.composer.refresh_icons()

    def set_sidebar_shown(self, shown: bool) -> None:
        self.sidebar_button.setVisible(not shown)
        self.new_button.setVisible(not shown)

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
        self.title.setText(renderable(title or DEFAULT_TITLE))
        self.title.setToolTip(title or "")
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
        self.send_problem.hide()
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

        def failed(exc: BaseException) -> bool:
            """Nothing was stored: the bubble goes, the text goes back into the input to send again."""
            self.model.drop_pending(temp_id)
            if not self.composer.input.toPlainText():
                self.composer.input.setPlainText(text)
                self.composer.input.moveCursor(self.composer.input.textCursor().MoveOperation.End)
            busy = errors.is_busy(exc)
            self.send_problem.setText(BUSY_NOTICE if busy else SEND_FAILED)
            self.send_problem.show()
            return busy  # busy is said here in full; anything else also gets the error dialog

        self._worker.run(turn, done, owner=self, on_error=failed)

    def _typing(self) -> None:
        if self.send_problem.isVisible() and not self.composer.input.toPlainText():
            self.send_problem.hide()

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

    # -- bot bubbles: clarify choices, teach, stop ----------------------------------------------
    def answer_clarification(self, question_id: int, intent: str) -> None:
        """A clarify choice: the engine labels the user's message and answers for that intent."""
        if self.engine is None or question_id in self._asked:
            return
        self._asked.add(question_id)
        engine = self.engine

        def done(clarified) -> None:
            self.model.replace_message(clarified.user)
            self.model.replace_message(clarified.question)
            self.model.append_message(clarified.bot)
            self.view.scroll_to_end()
            self.labels_changed.emit()
            self.replied.emit(clarified.bot.conversation_id)

        self._worker.run(
            lambda: engine.answer_clarification(question_id, intent),
            done,
            owner=self,
            on_finished=lambda _ok: self._asked.discard(question_id),
        )

    def open_teach(self, bot_message_id: int) -> None:
        """ "이렇게 답해 줘": find the message this reply answered, then edit the answer for it."""
        if self.engine is None:
            return
        engine = self.engine
        row = self.model.row_of(bot_message_id)
        bot = self.model.message_at(row)
        if bot is None:
            return
        self._worker.run(
            lambda: engine.taught_for(bot_message_id), lambda user: self._show_teach(user, bot), owner=self
        )

    def _show_teach(self, user: Message, bot: Message) -> None:
        dialog = TeachAnswerDialog(user.text, bot.text, self)
        dialog.submitted.connect(lambda text: self._teach(user.id, text))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.teach_dialog = dialog
        dialog.open()

    def _teach(self, user_message_id: int, text: str) -> None:
        engine = self.engine

        def done(answer) -> None:
            self._undoable(TAUGHT_NOTICE, lambda: engine.delete_answer(answer.id), answer.text)
            self.answers_changed.emit()

        self._worker.run(lambda: engine.teach_answer(user_message_id, text), done, owner=self)

    def stop_answer(self, bot_message_id: int) -> None:
        """ "이 답변 그만": the answer this bubble showed is not given again (undo: 되돌리기, or 사용)."""
        bot = self.model.message_at(self.model.row_of(bot_message_id))
        if self.engine is None or bot is None or bot.answer_id is None:
            return
        engine, answer_id = self.engine, bot.answer_id

        def done(answer) -> None:
            self._undoable(
                STOPPED_NOTICE,
                lambda: engine.update_answer(answer_id, enabled=True),
                f"“{answer.text}” — 답변 창에서 ‘사용’을 다시 체크해도 돼요.",
            )
            self.answers_changed.emit()

        self._worker.run(lambda: engine.stop_answer(answer_id), done, owner=self)

    def _undoable(self, text: str, undo, details: str) -> None:
        """Say what happened in the notice bar, with 되돌리기 running `undo` on the worker."""

        def run_undo() -> None:
            def undone(_result) -> None:
                self.notice.show_notice(UNDONE_NOTICE)
                self.answers_changed.emit()

            self._worker.run(undo, undone, owner=self)

        self.notice.show_notice(text, details)
        self.notice.set_action("되돌리기", run_undo)
