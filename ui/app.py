"""Start the desktop app: Qt application, Korean font and translations, theme, main window.

`python main.py` calls run_app(); `python main.py --screenshot FILE.png` starts the same way, waits until
the engine is ready and the window painted, saves the window to FILE.png and exits.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from kobert_chat import paths
from kobert_chat.instance_lock import AlreadyRunning, InstanceLock
from kobert_chat.settings import load_settings

from . import errors, qt_libs, theme
from .fonts import register_korean_font
from .main_window import MainWindow

log = logging.getLogger("kobert_chat.ui")
SCREENSHOT_TIMEOUT_S = 900  # a fresh data folder builds the starter model first (minutes on 2 cores)
PAINT_SETTLE_MS = 400
EXIT_ALREADY_RUNNING = 3
EXIT_NO_DISPLAY_LIBRARIES = 1
HEADLESS_PLATFORMS = ("offscreen", "minimal")


def run_app(screenshot: str | None = None, device: str | None = None) -> int:
    """The desktop app; one per data folder (a second start explains and exits before touching anything)."""
    if QApplication.instance() is None:
        missing = qt_libs.check()  # Qt would abort with a misleading message: say what to install instead
        if missing:
            print(qt_libs.message(missing), file=sys.stderr)
            return EXIT_NO_DISPLAY_LIBRARIES
    try:
        lock = InstanceLock.acquire(paths.data_home())
    except AlreadyRunning as e:
        return _refuse_second_instance(e, dialog=not screenshot)
    try:
        return _run(screenshot, device)
    finally:
        lock.release()  # (os._exit in _run skips this; the OS drops the lock with the process anyway)


def _refuse_second_instance(error: AlreadyRunning, dialog: bool) -> int:
    print(f"error: {error}", file=sys.stderr)
    if dialog and _display_available():
        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "kobert-chat"])
        register_korean_font(app)
        QMessageBox.warning(None, "kobert-chat", str(error))
    return EXIT_ALREADY_RUNNING


def _display_available() -> bool:
    """False where a dialog could never be seen (offscreen tests, a Linux session without a display)."""
    app = QApplication.instance()
    if app is not None:
        return app.platformName() not in HEADLESS_PLATFORMS
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in HEADLESS_PLATFORMS:
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _run(screenshot: str | None, device: str | None) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "kobert-chat"])
    app.setApplicationName("kobert-chat")
    app.setApplicationDisplayName("kobert-chat")
    app.setDesktopFileName("kobert-chat")
    _install_korean(app)
    if register_korean_font(app) is None:
        print(
            "경고: 한글 글꼴을 찾지 못해 한글이 네모로 보일 수 있어요 (no font with Hangul found)",
            file=sys.stderr,
        )
    _ensure_log_file()
    theme.apply_theme(app, _theme_setting())
    window = MainWindow(device=device)
    window.show()
    result = {"code": None}
    if screenshot:
        _arm_screenshot(app, window, Path(screenshot), result)
    QTimer.singleShot(0, window.start)
    code = app.exec()
    if result["code"] is not None:
        code = result["code"]
    window.close()
    if not window.worker.wait(5000):
        # The starter build cannot be interrupted mid-epoch; its staging folder is swept at the next start.
        log.warning("background work still running at exit; leaving without waiting")
        logging.shutdown()
        os._exit(code)
    return code


def _install_korean(app: QApplication) -> None:
    """Korean for Qt's own texts (예/아니요, 취소, file dialogs) and Korean number/date formats."""
    QLocale.setDefault(QLocale(QLocale.Language.Korean, QLocale.Country.SouthKorea))
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.Korean), "qtbase", "_", folder):
        app.installTranslator(translator)


def _ensure_log_file() -> None:
    """The CLI already logs to the file; other ways of starting the app should too (the error dialog
    points there)."""
    target = os.path.abspath(errors.log_file())
    root = logging.getLogger()
    if any(isinstance(h, logging.FileHandler) and h.baseFilename == target for h in root.handlers):
        return
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))


def _theme_setting() -> str:
    try:
        return load_settings(paths.settings_path()).theme
    except OSError:
        return "system"


def _arm_screenshot(app: QApplication, window: MainWindow, path: Path, result: dict) -> None:
    def finish(code: int, message: str) -> None:
        if result["code"] is None:
            result["code"] = code
            print(message, file=sys.stderr if code else sys.stdout)
            app.exit(code)

    def grab() -> None:
        app.processEvents()
        pixmap = window.grab()
        path.parent.mkdir(parents=True, exist_ok=True)
        if pixmap.isNull() or not pixmap.save(str(path)):
            finish(1, f"error: could not save the screenshot to {path}")
        else:
            finish(0, f"screenshot saved to {path}")

    waiting = {"ready", "model"}  # the chat shown and the full model in (the status bar says which)

    def arrived(what: str) -> None:
        waiting.discard(what)
        if not waiting:
            QTimer.singleShot(PAINT_SETTLE_MS, grab)

    window.ready.connect(lambda: arrived("ready"))
    window.model_loaded.connect(lambda: arrived("model"))
    window.startup_failed.connect(
        lambda why: finish(1, f"error: screenshot failed: {why} (log: {errors.log_file()})")
    )
    QTimer.singleShot(
        SCREENSHOT_TIMEOUT_S * 1000,
        lambda: finish(1, f"error: screenshot timed out after {SCREENSHOT_TIMEOUT_S} s"),
    )
