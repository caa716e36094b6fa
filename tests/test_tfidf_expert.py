"""The TF-IDF expert inside the classifier: it learns, is saved with the model, mixes by a weight chosen on validation."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from kobert_chat.errors import TrainingCancelled
from kobert_chat.nlu import mixing
from kobert_chat.nlu.examples import Example
from kobert_chat.nlu.inference import Classifier, probabilities
from kobert_chat.nlu.model_io import WEIGHTS, load_model, save_model
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary, word_ngrams
from kobert_chat.nlu.training import TrainConfig, train
from tests.helpers import toy_examples

SENTENCES = ["안녕 반가워", "시험 망했어ㅠㅠ", "고마워요!", "헤어졌어… 너무 힘들다", "너 이름 뭐야?"]


def _fit_toy(weights: list[float] | None = None):
    data = toy_examples(20)
    texts = [ex.text for ex in data]
    y = torch.tensor([0 if ex.labels["intent"] == "greeting" else 1 for ex in data])
    expert = fit_vocabulary(texts, {"intent": 2})
    w = torch.tensor(weights) if weights else torch.ones(len(y))
    fit_head(expert, "intent", expert.features(texts), y, w, c=10.0)
    return expert


def test_ngrams_match_scikit_learns_char_wb():
    assert word_ngrams("Hi 너") == [
        " ",
        "h",
        "i",
        " ",
        " h",
        "hi",
        "i ",
        " hi",
        "hi ",
        " hi ",
        " ",
        "너",
        " ",
        " 너",
        "너 ",
        " 너 ",
    ]


def test_expert_learns_a_separable_task():
    expert = _fit_toy()
    logits = expert.logits(["안녕하세요 ㅋㅋ", "정말 감사합니다", "처음 보는 말"])["intent"]
    assert logits[:2].argmax(1).tolist() == [0, 1]
    assert torch.isfinite(logits[2]).all()  # unseen n-grams are ignored, not an error


def test_sample_weights_count_in_the_fit():
    texts = ["같은 말"] * 4
    expert = fit_vocabulary(texts, {"h": 2})
    y = torch.tensor([0, 0, 1, 1])
    fit_head(expert, "h", expert.features(texts), y, torch.tensor([1.0, 1.0, 3.0, 3.0]), c=10.0)
    assert expert.logits(["같은 말"])["h"].argmax().item() == 1


def test_weight_follows_the_better_model_on_validation():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    sharp = np.eye(3)[y] * 0.9 + 0.1 / 3  # right and confident
    noise = rng.dirichlet(np.ones(3), 200)  # uninformative
    w_expert_good, _ = mixing.choose_weight(noise, sharp, y)
    w_encoder_good, _ = mixing.choose_weight(sharp, noise, y)
    assert 0.0 <= w_encoder_good < 0.5 < w_expert_good <= 1.0


def test_training_fits_the_expert_and_chooses_its_weight(tiny_model_dir, tmp_path):
    model, tok = load_model(tiny_model_dir)
    data = toy_examples(30)
    for i, ex in enumerate(data):
        ex.weight = 3.0 if i % 5 == 0 else 1.0  # user labels count more
    result = train(model, tok, data, TrainConfig(mode="quick", epochs=2, batch_size=16))
    hc = model.heads_config
    assert hc.tfidf and hc.tfidf_features == model.tfidf.n_features > 0
    assert set(hc.tfidf_mix) == {
        "intent",
        "emotion",
    }  # emotion is missing on half the rows: masked, still fit
    assert all(0.0 <= w <= 1.0 for w in hc.tfidf_mix.values())
    assert all(c in mixing.C_GRID for c in hc.tfidf_c.values()) and all(
        t > 0 for t in hc.tfidf_temperature.values()
    )
    assert result.metrics["intent"]["accuracy"] >= 0.9

    save_model(model, tok, tmp_path / "m")
    again = Classifier.load(tmp_path / "m", "cpu")
    assert again.model.heads_config.tfidf_mix == hc.tfidf_mix
    a = probabilities(model, tok, SENTENCES)
    b = probabilities(again.model, again.tokenizer, SENTENCES)
    assert all(np.array_equal(a[h], b[h]) for h in a)


def test_a_new_head_gets_its_expert(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    model.ensure_labels("topic", ["food", "game"])
    assert model.tfidf.heads["topic"].weight.shape == (model.tfidf.n_features, 2)
    assert "topic" not in model.heads_config.tfidf_mix  # unfitted: the encoder alone until trained
    fitted = model.tfidf.heads["emotion"].weight.clone()
    model.ensure_labels(
        "emotion", ["calm"]
    )  # a grown head keeps its fitted columns, but is unmixed until refit
    assert torch.equal(model.tfidf.heads["emotion"].weight[:, :-1], fitted)
    assert "emotion" not in model.heads_config.tfidf_mix and "intent" in model.heads_config.tfidf_mix
    food = ["떡볶이 먹자", "라면 끓여", "치킨 시켜", "김밥 맛있다", "피자 먹을래"]
    game = ["게임 하자", "롤 한판", "오버워치 접속", "게임기 샀어", "한판 더 해"]
    data = [Example(t, {"topic": "food"}) for t in food * 4] + [
        Example(t, {"topic": "game"}) for t in game * 4
    ]
    train(model, tok, data, TrainConfig(mode="quick", epochs=2, batch_size=8))
    assert "topic" in model.heads_config.tfidf_mix
    assert set(model.tfidf.heads) == {"intent", "emotion", "topic"}
    expert = model.tfidf.logits(["김밥 먹자", "게임 한판"])["topic"]
    assert expert.argmax(1).tolist() == [0, 1]


def test_same_seed_same_expert(tiny_model_dir):
    fits = []
    for _ in range(2):
        model, tok = load_model(tiny_model_dir)
        train(model, tok, toy_examples(12), TrainConfig(mode="quick", epochs=2, batch_size=8, seed=3))
        fits.append((model.tfidf.heads["intent"].weight.clone(), dict(model.heads_config.tfidf_mix)))
    assert torch.equal(fits[0][0], fits[1][0]) and fits[0][1] == fits[1][1]


def test_folder_saved_before_the_expert_still_loads(tiny_model_dir, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(tiny_model_dir, folder)
    _strip_expert(folder)

    old = Classifier.load(folder, "cpu")
    assert old.model.tfidf is None
    new, tok = load_model(tiny_model_dir)
    new.heads_config.tfidf_mix = {}  # the same encoder, unmixed
    expected = probabilities(new, tok, SENTENCES)
    got = probabilities(old.model, old.tokenizer, SENTENCES)
    assert all(np.allclose(expected[h], got[h]) for h in expected)
    assert old.predict("안녕")["intent"].label in old.heads["intent"]


def _strip_expert(folder):
    tensors = {k: v for k, v in load_file(str(folder / WEIGHTS)).items() if not k.startswith("tfidf.")}
    save_file(tensors, str(folder / WEIGHTS), metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["kobert_chat"] = {k: v for k, v in config["kobert_chat"].items() if not k.startswith("tfidf")}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")


def test_retraining_a_version_saved_before_the_expert_gives_it_one(home, tiny_model_dir, tmp_path):
    from kobert_chat.training_job import TrainRequest, run_training
    from tests.helpers import install_model

    old = tmp_path / "old"
    shutil.copytree(tiny_model_dir, old)
    _strip_expert(old)
    install_model(home, old)
    done = run_training(TrainRequest(mode="quick", epochs=2, device="cpu"), home=home)
    retrained = Classifier.load(done.path, "cpu")
    assert retrained.model.tfidf is not None and retrained.model.tfidf.n_features > 0
    assert set(retrained.model.heads_config.tfidf_mix) == {"intent", "emotion"}


@pytest.mark.parametrize("texts", [[""], ["   "], ["ㅋ" * 5000]])
def test_expert_handles_empty_and_huge_text(texts):
    expert = _fit_toy()
    assert torch.isfinite(expert.logits(texts)["intent"]).all()


def test_cancel_reaches_the_expert_fit(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    fitting = {"now": False}

    def progress(event: dict) -> None:
        fitting["now"] |= getattr(event, "stage", None) == "tfidf"

    with pytest.raises(TrainingCancelled):
        train(
            model,
            tok,
            toy_examples(12),
            TrainConfig(mode="quick", epochs=1, batch_size=8),
            progress=progress,
            should_stop=lambda: fitting["now"],
        )


def test_the_experts_analyzer_is_saved_and_kept_by_a_retrain(tiny_model_dir, tmp_path):
    model, tok = load_model(tiny_model_dir)
    model.heads_config.tfidf_analyzer = "norm+char_wb+jamo"
    train(model, tok, toy_examples(12), TrainConfig(mode="quick", epochs=1, batch_size=8))
    assert model.tfidf.analyzer == model.heads_config.tfidf_analyzer == "norm+char_wb+jamo"
    save_model(model, tok, tmp_path / "m")
    again = Classifier.load(tmp_path / "m", "cpu")
    assert again.model.tfidf.analyzer == "norm+char_wb+jamo"
    a = probabilities(model, tok, SENTENCES + ["ㄱㅅㄱㅅ ㅋㅋㅋㅋㅋ"])
    b = probabilities(again.model, again.tokenizer, SENTENCES + ["ㄱㅅㄱㅅ ㅋㅋㅋㅋㅋ"])
    assert all(np.array_equal(a[h], b[h]) for h in a)
    train(again.model, again.tokenizer, toy_examples(12), TrainConfig(mode="quick", epochs=1, batch_size=8))
    assert again.model.tfidf.analyzer == "norm+char_wb+jamo"  # a retrain refits with the same n-grams


def test_a_folder_saved_before_analyzers_reads_char_wb(tiny_model_dir, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["kobert_chat"].pop("tfidf_analyzer", None)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    old, _ = load_model(folder)
    assert old.tfidf.analyzer == old.heads_config.tfidf_analyzer == "char_wb"


def test_min_df_leaves_out_rare_ngrams():
    texts = ["같은 말", "같은 말", "다른 얘기"]
    full, pruned = fit_vocabulary(texts, {"h": 2}), fit_vocabulary(texts, {"h": 2}, min_df=2)
    assert 0 < pruned.n_features < full.n_features
    assert set(pruned.keys.tolist()) <= set(full.keys.tolist())


def test_gram_counts_are_each_distinct_ngram_with_its_count():
    import zlib
    from collections import Counter

    from kobert_chat.nlu.korean_features import grams
    from kobert_chat.nlu.starter import KOREAN_ANALYZER
    from kobert_chat.nlu.tfidf import gram_counts

    text = "ㅋㅋㅋ 고마워 고마워요!!"
    want = Counter(zlib.crc32(g.encode("utf-8")) for g in grams(text, KOREAN_ANALYZER))
    keys, counts = gram_counts(text, KOREAN_ANALYZER)
    assert keys.tolist() == sorted(want) and counts.tolist() == [want[k] for k in sorted(want)]
    assert not keys.flags.writeable  # cached: a caller must not change it


def test_the_csr_pair_is_the_features_matrix_and_its_transpose():
    from kobert_chat.nlu.tfidf import csr_pair

    texts = [ex.text for ex in toy_examples(20)] + ["", "처음 보는 말"]
    expert = fit_vocabulary(texts[:10], {"h": 2})
    rows, cols, vals = expert.features(texts)
    dense = torch.zeros(len(texts), expert.n_features).index_put_((rows, cols), vals, accumulate=True)
    pair = csr_pair((rows, cols, vals), len(texts), expert.n_features)
    assert torch.allclose(pair.mat.to_dense(), dense) and torch.allclose(pair.mat_t.to_dense(), dense.t())
    with pytest.raises(ValueError, match="sorted by row"):
        csr_pair((rows.flip(0), cols.flip(0), vals.flip(0)), len(texts), expert.n_features)


def test_a_capped_fit_stops_at_its_budget_and_still_learns():
    data = toy_examples(40)
    texts = [ex.text for ex in data]
    y = torch.tensor([0 if ex.labels["intent"] == "greeting" else 1 for ex in data])
    capped, full = fit_vocabulary(texts, {"intent": 2}), fit_vocabulary(texts, {"intent": 2})
    x = capped.features(texts)
    assert fit_head(capped, "intent", x, y, torch.ones(len(y)), c=10.0, max_iter=3, history_size=2) <= 3
    assert fit_head(full, "intent", x, y, torch.ones(len(y)), c=10.0) > 3
    assert (capped.logits(texts)["intent"].argmax(1) == y).float().mean() > 0.9


def test_without_refit_the_chosen_fit_is_final_not_fit_twice(monkeypatch):
    """Quick mode (refit=False, one C): one fit per head; its weights, over T_expert, are the expert's."""
    data = toy_examples(40)
    train_part, val_part = data[:30], data[30:]

    def labeled(exs):
        return mixing.Labeled(
            [ex.text for ex in exs],
            {"intent": np.array([ex.labels["intent"] == "greeting" for ex in exs], int)},
        )

    calls = []
    real_fit_head = mixing.fit_head
    monkeypatch.setattr(mixing, "fit_head", lambda *a, **k: calls.append(a[1]) or real_fit_head(*a, **k))
    val_logits = {"intent": np.zeros((len(val_part), 2))}
    fit = mixing.fit_expert(
        labeled(train_part), labeled(val_part), val_logits, {"intent": 2}, c_grid=(10.0,), refit=False
    )
    assert calls == ["intent"]
    direct = fit_vocabulary([ex.text for ex in train_part], {"intent": 2})
    t = labeled(train_part)
    real_fit_head(
        direct, "intent", direct.features(t.texts), torch.from_numpy(t.labels["intent"]), torch.ones(30), 10.0
    )
    t_exp = float(direct.head("intent").weight.norm() / fit.expert.head("intent").weight.norm())
    assert t_exp > 0 and torch.allclose(
        fit.expert.head("intent").weight * t_exp, direct.head("intent").weight
    )
