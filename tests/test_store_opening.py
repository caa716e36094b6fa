"""Opening the database: migrations, refusing files we must not touch, sharing the file safely."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlite_utils import Database

from kobert_chat.errors import StoreError
from kobert_chat.store import MIGRATIONS, Store


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KOBERT_CHAT_HOME", str(tmp_path / "home"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def fill(store: Store) -> tuple[int, int]:
    conv = store.create_conversation("기억할 대화")
    user, _ = store.log_turn(
        conv.id, "잊지 마", {"intent": {"label": "worry", "confidence": 0.4}}, None, "네", None
    )
    store.set_label(user.id, "intent", "worry")
    return conv.id, user.id


def assert_refused_untouched(path: Path, *words: str) -> None:
    before, files = sha256(path), siblings(path)
    with pytest.raises(StoreError) as err:
        Store.open(path)
    message = str(err.value)
    assert str(path) in message and ("copy" in message or "backup" in message)
    for word in words:
        assert word in message
    assert sha256(path) == before
    assert siblings(path) == files  # no -wal / -shm left beside it


# -- refusing ------------------------------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("이건 데이터베이스가 아니라 메모입니다.\n" * 50, encoding="utf-8")
    assert_refused_untouched(path, "not a SQLite database")


def test_a_damaged_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "chat.db"
    with Store.open(path) as store:
        conv = store.create_conversation()
        for i in range(200):
            store.log_turn(conv.id, f"긴 대화 {i} " * 10, {}, None, "응", None)
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    # Scribble over every b-tree page's header and cell pointers (page 1 holds the file header).
    for start in range(page_size, len(data), page_size):
        data[start + 8 : start + 40] = b"\xff" * 32
    path.write_bytes(bytes(data))
    assert_refused_untouched(path, "damaged")


def test_a_database_from_a_newer_version_is_refused_and_untouched(tmp_path):
    path = tmp_path / "chat.db"
    future = (*MIGRATIONS, lambda db: db["future_table"].create({"id": int}, pk="id"))
    with Store.open(path, migrations=future) as store:
        fill(store)
        assert store.schema_version == len(MIGRATIONS) + 1
    assert_refused_untouched(path, "newer")


def test_a_folder_in_place_of_the_database_is_refused(tmp_path):
    (tmp_path / "chat.db").mkdir()
    with pytest.raises(StoreError):
        Store.open(tmp_path / "chat.db")


def test_an_empty_file_and_missing_folders_become_a_fresh_database(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with Store.open(empty) as store:
        assert store.schema_version == len(MIGRATIONS)
    with Store.open(tmp_path / "new" / "deeper" / "chat.db") as store:
        assert store.conversations() == []


# -- migrations -----------------------------------------------------------------------------------


def add_note_column_and_welcome_answer(db: Database) -> None:
    """A realistic second step: a new column plus a data fix, written the way real steps are."""
    db["conversations"].add_column("note", str)
    db["answers"].insert({"kind": "fallback", "text": "업데이트 후 첫 인사", "weight": 1.0, "enabled": 1})


def test_upgrading_an_existing_database_keeps_its_data(tmp_path):
    path = tmp_path / "chat.db"
    with Store.open(path) as store:
        cid, mid = fill(store)
        assert store.schema_version == len(MIGRATIONS)

    upgraded = (*MIGRATIONS, add_note_column_and_welcome_answer)
    with Store.open(path, migrations=upgraded) as store:
        assert store.schema_version == len(MIGRATIONS) + 1
        assert store.conversation(cid).title == "기억할 대화"
        assert store.message(mid).labels == {"intent": "worry"}
        assert [a.text for a in store.answers(kind="fallback")] == ["업데이트 후 첫 인사"]
    with Store.open(path, migrations=upgraded) as store:  # steps run once
        assert store.answer_count() == 1
        assert store.message_count(cid) == 2


def test_a_failing_migration_leaves_the_old_version_intact(tmp_path):
    path = tmp_path / "chat.db"
    with Store.open(path) as store:
        cid, _ = fill(store)

    def broken_step(db: Database) -> None:
        db["answers"].insert({"kind": "fallback", "text": "반쯤 된 작업", "weight": 1.0})
        raise RuntimeError("step 2 crashed halfway")

    with pytest.raises(RuntimeError):
        Store.open(path, migrations=(*MIGRATIONS, broken_step))
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.answer_count() == 0
        assert store.message_count(cid) == 2


# -- sharing the file -----------------------------------------------------------------------------


def test_the_file_uses_write_ahead_logging(tmp_path):
    path = tmp_path / "chat.db"
    Store.open(path).close()
    probe = sqlite3.connect(path)
    try:
        assert probe.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        probe.close()


def test_one_store_sees_what_another_wrote(tmp_path):
    path = tmp_path / "chat.db"
    with Store.open(path) as app, Store.open(path) as trainer:
        conv = app.create_conversation()
        user, _ = app.log_turn(conv.id, "같이 쓰는 파일", {}, None, "응", None)
        assert trainer.message(user.id).text == "같이 쓰는 파일"
        trainer.add_model_version("v0001", tmp_path / "v0001", "starter", None, {}, 10, {})
        trainer.set_active_model("v0001")
        assert app.active_model_version().id == "v0001"


def test_a_reader_is_not_blocked_by_an_open_write(tmp_path):
    path = tmp_path / "chat.db"
    with Store.open(path) as writer, Store.open(path) as reader:
        conv = writer.create_conversation()
        with writer.transaction():
            writer.log_turn(conv.id, "아직 저장 중", {}, None, "응", None)
            assert reader.message_count(conv.id) == 0  # sees the last commit, immediately
        assert reader.message_count(conv.id) == 2


def test_a_second_writer_waits_instead_of_failing(tmp_path):
    path = tmp_path / "chat.db"
    with Store.open(path) as first, Store.open(path) as second:
        conv = first.create_conversation()
        started = threading.Event()
        errors: list[BaseException] = []

        def write_from_other_connection() -> None:
            started.set()
            try:
                second.log_turn(conv.id, "두 번째", {}, None, "응", None)
            except BaseException as exc:  # reported below, in the test thread
                errors.append(exc)

        with first.transaction():
            first.log_turn(conv.id, "첫 번째", {}, None, "응", None)
            worker = threading.Thread(target=write_from_other_connection)
            worker.start()
            started.wait()
            worker.join(0.3)  # give it time to hit the lock; it must wait, not fail
        worker.join()
        assert errors == []
        assert [m.text for m in first.messages(conv.id) if m.role == "user"] == ["첫 번째", "두 번째"]


def test_one_store_can_be_used_from_a_worker_thread(tmp_path):
    store = Store.open(tmp_path / "chat.db")
    conv = store.create_conversation()
    results: list[object] = []
    worker = threading.Thread(
        target=lambda: results.append(store.log_turn(conv.id, "일꾼", {}, None, "네", None))
    )
    worker.start()
    worker.join()
    assert len(results) == 1 and store.message_count(conv.id) == 2
    store.close()
