"""Classification metrics: accuracy, macro-F1, per-label precision/recall/F1, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict:
    """Macro-F1 averages over labels that occur in y_true or y_pred (as scikit-learn does)."""
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    if labels is None:
        labels = sorted(set(y_true) | set(y_pred))
    index = {lab: i for i, lab in enumerate(labels)}
    k = len(labels)
    confusion = np.zeros((k, k), dtype=np.int64)  # rows: true, cols: predicted
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            confusion[index[t], index[p]] += 1
    tp = np.diag(confusion).astype(float)
    support = confusion.sum(1)
    predicted = confusion.sum(0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    present = (support > 0) | (predicted > 0)
    n = len(y_true)
    return {
        "n": n,
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "labels": list(labels),
        "per_label": {
            lab: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, lab in enumerate(labels)
        },
        "confusion": confusion.tolist(),
    }


def summary(report: dict) -> dict:
    return {
        "macro_f1": round(report["macro_f1"], 4),
        "accuracy": round(report["accuracy"], 4),
        "n": report["n"],
    }
