"""Experiment (b) in the whole model: a saved starter's encoder with its TF-IDF expert refit under
another analyzer, exactly as a build would fit it (same train/validation split, C grid, mix).

    python bench/experiments/expert_in_mix.py MODEL_DIR [--analyzer A] [--min-df N] [--seed 0]

The encoder of a build does not depend on the expert (epochs are scored on the encoder alone), so
this is the build's result with that analyzer, at the cost of the expert's fit only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from bench.quality_data import argmax_labels, format_styles, format_table, score_predictor, test_sets  # noqa: E402
from kobert_chat.nlu.examples import stratified_split  # noqa: E402
from kobert_chat.nlu.inference import probabilities  # noqa: E402
from kobert_chat.nlu.model_io import load_model  # noqa: E402
from kobert_chat.nlu.training import _fit_tfidf  # noqa: E402
from kobert_chat.progress import ignore  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", type=Path)
    ap.add_argument("--analyzer", default="norm+char_wb+nospace+jamo")
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, tok = load_model(args.model)
    examples = [ex for ex in bundled_examples("train") if ex.text.strip() and ex.labels]
    train_set, val_set = stratified_split(examples, 0.1, args.seed)  # what train() does for a build
    model.heads_config.tfidf_analyzer = args.analyzer
    model.set_tfidf(None)
    t0 = time.perf_counter()
    _fit_tfidf(model, tok, train_set, val_set, torch.device("cpu"), ignore, lambda: False, None, args.min_df)
    secs = time.perf_counter() - t0
    hc = model.heads_config
    print(
        f"{args.analyzer} min_df {args.min_df}: {model.tfidf.n_features} n-grams, fit {secs:.1f} s "
        f"(load {os.getloadavg()[0]:.1f}); mix {hc.tfidf_mix}, C {hc.tfidf_c}"
    )
    sets = test_sets()
    mix = dict(hc.tfidf_mix)
    results = {}
    for name, weights in (("mixed", mix), ("expert only", {h: 1.0 for h in mix})):
        hc.tfidf_mix = weights
        results[f"{args.analyzer} ({name})"] = score_predictor(
            lambda texts: argmax_labels(probabilities(model, tok, texts)), sets
        )
    print(format_table(results))
    print()
    print(format_styles(results))


if __name__ == "__main__":
    main()
