from __future__ import annotations

import pytest

from kobert_chat.nlu.evaluation import classification_report


def test_report_matches_hand_computed_values():
    y_true = ["a", "a", "b", "b", "c"]
    y_pred = ["a", "b", "b", "b", "a"]
    r = classification_report(y_true, y_pred, ["a", "b", "c"])
    assert r["accuracy"] == pytest.approx(3 / 5)
    # a: p=1/2 r=1/2 f=.5; b: p=2/3 r=1 f=.8; c: 0
    assert r["per_label"]["a"]["f1"] == pytest.approx(0.5)
    assert r["per_label"]["b"]["f1"] == pytest.approx(0.8)
    assert r["per_label"]["c"]["f1"] == 0.0
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert r["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_labels_absent_from_both_sides_do_not_drag_macro_f1_down():
    r = classification_report(["a", "b"], ["a", "b"], ["a", "b", "never"])
    assert r["macro_f1"] == 1.0


def test_agrees_with_scikit_learn():
    from sklearn.metrics import f1_score

    y_true = list("aabbbcccdde")
    y_pred = list("abbbcccdaee")
    ours = classification_report(y_true, y_pred)
    assert ours["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
