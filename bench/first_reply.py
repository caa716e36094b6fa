"""How soon after start the app can show the chat, have its model, and give its first reply.

    python bench/first_reply.py [--home DIR | --model DIR] [--runs 5] [--json FILE]

Each run is a fresh Python process, as the app is, on a temporary copy of a data home whose active
model is the given one (default: the active model of KOBERT_CHAT_HOME / the user's data home), so
nothing is written to the real home. Times are seconds from just before the child was started.
Four ways to start, interleaved run by run so they share the machine's load:

expert      (what the window should do) `ChatEngine.open(load_model=False)` -> the chat can show;
            `start_loading()`; the first message is answered as soon as `quick_ready` (the model's
            TF-IDF expert, numpy only); then the full model arrives ("full model ready").
background  `open(load_model=False)`, then `load_active_model()` on the worker; the first message
            waits for it (the window's single worker queue).
eager       the reference: `ChatEngine.open()` loads the model before returning (the window as it
            was), then the first message.
app         the real window (ui.main_window.MainWindow started as ui.app does it, QT_QPA_PLATFORM
            offscreen unless set): "window shown" after show(), "chat can show" when the window's
            `ready` fires (engine open without the model, conversations listed), the first message
            typed into the composer and sent with Enter at that moment, "first reply" when its bubble
            is in, "full model ready" when `model_loaded` fires.

The child also reports whether torch was imported when the engine opened (it must not be).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, sys, time
t = {}
from kobert_chat.engine import ChatEngine
t["import"] = time.time()
mode = sys.argv[1]
text = "안녕하세요, 오늘 처음 왔어요"
if mode == "eager":
    engine = ChatEngine.open()
    t["engine_open"] = t["model_ready"] = time.time()
    t["torch_at_open"] = True
    reply = engine.send(None, text)
    t["first_reply"] = time.time()
else:
    engine = ChatEngine.open(load_model=False)
    t["engine_open"] = time.time()
    t["torch_at_open"] = "torch" in sys.modules
    if mode == "expert":
        engine.start_loading()
        while not engine.quick_ready:
            time.sleep(0.005)
        reply = engine.send(None, text)
        t["first_reply"] = time.time()
        t["by_expert"] = reply.by_expert
        engine.wait_for_model()
        t["model_ready"] = time.time()
    else:
        engine.load_active_model()
        t["model_ready"] = time.time()
        reply = engine.send(None, text)
        t["first_reply"] = time.time()
t["reply"] = reply.bot.text
engine.close()
print(json.dumps(t, ensure_ascii=False))
"""
APP_CHILD = """
import json, sys, time
t = {}
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
app = QApplication(["kobert-chat"])
from ui import app as ui_app, theme
from ui.fonts import register_korean_font
from ui.main_window import MainWindow
t["import"] = time.time()
ui_app._install_korean(app)
register_korean_font(app)
theme.apply_theme(app, "light")
win = MainWindow(device="cpu")
win.show()
app.processEvents()
t["window_shown"] = time.time()
text = "안녕하세요, 오늘 처음 왔어요"

def ready():
    t["engine_open"] = time.time()
    t["torch_at_open"] = "torch" in sys.modules
    box = win.chat.composer.input
    box.setPlainText(text)
    QTest.keyClick(box, Qt.Key.Key_Return)

def replied(_cid):
    t["first_reply"] = time.time()
    rows = win.chat.model
    bot = rows.message_at(rows.rowCount() - 1)  # the run's home is reused: older chats may be shown
    t["reply"] = bot.text
    t["by_expert"] = bot.details.get("classifier") == "expert"
    done()

def loaded():
    t["model_ready"] = time.time()
    done()

def done():
    if "first_reply" in t and "model_ready" in t:
        app.quit()

win.ready.connect(ready)
win.chat.replied.connect(replied)
win.model_loaded.connect(loaded)
QTimer.singleShot(0, win.start)
QTimer.singleShot(300_000, app.quit)
app.exec()
win.close()
win.worker.wait(30_000)
print(json.dumps(t, ensure_ascii=False))
"""
MODES = ("expert", "background", "eager", "app")
STEPS = ("import", "engine_open", "model_ready", "first_reply")


def prepare_home(model_dir: Path) -> Path:
    """A temporary data home with a copy of `model_dir` as its active model."""
    from kobert_chat import paths
    from kobert_chat.registry import Registry
    from kobert_chat.store import Store

    home = Path(tempfile.mkdtemp(prefix="first-reply-"))
    with Store.open(paths.database_path(home)) as store:
        registry = Registry(store, paths.models_dir(home))
        staging = registry.staging_folder()
        shutil.rmtree(staging)
        shutil.copytree(model_dir, staging)
        registry.commit(
            staging, backbone="starter", parent=None, metrics={}, n_train=0, params={}, activate=True
        )
    return home


def active_model(home: Path | None) -> Path:
    from kobert_chat import paths
    from kobert_chat.store import Store

    home = home or paths.data_home()
    with Store.open(paths.database_path(home)) as store:
        version = store.active_model_version()
    if version is None:
        raise SystemExit(f"no active model in {home}: start the app once, or pass --model DIR")
    path = Path(version.path)
    return path if path.is_absolute() else home / path


def run_once(home: Path, mode: str) -> dict:
    env = dict(os.environ, KOBERT_CHAT_HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    if mode == "app":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["PYTHONPATH"] = str(ROOT)
    started = time.time()
    code = [APP_CHILD] if mode == "app" else [CHILD, mode]
    out = subprocess.run(
        [sys.executable, "-c", *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0:
        raise SystemExit(f"child failed:\n{out.stderr[-2000:]}")
    t = json.loads(out.stdout.splitlines()[-1])
    return {
        **{step: t[step] - started for step in STEPS},
        "window_shown": t.get("window_shown", t["engine_open"]) - started,
        "torch_at_open": t["torch_at_open"],
        "by_expert": t.get("by_expert", False),
    }


def summary(runs: list[dict], steps: tuple[str, ...] = STEPS) -> dict:
    return {
        step: {
            "min": min(r[step] for r in runs),
            "median": statistics.median(r[step] for r in runs),
            "max": max(r[step] for r in runs),
        }
        for step in steps
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = p.add_mutually_exclusive_group()
    source.add_argument("--home", type=Path, help="take the active model of this data home")
    source.add_argument("--model", type=Path, help="a model folder")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = p.parse_args()
    model = args.model or active_model(args.home)
    home = prepare_home(model)
    try:
        results: dict[str, list[dict]] = {mode: [] for mode in MODES}
        for _ in range(args.runs):  # interleaved, so every mode sees the same machine load
            for mode in MODES:
                results[mode].append(run_once(home, mode))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report: dict = {mode: summary(runs) for mode, runs in results.items()}
    report["torch_at_engine_open"] = any(
        r["torch_at_open"] for r in results["background"] + results["expert"]
    )
    report["expert_answered_first"] = all(r["by_expert"] for r in results["expert"])
    report["app_expert_answered_first"] = sum(r["by_expert"] for r in results["app"])
    report["app_window_shown"] = summary([{"w": r["window_shown"]} for r in results["app"]], ("w",))["w"]
    report["runs"] = args.runs
    report["cpus"] = os.cpu_count()
    print(f"{args.runs} runs of each, {os.cpu_count()} CPUs, model {model}")
    print("seconds from process start, min / median / max")
    names = {
        "import": "engine (app: ui) imported",
        "engine_open": "chat can show (engine open)",
        "model_ready": "full model ready",
        "first_reply": "first reply",
    }
    print(f"{'':<30}" + "".join(f"{m:>24}" for m in MODES))
    for step in STEPS:
        cells = [report[m][step] for m in MODES]
        print(
            f"{names[step]:<30}"
            + "".join(f"{c['min']:>10.2f} /{c['median']:5.2f} /{c['max']:5.2f}" for c in cells)
        )
    print(f"torch imported when the engine opened without the model: {report['torch_at_engine_open']}")
    print(f"the expert answered the first message in every 'expert' run: {report['expert_answered_first']}")
    w = report["app_window_shown"]
    print(
        f"app: window shown {w['min']:.2f} / {w['median']:.2f} / {w['max']:.2f} s; the quick expert answered "
        f"the first message in {report['app_expert_answered_first']} of {args.runs} runs"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
