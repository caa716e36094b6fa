"""The starter is built here from bundled data: deterministic for a seed, scored on the held-out split."""

from __future__ import annotations

import torch
from safetensors.torch import load_file

from kobert_chat.nlu.model_io import read_metrics
from kobert_chat.nlu.starter import TINY_RECIPE, build_starter
from kobert_chat.nlu.tokenizer import KoBertTokenizer
from tests.helpers import sample_examples


def test_same_seed_builds_the_same_model(tmp_path):
    train, test = sample_examples(300), sample_examples(40, split="test")
    stages = []
    for name in ("a", "b"):
        build_starter(
            tmp_path / name,
            train,
            test,
            recipe=TINY_RECIPE,
            seed=3,
            progress=lambda e: stages.append(e.get("stage")) if e["event"] == "stage" else None,
        )
    a, b = (
        load_file(str(tmp_path / "a" / "model.safetensors")),
        load_file(str(tmp_path / "b" / "model.safetensors")),
    )
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    tok_a, tok_b = KoBertTokenizer.load(tmp_path / "a"), KoBertTokenizer.load(tmp_path / "b")
    assert tok_a.encode("오늘 너무 피곤하다ㅠㅠ") == tok_b.encode("오늘 너무 피곤하다ㅠㅠ")
    assert {"tokenizer", "train", "evaluate"} <= set(stages)


def test_metrics_record_the_held_out_scores(tiny_model_dir):
    metrics = read_metrics(tiny_model_dir)
    assert set(metrics["test"]) == {"intent", "emotion"}
    assert metrics["test"]["intent"]["n"] == 100
    assert metrics["recipe"]["layers"] == TINY_RECIPE.layers
