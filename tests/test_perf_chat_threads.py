"""A large encoder answers on the free cores: one thread while other programs keep the machine busy
(a KoBERT-size sentence took 5.3x longer on 2 threads there), the default pool when it is idle,
re-checked while the chat goes on; a small encoder stays on one thread."""

from __future__ import annotations

import os

import pytest
import torch
from transformers import BertConfig

from kobert_chat import threads
from kobert_chat.nlu import inference
from kobert_chat.nlu.model import HeadsConfig, KoBertClassifier


def _model(hidden: int, layers: int) -> KoBertClassifier:
    return KoBertClassifier(
        BertConfig(
            vocab_size=10,
            hidden_size=hidden,
            num_hidden_layers=layers,
            num_attention_heads=hidden // 64 or 2,
            intermediate_size=8,
        ),
        HeadsConfig(heads={"intent": ["a", "b"]}),
    )


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(inference, "_DEFAULT_THREADS", 2)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
    inference._chat["meter"] = None


def test_a_busy_machine_gets_one_thread_then_the_pool_when_it_frees(two_cores, monkeypatch):
    big = _model(768, 12)
    monkeypatch.setattr(threads, "other_load", lambda: 3.0)
    assert inference.set_chat_threads(big) == 1
    monkeypatch.setattr(threads.BusyMeter, "other_busy", lambda self: 0.1)  # the other programs ended
    inference._recheck_chat_threads()
    assert torch.get_num_threads() == 1  # not before CHAT_RECHECK_S
    monkeypatch.setattr(inference, "CHAT_RECHECK_S", 0.0)
    inference._recheck_chat_threads()
    assert torch.get_num_threads() == 2
    monkeypatch.setattr(threads.BusyMeter, "other_busy", lambda self: 1.7)
    inference._recheck_chat_threads()
    assert torch.get_num_threads() == 1


def test_a_small_encoder_is_never_rechecked(two_cores, monkeypatch):
    monkeypatch.setattr(threads, "other_load", lambda: 0.0)
    monkeypatch.setattr(inference, "CHAT_RECHECK_S", 0.0)
    assert inference.set_chat_threads(_model(32, 1)) == 1
    inference._recheck_chat_threads()
    assert torch.get_num_threads() == 1


def test_the_meter_reads_the_machine_without_waiting():
    meter = threads.BusyMeter()
    sum(range(200_000))  # some CPU time of our own between two readings
    busy = meter.other_busy()
    assert 0.0 <= busy <= (os.cpu_count() or 1) + 0.01


def test_the_meter_never_reports_more_busy_cores_than_the_machine_has(monkeypatch):
    # A reading too soon for the clock ticks falls back to the load average, which counts waiting
    # processes too: 4.7 was seen on this 2-core machine while the suite's training children ran.
    meter = threads.BusyMeter()
    monkeypatch.setattr(threads, "_cpu_jiffies", lambda: (100, 200))  # no tick between the readings
    monkeypatch.setattr(threads, "other_load", lambda: 40.0)
    meter._last = ((100, 200), 0.0, 0.0)
    assert meter.other_busy() == float(os.cpu_count() or 1)
