"""First run on an empty data folder: the 기본 모델 build can be stopped (leaving nothing behind) and
started again; the card says what trains, with numbers that add up, and never clips its text."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from kobert_chat import paths
from kobert_chat.store import Store
from kobert_chat.training_data import bundled_examples

BUILD_WAIT = 600_000  # ms: a real (tiny) build on the bundled data, on a shared 2-core machine


@pytest.fixture
def first_run(qtbot, qapp, home, monkeypatch):
    from ui import theme
    from ui.main_window import MainWindow

    monkeypatch.setenv("KOBERT_CHAT_STARTER_RECIPE", "tiny")  # seconds, not minutes
    theme.apply_theme(qapp, "light")
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    win.worker.wait()
    qtbot.waitUntil(lambda: not win.worker.busy(), timeout=BUILD_WAIT)


def versions(home):
    store = Store.open(paths.database_path(home))
    try:
        return store.model_versions()
    finally:
        store.close()


def labels_fit(card) -> bool:
    """No wrapped label in the card is shorter than its text needs at its width (nothing clipped)."""
    QApplication.processEvents()
    return all(
        label.height() >= label.heightForWidth(label.width())
        for label in card.findChildren(QLabel)
        if label.isVisible() and label.wordWrap()
    )


def assert_cancelled(first_run, home) -> None:
    startup = first_run.startup
    assert startup.stage.text() == "기본 모델 만들기를 멈췄어요"
    assert startup.retry.text() == "다시 만들기" and not startup.cancel.isVisible()
    assert "지웠어요" in startup.detail.text()
    assert first_run.engine is None and first_run.pages.currentWidget() is startup
    # nothing half-built: no version registered, no model folder left (staging included)
    assert versions(home) == []
    models = paths.models_dir(home)
    assert not models.exists() or not any(models.iterdir())
    assert labels_fit(startup.card)


def test_first_run_build_explains_itself_can_be_cancelled_and_started_again(qtbot, first_run, home):
    startup = first_run.startup
    first_run.start()
    # the training loop started: the card says what trains, in numbers that add up
    qtbot.waitUntil(lambda: startup.note.isVisible() and "개 중" in startup.note.text(), timeout=BUILD_WAIT)
    note = startup.note.text()
    total, learned, checked = (int(n.replace(",", "")) for n in re.findall(r"([\d,]+)개", note)[:3])
    assert learned + checked == total == len(bundled_examples("train"))
    assert "기본 모델" in note and "스타터" not in note
    assert labels_fit(startup.card)  # the two-line note is not cut off
    assert startup.building() and startup.cancel.text() == "취소"

    startup.cancel.click()
    assert startup.stage.text() == "멈추는 중…"
    qtbot.waitUntil(lambda: startup.retry.isVisible(), timeout=BUILD_WAIT)
    assert_cancelled(first_run, home)

    startup.retry.click()  # 다시 만들기: a fresh build starts from the beginning
    assert not startup.retry.isVisible()
    qtbot.waitUntil(startup.building, timeout=BUILD_WAIT)
    startup.cancel.click()
    qtbot.waitUntil(lambda: startup.retry.isVisible(), timeout=BUILD_WAIT)
    assert_cancelled(first_run, home)
