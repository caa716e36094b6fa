"""Shared fixtures: an isolated data home, and a tiny real BERT trained on bundled data."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

# Qt tests run offscreen; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tiny models on 2 shared cores: one thread per process avoids oversubscription (several CLI
# children run side by side), which made tiny trainings ~30x slower. Children inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from kobert_chat.nlu.training import Example  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def sample_examples(n: int, seed: int = 0, split: str = "train") -> list[Example]:
    from kobert_chat.training_data import bundled_examples

    pool = bundled_examples(split)
    random.Random(seed).shuffle(pool)
    return pool[:n]


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


def install_model(home: Path, model_dir: Path, backbone: str = "starter", activate: bool = True) -> str:
    """Register a copy of model_dir as a version in home (what a finished training does)."""
    from kobert_chat import paths
    from kobert_chat.nlu.registry import Registry
    from kobert_chat.store import Store

    store = Store.open(paths.database_path(home))
    try:
        registry = Registry(store, paths.models_dir(home))
        staging = registry.staging_folder()
        shutil.rmtree(staging)
        shutil.copytree(model_dir, staging)
        version = registry.commit(
            staging, backbone=backbone, parent=None, metrics={}, n_train=600, params={}, activate=activate
        )
        return version.id
    finally:
        store.close()


def integrity(where: Path) -> str:
    """PRAGMA integrity_check of a data home's database (or a database file), through plain sqlite3
    rather than the app's own code: "ok" when SQLite finds nothing wrong."""
    import sqlite3

    from kobert_chat import paths

    db = paths.database_path(where) if Path(where).is_dir() else Path(where)
    conn = sqlite3.connect(db)
    try:
        return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


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
