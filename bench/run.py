"""The benchmark run: speed figures and ratios against the usual tools, measured side by side.

    python bench/run.py [--quick] [--json FILE] [--only reply,pipeline,trainer,retrain,gui,busy]

Prints a table (figure, median, min-max over the repetitions, goal, met?, load) and writes every
figure with its spread and details as JSON (default bench/out/bench.json).

Both modes measure the same things on the same inputs: a fixed, length-stratified set of 256
held-out lines (fixtures.text_set) for replies and batch inference, length-stratified training lines
for the Trainer ratio. `--quick` only repeats less (and trains the Trainer comparison on 3,000 lines
for 2 epochs instead of the whole split for 8); every figure is the median of its repetitions, with
min and max beside it. Ratios compare two tools in the same process, round by round.

`--smoke` runs every section on a handful of inputs, to check the code (its figures mean nothing);
KOBERT_BENCH_STARTER=FOLDER uses that starter instead of building the cached one.

`busy`: the same figures beside two CPU-bound processes that the benchmark starts and stops
(bench/busy.py), plus training steps at 1 vs 2 torch threads measured in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench import fixtures  # noqa: E402
from bench.stats import fmt, spread  # noqa: E402
from kobert_chat.nlu.tokenizer import KoBertTokenizer  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402

# figure -> (goal, "<=" or ">="): the goals for this 2-core CPU (idle)
GOALS = {
    "reply_p95_ms_starter": (25, "<="),
    "reply_p95_ms_kobert": (80, "<="),
    "batch_vs_pipeline_ratio": (1.5, ">="),
    "train_vs_trainer_ratio": (1.3, ">="),
    "window_shown_s": (2.0, "<="),
    "quick_retrain_1k_s": (15, "<="),
    "max_gui_stall_ms": (50, "<="),
    "busy_max_gui_stall_ms": (50, "<="),
}
SECTIONS = ("reply", "pipeline", "trainer", "retrain", "gui", "busy")
# repetitions per mode: (quick, full)
ROUNDS = {"reply": (3, 5), "pipeline": (3, 5), "retrain": (2, 3), "gui": (1, 2), "busy": (1, 2)}
TRAINER = {"quick": (3000, 2), "full": (None, 8)}  # (training lines, epochs)
BUSY_WATCH_S = 300  # seconds of a retrain the busy GUI figure watches
# --smoke: every code path in minutes on a busy machine; its figures mean nothing
SMOKE = {"texts": 8, "rounds": 1, "trainer": (300, 1), "labels": 50, "chat": 3, "steps": 2}
smoke = False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, a shorter Trainer comparison")
    ap.add_argument("--json", type=Path, default=fixtures.ROOT / "bench" / "out" / "bench.json")
    ap.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    ap.add_argument(
        "--smoke", action="store_true", help="check that every section runs (figures meaningless)"
    )
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a timeout's TERM still runs the cleanups
    global smoke
    smoke = args.smoke
    only = set(args.only.split(","))
    if only - set(SECTIONS):
        ap.error(f"unknown section(s): {', '.join(sorted(only - set(SECTIONS)))}")
    q = args.quick
    figures: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "torch_default_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "quick": q,
            "load_at_start": _load(),
        },
        "spread": {},
        "load": {},
    }
    starter = fixtures.starter_folder(log=lambda m: print(m, flush=True))
    kobert = fixtures.kobert_size_folder(starter)
    texts = fixtures.text_set(SMOKE["texts"] if smoke else fixtures.TEXT_SET_SIZE)
    with tempfile.TemporaryDirectory(prefix="kobert-bench-") as tmp:
        tmp = Path(tmp)
        homes = {
            "starter": lambda: fixtures.make_home(tmp / "starter", starter, "starter"),
            "kobert": lambda: fixtures.make_home(tmp / "kobert", kobert, "kobert-size-random"),
        }
        sections = {
            "reply": lambda: _reply(figures, homes, texts, _rounds("reply", q)),
            "pipeline": lambda: _pipeline(figures, kobert, texts, _rounds("pipeline", q)),
            "trainer": lambda: _trainer(figures, starter, q),
            "retrain": lambda: _retrain(figures, tmp / "retrain", starter, q),
            "gui": lambda: _gui(figures, homes, q),
            "busy": lambda: _busy(figures, homes, texts, tmp / "busy", starter, q),
        }
        for name in SECTIONS:
            if name not in only:
                continue
            t0 = time.perf_counter()
            print(f"[{name}] ... (load {_load()})", flush=True)
            if len(only) == 1:
                before = _load()
                try:
                    sections[name]()
                except Exception as e:  # a failed section keeps what it measured and the others' figures
                    figures.setdefault("errors", {})[name] = f"{type(e).__name__}: {str(e)[:500]}"
                    print(f"[{name}] FAILED: {figures['errors'][name]}", flush=True)
                figures["load"][name] = {"start": before, "end": _load()}
            else:  # each section in a fresh process: one section's memory and threads must not slow the next
                child = _in_child(name, tmp / f"{name}.json", q)
                for key in ("spread", "load", "errors"):
                    figures.setdefault(key, {}).update(child.pop(key, {}))
                figures.update(child)
            print(f"[{name}] done in {time.perf_counter() - t0:.0f} s (load {_load()})", flush=True)
    _print_table(figures)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"written: {args.json}")
    return 0


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _rounds(section: str, quick: bool) -> int:
    return SMOKE["rounds"] if smoke else ROUNDS[section][0 if quick else 1]


def _in_child(name: str, out: Path, quick: bool) -> dict:
    cmd = [sys.executable, __file__, "--only", name, "--json", str(out)] + (["--quick"] if quick else [])
    cmd += ["--smoke"] if smoke else []
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if not out.is_file():  # the child died before writing: the run goes on without this section
        return {"errors": {name: f"the section's process exited {proc.returncode} without figures"}}
    result = json.loads(out.read_text(encoding="utf-8"))
    result.pop("machine", None)
    return result


def _put(figures: dict, name: str, s: dict) -> None:
    """A figure: its median in the table, its spread beside it."""
    figures[name] = s["median"]
    figures["spread"][name] = s


def _reply(figures: dict, homes: dict, texts: list[str], rounds: int, prefix: str = "") -> None:
    from bench.reply_latency import measure_replies

    details = {}
    for name, home, int8 in (
        ("starter", "starter", False),
        ("kobert", "kobert", False),
        ("kobert_int8", "kobert", True),
    ):
        r = measure_replies(homes[home](), texts, rounds, int8=int8)
        _put(figures, f"{prefix}reply_p50_ms_{name}", r["p50_ms"])
        _put(figures, f"{prefix}reply_p95_ms_{name}", r["p95_ms"])
        details[name] = r
    figures[f"{prefix}reply_details"] = details


def _pipeline(figures: dict, kobert: Path, texts: list[str], rounds: int) -> None:
    from bench.pipeline_ratio import compare

    result = compare(kobert, texts, rounds=rounds)
    _put(figures, "batch_vs_pipeline_ratio", result["ratio"])
    figures["pipeline_details"] = result


def _trainer(figures: dict, starter: Path, quick: bool) -> None:
    from bench.trainer_ratio import compare

    lines, epochs = SMOKE["trainer"] if smoke else TRAINER["quick" if quick else "full"]
    examples = fixtures.train_subset(lines) if lines else bundled_examples("train")
    result = compare(KoBertTokenizer.load(starter), examples, bundled_examples("test"), epochs=epochs)
    _put(figures, "train_vs_trainer_ratio", result["epoch_ratio"])
    figures["train_vs_trainer_ratio_whole_run"] = round(result["ratio"], 3)
    figures["trainer_details"] = result


def _retrain(figures: dict, home: Path, starter: Path, quick: bool, prefix: str = "", rounds=None) -> None:
    from bench.retrain import label_messages, time_retrain

    fixtures.make_home(home, starter, "starter")
    labels = label_messages(home, SMOKE["labels"] if smoke else 1000)
    runs = [time_retrain(home, "quick") for _ in range(rounds or _rounds("retrain", quick))]
    _put(figures, f"{prefix}quick_retrain_1k_s", spread([r["seconds"] for r in runs], 2))
    details: dict = {"new_labels": labels, "quick": runs}
    if not prefix:
        full_run = time_retrain(home, "full", epochs=1 if smoke else 2 if quick else None)
        figures["full_retrain_1k_s"] = round(full_run["seconds"], 1)
        details["full"] = full_run
    figures[f"{prefix}retrain_details"] = details


def _gui(figures: dict, homes: dict, quick: bool, prefix: str = "", rounds=None) -> None:
    from bench.gui import run_app_probe

    n = rounds or _rounds("gui", quick)
    chat = SMOKE["chat"] if smoke else 30
    # Beside busy programs the niced retrain gets little CPU (a 1-epoch full retrain outlasted the
    # probe's 20 minutes): its first BUSY_WATCH_S are watched, which is what the stall figure needs.
    watch = BUSY_WATCH_S if prefix else 0
    starter = [
        run_app_probe(homes["starter"](), chat=chat, train_epochs=1, train_watch_s=watch) for _ in range(n)
    ]
    stalls = [max(r["max_gui_stall_chat_ms"], r["max_gui_stall_train_ms"]) for r in starter]
    _put(figures, f"{prefix}max_gui_stall_ms", spread(stalls, 1))
    _put(figures, f"{prefix}max_gui_stall_chat_ms", spread([r["max_gui_stall_chat_ms"] for r in starter], 1))
    _put(
        figures, f"{prefix}max_gui_stall_train_ms", spread([r["max_gui_stall_train_ms"] for r in starter], 1)
    )
    _put(figures, f"{prefix}window_shown_s", spread([r["window_shown_s"] for r in starter], 2))
    _put(figures, f"{prefix}first_reply_s", spread([r["first_reply_s"] for r in starter], 2))
    details: dict = {"starter": starter}
    if not prefix:
        kobert = run_app_probe(homes["kobert"](), chat=SMOKE["chat"] if smoke else 10, train_epochs=0)
        _put(figures, "peak_rss_mb_starter", spread([r["peak_rss_mb_chat"] for r in starter], 0))
        figures["peak_rss_mb_kobert"] = round(kobert["peak_rss_mb_chat"])
        figures["window_shown_s_kobert"] = round(kobert["window_shown_s"], 2)
        figures["first_reply_s_kobert"] = round(kobert["first_reply_s"], 2)
        details["kobert"] = kobert
    figures[f"{prefix}gui_details"] = details


def _busy(figures: dict, homes: dict, texts: list[str], home: Path, starter: Path, quick: bool) -> None:
    """The same figures beside two CPU-bound processes (started and stopped here), and the thread
    counts that decide them: training steps and KoBERT-size replies at 1 vs 2 threads."""
    from bench.busy import busy_processes, thread_steps
    from bench.reply_latency import measure_replies

    rounds = _rounds("busy", quick)
    figures["busy_load_before"] = _load()
    with busy_processes(2):
        steps = thread_steps((1, 2), rounds=3, steps=SMOKE["steps"] if smoke else 10 if quick else 20)
        _put(figures, "busy_train_step_speedup_1_over_2_threads", steps["speedup_1_over_2_threads"])
        figures["busy_thread_steps"] = steps
        _reply(figures, homes, texts, rounds, prefix="busy_")
        chat_threads = {}
        for n in (1, 2):
            r = measure_replies(homes["kobert"](), texts[:64], rounds, threads=n)  # the 64 of a hashed order
            _put(figures, f"busy_reply_p95_ms_kobert_{n}_threads", r["p95_ms"])
            chat_threads[n] = r
        figures["busy_chat_threads"] = chat_threads
        _retrain(figures, home, starter, quick, prefix="busy_", rounds=1)
        _gui(figures, homes, quick, prefix="busy_", rounds=1)
        figures["busy_load_after"] = _load()


def _print_table(figures: dict) -> None:
    spreads = figures.get("spread", {})
    print(f"\n{'figure':<42}{'median (min-max)':>26}  {'goal':<8}{'met':<5}")
    for key, value in figures.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        goal, met = "", ""
        if key in GOALS:
            target, op = GOALS[key]
            goal = f"{op} {target}"
            met = "yes" if (value <= target if op == "<=" else value >= target) else "NO"
        cell = fmt(spreads[key]) if key in spreads else f"{value:.2f}"
        print(f"{key:<42}{cell:>26}  {goal:<8}{met:<5}")
    for section, error in figures.get("errors", {}).items():
        print(f"section {section} FAILED (its other figures are above): {error.splitlines()[0]}")
    loads = ", ".join(f"{k} {v['start']}-{v['end']}" for k, v in figures.get("load", {}).items())
    print(f"load average (1 min) per section: {loads}")


if __name__ == "__main__":
    sys.exit(main())
