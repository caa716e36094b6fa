"""UI fixtures: the real main window on a data home with the tiny model, engine opened on the worker and
the model loaded in the background."""

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
    # the chat shows before the model is in (a turn meanwhile gets the quick expert): tests want the model
    qtbot.waitUntil(lambda: win.model_is_loaded, timeout=WAIT)
    yield win
    win.close()
    win.worker.wait()
    qtbot.waitUntil(lambda: not win.worker.busy(), timeout=WAIT)
