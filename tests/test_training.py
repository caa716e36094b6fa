"""Training on a tiny real BERT for real steps: it learns, masks missing labels, grows heads, cancels cleanly."""

from __future__ import annotations

import pytest
import torch

from kobert_chat import progress
from kobert_chat.errors import InputError, TrainingCancelled
from kobert_chat.nlu.examples import Example, stratified_split
from kobert_chat.nlu.model_io import load_model
from kobert_chat.nlu.training import TrainConfig, evaluate_examples, train
from tests.helpers import sample_examples, toy_examples


def test_full_training_learns_a_separable_task(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    events = []
    cfg = TrainConfig(mode="full", epochs=4, batch_size=16, lr=1e-3, head_lr=1e-2, patience=10)
    result = train(model, tok, toy_examples(), cfg, progress=events.append)
    assert result.metrics["intent"]["accuracy"] >= 0.9
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and "step" in kinds and kinds.count("epoch") >= 1
    step = next(e for e in events if e.kind == "step")
    assert {"epoch", "step", "total_steps", "loss", "eta_s"} <= set(progress.to_dict(step))


def test_quick_mode_trains_heads_only(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    assert model.ngram is not None  # the shipped layout: the n-gram bag beside the encoder
    before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    bag_before = model.ngram.weight.detach().clone()
    heads_before = {h: head.weight.detach().clone() for h, head in model.heads.items()}
    cfg = TrainConfig(mode="quick", epochs=15, batch_size=16, head_lr=2e-2, patience=20)
    result = train(model, tok, toy_examples(), cfg)
    after = model.encoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # encoder untouched
    assert torch.equal(model.ngram.weight.detach(), bag_before)  # the n-gram bag too
    assert not torch.equal(model.heads["intent"].weight.detach(), heads_before["intent"])  # heads learned
    assert result.metrics["intent"]["accuracy"] >= 0.9
    assert all(p.requires_grad for p in model.encoder.parameters())  # unfrozen again for later use
    assert model.ngram.weight.requires_grad


def test_full_mode_trains_the_ngram_bag(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    assert model.ngram is not None
    bag_before = model.ngram.weight.detach().clone()
    train(model, tok, toy_examples(), TrainConfig(mode="full", epochs=1, batch_size=16, patience=5))
    assert not torch.equal(model.ngram.weight.detach(), bag_before)


def test_missing_labels_are_masked(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    only_intent = [Example(ex.text, {"intent": ex.labels["intent"]}) for ex in toy_examples(10)]
    result = train(model, tok, only_intent, TrainConfig(mode="quick", epochs=2, batch_size=8))
    assert "intent" in result.metrics and "emotion" not in result.metrics  # nothing to score emotion on


def test_new_labels_and_new_heads_extend_without_starting_over(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    old_rows = model.heads["intent"].weight.detach().clone()
    assert model.ensure_labels("intent", ["greeting", "weather"]) == ["weather"]
    assert torch.equal(model.heads["intent"].weight[: old_rows.shape[0]], old_rows)
    model.ensure_labels("topic", ["food", "game"])
    data = (
        toy_examples(10)
        + [
            Example("날씨 좋다", {"intent": "weather", "topic": "food"}),
            Example("비 온대", {"intent": "weather", "topic": "game"}),
        ]
        * 4
    )
    result = train(model, tok, data, TrainConfig(mode="quick", epochs=2, batch_size=8))
    assert result.model.heads_config.heads["topic"] == ["food", "game"]


def test_unknown_label_is_a_clear_error(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    with pytest.raises(InputError, match="unknown intent label 'greting'"):
        train(model, tok, [Example("안녕", {"intent": "greting"})] * 4, TrainConfig(epochs=1))


def test_cancel_stops_at_once(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(TrainingCancelled):
        train(model, tok, toy_examples(), TrainConfig(mode="full", epochs=50, batch_size=4), should_stop=stop)
    assert calls["n"] == 4


def test_same_seed_same_model(tiny_model_dir):
    results = []
    for _ in range(2):
        model, tok = load_model(tiny_model_dir)
        train(model, tok, toy_examples(12), TrainConfig(mode="full", epochs=2, batch_size=8, seed=7))
        results.append(model.heads["intent"].weight.detach().clone())
    assert torch.equal(results[0], results[1])


def test_stratified_split_keeps_every_label_in_validation():
    examples = sample_examples(600)
    train_set, val = stratified_split(examples, 0.1, seed=0)
    assert len(train_set) + len(val) == len(examples)
    assert {ex.labels["intent"] for ex in val} == {ex.labels["intent"] for ex in examples}
    assert not {id(e) for e in train_set} & {id(e) for e in val}


def test_evaluation_reports_per_head(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    report = evaluate_examples(model, tok, sample_examples(50, split="test"))
    intent = report["intent"]
    assert intent["n"] == 50 and 0 <= intent["macro_f1"] <= 1
    assert len(intent["confusion"]) == len(intent["labels"]) and sum(map(sum, intent["confusion"])) == 50


def test_augmented_full_training_is_deterministic_and_still_learns(tiny_model_dir):
    states, accuracies = [], []
    for _ in range(2):
        model, tok = load_model(tiny_model_dir)
        cfg = TrainConfig(
            mode="full", epochs=3, batch_size=16, lr=1e-3, head_lr=1e-2, patience=10, augment=0.5
        )
        result = train(model, tok, toy_examples(), cfg)
        states.append({k: v.clone() for k, v in model.encoder.state_dict().items()})
        accuracies.append(result.metrics["intent"]["accuracy"])
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert accuracies[0] == accuracies[1] >= 0.9
    plain, tok = load_model(tiny_model_dir)
    train(
        plain, tok, toy_examples(), TrainConfig(mode="full", epochs=3, batch_size=16, lr=1e-3, head_lr=1e-2)
    )
    assert not all(torch.equal(states[0][k], v) for k, v in plain.encoder.state_dict().items())  # it changed
