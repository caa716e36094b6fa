"""The one place where an exception becomes something the user sees.

KobertChatError subclasses carry a message meant for the user: shown with a Korean headline.
Anything else is a bug: its traceback goes to the log file and the dialog says where that file is.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from kobert_chat import paths
from kobert_chat.errors import InputError, KobertChatError, ModelError, StoreError, TrainingCancelled

log = logging.getLogger("kobert_chat.ui")
LOG_NAME = "kobert-chat.log"

HEADLINES: list[tuple[type[BaseException], str]] = [
    (InputError, "입력한 내용을 처리할 수 없어요."),
    (StoreError, "대화 데이터베이스를 열거나 저장할 수 없어요."),
    (ModelError, "모델을 불러올 수 없어요."),
    (TrainingCancelled, "학습을 취소했어요. 지금 쓰는 모델은 그대로예요."),
    (KobertChatError, "요청을 처리하지 못했어요."),
]


def log_file() -> str:
    return str(paths.logs_dir() / LOG_NAME)


def describe(exc: BaseException) -> tuple[str, str]:
    """(Korean headline, detail line) for an exception."""
    for kind, headline in HEADLINES:
        if isinstance(exc, kind):
            return headline, str(exc)
    return "예상하지 못한 오류가 생겼어요.", f"{exc!r}\n\n자세한 기록은 로그 파일에 남겼어요:\n{log_file()}"


def show_error(parent: QWidget | None, exc: BaseException, traceback_text: str | None = None) -> QMessageBox:
    """Show `exc` in a dialog (non-blocking: the app keeps running behind it) and log it."""
    if isinstance(exc, KobertChatError):
        log.warning("%s: %s", type(exc).__name__, exc)
    else:
        log.error("unexpected error in the app\n%s", traceback_text or repr(exc))
    headline, detail = describe(exc)
    box = QMessageBox(parent)
    box.setObjectName("ErrorDialog")
    box.setIcon(
        QMessageBox.Icon.Information if isinstance(exc, TrainingCancelled) else QMessageBox.Icon.Warning
    )
    box.setWindowTitle("kobert-chat")
    box.setText(headline)
    box.setInformativeText(detail)
    if traceback_text and not isinstance(exc, KobertChatError):
        box.setDetailedText(traceback_text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText("확인")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_notice(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A calm, non-blocking information dialog (e.g. the engine's model_warning)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.button(QMessageBox.StandardButton.Ok).setText("확인")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
