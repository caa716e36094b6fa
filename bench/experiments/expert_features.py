"""Experiment (b): which n-grams the TF-IDF expert should read (kobert_chat/nlu/korean_features.py).

    python bench/experiments/expert_features.py [--analyzers char_wb norm+char_wb ...] [--c 10]

Fits the expert alone (no encoder) per analyzer on the bundled training split, exactly as a starter
build fits it (in-house L-BFGS, balanced class weights, one C), and scores intent and emotion
macro-F1 on the bundled test split and the out-of-style set, with the vocabulary size and fit time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from bench.quality_data import HEADS, format_styles, format_table, head_labels, score_predictor, test_sets  # noqa: E402
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402

ANALYZERS = [
    "char_wb",
    "norm+char_wb",
    "char_wb+nospace",
    "char_wb+jamo",
    "char_wb+cho",
    "norm+char_wb+nospace+jamo",
    "norm+char_wb+nospace+jamo+cho",
]


def fit(train, analyzer: str, c: float, min_df: int = 1):
    heads = {h: len(head_labels(h)) for h in HEADS}
    texts = [ex.text for ex in train]
    expert = fit_vocabulary(texts, heads, analyzer, min_df)
    x = expert.features(texts)
    for h in HEADS:
        index = {lab: i for i, lab in enumerate(head_labels(h))}
        y = torch.tensor([index[ex.labels[h]] for ex in train])
        fit_head(expert, h, x, y, torch.ones(len(train)), c)
    return expert


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyzers", nargs="+", default=ANALYZERS)
    ap.add_argument("--c", type=float, default=10.0)
    ap.add_argument("--min-df", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, sets = bundled_examples("train"), test_sets()
    results, notes = {}, []
    for analyzer in args.analyzers:
        t0 = time.perf_counter()
        expert = fit(train, analyzer, args.c, args.min_df)
        secs = time.perf_counter() - t0

        def predict(texts, expert=expert):
            logits = expert.logits(texts)
            return {h: [head_labels(h)[j] for j in logits[h].argmax(1).tolist()] for h in HEADS}

        results[f"{analyzer} min_df {args.min_df}"] = score_predictor(predict, sets)
        notes.append(
            f"{analyzer}: {expert.n_features} n-grams, fit {secs:.1f} s (load {os.getloadavg()[0]:.1f})"
        )
        print(notes[-1], flush=True)
    print(format_table(results))
    print()
    print(format_styles(results))


if __name__ == "__main__":
    main()
