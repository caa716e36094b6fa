"""What the TF-IDF expert's fit costs, part by part, and what a warm start saves.

    python bench/expert_cost.py [--lines N] [--c 10] [--threads 1] [--max-iter 500] [--history 20]

On N training lines (length-stratified, fixtures.train_subset): n-gram extraction + vocabulary,
features, then one head fit cold (zero weights, to convergence) and the same fit warm-started from
the fit on 90 % of the lines within --max-iter / --history (what a quick retrain has: the old
model's expert, fit before the user's new labels).
Prints wall time and L-BFGS iterations of each, and the expert-alone macro-F1 on the test split.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.fixtures import train_subset  # noqa: E402
from kobert_chat.labels import DEFAULT_HEADS  # noqa: E402
from kobert_chat.nlu.evaluation import classification_report  # noqa: E402
from kobert_chat.nlu.mixing import _carry_weights  # noqa: E402
from kobert_chat.nlu.starter import DEFAULT_RECIPE  # noqa: E402
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary, gram_counts  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--c", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--head", default="intent")
    ap.add_argument("--max-iter", type=int, default=500, help="L-BFGS budget (quick retrains: 40)")
    ap.add_argument("--history", type=int, default=20, help="L-BFGS history (quick retrains: 10)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    analyzer, min_df = DEFAULT_RECIPE.tfidf_analyzer, DEFAULT_RECIPE.tfidf_min_df
    labels = [lab for lab, _ in DEFAULT_HEADS[args.head]]
    examples = [ex for ex in train_subset(args.lines) if args.head in ex.labels]
    test = [ex for ex in bundled_examples("test") if args.head in ex.labels]
    out: dict = {
        "lines": len(examples),
        "c": args.c,
        "warm_budget": [args.max_iter, args.history],
        "load_start": os.getloadavg()[0],
    }

    def fit(exs, init=None):
        texts = [ex.text for ex in exs]
        t0 = time.perf_counter()
        expert = fit_vocabulary(texts, {args.head: len(labels)}, analyzer, min_df)
        x = expert.features(texts)
        t1 = time.perf_counter()
        if init is not None:
            _carry_weights(init, expert)
        y = torch.tensor([labels.index(ex.labels[args.head]) for ex in exs])
        budget = (args.max_iter, args.history) if init is not None else (500, 20)  # the base converges
        iters = fit_head(expert, args.head, x, y, torch.ones(len(exs)), args.c, *budget)
        return expert, {
            "features_s": round(t1 - t0, 2),
            "fit_s": round(time.perf_counter() - t1, 2),
            "iters": iters,
        }

    def f1(expert) -> float:
        logits = expert.logits([ex.text for ex in test])[args.head].numpy()
        pred = [labels[i] for i in np.argmax(logits, 1)]
        return round(
            classification_report([ex.labels[args.head] for ex in test], pred, labels)["macro_f1"], 4
        )

    t0 = time.perf_counter()
    [gram_counts(ex.text, analyzer) for ex in examples]
    out["ngram_extraction_s"] = round(time.perf_counter() - t0, 2)
    cold, out["cold"] = fit(examples)
    out["cold"]["test_macro_f1"] = f1(cold)
    base, out["base_90pct"] = fit(examples[: int(len(examples) * 0.9)])
    warm, out["warm"] = fit(examples, init=base)
    out["warm"]["test_macro_f1"] = f1(warm)
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
