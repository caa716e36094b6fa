"""`evaluate --data FILE`: score a model version (or any model folder) on a labeled file."""

from __future__ import annotations

from pathlib import Path

from . import paths
from .data.formats import LabeledRow, Rejected, read_labeled
from .errors import InputError
from .nlu.evaluation import classification_report
from .nlu.inference import Classifier
from .store import Store


def evaluate_file(
    data: Path,
    *,
    model_dir: Path | None = None,
    head: str | None = None,
    text_column: str = "text",
    label_column: str = "label",
    device: str = "auto",
) -> dict:
    classifier, model_name = _load(model_dir, device)
    heads = classifier.heads
    if head is None:
        head = label_column if label_column in heads else "intent"
    if head not in heads:
        raise InputError(f"the model has no head {head!r}; it has: {', '.join(heads)}")
    column = label_column
    try:
        rows = list(read_labeled(Path(data), text_column=text_column, label_columns=[column]))
    except InputError:
        if label_column != "label":
            raise
        column = head  # default column name absent: a file with a column named after the head also works
        rows = list(read_labeled(Path(data), text_column=text_column, label_columns=[column]))
    accepted = [r for r in rows if isinstance(r, LabeledRow)]
    rejected = [r for r in rows if isinstance(r, Rejected)]
    if not accepted:
        raise InputError(f"no usable rows in {data} ({len(rejected)} rejected)")
    predictions = classifier.predict_many([r.text for r in accepted])
    y_true = [next(iter(r.labels.values())) for r in accepted]  # the one column asked for, whatever its case
    y_pred = [p[head].label for p in predictions]
    known = heads[head]
    unknown = sorted({y for y in y_true if y not in known})
    report = classification_report(y_true, y_pred, list(known) + unknown)
    return {"model": model_name, "head": head, **report, "rejected": len(rejected), "unknown_labels": unknown}


def _load(model_dir: Path | None, device: str) -> tuple[Classifier, str]:
    if model_dir is not None:
        return Classifier.load(Path(model_dir), device), str(model_dir)
    store = Store.open(paths.database_path())
    try:
        active = store.active_model_version()
    finally:
        store.close()
    if active is None:
        raise InputError("no active model yet: start the app or run `train` once, or pass --model DIR")
    return Classifier.load(Path(active.path), device, active.id), active.id
