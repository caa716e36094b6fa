"""UI fixtures: the real main window on a data home with the tiny model, engine opened on the worker and
the model loaded in the background."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.ui import close_window, open_window


@pytest.fixture
def window(qtbot, qapp, model_home: Path):
    win = open_window(qtbot, qapp)
    yield win
    close_window(qtbot, win)
