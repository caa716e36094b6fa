"""UI fixtures: the real main window on a data home with the tiny model, engine opened on the worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.ui import WAIT


@pytest.fixture
def window(qtbot, qapp, model_home: Path):
    from ui import theme
    from ui.main_window import MainWindow

    theme.apply_theme(qapp, "light")
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.ready, timeout=WAIT):
        win.start()
    yield win
    win.close()
    win.worker.wait()
    qtbot.waitUntil(lambda: not win.worker.busy(), timeout=WAIT)
