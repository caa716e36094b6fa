"""Damaged files and failed writes: a clear error, the previous state kept, nothing half-written.

Disk-full is simulated two ways: SQLite's own limit (`PRAGMA max_page_count`, so SQLite really raises
SQLITE_FULL inside the app's transactions) and OSError(ENOSPC) raised by the file calls the app makes.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from kobert_chat import atomic, paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import KobertChatError, ModelError, StoreError, WriteError
from kobert_chat.import_export import export_file
from kobert_chat.nlu import model_io
from kobert_chat.registry import Registry
from kobert_chat.settings import Settings
from kobert_chat.store import Store
from tests.helpers import install_model, integrity

NO_SPACE = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def tree(folder: Path) -> dict[str, str]:
    """Every file under folder -> sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- a damaged model folder ----------------------------------------------------------------------------


def _truncate_weights(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 3])


DAMAGE = {
    "weights cut short": _truncate_weights,
    "weights overwritten": lambda f: (f / "model.safetensors").write_bytes(os.urandom(4096)),
    "config.json cut short": lambda f: (f / "config.json").write_text('{"hidden_size": 6', encoding="utf-8"),
    "tokenizer missing": lambda f: (f / "spiece.model").unlink(),
    "folder gone": shutil.rmtree,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_newest_model_falls_back_to_the_previous_version(model_home, tiny_model_dir, damage):
    older = install_model(model_home, tiny_model_dir)
    newer = install_model(model_home, tiny_model_dir)
    with Store.open(paths.database_path(model_home)) as store:
        DAMAGE[damage](store.model_version(newer).path)

    engine = ChatEngine.open(model_home, device="cpu")
    try:
        assert engine.model_version == older and engine.registry.active().id == older
        assert newer in engine.model_warning and "되돌렸어요" in engine.model_warning
        assert engine.reply(engine.new_conversation(), "모델이 망가져도 대화는 돼?").bot.text
    finally:
        engine.close()


def test_activating_a_damaged_version_is_refused_and_the_live_model_stays(engine, tiny_model_dir):
    live = engine.model_version
    broken = install_model(engine.home, tiny_model_dir, activate=False)
    _truncate_weights(engine.registry.get(broken).path)

    with pytest.raises(ModelError, match="damaged or truncated"):
        engine.activate(broken)
    assert engine.model_version == live and engine.registry.active().id == live
    assert engine.reply(engine.new_conversation(), "여전히 잘 돼?").bot.text


# -- a damaged database --------------------------------------------------------------------------------


def test_a_damaged_database_is_refused_untouched_with_advice_to_keep_a_copy(model_home):
    engine = ChatEngine.open(model_home, device="cpu")
    cid = engine.new_conversation()
    for i in range(60):
        engine.reply(cid, f"오래 기억하고 싶은 이야기 {i} " * 5)
    engine.close()
    db = paths.database_path(model_home)
    data = bytearray(db.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for start in range(page_size, len(data), page_size):  # scribble over every b-tree page header
        data[start + 8 : start + 40] = b"\xff" * 32
    db.write_bytes(bytes(data))
    before = tree(model_home)

    with pytest.raises(StoreError) as err:
        ChatEngine.open(model_home, device="cpu")
    message = str(err.value)
    assert str(db) in message and "damaged" in message and "copy" in message
    assert tree(model_home) == before  # byte for byte, and no -wal / -shm or anything else beside it


# -- disk full inside SQLite -----------------------------------------------------------------------------


def cap_database_at_its_current_size(engine: ChatEngine) -> None:
    """SQLite's own size limit on the engine's connection: any write that needs a new page fails with
    SQLITE_FULL exactly as on a full disk."""
    pages = engine.store._scalar("PRAGMA page_count")
    assert engine.store._scalar(f"PRAGMA max_page_count = {pages}") == pages


def lift_the_cap(engine: ChatEngine) -> None:
    engine.store._scalar("PRAGMA max_page_count = 1073741823")


def test_reply_on_a_full_disk_is_a_clear_error_and_logs_nothing(engine):
    cid = engine.new_conversation()
    earlier = [engine.reply(cid, f"기억해 줘 {i}") for i in range(3)]
    engine.label(earlier[0].user.id, "intent", "help")
    cap_database_at_its_current_size(engine)

    with pytest.raises(StoreError, match="disk .*is full") as err:
        engine.reply(cid, "아주 긴 메시지 " * 3000)  # needs new pages
    assert "가득" in str(err.value) and "Nothing from this change was saved" in str(err.value)
    texts = [m.text for m in engine.store.messages(cid)]
    assert texts == [t for r in earlier for t in (r.user.text, r.bot.text)]  # nothing half-logged

    acked = []
    with pytest.raises(StoreError, match="disk .*is full"):  # short turns until the last page is full
        for i in range(5000):
            acked.append(engine.reply(cid, f"짧은 말 {i}").user.text)
    stored = [m for m in engine.store.messages(cid, limit=100_000)]
    assert [m.role for m in stored] == ["user", "bot"] * (len(stored) // 2)
    assert [m.text for m in stored if m.role == "user"] == [r.user.text for r in earlier] + acked
    assert engine.store.message(earlier[0].user.id).labels == {"intent": "help"}
    assert integrity(engine.store.path) == "ok"

    lift_the_cap(engine)  # space freed: the same engine carries on
    assert engine.reply(cid, "이제 돼?").user.text == "이제 돼?"


def test_labeling_on_a_full_disk_is_a_clear_error_and_keeps_every_saved_label(engine):
    cid = engine.new_conversation()
    users = [engine.reply(cid, f"라벨 붙일 말 {i}").user.id for i in range(120)]
    cap_database_at_its_current_size(engine)

    saved: dict[int, dict[str, str]] = {}
    failed = None
    for head, value in (("intent", "help"), ("emotion", "neutral")):
        for mid in users:
            try:
                engine.label(mid, head, value)
            except StoreError as e:
                failed = (mid, head, e)
                break
            saved.setdefault(mid, {})[head] = value
        if failed:
            break
    assert failed is not None, "the labels never filled the database"
    mid, head, error = failed
    assert "disk" in str(error) and "full" in str(error) and str(engine.store.path) in str(error)
    assert head not in engine.store.message(mid).labels
    for mid, labels in saved.items():
        assert engine.store.message(mid).labels == labels
    assert integrity(engine.store.path) == "ok"


# -- disk full while writing files -----------------------------------------------------------------------


class HalfWriter:
    """A file whose next write stores half the data and then finds the disk full."""

    def __init__(self, f) -> None:
        self._f = f

    def write(self, data):
        self._f.write(data[: len(data) // 2])
        self._f.flush()
        raise NO_SPACE

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._f.close()

    def __getattr__(self, name):
        return getattr(self._f, name)


def fail_writes(monkeypatch: pytest.MonkeyPatch, module, where: str) -> None:
    """Make the next file written through `module` (which does `import os`) run out of space at `where`."""
    if where == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(module.os, "fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k)))
    elif where == "fsync":
        monkeypatch.setattr(module.os, "fsync", lambda fd: (_ for _ in ()).throw(NO_SPACE))
    else:  # no room for even the temp file
        monkeypatch.setattr(module.tempfile, "mkstemp", lambda **k: (_ for _ in ()).throw(NO_SPACE))


@pytest.mark.parametrize("where", ["write", "fsync", "create"])
def test_saving_settings_on_a_full_disk_keeps_the_old_file(engine, monkeypatch, where):
    settings_file = paths.settings_path(engine.home)
    engine.save_settings(Settings(threshold=0.3))
    before = settings_file.read_bytes()
    fail_writes(monkeypatch, atomic, where)

    with pytest.raises(WriteError) as err:
        engine.save_settings(Settings(threshold=0.9, theme="dark"))
    monkeypatch.undo()
    assert isinstance(err.value, KobertChatError) and isinstance(err.value, OSError)
    assert err.value.errno == errno.ENOSPC
    assert "settings.json" in str(err.value) and "disk is full" in str(err.value)
    assert settings_file.read_bytes() == before and engine.settings.threshold == 0.3
    assert [p.name for p in settings_file.parent.glob(".settings.json*")] == []  # no temp file left


@pytest.mark.parametrize("where", ["write", "fsync", "create"])
def test_an_export_on_a_full_disk_keeps_the_previous_export(engine, tmp_path, monkeypatch, where):
    reply = engine.reply(engine.new_conversation(), "내보낼 문장이에요")
    engine.label(reply.user.id, "intent", "smalltalk")
    target = tmp_path / "exports" / "export.csv"
    target.parent.mkdir()  # (export never creates folders)
    export_file(target, engine.store)
    before = target.read_bytes()
    engine.label(engine.reply(reply.user.conversation_id, "하나 더").user.id, "intent", "help")
    fail_writes(monkeypatch, atomic, where)  # exports stream through atomic.replacing

    with pytest.raises(KobertChatError, match="Cannot write .*No space left on device"):
        export_file(target, engine.store)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["export.csv"]  # no temp file left


def test_a_model_version_whose_save_runs_out_of_disk_leaves_no_folder_and_no_row(model_home, monkeypatch):
    """The steps a finished training takes (staging, save_model, commit), with the weights file cut off."""
    db = paths.database_path(model_home)
    models = paths.models_dir(model_home)
    with Store.open(db) as store:
        registry = Registry(store, models)
        active = registry.active()
        versions = registry.versions()
        model, tokenizer = model_io.load_model(active.path)
        files_before = tree(models)

        def weights_then_full(tensors, filename, metadata=None):
            Path(filename).write_bytes(b"\0" * 1000)  # the part that fitted
            raise NO_SPACE

        monkeypatch.setattr(model_io, "save_file", weights_then_full)
        with pytest.raises(OSError) as err:
            with registry.staging() as staging:
                model_io.save_model(model, tokenizer, staging, {})
                registry.commit(
                    staging, backbone="starter", parent=active.id, metrics={}, n_train=1, params={}
                )
        assert err.value.errno == errno.ENOSPC
        assert not staging.exists()
        assert registry.versions() == versions and registry.active().id == active.id
    assert tree(models) == files_before
    assert integrity(db) == "ok"
    assert json.loads((active.path / "labels.json").read_text(encoding="utf-8"))  # the active folder is whole
