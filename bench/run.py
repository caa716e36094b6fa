"""The benchmark run: speed figures and ratios against the usual tools, measured side by side.

    python bench/run.py [--quick] [--json FILE] [--only reply,pipeline,trainer,retrain,gui]

Prints a table (figure, value, goal, met?) and writes every figure and its details as JSON
(default bench/out/bench.json). `--quick` uses fewer samples and shorter trainings (a smoke run
of every figure, ~5 min); the README's figures come from a full run on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench import fixtures  # noqa: E402
from kobert_chat.nlu.tokenizer import KoBertTokenizer  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402

# figure -> (goal, "<=" or ">="): the goals for this 2-core CPU
GOALS = {
    "reply_p95_ms_starter": (25, "<="),
    "reply_p95_ms_kobert": (80, "<="),
    "batch_vs_pipeline_ratio": (1.5, ">="),
    "train_vs_trainer_ratio": (1.3, ">="),
    "window_shown_s": (2.0, "<="),
    "quick_retrain_1k_s": (15, "<="),
    "max_gui_stall_ms": (50, "<="),
}
SECTIONS = ("reply", "pipeline", "trainer", "retrain", "gui")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer samples, shorter trainings")
    ap.add_argument("--json", type=Path, default=fixtures.ROOT / "bench" / "out" / "bench.json")
    ap.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    args = ap.parse_args()
    only = set(args.only.split(","))
    if only - set(SECTIONS):
        ap.error(f"unknown section(s): {', '.join(sorted(only - set(SECTIONS)))}")
    q = args.quick
    figures: dict = {
        "machine": {
            "cpus": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "quick": q,
        }
    }
    starter = fixtures.starter_folder(log=lambda m: print(m, flush=True))
    kobert = fixtures.kobert_size_folder(starter)
    texts = fixtures.chat_texts()
    with tempfile.TemporaryDirectory(prefix="kobert-bench-") as tmp:
        tmp = Path(tmp)
        homes = {
            "starter": lambda: fixtures.make_home(tmp / "starter", starter, "starter"),
            "kobert": lambda: fixtures.make_home(tmp / "kobert", kobert, "kobert-size-random"),
        }
        sections = {
            "reply": lambda: _reply(figures, homes, texts, q),
            "pipeline": lambda: _pipeline(figures, kobert, texts, q),
            "trainer": lambda: _trainer(figures, starter, q),
            "retrain": lambda: _retrain(figures, tmp / "retrain", starter, q),
            "gui": lambda: _gui(figures, homes, q),
        }
        for name in SECTIONS:
            if name not in only:
                continue
            t0 = time.perf_counter()
            print(f"[{name}] ...", flush=True)
            if len(only) == 1:
                sections[name]()
            else:  # each section in a fresh process: one section's memory and threads must not slow the next
                figures.update(_in_child(name, tmp / f"{name}.json", q))
            print(f"[{name}] done in {time.perf_counter() - t0:.0f} s", flush=True)
    _print_table(figures)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print(f"written: {args.json}")
    return 0


def _in_child(name: str, out: Path, quick: bool) -> dict:
    cmd = [sys.executable, __file__, "--only", name, "--json", str(out)] + (["--quick"] if quick else [])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    result = json.loads(out.read_text(encoding="utf-8"))
    result.pop("machine", None)
    return result


def _reply(figures: dict, homes: dict, texts: list[str], quick: bool) -> None:
    from bench.reply_latency import measure_replies

    n = 60 if quick else 300
    starter = measure_replies(homes["starter"](), texts, n)
    kobert = measure_replies(homes["kobert"](), texts, n // 3)
    kobert_int8 = measure_replies(homes["kobert"](), texts, n // 3, int8=True)
    figures.update(
        {
            "reply_p50_ms_starter": starter["p50_ms"],
            "reply_p95_ms_starter": starter["p95_ms"],
            "reply_p50_ms_kobert": kobert["p50_ms"],
            "reply_p95_ms_kobert": kobert["p95_ms"],
            "reply_p50_ms_kobert_int8": kobert_int8["p50_ms"],
            "reply_p95_ms_kobert_int8": kobert_int8["p95_ms"],
        }
    )
    figures["reply_details"] = {"starter": starter, "kobert": kobert, "kobert_int8": kobert_int8}


def _pipeline(figures: dict, kobert: Path, texts: list[str], quick: bool) -> None:
    from bench.pipeline_ratio import compare

    result = compare(kobert, texts[: 128 if quick else 512], repeats=1 if quick else 2)
    figures["batch_vs_pipeline_ratio"] = result["ratio"]
    figures["pipeline_details"] = result


def _trainer(figures: dict, starter: Path, quick: bool) -> None:
    from bench.trainer_ratio import compare

    examples = bundled_examples("train")
    result = compare(
        KoBertTokenizer.load(starter),
        examples[:1200] if quick else examples,
        bundled_examples("test"),
        epochs=1 if quick else 8,
    )
    figures["train_vs_trainer_ratio"] = result["ratio"]
    figures["trainer_details"] = result


def _retrain(figures: dict, home: Path, starter: Path, quick: bool) -> None:
    from bench.retrain import label_messages, time_retrain

    fixtures.make_home(home, starter, "starter")
    labels = label_messages(home, 1000)
    quick_run = time_retrain(home, "quick")
    full_run = time_retrain(home, "full", epochs=2 if quick else None)
    figures.update({"quick_retrain_1k_s": quick_run["seconds"], "full_retrain_1k_s": full_run["seconds"]})
    figures["retrain_details"] = {"new_labels": labels, "quick": quick_run, "full": full_run}


def _gui(figures: dict, homes: dict, quick: bool) -> None:
    from bench.gui import run_app_probe

    starter = run_app_probe(homes["starter"](), chat=10 if quick else 30, train_epochs=1)
    kobert = run_app_probe(homes["kobert"](), chat=5 if quick else 10, train_epochs=0)
    figures.update(
        {
            "window_shown_s": starter["window_shown_s"],
            "first_reply_s": starter["first_reply_s"],
            "peak_rss_mb_starter": starter["peak_rss_mb_chat"],
            "peak_rss_mb_kobert": kobert["peak_rss_mb_chat"],
            "max_gui_stall_ms": max(starter["max_gui_stall_chat_ms"], starter["max_gui_stall_train_ms"]),
            "max_gui_stall_chat_ms": starter["max_gui_stall_chat_ms"],
            "max_gui_stall_train_ms": starter["max_gui_stall_train_ms"],
            "window_shown_s_kobert": kobert["window_shown_s"],
            "first_reply_s_kobert": kobert["first_reply_s"],
        }
    )
    figures["gui_details"] = {"starter": starter, "kobert": kobert}


def _print_table(figures: dict) -> None:
    print(f"\n{'figure':<28}{'value':>12}  {'goal':<10}{'met':<5}")
    for key, value in figures.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        goal, met = "", ""
        if key in GOALS:
            target, op = GOALS[key]
            goal = f"{op} {target}"
            met = "yes" if (value <= target if op == "<=" else value >= target) else "NO"
        print(f"{key:<28}{value:>12.2f}  {goal:<10}{met:<5}")


if __name__ == "__main__":
    sys.exit(main())
