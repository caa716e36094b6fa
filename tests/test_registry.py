"""Model versions: written whole or not at all, activation, rollback, discard, staging sweep."""

from __future__ import annotations

import os
import shutil

import pytest

from kobert_chat import paths
from kobert_chat.errors import InputError, ModelError
from kobert_chat.registry import Registry
from kobert_chat.store import Store


@pytest.fixture
def registry(home):
    store = Store.open(paths.database_path(home))
    yield Registry(store, paths.models_dir(home))
    store.close()


def _commit(registry, model_dir, activate=False):
    with registry.staging() as staging:
        shutil.rmtree(staging)
        shutil.copytree(model_dir, staging)
        return registry.commit(
            staging,
            backbone="starter",
            parent=None,
            metrics={"validation": {}},
            n_train=1,
            params={},
            activate=activate,
        )


def test_commit_renames_into_place_and_records_a_row(registry, tiny_model_dir):
    version = _commit(registry, tiny_model_dir, activate=True)
    assert version.path.name == version.id and (version.path / "model.safetensors").is_file()
    assert registry.active().id == version.id
    assert not list(registry.models_dir.glob(".staging-*"))


def test_failure_while_writing_leaves_no_version_and_no_folder(registry, tiny_model_dir):
    first = _commit(registry, tiny_model_dir, activate=True)
    with pytest.raises(OSError, match="disk full"):
        with registry.staging() as staging:
            (staging / "config.json").write_text("{}")
            raise OSError("disk full (simulated)")
    assert [v.id for v in registry.versions()] == [first.id]
    assert registry.active().id == first.id
    assert sorted(p.name for p in registry.models_dir.iterdir()) == [first.id]


def test_incomplete_staging_is_never_registered(registry, tiny_model_dir):
    with registry.staging() as staging:
        shutil.copy(tiny_model_dir / "config.json", staging)
        with pytest.raises(ModelError, match="incomplete"):
            registry.commit(staging, backbone="starter", parent=None, metrics={}, n_train=0, params={})
    assert registry.versions() == []


def test_activate_rollback_and_discard(registry, tiny_model_dir):
    a = _commit(registry, tiny_model_dir, activate=True)
    b = _commit(registry, tiny_model_dir)
    assert registry.active().id == a.id  # a new version is not active until asked
    registry.activate(b.id)
    assert registry.active().id == b.id
    assert registry.rollback().id == a.id
    with pytest.raises(InputError, match="no older"):
        registry.rollback()
    registry.discard(b.id)
    assert not b.path.exists() and registry.get(a.id).active
    with pytest.raises(InputError, match="active model cannot be discarded"):
        registry.discard(a.id)
    with pytest.raises(InputError, match="no model version"):
        registry.activate("nope")


def test_rollback_skips_a_damaged_older_version(registry, tiny_model_dir):
    a = _commit(registry, tiny_model_dir)
    b = _commit(registry, tiny_model_dir)
    c = _commit(registry, tiny_model_dir, activate=True)
    (b.path / "model.safetensors").unlink()
    assert registry.rollback().id == a.id
    assert c.id != a.id


def test_sweep_removes_staging_of_dead_processes_only(registry):
    dead = registry.models_dir / ".staging-999999999-dead"
    dead.mkdir()
    alive = registry.models_dir / f".staging-{os.getppid()}-live"
    alive.mkdir()
    assert registry.sweep_staging() == 1
    assert not dead.exists() and alive.exists()


def test_versions_are_recorded_relative_to_the_data_folder(registry, tiny_model_dir, tmp_path):
    version = _commit(registry, tiny_model_dir, activate=True)
    raw = registry.store._scalar("SELECT path FROM model_versions WHERE id = ?", [version.id])
    assert raw == f"models/{version.id}"
    copy = tmp_path / "copy"
    shutil.copytree(registry.store.path.parent, copy)
    with Store.open(copy / registry.store.path.name) as moved:
        assert moved.model_version(version.id).path == copy / "models" / version.id


def test_commit_records_label_sets_in_the_same_step_as_the_version(registry, tiny_model_dir):
    with registry.staging() as staging:
        shutil.rmtree(staging)
        shutil.copytree(tiny_model_dir, staging)
        version = registry.commit(
            staging,
            backbone="starter",
            parent=None,
            metrics={},
            n_train=1,
            params={},
            labels={"topic": ["b", "a"]},
        )
    assert registry.store.label_sets()["topic"] == [("b", "b"), ("a", "a")]
    assert registry.get(version.id).path.is_dir()


def test_rollback_skips_versions_the_check_refuses(registry, tiny_model_dir):
    a = _commit(registry, tiny_model_dir)
    b = _commit(registry, tiny_model_dir)
    c = _commit(registry, tiny_model_dir, activate=True)

    def refuse(*ids):
        def check(version):
            if version.id in ids:
                raise ModelError("predicts NaN")

        return check

    assert registry.rollback(refuse(b.id)).id == a.id
    registry.activate(c.id)
    with pytest.raises(ModelError, match="no older model version can be loaded .*predicts NaN"):
        registry.rollback(refuse(a.id, b.id))
    assert registry.active().id == c.id
