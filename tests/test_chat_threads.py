"""The chat engine answers one sentence at a time: a small encoder runs on one CPU thread (a thread pool
only adds waiting, badly so while a training child keeps the cores busy); a large one keeps the pool."""

from __future__ import annotations

import torch
from transformers import BertConfig

from kobert_chat.engine import ChatEngine
from kobert_chat.nlu import inference
from kobert_chat.nlu.model import HeadsConfig, KoBertClassifier


def test_engine_on_a_small_model_uses_one_thread(model_home):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        engine = ChatEngine.open(model_home, device="cpu")
        try:
            assert torch.get_num_threads() == 1
            assert engine.reply(engine.new_conversation(), "안녕하세요").bot.text
        finally:
            engine.close()
    finally:
        torch.set_num_threads(before)


def test_a_kobert_size_encoder_keeps_the_default_pool(monkeypatch):
    from kobert_chat import threads

    monkeypatch.setattr(inference, "_DEFAULT_THREADS", 2)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    # an idle machine (a busy one: tests/test_perf_chat_threads.py)
    monkeypatch.setattr(threads, "other_load", lambda: 0.0)
    before = torch.get_num_threads()
    # KoBERT's width and depth (vocabulary kept tiny: only the shape matters here)
    big = KoBertClassifier(
        BertConfig(
            vocab_size=10, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=8
        ),
        HeadsConfig(heads={"intent": ["a", "b"]}),
    )
    small = KoBertClassifier(
        BertConfig(
            vocab_size=10, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
        ),
        HeadsConfig(heads={"intent": ["a", "b"]}),
    )
    try:
        assert inference.set_chat_threads(big) == 2 and torch.get_num_threads() == 2
        assert inference.set_chat_threads(small) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
