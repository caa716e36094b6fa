"""PySide6 6.12 on Python 3.11 drops a reference to True/False each time a bool signal argument reaches a
Python slot (a button's toggled(bool), Signal(bool)); after a few thousand clicks the app aborted with
"bool_dealloc". ui/pyside_fix.py makes None, True and False immortal, as Python 3.12 does."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import ROOT

DELIVERIES = 20_000  # far more than True's count at start (a few thousand)


def test_many_bool_signals_to_python_slots_do_not_abort():
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        import ui  # applies the fix before any Qt call
        from PySide6.QtCore import QObject, Signal
        from PySide6.QtWidgets import QApplication, QPushButton

        app = QApplication([])

        class Source(QObject):
            flag = Signal(bool)
            pair = Signal(int, bool)

        seen = []
        source = Source()
        source.flag.connect(lambda value: seen.append(value))
        source.pair.connect(lambda _n, value: seen.append(value))
        button = QPushButton()
        button.setCheckable(True)
        button.toggled.connect(lambda value: seen.append(value))
        for i in range({DELIVERIES}):
            source.flag.emit(i % 2 == 0)
            source.pair.emit(i, i % 3 == 0)
            button.toggle()
        print(len(seen))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(3 * DELIVERIES)
