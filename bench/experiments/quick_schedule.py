"""A quick retrain's head-training schedule: batch size and patience, against wall time and the exam.

    python bench/experiments/quick_schedule.py [--labels 1000] [--variants 32:3,64:2,128:2]

Each variant (batch:patience) runs bench/retrain.py's case: a starter home (with what the first-run
build remembers), 1,000 chatted-and-labeled messages, `run_training(mode="quick")` end to end. Prints
wall time, the epochs run and the best one, and the new model's exam macro-F1 per head (the bundled
test split plus the user's held-back labels: what Promote is decided on).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import fixtures  # noqa: E402
from bench.retrain import label_messages  # noqa: E402
from kobert_chat.nlu import training  # noqa: E402
from kobert_chat.progress import Epoch  # noqa: E402
from kobert_chat.training_job import TrainRequest, run_training  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--variants", default="32:3,64:2,128:2")
    args = ap.parse_args()
    starter = fixtures.starter_folder()
    real_config = training.TrainConfig
    rows, epochs = [], []
    for variant in args.variants.split(","):
        batch, patience = (int(v) for v in variant.split(":"))

        def config(*a, _b=batch, _p=patience, **k):
            made = real_config(*a, **k)
            return replace(made, batch_size=_b, patience=_p) if made.mode == "quick" else made

        training.TrainConfig = config  # type: ignore[misc]  # training_job imports it at call time
        with tempfile.TemporaryDirectory() as tmp:
            home = fixtures.make_home(Path(tmp) / "home", starter, "starter")
            label_messages(home, args.labels)
            epochs.clear()
            t0 = time.perf_counter()
            done = run_training(
                TrainRequest(mode="quick"),
                home=home,
                progress=lambda e: epochs.append(e) if isinstance(e, Epoch) else None,
            )
            seconds = time.perf_counter() - t0
        training.TrainConfig = real_config  # type: ignore[misc]
        assert done is not None and done.exam is not None
        row = {
            "batch": batch,
            "patience": patience,
            "seconds": round(seconds, 1),
            "epochs_run": len(epochs),
            "best_epoch": done.best_epoch,
            "exam_f1": {h: round(s.macro_f1, 4) for h, s in done.exam.new.items()},
            "user_exam_f1": {h: round(s.macro_f1, 4) for h, s in done.exam.user_new.items()},
            "load": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
