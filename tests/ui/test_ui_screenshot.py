"""`python main.py --screenshot FILE.png`: the real app, started as a user would, saves its window."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage

from tests.helpers import ROOT


def test_screenshot_flag_saves_a_real_picture_of_the_window(model_home, tmp_path):
    out = tmp_path / "out.png"
    env = dict(os.environ, KOBERT_CHAT_HOME=str(model_home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--screenshot", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 700 and image.height() >= 450
    colors = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(colors) > 50  # text, icons and panels: not one flat colour
