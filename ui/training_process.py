"""Retraining in a child process: `python -m kobert_chat train --mode M --progress jsonl`, read line by line.

A child process keeps the window responsive, makes Cancel real (SIGTERM, then kill after 3 s) and
means a crash in training cannot take the app down. The active model never changes here: the CLI
registers an inactive version and the dialog decides.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

import kobert_chat
from kobert_chat import progress
from kobert_chat.paths import HOME_ENV

log = logging.getLogger("kobert_chat.ui")
# The folder holding the kobert_chat package (site-packages, or a checkout): the child imports the
# same engine this window runs, whichever way the app was started.
PACKAGE_PARENT = Path(kobert_chat.__file__).resolve().parent.parent
KILL_AFTER_MS = 3000


class TrainingProcess(QObject):
    event = Signal(object)  # one progress event (kobert_chat.progress) parsed from a stdout line
    finished = Signal(str, int)  # outcome: "done" | "cancelled" | "failed", exit code

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.process = QProcess(self)
        self.process.setProgram(sys.executable)
        self.process.setWorkingDirectory(str(self.home))
        env = QProcessEnvironment.systemEnvironment()
        env.insert(HOME_ENV, str(self.home))  # the same data folder as this window, whatever chose it
        python_path = [str(PACKAGE_PARENT)] + ([env.value("PYTHONPATH")] if env.value("PYTHONPATH") else [])
        env.insert("PYTHONPATH", os.pathsep.join(python_path))
        env.insert("PYTHONUNBUFFERED", "1")
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._read_stdout)
        self.process.readyReadStandardError.connect(self._read_stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self._buffer = b""
        self.stderr = ""
        self.events: list[progress.Event] = []
        self.cancel_requested = False
        self._kill_timer = QTimer(self, singleShot=True, interval=KILL_AFTER_MS)
        self._kill_timer.timeout.connect(self.process.kill)
        self._done_sent = False

    def arguments(self, mode: str, extra_args: tuple[str, ...] = ()) -> list[str]:
        """The child's command line after the interpreter. --low-priority: it yields the cores to this
        window and its chat (threads.lower_priority)."""
        return [
            "-m",
            "kobert_chat",
            "train",
            "--mode",
            mode,
            "--progress",
            "jsonl",
            "--low-priority",
            *extra_args,
        ]

    def start(self, mode: str, extra_args: tuple[str, ...] = ()) -> None:
        args = self.arguments(mode, extra_args)
        log.info("starting training: %s %s", sys.executable, " ".join(args))
        self.process.setArguments(args)
        self.process.start()

    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def cancel(self) -> None:
        """SIGTERM lets the CLI stop at the next step and clean up; kill if it has not gone in 3 s."""
        if not self.running():
            return
        self.cancel_requested = True
        self.process.terminate()
        self._kill_timer.start()

    def error_text(self) -> str:
        """What went wrong, for the error dialog: the CLI's error event, else the end of stderr."""
        for event in reversed(self.events):
            if isinstance(event, progress.Error):
                return event.message
        tail = self.stderr.strip().splitlines()[-12:]
        return "\n".join(tail) or f"학습 프로세스가 코드 {self.process.exitCode()}로 끝났어요."

    def _read_stdout(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            event = progress.from_json(line)
            if event is None:
                self.stderr += line + "\n"  # not ours (a library printing): keep it for the error dialog
                continue
            self.events.append(event)
            self.event.emit(event)

    def _read_stderr(self) -> None:
        self.stderr += bytes(self.process.readAllStandardError()).decode("utf-8", errors="replace")
        self.stderr = self.stderr[-20000:]

    def _finished(self, exit_code: int, _status) -> None:
        self._kill_timer.stop()
        self._read_stdout()
        self._read_stderr()
        done = any(isinstance(e, progress.Done) for e in self.events)
        if done and exit_code == 0:
            outcome = "done"
        elif self.cancel_requested or exit_code == 130:
            outcome = "cancelled"
        else:
            outcome = "failed"
        self._emit_finished(outcome, exit_code)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.stderr += f"could not start {sys.executable}: {self.process.errorString()}\n"
            self._emit_finished("failed", -1)

    def _emit_finished(self, outcome: str, code: int) -> None:
        if not self._done_sent:
            self._done_sent = True
            self.finished.emit(outcome, code)
