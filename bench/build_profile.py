"""Where a first-run starter build spends its time: each stage and epoch with wall, CPU time and load.

    python bench/build_profile.py [--threads N] [--out FOLDER] [--lines N] [--recipe default|tiny]

Builds the shipped recipe (seed 0) exactly as the app's first run does (bootstrap: bundled training
split, test split scored), printing one line per stage / epoch. `--lines N` builds on the first N
training lines of a fixed shuffle (a small-scale profile); `--out` keeps the folder (bench/fixtures.py's
cache folder name makes it the benchmarks' starter).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from kobert_chat import progress, threads  # noqa: E402
from kobert_chat.nlu.starter import RECIPES, build_starter  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402


def load() -> float:
    return os.getloadavg()[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: threads.training_threads())")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--lines", type=int, default=0)
    ap.add_argument("--recipe", default="default", choices=sorted(RECIPES))
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    n_threads = args.threads or threads.training_threads()
    torch.set_num_threads(n_threads)
    train, test = bundled_examples("train"), bundled_examples("test")
    if args.lines:
        random.Random(0).shuffle(train)
        train = train[: args.lines]
    t0, c0 = time.perf_counter(), time.process_time()
    marks: list[dict] = []
    last = [t0, c0, "setup"]

    def mark(name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        row = {"part": last[2], "wall_s": round(now - last[0], 2), "cpu_s": round(cpu - last[1], 2)}
        row["load"] = round(load(), 2)
        marks.append(row)
        print(
            f"{row['part']:<22}{row['wall_s']:>9.1f} s wall {row['cpu_s']:>9.1f} s cpu  load {row['load']}",
            flush=True,
        )
        last[:] = [now, cpu, name]

    def emit(event) -> None:
        if isinstance(event, progress.Stage):
            mark(event.stage)
        elif isinstance(event, progress.Epoch):
            mark(f"epoch {event.epoch + 1}")
            print(f"    val {json.dumps(event.val)}", flush=True)

    print(f"threads {n_threads}, {len(train)} training lines, load {load():.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "starter"
        staging = out.with_name(out.name + ".tmp")
        metrics = build_starter(staging, train, test, recipe=RECIPES[args.recipe], seed=0, progress=emit)
        mark("end")
        if args.out:
            staging.rename(out)
    total = {"wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1)}
    result = {
        "threads": n_threads,
        "lines": len(train),
        "parts": marks,
        "total": total,
        "test": {h: round(m["macro_f1"], 4) for h, m in metrics.get("test", {}).items()},
        "best_epoch": metrics.get("best_epoch"),
        "epochs_run": metrics.get("epochs_run"),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
