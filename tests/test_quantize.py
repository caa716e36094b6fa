"""int8 dynamic quantization for CPU inference: the encoder's Linear layers become int8, predictions stay
(almost) the same, and the engine follows the quantize_int8 setting."""

from __future__ import annotations

import pytest
from torch import nn

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.nlu.inference import Classifier
from kobert_chat.nlu.quantize import is_quantized
from kobert_chat.settings import load_settings, save_settings
from kobert_chat.training_data import bundled_examples
from tests.helpers.kobert import one_torch_thread


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


def test_int8_model_predicts_like_the_float_model(tiny_model_dir):
    exact = Classifier.load(tiny_model_dir, "cpu")
    small = Classifier.load(tiny_model_dir, "cpu", quantize=True)
    assert small.quantized and is_quantized(small.model) and not is_quantized(exact.model)
    assert not any(
        type(m) is nn.Linear for m in small.model.encoder.modules()
    )  # every encoder Linear is int8
    assert all(type(m) is nn.Linear for m in small.model.heads.values())  # the heads stay exact

    texts = [ex.text for ex in bundled_examples("test")]
    a, b = exact.predict_many(texts), small.predict_many(texts)
    for head in ("intent", "emotion"):
        agree = sum(x[head].label == y[head].label for x, y in zip(a, b, strict=True)) / len(texts)
        assert agree >= 0.95, (head, agree)
    worst = max(abs(x["intent"].confidence - y["intent"].confidence) for x, y in zip(a, b, strict=True))
    assert worst < 0.1


def test_engine_follows_the_int8_setting_on_cpu(model_home):
    settings = load_settings(paths.settings_path(model_home))
    settings.quantize_int8 = True
    save_settings(paths.settings_path(model_home), settings)
    engine = ChatEngine.open(model_home, device="cpu")
    try:
        assert engine.classifier.quantized
        reply = engine.reply(engine.new_conversation(), "고마워요 정말")
        assert reply.bot.text
        off = load_settings(paths.settings_path(model_home))
        off.quantize_int8 = False
        engine.save_settings(off)  # takes effect at once: the model is reloaded in float
        assert not engine.classifier.quantized and not is_quantized(engine.classifier.model)
    finally:
        engine.close()
