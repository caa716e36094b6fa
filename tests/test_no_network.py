"""The app runs with the Hub offline: starting and chatting open no network connection.

Every socket connect is made to fail (and recorded) while the real engine opens a home and answers.
Training offline (KoBERT from the Hugging Face cache, fine-tuned, saved, chatted with, evaluated) is proved
the same way in test_kobert.py; the only code allowed to connect is the KoBERT download, on request."""

from __future__ import annotations

import pytest

from kobert_chat.engine import ChatEngine
from tests.helpers.kobert import no_network, one_torch_thread


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


def test_start_and_chat_open_no_connection(model_home, monkeypatch):
    with no_network(monkeypatch) as attempts:
        engine = ChatEngine.open(model_home, device="cpu")
        try:
            cid = engine.new_conversation()
            first = engine.reply(cid, "안녕하세요! 반가워요")
            second = engine.reply(cid, "요즘 회사 일 때문에 너무 힘들어")
        finally:
            engine.close()
    assert first.bot.text and second.bot.text and first.user.predictions["intent"]["label"]
    assert attempts == []


def test_the_guard_really_catches_connections(monkeypatch):
    """Without this, an empty `attempts` list could mean the guard never saw anything."""
    import urllib.request

    with no_network(monkeypatch) as attempts:
        try:
            urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)
        except OSError:
            pass
    assert attempts
