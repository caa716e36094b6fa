"""A retrain never depends on the active version being intact: with damaged weights it continues from
the newest version that loads, says so, and registers a working version."""

from __future__ import annotations

from pathlib import Path

from kobert_chat import paths
from kobert_chat.nlu.inference import Classifier
from kobert_chat.store import Store
from kobert_chat.training_job import TrainRequest, run_training
from tests.helpers import install_model


def test_training_from_a_damaged_active_version_falls_back(home: Path, tiny_model_dir: Path):
    good = install_model(home, tiny_model_dir, activate=False)
    broken = install_model(home, tiny_model_dir, activate=True)
    weights = home / "models" / broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # cut short
    events = []
    done = run_training(TrainRequest(mode="quick", epochs=1, device="cpu"), home=home, progress=events.append)
    assert any(e.kind == "stage" and e.stage == "fallback" and broken in e.message for e in events)
    assert done is not None and done.version not in (good, broken)
    with Store.open(paths.database_path(home)) as store:
        assert store.model_version(done.version).parent == good  # continued from the one that loads
        assert store.active_model_version().id == broken  # the user's choice is not changed behind them
    assert Classifier.load(done.path, "cpu").predict("안녕")["intent"].label
