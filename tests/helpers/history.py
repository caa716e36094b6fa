"""What a user has been told is saved, and the check that all of it is still there.

`remember` writes a small history the way the app does (turns logged, labels set, answers, imported
examples) and returns a snapshot; `assert_nothing_lost` reads the database again through plain sqlite3
(read-only, not the app's code) and checks every acknowledged row is present and integrity_check is ok.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers import integrity

Snapshot = dict[str, set[tuple]]


def remember(home: Path, turns: int = 3, migrations=None) -> Snapshot:
    """A conversation with `turns` labeled turns, an answer and an imported example, committed.
    `migrations`: the database is as an older version left it (these schema steps only); the history
    is then written by plain SQL with the first schema's columns, as that version wrote it."""
    from kobert_chat import paths
    from kobert_chat.store import Store

    if migrations is not None:
        with Store.open(paths.database_path(home), migrations=migrations):
            pass  # the old schema exists
        _remember_old(paths.database_path(home), turns)
        return snapshot(home)
    from kobert_chat.data.bundled import load_answers

    with Store.open(paths.database_path(home)) as store:
        if not store.answer_count():  # what the first start does, so the app's own seeding is not skipped
            store.seed_answers(
                {"kind": a.kind, "intent": a.intent, "emotion": a.emotion, "text": a.text, "weight": a.weight}
                for a in load_answers()
            )
        conversation = store.create_conversation("잊으면 안 되는 대화")
        for i in range(turns):
            user, _ = store.log_turn(
                conversation.id, f"  꼭 기억해 줘 {i}\t", {}, None, f"기억할게요 {i}", None
            )
            store.set_label(user.id, "intent", "worry")
            store.set_label(user.id, "emotion", "sadness")
        store.add_answer("힘들 땐 언제든 말해 줘요.", intent="worry", emotion="sadness")
        store.add_examples([("가져온 문장이에요 ", {"intent": "smalltalk"})], "import:before.csv")
    return snapshot(home)


def _remember_old(db: Path, turns: int) -> None:
    """The same history in the first schema's columns (no level, origin, details or text keys)."""
    from kobert_chat.data.bundled import load_answers

    when = "2024-01-01T00:00:00+00:00"
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO answers (kind, intent, emotion, text, weight, bundled) VALUES (?, ?, ?, ?, ?, ?)",
            [(a.kind, a.intent, a.emotion, a.text, a.weight, 1) for a in load_answers()]
            + [("answer", "worry", "sadness", "힘들 땐 언제든 말해 줘요.", 1.0, 0)],
        )
        cid = conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)",
            ["잊으면 안 되는 대화", when, when],
        ).lastrowid
        for i in range(turns):
            user = conn.execute(
                "INSERT INTO messages (conversation_id, role, text, created_at) VALUES (?, 'user', ?, ?)",
                [cid, f"  꼭 기억해 줘 {i}\t", when],
            ).lastrowid
            conn.execute(
                "INSERT INTO messages (conversation_id, role, text, created_at) VALUES (?, 'bot', ?, ?)",
                [cid, f"기억할게요 {i}", when],
            )
            conn.executemany(
                "INSERT INTO message_labels (message_id, head, label, source, labeled_at) VALUES (?, ?, ?, 'user', ?)",
                [(user, "intent", "worry", when), (user, "emotion", "sadness", when)],
            )
        conn.execute(
            "INSERT INTO examples (text, labels, source, added_at) VALUES (?, ?, ?, ?)",
            ["가져온 문장이에요", '{"intent": "smalltalk"}', "import:old.csv", when],
        )
    conn.close()


def snapshot(home: Path) -> Snapshot:
    from kobert_chat import paths

    db = paths.database_path(home) if Path(home).is_dir() else Path(home)
    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return {
            "messages": set(conn.execute("SELECT id, conversation_id, role, text FROM messages")),
            "labels": set(conn.execute("SELECT message_id, head, label FROM message_labels")),
            "answers": set(conn.execute("SELECT kind, intent, emotion, text, weight FROM answers")),
            "examples": set(conn.execute("SELECT text, labels FROM examples")),
            "label_sets": set(conn.execute("SELECT head, label FROM label_sets")),
        }
    finally:
        conn.close()


def assert_nothing_lost(home: Path, before: Snapshot) -> Snapshot:
    """Every row of `before` is still there (byte for byte) and SQLite finds the file intact."""
    after = snapshot(home)
    for part, rows in before.items():
        missing = rows - after[part]
        assert not missing, f"{part} lost: {sorted(missing)[:5]}"
    assert integrity(home) == "ok"
    return after
