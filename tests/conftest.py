"""Shared fixtures: an isolated data home, and a tiny real BERT trained on bundled data.
Helper functions live in tests/helpers (import them from there, not from here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt tests run offscreen; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tiny models on 2 shared cores: one thread per process avoids oversubscription (several CLI
# children run side by side), which made tiny trainings ~30x slower. Children inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from tests.helpers import install_model, sample_examples  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user data dir; nothing touches the real one."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("KOBERT_CHAT_HOME", str(path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # Settings' data-folder pointer
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (tiny) KoBERT-family model: SentencePiece + 1-layer BERT trained for real steps."""
    from kobert_chat.nlu.starter import TINY_RECIPE, build_starter

    folder = tmp_path_factory.mktemp("tiny") / "model"
    build_starter(
        folder, sample_examples(600), sample_examples(100, split="test"), recipe=TINY_RECIPE, seed=0
    )
    return folder


@pytest.fixture
def model_home(home: Path, tiny_model_dir: Path) -> Path:
    """A data home whose active model is the tiny model (so no starter build happens)."""
    install_model(home, tiny_model_dir)
    return home


@pytest.fixture
def engine(model_home: Path):
    from kobert_chat.engine import ChatEngine

    eng = ChatEngine.open(model_home, device="cpu")
    yield eng
    eng.close()
