"""Starter vs the TF-IDF + LR baseline on the bundled held-out split (or any labeled file split).

    python bench/quality.py [--layers 2 --hidden 256 --epochs 12 ...] [--json FILE]

Prints a table of macro-F1 per head and wall time for both, trained on the same training split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.baseline import tfidf_lr_report  # noqa: E402
from kobert_chat.nlu.starter import DEFAULT_RECIPE, build_starter  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    for f, v in asdict(DEFAULT_RECIPE).items():
        ap.add_argument(f"--{f.replace('_', '-')}", type=type(v), default=v)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = replace(DEFAULT_RECIPE, **{f: getattr(args, f) for f in asdict(DEFAULT_RECIPE)})
    train, test = bundled_examples("train"), bundled_examples("test")
    rows = {}
    for head in ("intent", "emotion"):
        t0 = time.perf_counter()
        rep = tfidf_lr_report([e.text for e in train], [e.labels[head] for e in train], [e.text for e in test],
                              [e.labels[head] for e in test])
        rows[("tfidf+lr", head)] = (rep["macro_f1"], rep["accuracy"], time.perf_counter() - t0)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        metrics = build_starter(Path(tmp) / "m", train, test, recipe=recipe, seed=args.seed)
    elapsed = time.perf_counter() - t0
    for head, rep in metrics["test"].items():
        rows[("starter", head)] = (rep["macro_f1"], rep["accuracy"], elapsed)
    print(f"train {len(train)}  test {len(test)}  recipe {asdict(recipe)}")
    print(f"{'model':<10}{'head':<9}{'macro-F1':>9}{'acc':>8}{'time s':>9}")
    for (model, head), (f1, acc, t) in rows.items():
        print(f"{model:<10}{head:<9}{f1:>9.4f}{acc:>8.4f}{t:>9.1f}")
    if args.json:
        args.json.write_text(json.dumps({f"{m}/{h}": v for (m, h), v in rows.items()}, indent=2))


if __name__ == "__main__":
    main()
