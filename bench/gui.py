"""Starts bench/app_probe.py (the real app with a probe) on a data home and reads what it measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = Path(__file__).resolve().parent / "app_probe.py"


def run_app_probe(
    home: Path, chat: int, train_epochs: int, timeout_s: int = 1800, train_watch_s: float = 0
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.json"
        env = os.environ | {
            "KOBERT_CHAT_HOME": str(home),
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        }
        env["KOBERT_BENCH_T0"] = repr(time.time())
        proc = subprocess.run(
            [
                sys.executable,
                str(PROBE),
                "--out",
                str(out),
                "--chat",
                str(chat),
                "--train-epochs",
                str(train_epochs),
                "--train-watch-s",
                str(train_watch_s),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if not out.is_file():
            raise RuntimeError(f"app probe wrote nothing (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        result = json.loads(out.read_text())
    if result.get("error"):
        raise RuntimeError(f"app probe: {result['error']}\n{proc.stderr[-3000:]}")
    return result
