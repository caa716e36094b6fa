"""The real KoBERT backbone, offline: KoBERT's token ids, where its folder comes from (a folder the user gave,
then the Hugging Face cache, never the network unless asked), its weights in our encoder, and a fine-tuned
KoBERT that the registry, the engine and `evaluate` use like any other version."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from kobert_chat.errors import ModelError
from kobert_chat.nlu.kobert import check_kobert_folder, kobert_classifier, resolve_kobert
from kobert_chat.nlu.tokenizer import CLS_ID, PAD_ID, SEP_ID, KoBertTokenizer
from tests.helpers.kobert import PUBLISHED_EXAMPLE, build_hf_cache, no_network, one_torch_thread, tiny_kobert

KOBERT_IDS = [2, 4958, 6855, 2046, 7088, 1050, 7843, 54, 3]  # KoBERT's published example
HEADS = {"intent": ["greeting", "thanks", "worry"], "emotion": ["happiness", "neutral"]}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def kobert_dir(tmp_path_factory) -> Path:
    return tiny_kobert(tmp_path_factory.mktemp("kobert"))


@pytest.fixture
def offline(monkeypatch):
    """No KOBERT_DIR from the environment, and any network connection attempt fails the call (and is recorded)."""
    monkeypatch.delenv("KOBERT_DIR", raising=False)
    with no_network(monkeypatch) as attempts:
        yield attempts


# -- tokenizer -------------------------------------------------------------------------------------------


def test_tokenizer_gives_kobert_layout_from_a_kobert_style_folder(kobert_dir):
    # The folder's tokenizer_config names XLNetTokenizer (CLS last, left padding); we read spiece.model directly.
    tok = KoBertTokenizer.load(kobert_dir)
    ids = tok.encode(PUBLISHED_EXAMPLE)
    assert ids == [
        CLS_ID,
        *tok.sp.encode(PUBLISHED_EXAMPLE, out_type=int),
        SEP_ID,
    ]  # KoBERT ids = SentencePiece ids
    batch = tok.batch([PUBLISHED_EXAMPLE, "안녕"])
    short = batch.input_ids[1].tolist()
    assert short[0] == CLS_ID and short[int(batch.attention_mask[1].sum()) - 1] == SEP_ID
    assert short[-1] == PAD_ID and batch.token_type_ids.eq(0).all()  # right padding, token types 0


@pytest.mark.skipif(
    not os.environ.get("KOBERT_DIR"),
    reason="needs a real skt/kobert-base-v1 folder: set KOBERT_DIR=/path/to/it "
    "(this machine has no internet to fetch one)",
)
def test_real_kobert_gives_the_published_ids():
    folder = Path(os.environ["KOBERT_DIR"])
    assert KoBertTokenizer.load(folder).encode(PUBLISHED_EXAMPLE) == KOBERT_IDS
    if (folder / "model.safetensors").is_file():
        model, tok = kobert_classifier(folder, HEADS)
        assert model.bert_config.vocab_size == 8002 and tok.vocab_size == 8002
        logits = model(tok.batch([PUBLISHED_EXAMPLE]))
        assert logits["intent"].shape == (1, 3)
    else:  # only pytorch_model.bin: refused with the conversion advice, never unpickled
        with pytest.raises(ModelError, match="pytorch_model.bin"):
            check_kobert_folder(folder)


# -- where the folder comes from ---------------------------------------------------------------------------


def test_a_given_folder_wins_then_the_cache_is_read_without_network(
    kobert_dir, tmp_path, offline, monkeypatch
):
    cache = tmp_path / "hf-cache"
    snapshot = build_hf_cache(cache, kobert_dir)
    assert resolve_kobert(cache_dir=cache) == snapshot
    assert resolve_kobert(kobert_dir, cache_dir=cache) == kobert_dir
    monkeypatch.setenv("KOBERT_DIR", str(kobert_dir))  # the environment is a way to give the folder, too
    assert resolve_kobert(cache_dir=cache) == kobert_dir
    assert offline == []


def test_without_kobert_and_without_download_the_error_says_how_to_get_it(tmp_path, offline):
    cache = tmp_path / "empty-cache"
    with pytest.raises(ModelError, match=r"--backbone kobert --download") as err:
        resolve_kobert(cache_dir=cache)
    assert "not on this machine" in str(err.value)
    assert offline == [] and not cache.exists()  # no request, nothing written


def test_pickle_weights_are_refused_unopened_with_conversion_advice(kobert_dir, tmp_path, offline):
    marker = tmp_path / "unpickled"

    class Payload:  # unpickling this would create `marker`
        def __reduce__(self):
            return (Path.touch, (marker,))

    folder = tmp_path / "pickle-only"
    shutil.copytree(kobert_dir, folder)
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(Payload()))
    for attempt in (
        lambda: resolve_kobert(folder),
        lambda: kobert_classifier(folder, HEADS),
        lambda: resolve_kobert(cache_dir=_cache_of(folder, tmp_path / "cache")),
    ):
        with pytest.raises(ModelError) as err:
            attempt()
        message = str(err.value)
        assert (
            "pytorch_model.bin" in message and "model.safetensors" in message and "save_pretrained" in message
        )
    assert not marker.exists()


def _cache_of(folder: Path, cache: Path) -> Path:
    build_hf_cache(cache, folder, files=[p.name for p in folder.iterdir()])
    return cache


# -- weights -----------------------------------------------------------------------------------------------


def test_kobert_weights_load_into_our_encoder_exactly(kobert_dir):
    from transformers import BertModel

    model, tok = kobert_classifier(kobert_dir, HEADS)
    assert model.ngram is None and {h: m.out_features for h, m in model.heads.items()} == {
        "intent": 3,
        "emotion": 2,
    }
    assert tok.max_length == 64  # KoBERT's config allows 1e30 tokens; chat lines do not need more than 64
    reference = BertModel.from_pretrained(kobert_dir).eval()
    batch = tok.batch([PUBLISHED_EXAMPLE, "오늘 너무 피곤하다"])
    with torch.no_grad():
        ours = model.encoder(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            token_type_ids=batch.token_type_ids,
        ).last_hidden_state
        theirs = reference(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            token_type_ids=batch.token_type_ids,
        ).last_hidden_state
    assert torch.allclose(ours, theirs, atol=1e-6)


def test_weights_of_another_shape_are_refused(kobert_dir, tmp_path):
    folder = tmp_path / "wrong"
    shutil.copytree(kobert_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"hidden_size": 64, "intermediate_size": 128}))
    with pytest.raises(ModelError, match="shape"):
        kobert_classifier(folder, HEADS)


# -- a fine-tuned KoBERT is a version like any other ----------------------------------------------------------


def test_fine_tuned_kobert_from_the_cache_saves_loads_chats_and_evaluates(
    kobert_dir, home, tmp_path, offline, monkeypatch
):
    import huggingface_hub.constants

    from kobert_chat.engine import ChatEngine
    from kobert_chat.evaluate_file import evaluate_file
    from kobert_chat.nlu.model_io import load_model
    from kobert_chat.training_job import TrainRequest, run_training

    build_hf_cache(tmp_path / "hf-cache", kobert_dir)
    monkeypatch.setattr(
        huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache")
    )  # = HF_HUB_CACHE env
    events = []
    done = run_training(
        TrainRequest(mode="quick", epochs=2, backbone="kobert", device="cpu"),
        home=home,
        progress=events.append,
    )
    assert done is not None and done.kind == "done" and done.activated is False
    folder = Path(done.path)
    assert {"config.json", "model.safetensors", "spiece.model", "labels.json"} <= {
        p.name for p in folder.iterdir()
    }
    model, _ = load_model(folder)  # our folder format, safetensors only
    assert model.bert_config.hidden_size == 32 and model.ngram is None

    engine = ChatEngine.open(home, device="cpu")
    try:
        assert engine.store.model_version(done.version).backbone == "kobert"
        engine.activate(done.version)
        reply = engine.reply(engine.new_conversation(), "오늘 너무 피곤하다")
        assert reply.bot.text and reply.user.model_version == done.version
    finally:
        engine.close()
    data = tmp_path / "eval.csv"
    data.write_text(
        "text,label\n안녕하세요,greeting\n정말 고마워요,thanks\n요즘 잠이 안 와,worry\n", encoding="utf-8"
    )
    report = evaluate_file(data, head="intent", device="cpu")
    assert report["model"] == done.version and report["n"] == 3
    assert offline == []  # cache, training, saving, chatting, evaluating: no connection at all


def test_download_flag_without_the_kobert_backbone_is_bad_input(home):
    from kobert_chat.errors import InputError
    from kobert_chat.training_job import TrainRequest, run_training

    with pytest.raises(InputError, match="--download goes with --backbone kobert"):
        run_training(TrainRequest(download=True), home=home)
