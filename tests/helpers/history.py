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
    `migrations`: open with these schema steps only (a database as an older version left it; the
    imported example is then written by plain SQL, as that version had no text key)."""
    from kobert_chat import paths
    from kobert_chat.data.bundled import load_answers
    from kobert_chat.store import MIGRATIONS, Store

    with Store.open(paths.database_path(home), migrations=migrations or MIGRATIONS) as store:
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
        if migrations is None:
            store.add_examples([("가져온 문장이에요 ", {"intent": "smalltalk"})], "import:before.csv")
    if migrations is not None:
        conn = sqlite3.connect(paths.database_path(home))
        with conn:
            conn.execute(
                "INSERT INTO examples (text, labels, source, added_at) VALUES (?, ?, ?, ?)",
                [
                    "가져온 문장이에요",
                    '{"intent": "smalltalk"}',
                    "import:old.csv",
                    "2024-01-01T00:00:00+00:00",
                ],
            )
        conn.close()
    return snapshot(home)


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
