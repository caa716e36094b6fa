"""Learning curve: what labeling buys. Starting from the default model, add labels from a file in
batches the way a user imports them, retrain after each batch as the app's button does, and score the
result on a disjoint test file, next to a char n-gram TF-IDF + logistic regression trained on exactly
the same examples (the bundled training split plus the same labels).

    python bench/learning_curve.py [--steps 0,100,300,1000] [--mode quick|full] [--json FILE]
                                   [--starter FOLDER]

--starter starts from an already built starter folder instead of building (or reusing) the cached one
(bench/fixtures.py: ~30 min on a busy 2-core machine).

Labels come from bench/data/teach_pool.csv (online-comment and diary style, written for this project,
never used for the starter); the test file is bench/data/out_of_style.csv (never used for any fit).
A fifth of the user's labels is held back as their exam (training_data.py), so of N labels about
0.8 N train; the baseline gets the very same training examples.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import tfidf_lr_report  # noqa: E402
from bench.fixtures import make_home, starter_folder  # noqa: E402
from kobert_chat import paths  # noqa: E402
from kobert_chat.data.formats import LabeledRow, read_labeled  # noqa: E402
from kobert_chat.engine import ChatEngine  # noqa: E402
from kobert_chat.nlu.evaluation import classification_report  # noqa: E402
from kobert_chat.nlu.inference import Classifier  # noqa: E402
from kobert_chat.store import Store  # noqa: E402
from kobert_chat.training_data import training_data  # noqa: E402
from kobert_chat.training_job import TrainRequest, run_training  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
HEADS = ("intent", "emotion")


def rows(path: Path) -> list[LabeledRow]:
    return [r for r in read_labeled(path, label_columns=list(HEADS)) if isinstance(r, LabeledRow)]


def write_batch(path: Path, batch: list[LabeledRow]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", *HEADS])
        for r in batch:
            w.writerow([r.text, *(r.labels[h] for h in HEADS)])
    return path


def ours(folder: Path, test: list[LabeledRow]) -> dict[str, float]:
    classifier = Classifier.load(folder, "cpu")
    predicted = classifier.predict_many([r.text for r in test])
    return {
        h: classification_report([r.labels[h] for r in test], [p[h].label for p in predicted])["macro_f1"]
        for h in HEADS
    }


def baseline(home: Path, test: list[LabeledRow]) -> dict[str, float]:
    with Store.open(paths.database_path(home)) as store:
        train = training_data(store).train
    out = {}
    for h in HEADS:
        have = [ex for ex in train if h in ex.labels]
        report = tfidf_lr_report(
            [ex.text for ex in have],
            [ex.labels[h] for ex in have],
            [r.text for r in test],
            [r.labels[h] for r in test],
        )
        out[h] = report["macro_f1"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", default="0,100,300,1000", help="cumulative label counts")
    ap.add_argument("--mode", choices=["quick", "full"], default="quick")
    ap.add_argument("--pool", type=Path, default=DATA / "teach_pool.csv")
    ap.add_argument("--test", type=Path, default=DATA / "out_of_style.csv")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--starter", type=Path, help="a built starter folder (default: build or reuse the cache)")
    args = ap.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    pool, test = rows(args.pool), rows(args.test)
    assert not {r.text for r in pool} & {r.text for r in test}, "pool and test file share texts"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        home = make_home(Path(tmp) / "home", args.starter or starter_folder(), "starter")
        model = paths.models_dir(home) / next(p.name for p in paths.models_dir(home).iterdir())
        added = 0
        for n in steps:
            t0 = time.perf_counter()
            if n > added:
                engine = ChatEngine.open(home, device="cpu", load_model=False)
                engine.import_file(write_batch(Path(tmp) / f"batch-{n}.csv", pool[added:n]))
                engine.close()
                added = n
                done = run_training(TrainRequest(mode=args.mode), home=home)
                model = Path(done.path)
                engine = ChatEngine.open(home, device="cpu", load_model=False)
                engine.registry.activate(done.version)  # a user who promotes every retrain
                engine.close()
            seconds = time.perf_counter() - t0
            mine, ref = ours(model, test), baseline(home, test)
            results.append({"labels": n, "ours": mine, "baseline": ref, "retrain_s": round(seconds, 1)})
            print(
                f"{n:>6} labels  ours intent {mine['intent']:.3f} emotion {mine['emotion']:.3f}   "
                f"baseline intent {ref['intent']:.3f} emotion {ref['emotion']:.3f}   "
                f"ratio {mine['intent'] / ref['intent']:.2f}x / {mine['emotion'] / ref['emotion']:.2f}x   "
                f"({seconds:.0f} s)",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps({"mode": args.mode, "steps": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
