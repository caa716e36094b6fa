"""Where a quick retrain after 1,000 labels spends its time: stages with wall time, then cProfile's top.

    python bench/retrain_profile.py STARTER_FOLDER [--labels 1000] [--mode quick] [--top 25]
                                    [--runs N] [--no-profile]

The same run as bench/run.py's retrain figure (bench/retrain.py: a home whose active model is the
starter, 1,000 chatted-and-labeled messages, `run_training`), under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench import fixtures  # noqa: E402
from bench.retrain import label_messages  # noqa: E402
from kobert_chat import progress  # noqa: E402
from kobert_chat.training_job import TrainRequest, run_training  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("starter", type=Path)
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--mode", default="quick")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--runs", type=int, default=1, help="retrains in a row on the same home")
    ap.add_argument("--no-profile", action="store_true", help="stage wall times only (no cProfile overhead)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = fixtures.make_home(Path(tmp) / "home", args.starter, "starter")
        label_messages(home, args.labels)
        for run in range(args.runs):
            t0 = time.perf_counter()
            last = [t0, "setup"]

            def emit(event, last=last, t0=t0) -> None:
                if isinstance(event, (progress.Stage, progress.Start)):
                    now = time.perf_counter()
                    name = getattr(event, "stage", "start")
                    print(
                        f"  {last[1]:<14}{now - last[0]:7.1f} s  (load {os.getloadavg()[0]:.1f}, "
                        f"{torch.get_num_threads()} threads next)",
                        flush=True,
                    )
                    last[:] = [now, name]

            prof = cProfile.Profile()
            if not args.no_profile:
                prof.enable()
            run_training(TrainRequest(mode=args.mode), home=home, progress=emit)
            prof.disable()
            now = time.perf_counter()
            print(f"  {last[1]:<14}{now - last[0]:7.1f} s", flush=True)
            print(f"run {run + 1}: {now - t0:.1f} s wall (load {os.getloadavg()[0]:.1f})", flush=True)
            if args.no_profile:
                continue
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue()[-12000:], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
