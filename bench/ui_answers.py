"""The answer editor's longest GUI stall while saving and toggling answers, with 5,000 answers.

    python bench/ui_answers.py [--answers 5000] [--actions 20] [--reference-actions 3]

Measures the real AnswersDialog (ui/answers_dialog.py: a model/view table changed one row per edit) on a
real data home with N answers, and, in the same process on the same data, the way the editor used to
work (a QTableWidget refilled through setItem after every save or toggle, columns sized to their
contents): the reference. A stall is how late a 5 ms timer fires (bench/app_probe.py measures the same
way): while the GUI thread is busy, the timer cannot run, and clicks and typing wait. Goal: <= 50 ms.
Prints a table; never a timed assert in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
)

TICK_MS = 5
GOAL_MS = 50


class StallMeter:
    """The longest delay of a 5 ms timer on the GUI thread while `measure` runs."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.worst = 0.0
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, (now - self._last) * 1000 - TICK_MS)
        self._last = now

    def measure(self, action: Callable[[], None], done: Callable[[], bool], timeout_s: float = 600) -> float:
        self.worst, self._last = 0.0, time.perf_counter()
        self.timer.start()
        start = time.perf_counter()
        action()  # the click itself runs on the GUI thread too: it counts
        self._tick()
        while not done():
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            if time.perf_counter() - start > timeout_s:
                raise TimeoutError("the action did not finish")
        QApplication.processEvents()
        self._tick()
        self.timer.stop()
        return max(0.0, self.worst)


class RefillReference:
    """The editor as it was before issue 16: every save or toggle reloads every answer and refills a
    QTableWidget item by item, its columns sized to their contents."""

    def __init__(self, engine, worker, label_names, rows: int) -> None:
        from ui.answer_form import KINDS
        from ui.fonts import renderable

        self.kinds, self.renderable = KINDS, renderable
        self.engine, self.worker, self.names = engine, worker, label_names
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["사용", "종류", "의도", "감정", "답변", "가중치"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.resize(940, 520)
        self.table.show()
        self.answers: list = []
        self.rows = rows
        self.refills = 0

    def reload_after(self, write: Callable[[], object]) -> None:
        engine = self.engine
        self.worker.run(lambda: (write(), engine.answers(enabled_only=False))[1], self._show)

    def _show(self, answers) -> None:
        self.answers = list(answers)[: self.rows]  # the old dialog refilled the rows its filters let through
        intents, emotions = self.names.get("intent", {}), self.names.get("emotion", {})
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.answers))
        for row, a in enumerate(self.answers):
            enabled = QTableWidgetItem("")
            enabled.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            enabled.setCheckState(Qt.CheckState.Checked if a.enabled else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, enabled)
            cells = [
                self.kinds.get(a.kind, a.kind),
                intents.get(a.intent, a.intent or "—"),
                emotions.get(a.emotion, a.emotion) if a.emotion else "상관없음",
                self.renderable(" ".join(a.text.split())),
                f"{a.weight:g}",
            ]
            for column, text in enumerate(cells, start=1):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.blockSignals(False)
        self.refills += 1


def make_home(folder: Path, n_answers: int):
    """A data home (no model needed: answers are data) with n_answers answers."""
    from kobert_chat.engine import ChatEngine
    from kobert_chat.labels import EMOTIONS, INTENTS

    os.environ["KOBERT_CHAT_HOME"] = str(folder)
    engine = ChatEngine.open(folder, load_model=False)
    have = len(engine.answers())
    with engine.store.transaction():  # the bench's own setup: one commit, not thousands
        for i in range(have, n_answers):
            intent, _ = INTENTS[i % len(INTENTS)]
            emotion = EMOTIONS[i % len(EMOTIONS)][0] if i % 3 else None
            engine.store.add_answer(
                f"벤치마크용 답변 {i}번이에요. 오늘도 좋은 하루 보내세요!", intent=intent, emotion=emotion
            )
    return engine


def summary(stalls: list[float]) -> tuple[float, float]:
    return (max(stalls), statistics.median(stalls)) if stalls else (0.0, 0.0)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bench_editor(
    meter: StallMeter, engine, worker, names, actions: int
) -> list[tuple[str, int, float, float]]:
    """The editor as it is now: open, then `actions` toggles and `actions` saved edits."""
    from ui.answers_dialog import AnswersDialog

    total = len(engine.answers())
    dialog = None

    def open_dialog() -> None:
        nonlocal dialog
        dialog = AnswersDialog(engine, worker, names)
        dialog.show()

    load = meter.measure(open_dialog, lambda: dialog is not None and len(dialog.answers) == total)
    ids = [a.id for a in dialog.answers]
    step = max(1, len(ids) // (actions + 1))
    toggles, saves = [], []
    for k in range(actions):
        answer_id = ids[(k + 1) * step]
        before = next(a for a in dialog.answers if a.id == answer_id)
        toggles.append(
            meter.measure(
                lambda i=answer_id, on=not before.enabled: dialog.set_enabled(i, on),
                lambda: not worker.busy(),
            )
        )
        values = {
            "text": f"고친 답변 {k}번이에요.",
            "kind": before.kind,
            "intent": before.intent,
            "emotion": before.emotion,
            "weight": 2.0,
            "enabled": True,
        }
        saves.append(
            meter.measure(lambda i=answer_id, v=values: dialog.save(i, v), lambda: not worker.busy())
        )
    dialog.close()
    return [
        ("open with all answers", 1, load, load),
        ("toggle 사용", len(toggles), *summary(toggles)),
        ("save an edit", len(saves), *summary(saves)),
    ]


def bench_reference(
    meter: StallMeter, engine, worker, names, actions: int, rows: int
) -> list[tuple[str, int, float, float]]:
    """The editor as it was: every change reloads and refills the whole QTableWidget (`rows` rows)."""
    reference = RefillReference(engine, worker, names, rows)
    first = meter.measure(lambda: reference.reload_after(lambda: None), lambda: reference.refills == 1)
    say(f"  reference: first fill {first:.0f} ms")
    ids = [a.id for a in reference.answers]
    step = max(1, len(ids) // (actions + 1))
    toggles, saves = [], []
    for k in range(actions):
        answer_id = ids[(k + 1) * step]
        wanted = reference.refills + 1
        toggles.append(
            meter.measure(
                lambda i=answer_id: reference.reload_after(lambda: engine.update_answer(i, enabled=False)),
                lambda w=wanted: reference.refills >= w,
            )
        )
        wanted = reference.refills + 1
        saves.append(
            meter.measure(
                lambda i=answer_id, k=k: reference.reload_after(
                    lambda: engine.update_answer(i, text=f"다시 고친 답변 {k}번", weight=3.0)
                ),
                lambda w=wanted: reference.refills >= w,
            )
        )
        say(f"  reference: toggle {toggles[-1]:.0f} ms, save {saves[-1]:.0f} ms")
    reference.table.close()
    return [
        ("open with all answers", 1, first, first),
        ("toggle 사용", len(toggles), *summary(toggles)),
        ("save an edit", len(saves), *summary(saves)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--actions", type=int, default=20, help="saves and toggles each, new editor")
    parser.add_argument(
        "--reference-rows",
        type=int,
        default=300,
        help="rows the old editor shows (a filtered view; its refill grows with the square of the rows)",
    )
    parser.add_argument("--reference-actions", type=int, default=3, help="saves and toggles each, old editor")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui import theme
    from ui.fonts import register_korean_font
    from ui.worker import Worker

    register_korean_font(app)
    theme.apply_theme(app, "light")
    meter = StallMeter()
    rows: list[tuple[str, int, str, int, float, float]] = []
    worst_now = 0.0
    for n in (args.answers,):
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_home(Path(tmp) / "home", n)
            total = len(engine.answers())
            names = {head: dict(labels) for head, labels in engine.label_sets().items()}
            worker = Worker()
            say(f"{total:,} answers: the editor now")
            for action, runs, worst, median in bench_editor(meter, engine, worker, names, args.actions):
                rows.append(("model/view (now)", total, action, runs, worst, median))
                if n == args.answers and action != "open with all answers":
                    worst_now = max(worst_now, worst)
            if args.reference_actions:
                say(f"{args.reference_rows:,} rows: the reference (QTableWidget refill)")
                for action, runs, worst, median in bench_reference(
                    meter, engine, worker, names, args.reference_actions, args.reference_rows
                ):
                    rows.append(
                        ("QTableWidget refill (before)", args.reference_rows, action, runs, worst, median)
                    )
            worker.wait()
            engine.close()

    print(
        f"answer editor: longest GUI stall (a 5 ms timer's delay), {app.platformName()}, {os.cpu_count()} CPUs"
    )
    print(f"{'editor':<30} {'rows':>7}  {'action':<22} {'runs':>4} {'longest':>10} {'median':>9}")
    for editor, total, action, runs, worst, median in rows:
        print(f"{editor:<30} {total:>7,}  {action:<22} {runs:>4} {worst:>7.0f} ms {median:>6.0f} ms")
    verdict = "met" if worst_now <= GOAL_MS else "NOT met"
    print(
        f"longest stall saving/toggling with {args.answers:,} answers: {worst_now:.0f} ms (goal <= {GOAL_MS} ms: {verdict})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
