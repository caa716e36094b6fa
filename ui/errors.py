"""The one place where an exception becomes something the user sees.

KobertChatError subclasses carry a message meant for the user: shown with a Korean headline.
Anything else is a bug: its traceback goes to the log file and the dialog says where that file is.
Engine messages are often English (they are also the CLI's): the dialog leads with Korean and keeps
the engine's own sentence behind 자세히.
"""

from __future__ import annotations

import logging
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTextEdit, QWidget

from kobert_chat import paths
from kobert_chat.errors import InputError, KobertChatError, ModelError, StoreError, TrainingCancelled

log = logging.getLogger("kobert_chat.ui")
LOG_NAME = "kobert-chat.log"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]")
ENGLISH_ASIDE = re.compile(r"\s*\([^)]*[A-Za-z][^)]*\)")  # "(empty message)" after a Korean phrase
DETAILS_SHOW, DETAILS_HIDE = "자세히", "간단히"

HEADLINES: list[tuple[type[BaseException], str, str]] = [  # (kind, headline, what to do, in plain Korean)
    (InputError, "입력한 내용을 처리할 수 없어요.", "입력한 내용을 확인한 뒤 다시 해 주세요."),
    (
        StoreError,
        "대화 기록을 열거나 저장할 수 없어요.",
        "이번 변경은 저장되지 않았고, 전에 저장한 내용은 그대로예요. 잠시 뒤 다시 해 보세요.",
    ),
    (ModelError, "모델을 불러올 수 없어요.", "모델 창에서 다른 모델을 골라 보세요."),
    (TrainingCancelled, "학습을 취소했어요.", "지금 쓰는 모델은 그대로예요."),
    (KobertChatError, "요청을 처리하지 못했어요.", "잠시 뒤 다시 해 보세요."),
]
BUSY_HEADLINE = "다른 프로그램이 대화 기록을 쓰고 있어요."
BUSY_HINT = "아무것도 저장되지 않았어요. 잠시 뒤 다시 해 보세요."


def log_file() -> str:
    return str(paths.logs_dir() / LOG_NAME)


def is_busy(exc: BaseException) -> bool:
    """Another program holds the database's write lock (the engine's StoreError says "busy")."""
    return isinstance(exc, StoreError) and ("busy" in str(exc).lower() or "locked" in str(exc).lower())


def korean_lead(message: str) -> str:
    """The Korean sentence an engine message starts with ("디스크가 가득 차서 저장하지 못했어요: the disk...")
    or "" when it starts in English: the English rest is for the 자세히 part."""
    lead = ENGLISH_ASIDE.sub("", message.split(": ", 1)[0]).strip()
    return lead if HANGUL.search(lead) and not LATIN.search(lead) else ""


def describe(exc: BaseException) -> tuple[str, str, str]:
    """(Korean headline, a Korean line on what to do, details for 자세히) for an exception."""
    if is_busy(exc):
        return BUSY_HEADLINE, BUSY_HINT, str(exc)
    for kind, headline, hint in HEADLINES:
        if isinstance(exc, kind):
            return headline, korean_lead(str(exc)) or hint, str(exc)
    return (
        "예상하지 못한 오류가 생겼어요.",
        f"자세한 기록을 로그 파일에 남겼어요:\n{log_file()}",
        repr(exc),
    )


def show_error(parent: QWidget | None, exc: BaseException, traceback_text: str | None = None) -> QMessageBox:
    """Show `exc` in a dialog (non-blocking: the app keeps running behind it) and log it."""
    if isinstance(exc, KobertChatError):
        log.warning("%s: %s", type(exc).__name__, exc)
    else:
        log.error("unexpected error in the app\n%s", traceback_text or repr(exc))
    headline, hint, detail = describe(exc)
    if traceback_text and not isinstance(exc, KobertChatError):
        detail = traceback_text
    icon = QMessageBox.Icon.Information if isinstance(exc, TrainingCancelled) else QMessageBox.Icon.Warning
    box = _box(parent, icon, "kobert-chat", headline, hint, detail)
    box.setObjectName("ErrorDialog")
    box.open()
    return box


def show_notice(parent: QWidget | None, title: str, text: str, details: str = "") -> QMessageBox:
    """A calm, non-blocking information dialog; `details` hides behind its 자세히 button."""
    box = _box(parent, QMessageBox.Icon.Information, title, text, "", details)
    box.setObjectName("NoticeDialog")
    box.open()
    return box


def _box(parent, icon, title: str, text: str, informative: str, details: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.button(QMessageBox.StandardButton.Ok).setText("확인")
    if details and details.strip() not in (text.strip(), informative.strip()):
        box.setDetailedText(details)
        _name_details_button(box)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def _name_details_button(box: QMessageBox) -> None:
    """Qt names it "Show Details..."; ours says 자세히 / 간단히 (re-set after Qt's own handler runs)."""
    button = next((b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.ActionRole), None)
    if button is None:
        return
    button.setText(DETAILS_SHOW)

    def rename(*_args) -> None:
        edit = box.findChild(QTextEdit)
        button.setText(DETAILS_HIDE if edit is not None and edit.isVisible() else DETAILS_SHOW)

    button.clicked.connect(rename)
