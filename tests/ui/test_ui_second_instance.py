"""A second app on the same data folder shows why it is not starting (a dialog where one can be seen)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from kobert_chat.instance_lock import InstanceLock
from ui import app as app_module


def test_a_second_instance_shows_a_korean_dialog_naming_the_folder_and_exits(
    qapp, home: Path, monkeypatch, capsys
):
    monkeypatch.setattr(app_module, "_display_available", lambda: True)  # offscreen here; a desktop has one
    shown: list[str] = []

    def read_and_close_dialog() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(20, read_and_close_dialog)

    with InstanceLock.acquire(home):  # the first app
        QTimer.singleShot(0, read_and_close_dialog)
        code = app_module.run_app()

    assert code == app_module.EXIT_ALREADY_RUNNING != 0
    assert (
        len(shown) == 1
        and "이미 다른 창에서 kobert-chat이 실행 중이에요" in shown[0]
        and str(home) in shown[0]
    )
    assert str(home) in capsys.readouterr().err
    assert sorted(p.name for p in home.iterdir()) == ["kobert-chat.lock"]  # no database, no models
