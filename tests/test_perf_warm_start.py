"""A retrain's TF-IDF expert starts from the old model's weights: the same convex fit, fewer L-BFGS
iterations, the same answers; heads whose labels changed start from zero."""

from __future__ import annotations

import numpy as np
import torch

from kobert_chat.nlu.mixing import Labeled, _carry_weights, fit_expert
from kobert_chat.nlu.starter import KOREAN_ANALYZER
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary
from tests.helpers import sample_examples

LABELS = sorted({ex.labels["intent"] for ex in sample_examples(400)})


def _data(examples):
    texts = [ex.text for ex in examples]
    y = torch.tensor([LABELS.index(ex.labels["intent"]) for ex in examples])
    return texts, y


def _fit(texts, y, start=None, c=10.0):
    expert = fit_vocabulary(texts, {"intent": len(LABELS)}, KOREAN_ANALYZER, 1)
    if start is not None:
        _carry_weights(start, expert)
    iters = fit_head(expert, "intent", expert.features(texts), y, torch.ones(len(y)), c)
    return expert, iters


def test_a_warm_start_takes_fewer_iterations_to_the_same_answers():
    examples = [ex for ex in sample_examples(400) if "intent" in ex.labels]
    old, _ = _fit(*_data(examples[:360]))  # the old model's expert, before the new labels
    texts, y = _data(examples)
    cold, cold_iters = _fit(texts, y)
    warm, warm_iters = _fit(texts, y, start=old)
    assert 0 < warm_iters < cold_iters
    test = [ex.text for ex in sample_examples(100, split="test")]
    agree = (cold.logits(test)["intent"].argmax(1) == warm.logits(test)["intent"].argmax(1)).float().mean()
    assert agree >= 0.97


def test_heads_whose_labels_changed_start_from_zero():
    examples = [ex for ex in sample_examples(200) if "intent" in ex.labels]
    texts, y = _data(examples)
    old, _ = _fit(texts, y)
    new = fit_vocabulary(texts, {"intent": len(LABELS) + 1}, KOREAN_ANALYZER, 1)  # a label was added
    _carry_weights(old, new)
    assert torch.count_nonzero(new.head("intent").weight) == 0
    same = fit_vocabulary(texts, {"intent": len(LABELS)}, KOREAN_ANALYZER, 1)
    _carry_weights(old, same)
    assert torch.equal(same.head("intent").weight, old.head("intent").weight)  # same vocabulary: all kept


def test_fit_expert_uses_the_warm_start_and_keeps_its_choices():
    examples = [ex for ex in sample_examples(400) if "intent" in ex.labels]
    train, val = examples[:320], examples[320:]

    def labeled(exs):
        return Labeled([ex.text for ex in exs], {"intent": _data(exs)[1].numpy()})

    rng = np.random.default_rng(0)
    val_logits = {"intent": rng.normal(size=(len(val), len(LABELS)))}  # an uninformative encoder
    heads = {"intent": len(LABELS)}
    kw = dict(analyzer=KOREAN_ANALYZER, min_df=1, c_grid=(10.0,), refit=False)
    cold = fit_expert(labeled(train), labeled(val), val_logits, heads, **kw)
    warm = fit_expert(labeled(train), labeled(val), val_logits, heads, warm_start=cold.expert, **kw)
    assert warm.c == cold.c
    assert warm.mix["intent"] > 0.5 and cold.mix["intent"] > 0.5  # the expert carries the mix either way
    texts = [ex.text for ex in val]
    agree = cold.expert.logits(texts)["intent"].argmax(1) == warm.expert.logits(texts)["intent"].argmax(1)
    assert agree.float().mean() >= 0.97
