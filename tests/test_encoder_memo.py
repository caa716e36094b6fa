"""The encoder memo: a quick retrain's frozen-encoder features, computed once per text and kept on disk.

Real tiny models: the memo's features and probabilities are the model's own, a changed encoder never
reads another's memo, damaged files are ignored, and a second quick retrain from the same encoder runs
the encoder on nothing it has seen."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kobert_chat import paths
from kobert_chat.nlu import encoder_memo
from kobert_chat.nlu.encoder_memo import EncoderMemo
from kobert_chat.nlu.inference import length_sorted_batches, probabilities
from kobert_chat.nlu.model import KoBertClassifier
from kobert_chat.nlu.model_io import load_model
from kobert_chat.nlu.training import TrainConfig, train
from kobert_chat.training_job import TrainRequest, run_training
from tests.helpers import sample_examples, toy_examples

TEXTS = ["오늘 너무 좋다 ㅋㅋ", "헤어졌어…", "배고파", "오늘 너무 좋다 ㅋㅋ", "내일 면접인데 떨려요 ㅠㅠ"]


def direct_features(model, tok, texts) -> torch.Tensor:
    model.eval()
    out = torch.zeros(len(texts), model.bert_config.hidden_size)
    with torch.no_grad():
        for idx, batch in length_sorted_batches(tok, texts, 64, torch.device("cpu")):
            out[idx] = model.encode(batch).float()
    return out


def test_features_are_the_encoders_and_each_distinct_text_runs_once(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    memo = EncoderMemo.for_model(model, tok)
    feats = memo.features(model, tok, TEXTS)
    assert torch.allclose(feats, direct_features(model, tok, TEXTS), atol=1e-5)
    assert memo.computed == 4 and len(memo) == 4  # the repeated text ran once
    again = memo.features(model, tok, list(reversed(TEXTS)))
    assert memo.computed == 4  # nothing new
    assert torch.equal(again, feats.flip(0))


def test_probabilities_match_the_full_model(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    assert model.tfidf is not None and model.heads_config.tfidf_mix  # the mix is part of what must match
    memo = EncoderMemo.for_model(model, tok)
    got = memo.probabilities(model, tok, TEXTS)
    want = probabilities(model, tok, TEXTS)
    assert set(got) == set(want)
    for head in want:
        np.testing.assert_allclose(got[head], want[head], atol=1e-5)


def test_a_changed_encoder_or_tokenizer_length_is_another_memo(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    memo = EncoderMemo.for_model(model, tok)
    assert memo.serves(model, tok)
    tok.max_length = tok.max_length // 2
    assert not memo.serves(model, tok)  # truncation changes the features
    tok.max_length *= 2
    with torch.no_grad():
        next(model.encoder.parameters()).add_(1e-3)
    assert not memo.serves(model, tok)


def test_save_and_load_round_trip_and_ignore_damage(tiny_model_dir, tmp_path):
    model, tok = load_model(tiny_model_dir)
    memo = EncoderMemo.for_model(model, tok)
    feats = memo.features(model, tok, TEXTS)
    assert memo.save(tmp_path)
    loaded = EncoderMemo.load(tmp_path, model, tok)
    assert loaded.loaded == 4
    assert torch.equal(loaded.features(model, tok, TEXTS), feats) and loaded.computed == 0

    file = tmp_path / f"{memo.digest}.safetensors"
    file.write_bytes(file.read_bytes()[:100])  # cut short: a crash of another program, a bad disk
    damaged = EncoderMemo.load(tmp_path, model, tok)
    assert len(damaged) == 0  # ignored, not an error
    assert torch.allclose(damaged.features(model, tok, TEXTS), feats, atol=1e-6)


def test_wrong_shapes_are_ignored(tiny_model_dir, tmp_path):
    from safetensors.torch import save_file

    model, tok = load_model(tiny_model_dir)
    memo = EncoderMemo.for_model(model, tok)
    save_file(
        {"keys": torch.zeros(2, 16, dtype=torch.uint8), "features": torch.zeros(2, 7)},
        str(tmp_path / f"{memo.digest}.safetensors"),
    )
    assert len(EncoderMemo.load(tmp_path, model, tok)) == 0


def test_only_the_newest_memos_stay(tiny_model_dir, tmp_path):
    model, tok = load_model(tiny_model_dir)
    for i in range(encoder_memo.KEEP_FILES + 2):
        memo = EncoderMemo(f"{i:032x}", model.bert_config.hidden_size)
        memo.features(model, tok, TEXTS[:1])
        assert memo.save(tmp_path)
    left = sorted(p.stem for p in tmp_path.glob("*.safetensors"))
    assert len(left) == encoder_memo.KEEP_FILES
    assert f"{encoder_memo.KEEP_FILES + 1:032x}" in left  # the newest stays


def test_quick_training_with_a_warm_memo_is_the_same_training(tiny_model_dir):
    cfg = TrainConfig(mode="quick", epochs=4, batch_size=16, head_lr=2e-2, patience=20)
    model_a, tok = load_model(tiny_model_dir)
    cold = train(model_a, tok, toy_examples(), cfg)
    assert cold.memo is not None and cold.memo.computed > 0
    model_b, _ = load_model(tiny_model_dir)
    warm_memo = cold.memo
    before = warm_memo.computed
    warm = train(model_b, tok, toy_examples(), cfg, memo=warm_memo)
    assert warm_memo.computed == before  # every feature came from the memo
    assert warm.metrics == cold.metrics
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), name
    # the trained heads work with the memo's features as with the encoder's
    probs = warm.memo.probabilities(model_b, tok, TEXTS)
    for head, p in probabilities(model_b, tok, TEXTS).items():
        np.testing.assert_allclose(probs[head], p, atol=1e-5)


def test_full_training_keeps_no_memo(tiny_model_dir):
    model, tok = load_model(tiny_model_dir)
    result = train(model, tok, sample_examples(40), TrainConfig(mode="full", epochs=1, batch_size=16))
    assert result.memo is None


def test_a_second_quick_retrain_runs_the_encoder_on_nothing_it_has_seen(model_home, monkeypatch):
    from kobert_chat import training_data

    lines = {"train": sample_examples(400), "test": sample_examples(80, split="test")}
    monkeypatch.setattr(
        training_data, "bundled_examples", lambda split="train": lines[split]
    )  # minutes -> seconds
    request = TrainRequest(mode="quick", epochs=1, device="cpu")
    run_training(request, home=model_home)
    folder = paths.features_dir(model_home)
    assert len(list(folder.glob("*.safetensors"))) == 1

    calls = []
    real_encode = KoBertClassifier.encode

    def counting_encode(self, batch):
        calls.append(batch.input_ids.shape[0])
        return real_encode(self, batch)

    monkeypatch.setattr(KoBertClassifier, "encode", counting_encode)
    digests = []
    real_digest = encoder_memo.encoder_digest
    monkeypatch.setattr(encoder_memo, "encoder_digest", lambda m, t: digests.append(1) or real_digest(m, t))
    done = run_training(request, home=model_home)
    assert done is not None and done.version
    assert calls == []  # training, validation, the exam and both models' predictions: all remembered
    assert len(digests) == 2  # hashing the encoder (~1 s for KoBERT): on load, and for the old model
    assert len(list(folder.glob("*.safetensors"))) == 1  # same encoder, same file


def test_an_unwritable_cache_folder_only_costs_time(tiny_model_dir, tmp_path):
    model, tok = load_model(tiny_model_dir)
    memo = EncoderMemo.for_model(model, tok)
    memo.features(model, tok, TEXTS)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert memo.save(blocker) is False


@pytest.mark.parametrize("texts", [[], ["", " "]])
def test_empty_and_blank_texts(tiny_model_dir, texts):
    model, tok = load_model(tiny_model_dir)
    memo = EncoderMemo.for_model(model, tok)
    feats = memo.features(model, tok, texts)
    assert feats.shape == (len(texts), model.bert_config.hidden_size)
    assert bool(torch.isfinite(feats).all())


def _build_tiny_starter(home, monkeypatch, emit=None, should_stop=None):
    from kobert_chat import bootstrap
    from kobert_chat.registry import Registry
    from kobert_chat.store import Store

    monkeypatch.setenv("KOBERT_CHAT_STARTER_RECIPE", "tiny")
    lines = {"train": sample_examples(200), "test": sample_examples(40, split="test")}
    monkeypatch.setattr(bootstrap, "bundled_examples", lambda split: lines[split])
    store = Store.open(paths.database_path(home))
    try:
        version = bootstrap.build_starter_version(
            Registry(store, paths.models_dir(home)), emit, should_stop=should_stop
        )
    finally:
        store.close()
    return version, [ex.text for ex in lines["train"] + lines["test"]]


def test_the_first_run_build_remembers_the_bundled_lines(home, monkeypatch):
    version, texts = _build_tiny_starter(home, monkeypatch)
    model, tok = load_model(version.path)
    memo = EncoderMemo.load(paths.features_dir(home), model, tok)
    assert memo.loaded == len(set(texts))
    feats = memo.features(model, tok, texts)
    assert memo.computed == 0  # the first quick retrain reads these instead of running the encoder
    assert torch.allclose(feats, direct_features(model, tok, texts), atol=1e-5)
    # and their n-grams, for the TF-IDF expert and the n-gram bag (nlu/text_grams.py)
    from kobert_chat.nlu import remembered, text_grams

    remembered.forget()
    config = model.heads_config
    read = text_grams.load(paths.text_grams_dir(home), config.tfidf_analyzer, config.ngram_buckets)
    remembered.forget()
    assert read == 2 * len(set(texts))


def test_stopping_while_remembering_keeps_the_finished_starter(home, monkeypatch):
    stages: list[str] = []

    def emit(event) -> None:
        if getattr(event, "kind", "") == "stage":
            stages.append(event.stage)

    version, _ = _build_tiny_starter(home, monkeypatch, emit, should_stop=lambda: "remember" in stages)
    assert "remember" in stages
    assert load_model(version.path)[0] is not None  # registered and loadable
    assert list(paths.features_dir(home).glob("*.safetensors")) == []  # nothing half-written
