"""Experiment (c), expert side: does the TF-IDF expert gain from augmented copies of the training lines?

    python bench/experiments/expert_augment.py [--analyzer char_wb] [--copies 0 1 2] [--weight 0.5]

Each training line gets `copies` variants from kobert_chat/nlu/augment.py (spacing removed, typos,
존댓말 <-> 반말, marks, ...) with sample weight `weight`; the expert alone is fit with C = 10 and scored on
the bundled test split and the out-of-style set.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from bench.quality_data import HEADS, format_styles, format_table, head_labels, score_predictor, test_sets  # noqa: E402
from kobert_chat.nlu.augment import RULES, Augmenter  # noqa: E402
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyzer", default="char_wb")
    ap.add_argument("--copies", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--weight", type=float, default=0.5)
    ap.add_argument("--rules", nargs="+", default=list(RULES))
    ap.add_argument("--c", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train, sets = bundled_examples("train"), test_sets()
    aug = Augmenter([e.text for e in train], [e.labels["emotion"] for e in train], args.rules)
    results = {}
    for copies in args.copies:
        rng = random.Random(0)
        texts = [e.text for e in train]
        labels = [e.labels for e in train]
        weights = [1.0] * len(train)
        for _ in range(copies):
            for e in train:
                texts.append(aug.variant(e.text, e.labels["emotion"], rng))
                labels.append(e.labels)
                weights.append(args.weight)
        t0 = time.perf_counter()
        expert = fit_vocabulary(texts, {h: len(head_labels(h)) for h in HEADS}, args.analyzer)
        x = expert.features(texts)
        for h in HEADS:
            index = {lab: i for i, lab in enumerate(head_labels(h))}
            y = torch.tensor([index[lab[h]] for lab in labels])
            fit_head(expert, h, x, y, torch.tensor(weights), args.c)
        secs = time.perf_counter() - t0

        def predict(ts, expert=expert):
            logits = expert.logits(ts)
            return {h: [head_labels(h)[j] for j in logits[h].argmax(1).tolist()] for h in HEADS}

        name = f"{args.analyzer} +{copies} copies x{args.weight}"
        results[name] = score_predictor(predict, sets)
        print(
            f"{name}: {expert.n_features} n-grams, fit {secs:.1f} s (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    print(format_table(results))
    print()
    print(format_styles(results))


if __name__ == "__main__":
    main()
