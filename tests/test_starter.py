"""The starter is built here from bundled data: deterministic for a seed, scored on the held-out split."""

from __future__ import annotations

from dataclasses import replace

import torch
from safetensors.torch import load_file

from kobert_chat.nlu.model_io import load_model, read_metrics
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
            progress=lambda e: stages.append(e.stage) if e.kind == "stage" else None,
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


def test_pretraining_augmentation_and_korean_features_build_and_load(tmp_path):
    """The parts the default recipe may use (pretraining, augmentation, the expert's Korean n-grams),
    on the tiny recipe: the folder loads with the analyzer it was fit with, and the masked-LM loss
    curve and unigram entropy are recorded."""
    recipe = replace(
        TINY_RECIPE,
        pretrain_epochs=2,
        augment=0.3,
        tfidf_analyzer="norm+char_wb+nospace+jamo",
        tfidf_min_df=2,
    )
    metrics = build_starter(
        tmp_path / "m", sample_examples(200), sample_examples(30, split="test"), recipe=recipe
    )
    pre = metrics["pretrain"]
    assert pre["steps"] > 0 and len(pre["losses"]) >= 2 and pre["unigram_entropy"] > 0
    model, tok = load_model(tmp_path / "m")
    assert model.tfidf.analyzer == "norm+char_wb+nospace+jamo"
    assert set(metrics["test"]) == {"intent", "emotion"}
    saved = load_file(str(tmp_path / "m" / "model.safetensors"))
    assert not any("mlm" in k or "predictions" in k for k in saved)  # the MLM head is not shipped
