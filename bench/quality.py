"""Starter vs the TF-IDF + LR baseline on the bundled held-out split.

    python bench/quality.py [--layers 2 --hidden 256 --epochs 12 ...] [--json FILE]

Prints macro-F1 and accuracy per head, all trained on the same training split and scored on the
test split: the baseline (scikit-learn), the starter as shipped (encoder heads mixed with its TF-IDF
expert), and the starter's two halves alone (encoder heads; expert), read from the same saved model.
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
from kobert_chat.nlu.model_io import load_model  # noqa: E402
from kobert_chat.nlu.starter import DEFAULT_RECIPE, build_starter  # noqa: E402
from kobert_chat.nlu.training import evaluate_examples  # noqa: E402
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
        rep = tfidf_lr_report(
            [e.text for e in train],
            [e.labels[head] for e in train],
            [e.text for e in test],
            [e.labels[head] for e in test],
        )
        rows[("tfidf+lr", head)] = (rep["macro_f1"], rep["accuracy"], time.perf_counter() - t0)
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "m"
        metrics = build_starter(
            folder,
            train,
            test,
            recipe=recipe,
            seed=args.seed,
            progress=lambda e: (
                e.kind == "stage" and stages.setdefault(e.stage, time.perf_counter())
            ),
        )
        elapsed = time.perf_counter() - t0
        for head, rep in metrics["test"].items():
            rows[("starter", head)] = (rep["macro_f1"], rep["accuracy"], elapsed)
        if recipe.tfidf:
            rows.update(_halves(folder, test))
    print(f"train {len(train)}  test {len(test)}  recipe {asdict(recipe)}")
    if "tfidf" in stages:
        print(
            f"starter build {elapsed:.1f} s, of which the TF-IDF expert's fit {stages['evaluate'] - stages['tfidf']:.1f} s"
        )
    print(f"{'model':<16}{'head':<9}{'macro-F1':>9}{'acc':>8}{'time s':>9}")
    for (model, head), (f1, acc, t) in rows.items():
        print(f"{model:<16}{head:<9}{f1:>9.4f}{acc:>8.4f}{t:>9.1f}")
    if args.json:
        args.json.write_text(json.dumps({f"{m}/{h}": v for (m, h), v in rows.items()}, indent=2))


def _halves(folder: Path, test) -> dict:
    """The saved starter's encoder heads alone (plain softmax) and its TF-IDF expert alone (weight 1)."""
    model, tokenizer = load_model(folder)
    hc = model.heads_config
    mix = dict(hc.tfidf_mix)
    out = {}
    for name, weights in (("  encoder only", {}), ("  expert only", {h: 1.0 for h in mix})):
        hc.tfidf_mix = weights
        for head, rep in evaluate_examples(model, tokenizer, test).items():
            out[(name, head)] = (rep["macro_f1"], rep["accuracy"], float("nan"))
    hc.tfidf_mix = mix
    return out


if __name__ == "__main__":
    main()
