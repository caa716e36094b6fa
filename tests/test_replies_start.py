"""A fast first reply, engine side: opening without the model never imports torch, so the window can
show the chat at once and load the model on its worker; a message sent before that waits for it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kobert_chat.engine import ChatEngine
from kobert_chat.errors import ModelError
from kobert_chat.quick_expert import QuickExpert
from tests.helpers import ROOT, SAFETY_TIMEOUT_S, install_model
from tests.helpers.cli import cli_env

# What the window does on start (ui/main_window.py): open, list conversations, show the newest one,
# the label names, the retrain count, the model status; then the model, on the worker.
START_PATH = """
import json, sys
from kobert_chat.engine import ChatEngine
engine = ChatEngine.open(load_model=False)
state = {"torch_after_open": "torch" in sys.modules, "ready": engine.model_ready,
         "needs_build": engine.needs_starter_build}
cid = engine.new_conversation()
engine.conversations(); engine.newest_messages(cid, 50); engine.label_sets(); engine.new_label_count()
engine.model_versions(); engine.answers(enabled_only=False); engine.inbox_outlook(); engine.device
state["torch_after_start_path"] = "torch" in sys.modules
if not state["needs_build"]:
    engine.load_active_model()
    state["torch_after_load"] = "torch" in sys.modules
    state["ready_after_load"] = engine.model_ready
    state["reply"] = engine.send(cid, "안녕하세요").bot.text
print(json.dumps(state, ensure_ascii=False))
"""


def start_path(home: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", START_PATH],
        cwd=ROOT,
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT_S,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


def test_the_windows_start_path_never_imports_torch_until_the_model_loads(home: Path, tiny_model_dir: Path):
    install_model(home, tiny_model_dir)
    state = start_path(home)
    assert state["torch_after_open"] is False and state["torch_after_start_path"] is False
    assert state["ready"] is False and state["needs_build"] is False
    assert state["torch_after_load"] is True and state["ready_after_load"] is True and state["reply"]


def test_a_fresh_home_says_it_needs_the_starter_build_without_building_it(home: Path):
    state = start_path(home)
    assert state["needs_build"] is True and state["torch_after_start_path"] is False
    assert not (home / "models").exists() or not any((home / "models").iterdir())


def test_a_message_sent_before_the_model_loaded_waits_for_it(model_home: Path):
    engine = ChatEngine.open(model_home, device="cpu", load_model=False)
    try:
        assert not engine.model_ready
        reply = engine.send(None, "안녕하세요")
        assert engine.model_ready and reply.bot.text and reply.user.model_version == engine.model_version
    finally:
        engine.close()


# -- the expert answers while the model loads -------------------------------------------------------


def test_the_quick_expert_gives_the_model_experts_probabilities(tiny_model_dir: Path):
    import numpy as np
    import torch

    from kobert_chat.data.bundled import load_utterances
    from kobert_chat.nlu.inference import Classifier

    quick = QuickExpert.load(tiny_model_dir, "tiny")
    assert quick is not None and quick.heads == Classifier.load(tiny_model_dir, "cpu").heads
    model = Classifier.load(tiny_model_dir, "cpu").model
    texts = [u.text for u in load_utterances("test")[:200]] + [
        "",
        "😭",
        "ㅋㅋㅋㅋ",
        "ㄱㅅ",
        "a" * 5000,
        "감사 합니다!!",
    ]
    with torch.inference_mode():
        logits = model.tfidf.logits(texts)
    for i, text in enumerate(texts):
        for head, p in quick.probabilities(text).items():
            assert np.allclose(p, torch.softmax(logits[head][i], -1).numpy(), atol=1e-5), (text, head)
    assert quick.predict("안녕하세요")["intent"].label in quick.heads["intent"]


def test_a_version_without_a_fitted_expert_has_no_quick_path(tiny_model_dir: Path, tmp_path: Path):
    folder = tmp_path / "no-expert"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["kobert_chat"]["tfidf_mix"].pop("intent")  # what growing the intent labels does
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert QuickExpert.load(folder) is None
    (folder / "model.safetensors").write_bytes(b"not weights")
    assert QuickExpert.load(folder) is None and QuickExpert.load(tmp_path / "missing") is None


def gate_model_load(engine: ChatEngine) -> threading.Event:
    """Hold the engine's real model load until the returned event is set (timing only: the load itself
    is the real one, run when released)."""
    gate = threading.Event()
    real = engine._load

    def gated(version):
        assert gate.wait(SAFETY_TIMEOUT_S)
        return real(version)

    engine._load = gated  # type: ignore[method-assign]
    return gate


def wait_until(condition, timeout: float = SAFETY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_turns_sent_while_the_model_loads_are_answered_by_its_expert(model_home: Path):
    engine = ChatEngine.open(model_home, device="cpu", load_model=False)
    try:
        gate = gate_model_load(engine)
        told: list = []
        assert engine.start_loading(on_ready=told.append)
        wait_until(lambda: engine.quick_ready)
        early = engine.send(None, "안녕하세요")
        assert early.by_expert and early.bot.details["classifier"] == "expert" and not engine.model_ready
        active = engine.registry.active().id
        assert early.user.model_version == active == engine.model_version
        quick = QuickExpert.load(engine.registry.active().path)
        assert early.predictions["intent"].top == quick.predict("안녕하세요")["intent"].top
        assert not engine.start_loading()  # already loading
        gate.set()
        assert engine.wait_for_model(SAFETY_TIMEOUT_S) and told == [None]
        later = engine.reply(early.conversation_id, "안녕하세요")
        assert not later.by_expert and "classifier" not in later.bot.details and engine.model_ready
        assert not engine.start_loading()  # loaded
    finally:
        engine.close()


def test_a_model_activated_during_the_background_load_stays(model_home: Path, tiny_model_dir: Path):
    other = install_model(model_home, tiny_model_dir, activate=False)
    engine = ChatEngine.open(model_home, device="cpu", load_model=False)
    try:
        first = engine.registry.active().id
        gate = gate_model_load(engine)
        assert engine.start_loading()
        wait_until(lambda: engine.quick_ready)
        del engine._load  # activate's own load runs ungated; the background one is still held
        assert engine.activate(other).id == other
        gate.set()
        assert engine.wait_for_model(SAFETY_TIMEOUT_S)
        assert engine.model_version == other != first and engine.registry.active().id == other
    finally:
        engine.close()


def test_a_background_load_that_fails_says_so_and_the_next_turn_explains(model_home: Path):
    engine = ChatEngine.open(model_home, device="cpu", load_model=False)
    try:
        weights = engine.registry.active().path / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:100])  # cut short by a crash
        told: list = []
        assert engine.start_loading(on_ready=told.append)
        assert not engine.wait_for_model(SAFETY_TIMEOUT_S)
        assert len(told) == 1 and isinstance(told[0], ModelError) and not engine.quick_ready
        with pytest.raises(ModelError, match="no model version could be loaded"):
            engine.send(None, "안녕하세요")
    finally:
        engine.close()
