"""`train --data FILE --head NAME` against the TF-IDF + LR baseline on a labeled file the starter never saw.

    python bench/quality_file.py FILE --head NAME [--text-column text] [--label-column label]
        [--mode full|quick] [--test-percent 20] [--json OUT]

The file is split by a hash of each text (so the split is fixed); the baseline is fit on the training
part, and our model is trained exactly as a user would: `run_training` with `data=[train part]` on a
data home whose active model is the shipped starter, then `evaluate_file` on the test part.
bench/data/topics.csv (written for this project, 10 topics) is such a file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fixtures  # noqa: E402
from bench.baseline import tfidf_lr_report  # noqa: E402
from kobert_chat.data.formats import LabeledRow, read_labeled  # noqa: E402
from kobert_chat.evaluate_file import evaluate_file  # noqa: E402
from kobert_chat.training_job import TrainRequest, run_training  # noqa: E402


def split_rows(
    rows: list[LabeledRow], test_percent: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    train, test = [], []
    for r in rows:
        pair = (r.text, next(iter(r.labels.values())))
        in_test = int(hashlib.sha1(r.text.encode("utf-8")).hexdigest(), 16) % 100 < test_percent
        (test if in_test else train).append(pair)
    return train, test


def _write(path: Path, pairs: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(pairs)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--head", required=True)
    ap.add_argument("--text-column", default="text")
    ap.add_argument("--label-column", default="label")
    ap.add_argument("--mode", choices=("full", "quick"), default="full")
    ap.add_argument("--test-percent", type=int, default=20)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = [
        r
        for r in read_labeled(args.file, text_column=args.text_column, label_columns=[args.label_column])
        if isinstance(r, LabeledRow)
    ]
    train, test = split_rows(rows, args.test_percent)
    results = {"file": str(args.file), "head": args.head, "n_train": len(train), "n_test": len(test)}

    t0 = time.perf_counter()
    base = tfidf_lr_report(
        [t for t, _ in train], [y for _, y in train], [t for t, _ in test], [y for _, y in test]
    )
    results["baseline"] = {
        "macro_f1": base["macro_f1"],
        "accuracy": base["accuracy"],
        "s": time.perf_counter() - t0,
    }

    starter = fixtures.starter_folder(log=lambda m: print(m, flush=True))
    with tempfile.TemporaryDirectory(prefix="kobert-quality-") as tmp:
        tmp = Path(tmp)
        home = fixtures.make_home(tmp / "home", starter, "starter")
        train_file, test_file = _write(tmp / "train.csv", train), _write(tmp / "test.csv", test)
        t0 = time.perf_counter()
        done = run_training(TrainRequest(mode=args.mode, data=[train_file], head=args.head), home=home)
        seconds = time.perf_counter() - t0
        ours = evaluate_file(test_file, model_dir=Path(done.path), head=args.head, device="cpu")
    results["starter_" + args.mode] = {
        "macro_f1": ours["macro_f1"],
        "accuracy": ours["accuracy"],
        "s": seconds,
    }

    print(f"{args.file.name}: head {args.head}, train {len(train)}, test {len(test)} (hash split)")
    print(f"{'model':<22}{'macro-F1':>9}{'acc':>8}{'time s':>9}")
    for name in ("baseline", "starter_" + args.mode):
        r = results[name]
        print(f"{name:<22}{r['macro_f1']:>9.4f}{r['accuracy']:>8.4f}{r['s']:>9.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
