"""Model folders: Hugging Face layout, safetensors only, clear errors for anything damaged or unsafe."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest
import torch
from safetensors.torch import save_file
from transformers import BertModel

from kobert_chat.errors import ModelError
from kobert_chat.nlu.inference import Classifier
from kobert_chat.nlu.model_io import load_encoder_weights, load_model, save_model

SENTENCES = ["안녕 반가워", "시험 망했어ㅠㅠ", "고마워요!", "헤어졌어… 너무 힘들다", "너 이름 뭐야?"]


def test_folder_has_the_hugging_face_layout(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "spiece.model",
        "tokenizer_config.json",
        "labels.json",
        "metrics.json",
    } <= names
    labels = json.loads((tiny_model_dir / "labels.json").read_text(encoding="utf-8"))
    assert set(labels) == {"intent", "emotion"} and "greeting" in labels["intent"]


def test_save_load_round_trip_gives_identical_predictions(tiny_model_dir, tmp_path):
    model, tokenizer = load_model(tiny_model_dir)
    save_model(model, tokenizer, tmp_path / "copy", metrics={"note": "copy"})
    a = Classifier.load(tiny_model_dir, "cpu").predict_many(SENTENCES)
    b = Classifier.load(tmp_path / "copy", "cpu").predict_many(SENTENCES)
    for x, y in zip(a, b, strict=True):
        for head in x:
            assert x[head].label == y[head].label
            assert x[head].confidence == pytest.approx(y[head].confidence, abs=1e-6)


def test_encoder_loads_as_a_plain_transformers_bert_model(tiny_model_dir):
    """Other tools can read our folder: the encoder is stored under BertModel's own names."""
    bert = BertModel.from_pretrained(str(tiny_model_dir))
    ours, _ = load_model(tiny_model_dir)
    w1 = bert.embeddings.word_embeddings.weight
    w2 = ours.encoder.embeddings.word_embeddings.weight
    assert torch.equal(w1, w2)


def test_pickle_only_folder_is_refused_without_unpickling(tiny_model_dir, tmp_path):
    folder = tmp_path / "evil"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "model.safetensors").unlink()

    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "PWNED"), "w"))

    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelError, match="safetensors only"):
        load_model(folder)
    assert not (tmp_path / "PWNED").exists()


def test_truncated_weights_are_a_clear_error(tiny_model_dir, tmp_path):
    folder = tmp_path / "truncated"
    shutil.copytree(tiny_model_dir, folder)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="damaged or truncated"):
        load_model(folder)


@pytest.mark.parametrize("missing", ["config.json", "spiece.model", "labels.json", "model.safetensors"])
def test_incomplete_folder_names_the_missing_file(tiny_model_dir, tmp_path, missing):
    folder = tmp_path / "partial"
    shutil.copytree(tiny_model_dir, folder)
    (folder / missing).unlink()
    with pytest.raises(ModelError, match=missing.replace(".", r"\.")):
        load_model(folder)


def test_weights_that_do_not_match_config_are_refused(tiny_model_dir, tmp_path):
    folder = tmp_path / "mismatch"
    shutil.copytree(tiny_model_dir, folder)
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    labels["intent"].append("extra_label")
    (folder / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    with pytest.raises(ModelError, match="shape"):
        load_model(folder)


def test_foreign_bert_checkpoint_loads_key_by_key(tiny_model_dir, tmp_path):
    model, _ = load_model(tiny_model_dir)
    donor = BertModel(model.bert_config, add_pooling_layer=True)  # KoBERT ships a pooler; we ignore it
    tensors = {f"bert.{k}": v.clone() for k, v in donor.state_dict().items()}
    save_file(tensors, str(tmp_path / "w.safetensors"))
    from safetensors.torch import load_file

    load_encoder_weights(model, load_file(str(tmp_path / "w.safetensors")))
    assert torch.equal(
        model.encoder.embeddings.word_embeddings.weight, donor.embeddings.word_embeddings.weight
    )

    bad = dict(tensors)
    bad["bert.embeddings.word_embeddings.weight"] = torch.zeros(3, 3)
    with pytest.raises(ModelError, match="shape"):
        load_encoder_weights(model, bad)
    with pytest.raises(ModelError, match="missing"):
        load_encoder_weights(
            model,
            {"bert.embeddings.word_embeddings.weight": tensors["bert.embeddings.word_embeddings.weight"]},
        )
