"""The starter vs the TF-IDF + LR baseline, on the bundled held-out split and the out-of-style set.

    python bench/quality.py [--seed N] [--threads N] [--keep DIR] [--json FILE] [--layers 2 --epochs 12 ...]

Both are trained on the same bundled training split. Printed: intent and emotion macro-F1 on the
bundled test split and on bench/data/out_of_style.csv (also per style), for the baseline, the starter
as shipped (encoder heads mixed with its TF-IDF expert) and the starter's two halves alone (read from
the same saved model), with build times and the machine's load (uptime): timings on a busy machine
are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.baseline import fit_tfidf_lr  # noqa: E402
from bench.quality_data import HEADS, argmax_labels, format_styles, format_table, score_predictor, test_sets  # noqa: E402
from kobert_chat.nlu.inference import probabilities  # noqa: E402
from kobert_chat.nlu.model_io import load_model  # noqa: E402
from kobert_chat.nlu.starter import DEFAULT_RECIPE, build_starter  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402


def load_average() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def baseline_results(train, sets) -> tuple[dict, float]:
    t0 = time.perf_counter()
    predictors = {h: fit_tfidf_lr([e.text for e in train], [e.labels[h] for e in train]) for h in HEADS}
    fit_s = time.perf_counter() - t0
    return score_predictor(lambda texts: {h: p(texts) for h, p in predictors.items()}, sets), fit_s


def model_results(folder: Path, sets) -> dict:
    """The saved model as shipped, then its encoder heads alone and its TF-IDF expert alone."""
    model, tokenizer = load_model(folder)
    hc = model.heads_config
    mix = dict(hc.tfidf_mix)
    variants = {"starter": mix}
    if mix:
        variants |= {"  encoder heads only": {}, "  TF-IDF expert only": {h: 1.0 for h in mix}}
    out = {}
    for name, weights in variants.items():
        hc.tfidf_mix = weights
        out[name] = score_predictor(lambda texts: argmax_labels(probabilities(model, tokenizer, texts)), sets)
    hc.tfidf_mix = mix
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    for f, v in asdict(DEFAULT_RECIPE).items():
        ap.add_argument(f"--{f.replace('_', '-')}", type=type(v), default=v)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--keep", type=Path, help="save the built starter here (default: a temporary folder)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--baseline-only", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = replace(DEFAULT_RECIPE, **{f: getattr(args, f) for f in asdict(DEFAULT_RECIPE)})
    train, sets = bundled_examples("train"), test_sets()
    results: dict = {}
    times: dict[str, str] = {}
    if not args.skip_baseline:
        results["char 1-4-gram TF-IDF + LR"], fit_s = baseline_results(train, sets)
        times["baseline fit (both heads)"] = f"{fit_s:.1f} s ({load_average()})"
    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline_only:
            _print(train, sets, recipe, args, results, times)
            return
        folder = args.keep or Path(tmp) / "m"
        t0, cpu0 = time.perf_counter(), time.process_time()
        metrics = build_starter(
            folder,
            train,
            sets["bundled test"],
            recipe=recipe,
            seed=args.seed,
            progress=lambda e: e.kind == "stage" and stages.setdefault(e.stage, time.perf_counter()),
        )
        elapsed = time.perf_counter() - t0
        times["starter build"] = (
            f"{elapsed:.1f} s wall, {time.process_time() - cpu0:.1f} s CPU ({load_average()})"
        )
        if "pretrain" in metrics:
            times["pretraining (masked LM)"] = json.dumps(metrics["pretrain"])
        for a, b in zip(list(stages), list(stages)[1:], strict=False):
            times[f"  stage {a}"] = f"{stages[b] - stages[a]:.1f} s"
        results |= model_results(folder, sets)
    _print(train, sets, recipe, args, results, times)


def _print(train, sets, recipe, args, results: dict, times: dict) -> None:
    print(f"train {len(train)}, " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    print(f"recipe {asdict(recipe)}, seed {args.seed}, torch threads {torch.get_num_threads()}")
    print(format_table(results))
    print()
    print(format_styles(results))
    print()
    for k, v in times.items():
        print(f"{k}: {v}")
    if args.json:
        args.json.write_text(
            json.dumps({"results": results, "times": times, "recipe": asdict(recipe)}, indent=2)
        )


if __name__ == "__main__":
    main()
