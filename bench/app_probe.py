"""Runs the real desktop app (ui.app.run_app) with a probe attached; bench/gui.py starts it as a child.

    KOBERT_BENCH_T0=<parent's time.time() at spawn> python bench/app_probe.py --out FILE [--chat N]
        [--train-epochs E] [--train-watch-s S]

The probe measures from inside the app process: when the window was first shown and painted, when
the first answer was on screen, the longest event-loop stall while chatting and while a retrain runs
(the retrain dialog's real child process; the user keeps chatting meanwhile; `--train-watch-s` stops
watching after S seconds, for a machine so busy that the niced retrain would take far longer), and the
peak RSS.
A stall is how late a 5 ms timer fires: while the GUI thread is busy, the timer cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path

T_SPAWN = float(os.environ.get("KOBERT_BENCH_T0") or time.time())
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QTimer  # noqa: E402

import ui.app as app_module  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

TICK_MS = 5
TEXTS = (
    "안녕하세요!",
    "오늘 좀 우울하네ㅠㅠ",
    "너 누가 만들었어?",
    "고마워 ㅋㅋ",
    "시험 망쳐서 속상해요",
    "라벨은 어떻게 고쳐?",
    "남친이랑 헤어졌어..",
    "완전 최고야!!",
    "잘 자",
    "요즘 잠이 안 와요",
)


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux from /proc (VmHWM): getrusage's ru_maxrss survives
    exec, so a child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux, bytes on macOS
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


class Probe:
    def __init__(
        self, window: MainWindow, out: Path, chat_n: int, train_epochs: int, train_watch_s: float = 0
    ) -> None:
        self.w, self.out, self.chat_n, self.train_epochs = window, out, chat_n, train_epochs
        self.train_watch_s = train_watch_s
        self.result: dict = {"t_spawn": T_SPAWN}
        self.phase = "startup"  # startup -> chat -> train -> done
        self.stall = {"chat": 0.0, "train": 0.0}
        self.reply_ms: list[float] = []
        self.sent = 0
        self.waiting: tuple[int, float] | None = None  # (rows before the send, perf_counter at send)
        self.dialog = None
        self.last_tick = None
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        window.ready.connect(self.on_ready)
        window.startup_failed.connect(lambda why: self.finish(f"startup failed: {why}"))
        QTimer.singleShot(20 * 60 * 1000, lambda: self.finish("timed out"))

    def shown(self) -> None:
        if "window_shown_s" not in self.result:
            self.result["window_shown_s"] = time.time() - T_SPAWN  # called once the show has been painted

    def on_ready(self) -> None:
        self.result["engine_ready_s"] = time.time() - T_SPAWN
        self.phase = "chat"
        self.last_tick = time.perf_counter()
        self.timer.start()
        QTimer.singleShot(0, self.send)

    def send(self) -> None:
        try:
            self._send()
        except Exception:
            self.finish(traceback.format_exc())

    def _send(self) -> None:
        model = self.w.chat.model
        self.waiting = (model.rowCount(), time.perf_counter())
        self.w.chat.composer.input.setPlainText(TEXTS[self.sent % len(TEXTS)])
        self.w.chat.composer.input.submit()  # what Enter does
        self.sent += 1

    def tick(self) -> None:
        try:
            self._tick()
        except Exception:  # a broken probe must end the run, not leave the app waiting
            self.finish(traceback.format_exc())

    def _tick(self) -> None:
        now = time.perf_counter()
        late_ms = (now - self.last_tick) * 1000 - TICK_MS
        self.last_tick = now
        if self.phase in self.stall:
            self.stall[self.phase] = max(self.stall[self.phase], late_ms)
            if late_ms > 25 and os.environ.get("KOBERT_BENCH_LOG_STALLS"):
                page = self.dialog.page() if self.dialog is not None else "-"
                print(
                    f"stall {late_ms:.0f} ms phase={self.phase} reply_pending={bool(self.waiting)} page={page}",
                    file=sys.stderr,
                    flush=True,
                )
        if self.waiting and self.reply_on_screen():
            self.replied(now)
        if (
            self.phase == "train"
            and self.dialog is not None
            and not self.dialog.running()
            and not self.waiting
        ):
            self.result["train_outcome"] = self.dialog.page()
            self.finish(None)

    def reply_on_screen(self) -> bool:
        model, (before, _) = self.w.chat.model, self.waiting
        return model.rowCount() >= before + 2 and model.message_at(before + 1).id > 0

    def replied(self, now: float) -> None:
        self.reply_ms.append((now - self.waiting[1]) * 1000)
        self.waiting = None
        if "first_reply_s" not in self.result:
            self.result["first_reply_s"] = time.time() - T_SPAWN
        if self.phase == "chat" and len(self.reply_ms) >= self.chat_n:
            self.result["peak_rss_mb_chat"] = peak_rss_mb()
            self.start_training()
        elif self.phase == "train" and self.dialog.running():
            QTimer.singleShot(300, self.send)  # a user typing now and then while the model trains
        elif self.phase == "chat":
            self.send()

    def start_training(self) -> None:
        if not self.train_epochs:
            self.finish(None)
            return
        self.phase = "train"
        self.dialog = self.w.open_retrain(("--epochs", str(self.train_epochs)))
        self.dialog.show()
        self.dialog.start("full")
        QTimer.singleShot(300, self.send)
        if self.train_watch_s:
            QTimer.singleShot(int(self.train_watch_s * 1000), self.stop_watching)

    def stop_watching(self) -> None:
        """Enough of the retrain seen: its stalls so far are the figure (closing the app ends the child)."""
        if self.phase == "train":
            self.result["train_outcome"] = f"watched {self.train_watch_s:.0f} s, still training"
            self.finish(None)

    def finish(self, error: str | None) -> None:
        if self.phase == "done":
            return
        self.phase = "done"
        self.timer.stop()
        self.result.update(
            {
                "error": error,
                "replies": len(self.reply_ms),
                "ui_reply_ms": self.reply_ms,
                "max_gui_stall_chat_ms": self.stall["chat"],
                "max_gui_stall_train_ms": self.stall["train"],
                "peak_rss_mb": peak_rss_mb(),
            }
        )
        self.out.write_text(json.dumps(self.result, indent=2))
        if self.dialog is not None:
            self.dialog.hide()
        app_module.QApplication.instance().exit(0 if error is None else 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--chat", type=int, default=30, help="replies to time before the retrain starts")
    ap.add_argument("--train-epochs", type=int, default=1, help="0: no retrain phase")
    ap.add_argument(
        "--train-watch-s", type=float, default=0, help="stop after S s of retraining (0: its end)"
    )
    args = ap.parse_args()
    probe: dict = {}

    class ProbedWindow(MainWindow):
        def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
            super().showEvent(event)
            QTimer.singleShot(0, lambda: probe["p"].shown())  # after the first paint has been processed

    def make_window(*a, **kw):
        window = ProbedWindow(*a, **kw)
        probe["p"] = Probe(window, args.out, args.chat, args.train_epochs, args.train_watch_s)
        return window

    app_module.MainWindow = make_window  # run_app builds our window; everything else is the real start-up
    return app_module.run_app()


if __name__ == "__main__":
    sys.exit(main())
