"""The two test sets bench/quality.py and bench/experiments/ score on, and how they are scored.

- the bundled held-out split (sha1(text) % 100 < 15 of resources/data/utterances), never used to build;
- bench/data/out_of_style.csv: 1,315 lines written for this project in styles people type online
  (comment, sarcasm, slang, diary, dialect, nopunct, typo), never used for any fit and never read by
  shipped code (tests/test_out_of_style_data.py checks both).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kobert_chat.labels import DEFAULT_HEADS
from kobert_chat.nlu.evaluation import classification_report
from kobert_chat.nlu.examples import Example
from kobert_chat.training_data import bundled_examples

OUT_OF_STYLE = Path(__file__).resolve().parent / "data" / "out_of_style.csv"
HEADS = ("intent", "emotion")
STYLE_PREFIX = "oos:"


def out_of_style_examples(path: Path = OUT_OF_STYLE) -> list[Example]:
    """The out-of-style set; each example's ref is "oos:<style>"."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Example(row["text"], {h: row[h] for h in HEADS}, ref=STYLE_PREFIX + row["style"])
            for row in csv.DictReader(f)
        ]


def test_sets() -> dict[str, list[Example]]:
    return {"bundled test": bundled_examples("test"), "out-of-style": out_of_style_examples()}


def style(ex: Example) -> str:
    return ex.ref.removeprefix(STYLE_PREFIX) if ex.ref.startswith(STYLE_PREFIX) else ""


def head_labels(head: str) -> list[str]:
    return [lab for lab, _ in DEFAULT_HEADS[head]]


def scores(examples: Sequence[Example], predicted: dict[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """head -> {"all": macro-F1, "acc": accuracy, <style>: macro-F1 on that style's lines}."""
    out: dict[str, dict[str, float]] = {}
    styles = sorted({style(ex) for ex in examples} - {""})
    for head in HEADS:
        truth = [ex.labels[head] for ex in examples]
        pred = list(predicted[head])
        rep = classification_report(truth, pred, head_labels(head))
        row = {"all": rep["macro_f1"], "acc": rep["accuracy"]}
        for s in styles:
            idx = [i for i, ex in enumerate(examples) if style(ex) == s]
            row[s] = classification_report([truth[i] for i in idx], [pred[i] for i in idx])["macro_f1"]
        out[head] = row
    return out


def argmax_labels(probs: dict[str, np.ndarray]) -> dict[str, list[str]]:
    return {h: [head_labels(h)[j] for j in probs[h].argmax(1)] for h in HEADS}


def score_predictor(
    predict: Callable[[list[str]], dict[str, list[str]]], sets: dict[str, list[Example]]
) -> dict[str, dict[str, dict[str, float]]]:
    """set name -> scores() of predict's labels on that set."""
    return {name: scores(exs, predict([ex.text for ex in exs])) for name, exs in sets.items()}


def format_table(results: dict[str, dict[str, dict[str, dict[str, float]]]]) -> str:
    """results: model -> set -> head -> scores. One line per model and set, intent and emotion side by side."""
    lines = [f"{'model':<44}{'set':<14}{'intent F1':>10}{'emotion F1':>11}"]
    for model, sets in results.items():
        for name, heads in sets.items():
            lines.append(
                f"{model:<44}{name:<14}{heads['intent']['all']:>10.4f}{heads['emotion']['all']:>11.4f}"
            )
    return "\n".join(lines)


def format_styles(
    results: dict[str, dict[str, dict[str, dict[str, float]]]], set_name: str = "out-of-style"
) -> str:
    """Per-style macro-F1 on the out-of-style set: one line per model and head."""
    first = next(iter(results.values()))[set_name]["intent"]
    styles = [k for k in first if k not in ("all", "acc")]
    lines = [f"{'model':<44}{'head':<9}" + "".join(f"{s:>9}" for s in styles)]
    for model, sets in results.items():
        for head in HEADS:
            row = sets[set_name][head]
            lines.append(f"{model:<44}{head:<9}" + "".join(f"{row[s]:>9.3f}" for s in styles))
    return "\n".join(lines)
