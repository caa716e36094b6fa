"""The main window: startup progress, then sidebar + chat, and the toolbar that opens every dialog."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
)

from kobert_chat.errors import TrainingCancelled
from kobert_chat.titles import DEFAULT_TITLE

from . import errors, icons, theme
from .answers_dialog import AnswersDialog
from .chat_panel import ChatPanel
from .confirm import confirm
from .inbox import InboxDialog
from .model_names import device_text, model_name
from .models_dialog import ModelsDialog
from .retrain_dialog import RetrainDialog
from .settings_dialog import SettingsDialog
from .sidebar import Sidebar
from .startup_view import StartupView
from .worker import Worker

SIDEBAR_WIDTH = 270
NARROW_WINDOW = 900  # below this the sidebar folds away by itself (the user can still open it)
MODEL_FALLBACK_NOTICE = (
    "지금 쓰던 모델을 불러오지 못해서, 전에 쓰던 모델로 바꿔 대답하고 있어요. 대화와 라벨은 그대로예요. "
    "모델 창에서 다른 모델을 고르거나 다시 학습할 수 있어요."
)

CLOSE_WAIT_S = 30
LOADING_STATUS = "모델을 불러오는 중…"
LOADING_TIP = "불러오는 동안에도 대화할 수 있어요. 그동안은 빠른 방식으로 대답해요."
MODEL_LOAD_FAILED = "모델을 불러오지 못했어요. 메시지를 보내면 다시 불러와 봐요."


def model_status(engine) -> tuple[str, str | None, str]:
    """(name for the status bar, version id, device) of the model answering now; on the worker thread."""
    version = engine.model_version
    active = next((v for v in engine.model_versions() if v.id == version), None)
    return (model_name(active) if active else "모델 없음", version, engine.device)


class MainWindow(QMainWindow):
    ready = Signal()  # engine open, conversation list and current chat shown (screenshots wait for this)
    startup_failed = Signal(str)
    # the full model is in (or could not be loaded); before it, its quick expert answers
    model_loaded = Signal()

    def __init__(self, device: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("kobert-chat")
        self.resize(1120, 740)
        self.setMinimumSize(640, 460)
        screen = QApplication.primaryScreen()
        headless = QApplication.platformName() in ("offscreen", "minimal")  # their screen size is made up
        if screen is not None and not headless:  # a small screen (say 800x600) gets a window that fits it
            room = screen.availableGeometry().size()
            self.resize(max(640, min(1120, room.width())), max(460, min(740, room.height())))
        self.device = device
        self.worker = Worker(self)
        self.engine = None
        self.label_names: dict[str, dict[str, str]] = {}
        self.dialogs: dict[str, QDialog] = {}
        self._ready_sent = False
        self._sidebar_filled = False
        self._warning_shown = False
        self._stop_build = threading.Event()  # set by 취소 on the first-run build, and on closing
        self.label_count = 0  # messages labeled since the active model was trained
        self._sidebar_chosen: bool | None = None  # the user's own show/hide, which beats the automatic one

        self.startup = StartupView()
        self.startup.retry_requested.connect(self.start)
        self.startup.cancel_requested.connect(self._stop_build.set)
        self.sidebar = Sidebar(self.worker)
        self.sidebar.setMinimumWidth(220)
        self.chat = ChatPanel(self.worker)
        self.chat.setMinimumWidth(400)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("MainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.chat)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([SIDEBAR_WIDTH, 850])
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.startup)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)
        self.model_label = QLabel("")
        self.model_label.setObjectName("ModelStatus")
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().setSizeGripEnabled(False)

        self._make_actions()
        self.sidebar.conversation_selected.connect(self._show_conversation)
        self.sidebar.refreshed.connect(self._sidebar_refreshed)
        self.sidebar.new_requested.connect(self.new_chat)
        self.sidebar.hide_requested.connect(lambda: self.set_sidebar_visible(False, by_user=True))
        self.chat.sidebar_button.clicked.connect(lambda: self.set_sidebar_visible(True, by_user=True))
        self.chat.new_button.clicked.connect(self.new_chat)
        self.chat.replied.connect(self._replied)
        self.chat.labels_changed.connect(self.refresh_label_count)
        self.chat.answers_changed.connect(self._answers_changed)
        self.chat.model.loaded.connect(self._check_ready)

    def _make_actions(self) -> None:
        def action(text: str, icon: str, slot, shortcut=None, tip: str = "") -> QAction:
            act = QAction(text, self)
            act.setData(icon)
            act.setToolTip(tip or text)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            act.setEnabled(False)  # until the engine is ready
            self.addAction(act)
            return act

        self.new_action = action(DEFAULT_TITLE, "new", self.new_chat, QKeySequence.StandardKey.New)
        self.inbox_action = action(
            "검토함",
            "inbox",
            self.open_inbox,
            "Ctrl+Shift+I",
            "아직 라벨이 없는 메시지를 모델이 헷갈린 순서로 보여 줘요",
        )
        self.retrain_action = action(
            "다시 학습", "train", lambda: self.open_retrain(), None, "새로 단 라벨로 모델을 다시 학습해요"
        )
        self.models_action = action("모델", "models", self.open_models, None, "모델 버전 관리")
        self.answers_action = action("답변", "answers", self.open_answers, None, "챗봇이 고르는 답변 편집")
        self.settings_action = action(
            "설정", "settings", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        for act in (
            self.inbox_action,
            self.retrain_action,
            self.answers_action,
            self.models_action,
            self.settings_action,
        ):
            self.chat.toolbar.add_action(act)
        self.sidebar_action = QAction("대화 목록 보이기/숨기기", self)
        self.sidebar_action.setShortcut(QKeySequence("Ctrl+B"))
        self.sidebar_action.triggered.connect(
            lambda: self.set_sidebar_visible(self.sidebar.isHidden(), by_user=True)
        )
        self.addAction(self.sidebar_action)  # works before the engine is ready too
        self.refresh_icons()

    def refresh_icons(self) -> None:
        for act in self.actions():
            if act.data():
                act.setIcon(icons.icon(act.data()))
        self.sidebar.refresh_icons()
        self.chat.refresh_icons()

    # -- the sidebar folds away on small windows -------------------------------------------------
    def set_sidebar_visible(self, shown: bool, by_user: bool = False) -> None:
        if by_user:
            self._sidebar_chosen = shown
        self.sidebar.setVisible(shown)
        self.chat.set_sidebar_shown(shown)
        if shown:
            self.splitter.setSizes([SIDEBAR_WIDTH, max(400, self.splitter.width() - SIDEBAR_WIDTH)])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._sidebar_chosen is None:
            wide = event.size().width() >= NARROW_WINDOW
            if wide == self.sidebar.isHidden():
                self.set_sidebar_visible(wide)

    # -- startup ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Open the engine on the worker (it may build the starter model: minutes on a fresh folder)."""
        self.startup.reset()
        self.pages.setCurrentWidget(self.startup)
        device = self.device
        progress = self.worker.relay(self.startup.update_progress, owner=self.startup)
        self._stop_build.clear()
        stop = self._stop_build

        def open_engine():
            from kobert_chat.engine import ChatEngine

            # Without the model: no torch, tens of milliseconds, so the chat shows at once. Only a
            # fresh folder builds its 기본 모델 here, behind the first-run card.
            engine = ChatEngine.open(device=device, on_progress=progress, load_model=False)
            if engine.needs_starter_build:
                try:
                    engine.load_active_model(progress, stop.is_set)
                except TrainingCancelled:
                    engine.close()
                    return None  # the first-run build was stopped: nothing was registered
                except BaseException:
                    engine.close()
                    raise
            names = {head: dict(labels) for head, labels in engine.label_sets().items()}
            return engine, names, engine.new_label_count(), model_status(engine)

        def failed(ok: bool) -> None:
            if not ok:
                self.startup.show_failure(
                    f"데이터 폴더나 모델을 확인한 뒤 다시 시도해 주세요. 자세한 기록: {errors.log_file()}"
                )
                self.startup_failed.emit("the engine could not be opened")

        self.worker.run(open_engine, self._engine_ready, owner=self, on_finished=failed)

    def _engine_ready(self, result) -> None:
        if result is None:
            self.startup.show_cancelled()
            return
        self.engine, self.label_names, count, status = result
        self.sidebar.set_engine(self.engine)
        self.chat.set_engine(self.engine, self.label_names)
        for act in self.actions():
            act.setEnabled(True)
        self._set_label_count(count)
        self._show_model_status(status)
        self.pages.setCurrentIndex(1)
        self.sidebar.refresh()
        self.chat.composer.input.setFocus()
        self._show_model_warning()
        self._start_model_load()

    # -- the model loads after the window shows --------------------------------------------------
    def _start_model_load(self) -> None:
        """Load the full model on the engine's own thread; messages sent meanwhile are answered by its
        quick expert (or wait for the model). on_ready runs on that thread: it only relays."""
        engine = self.engine
        if engine is None:
            return
        if engine.model_ready:
            self.model_loaded.emit()
            return
        self.model_label.setText(LOADING_STATUS)
        self.model_label.setToolTip(LOADING_TIP)
        done = self.worker.relay(self._model_load_done, owner=self)
        if not engine.start_loading(lambda error: done(error)):
            self._model_load_done(None)  # loaded meanwhile (a send loaded it itself)

    def _model_load_done(self, error: BaseException | None) -> None:
        if self.engine is None:
            return
        if error is not None:
            self.chat.notice.show_notice(MODEL_LOAD_FAILED, " ".join(str(error).split())[:600])
        self._show_model_warning()
        self._update_model_status()
        self.model_loaded.emit()

    @property
    def model_is_loaded(self) -> bool:
        """The full model answers (before that, its quick expert does)."""
        return self.engine is not None and self.engine.model_ready

    def _show_model_warning(self) -> None:
        if self.engine is not None and self.engine.model_warning and not self._warning_shown:
            self._warning_shown = True  # once per start, in the window itself: not a dialog to click away
            self.chat.notice.show_notice(MODEL_FALLBACK_NOTICE, self.engine.model_warning)

    def _sidebar_refreshed(self) -> None:
        self._sidebar_filled = True
        conversation = self.sidebar.current_conversation()
        if conversation is not None and conversation.id == self.chat.model.conversation_id:
            self.chat.set_header(conversation.title, conversation.message_count)
        if self.sidebar.current_id() is None and self.chat.model.conversation_id is None:
            self._check_ready()

    def _check_ready(self) -> None:
        if (
            self._ready_sent
            or self.engine is None
            or not self._sidebar_filled
            or not self.chat.model.first_page_in()
            or self.chat.model.conversation_id != self.sidebar.current_id()
        ):
            return
        self._ready_sent = True
        self.ready.emit()

    def _show_conversation(self, cid: int | None) -> None:
        conversation = self.sidebar.current_conversation()
        if conversation is not None and conversation.id == cid:
            self.chat.show_conversation(cid, conversation.title, conversation.message_count)
        else:
            self.chat.show_conversation(cid, None)
        self._check_ready()

    def _replied(self, cid: int) -> None:
        # Re-sort the list; follow the reply only if the user is still looking at that conversation.
        if cid == self.chat.model.conversation_id:
            self.sidebar.select(cid)
        else:
            self.sidebar.refresh()

    def new_chat(self) -> None:
        """An empty chat; its conversation is created (and named) by the first message."""
        self.sidebar.clear_selection()
        self.chat.show_conversation(None, None)
        self.chat.composer.input.setFocus()

    # -- counts and status -----------------------------------------------------------------------
    def refresh_label_count(self) -> None:
        if self.engine is not None:
            self.worker.run(self.engine.new_label_count, self._set_label_count, owner=self)

    def _set_label_count(self, count: int) -> None:
        """`count` messages got a label since the model was trained (one per message, however many badges)."""
        self.label_count = count
        self.retrain_action.setText(f"다시 학습 ({count})" if count else "다시 학습")
        self.retrain_action.setEnabled(count > 0)
        self.retrain_action.setToolTip(
            f"라벨을 새로 단 메시지 {count}개로 모델을 다시 학습해요"
            if count
            else "라벨을 새로 단 메시지가 없어요. 모델 창에서는 언제든 새로 학습할 수 있어요."
        )

    def _update_model_status(self) -> None:
        engine = self.engine
        if engine is not None:  # the device is a torch object: read it on the worker like everything else
            self.worker.run(lambda: model_status(engine), self._show_model_status, owner=self)

    def _show_model_status(self, status: tuple[str, str | None, str]) -> None:
        name, version, device = status
        self.model_label.setText(f"대답하는 모델: {name}  ·  {device_text(device)}")
        self.model_label.setToolTip(f"버전 이름: {version}" if version else "")

    def model_changed(self) -> None:
        """A version was promoted, activated or rolled back: labels, counts and status may all differ."""
        self._update_model_status()
        self.refresh_label_count()
        engine = self.engine

        def names():
            return {head: dict(labels) for head, labels in engine.label_sets().items()}

        self.worker.run(names, self._set_label_names, owner=self)

    def _set_label_names(self, names: dict[str, dict[str, str]]) -> None:
        self.label_names = names
        self.chat.view.set_label_names(names)

    # -- dialogs ---------------------------------------------------------------------------------
    def _reuse(self, name: str) -> QDialog | None:
        dialog = self.dialogs.get(name)
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        return None

    def _keep(self, name: str, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs[name] = dialog
        dialog.show()
        return dialog

    def open_inbox(self) -> InboxDialog:
        dialog = self._reuse("inbox")
        if dialog is None:
            dialog = InboxDialog(self.engine, self.worker, self.label_names, self)
            dialog.labeled.connect(self.chat.update_message)
            dialog.labeled.connect(lambda _m: self.refresh_label_count())
            self._keep("inbox", dialog)
        return dialog

    def open_retrain(self, extra_args: tuple[str, ...] = ()) -> RetrainDialog:
        dialog = self._reuse("retrain")
        if dialog is None:
            dialog = RetrainDialog(
                self.engine,
                self.worker,
                self.label_names,
                self,
                extra_args=extra_args,
                label_count=self.label_count,
            )
            dialog.model_changed.connect(self.model_changed)
            dialog.finished.connect(lambda _r: self.refresh_label_count())
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self._keep("retrain", dialog)
        return dialog

    def upgrade_to_kobert(self, extra_args: tuple[str, ...] = ()) -> RetrainDialog | None:
        """Download KoBERT (only now, because the user asked), fine-tune it, then compare and promote."""
        if not confirm(
            self,
            "KoBERT로 업그레이드",
            "더 큰 한국어 모델인 KoBERT(약 370MB)를 인터넷에서 한 번 내려받아요. 이미 받아 둔 게 있으면 "
            "그대로 써요.\n\n그다음 함께 들어 있는 문장과 내가 단 라벨로 학습하고, 지금 모델과 얼마나 잘 "
            "맞히는지 비교해서 바꿀지 고를 수 있어요. 그래픽카드(GPU)가 없으면 오래 걸려요. 계속할까요?",
        ):
            return None
        dialog = RetrainDialog(
            self.engine,
            self.worker,
            self.label_names,
            self,
            extra_args=("--backbone", "kobert", "--download", *extra_args),
        )
        dialog.setWindowTitle("KoBERT로 업그레이드")
        dialog.model_changed.connect(self.model_changed)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        return dialog

    def open_models(self) -> ModelsDialog:
        dialog = self._reuse("models")
        if dialog is None:
            dialog = ModelsDialog(self.engine, self.worker, self)
            dialog.model_changed.connect(self.model_changed)
            dialog.train_requested.connect(lambda: self.open_retrain())
            dialog.kobert_requested.connect(self.upgrade_to_kobert)
            self._keep("models", dialog)
        return dialog

    def open_answers(self) -> AnswersDialog:
        dialog = self._reuse("answers")
        if dialog is None:
            dialog = self._keep("answers", AnswersDialog(self.engine, self.worker, self.label_names, self))
        return dialog

    def _answers_changed(self) -> None:
        """Taught, stopped or restored from a bubble: an open answer editor shows it."""
        dialog = self.dialogs.get("answers")
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.reload()

    def open_settings(self) -> SettingsDialog:
        dialog = self._reuse("settings")
        if dialog is None:
            dialog = SettingsDialog(self.engine, self.worker, self)
            dialog.saved.connect(self._settings_saved)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self._keep("settings", dialog)
        return dialog

    def _settings_saved(self) -> None:
        theme.apply_theme(QApplication.instance(), self.engine.settings.theme)
        self.refresh_icons()
        self._update_model_status()

    # -- closing ---------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_build.set()  # a first-run build stops at its next step instead of holding up the exit
        retrain = self.dialogs.get("retrain")
        if retrain is not None and shiboken6.isValid(retrain):
            retrain.cancel_training()
        if self.engine is not None:
            engine, self.engine = self.engine, None

            def close_engine() -> None:
                engine.wait_for_model(CLOSE_WAIT_S)  # the loading thread still reads the database
                engine.close()

            self.worker.run(close_engine)
        super().closeEvent(event)
