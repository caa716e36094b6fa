"""What the model costs per chat message: Classifier.predict on one line at a time, as the chat does
(one torch thread for a small encoder, inference.set_chat_threads), for one or more model folders.

    python bench/experiments/predict_latency.py MODEL_DIR [MODEL_DIR ...] [--n 300]

Lines come from the out-of-style set (long diary lines included). Prints p50 / p95 / max in ms and
the load average: on a busy machine these are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from bench.quality_data import out_of_style_examples  # noqa: E402
from kobert_chat.nlu.inference import Classifier, set_chat_threads  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    texts = [ex.text for ex in out_of_style_examples()]
    for folder in args.models:
        t0 = time.perf_counter()
        clf = Classifier.load(folder, "cpu")
        load_s = time.perf_counter() - t0
        set_chat_threads(clf.model)
        for t in texts[:20]:
            clf.predict(t)
        samples = []
        for i in range(args.n):
            t0 = time.perf_counter()
            clf.predict(texts[(i * 7) % len(texts)])
            samples.append((time.perf_counter() - t0) * 1000)
        a = np.asarray(samples)
        print(
            f"{folder}: analyzer {clf.model.heads_config.tfidf_analyzer}, load {load_s:.1f} s; predict "
            f"p50 {np.percentile(a, 50):.1f} ms, p95 {np.percentile(a, 95):.1f} ms, max {a.max():.1f} ms "
            f"(load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
