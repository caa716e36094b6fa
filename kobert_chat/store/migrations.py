"""Numbered schema steps. The file's version is `PRAGMA user_version` = how many steps have run.

To change the schema, append one function to MIGRATIONS; never edit or reorder a step that has
shipped, because users' files already ran it. Every pending step runs inside one transaction
together with the version bump, so a crash mid-upgrade leaves the old version intact.
(PRAGMA foreign_keys cannot change inside a transaction: a step that rebuilds a table must keep
the rows referencing it valid itself.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from kobert_chat.errors import StoreError
from kobert_chat.labels import DEFAULT_HEADS

Migration = Callable[[Database], None]

_SCHEMA_1 = """
CREATE TABLE label_sets (
    head TEXT NOT NULL,
    label TEXT NOT NULL,
    display TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (head, label)
);
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'fallback', 'crisis')),
    intent TEXT,
    emotion TEXT,
    text TEXT NOT NULL,
    weight REAL NOT NULL DEFAULT 1.0 CHECK (weight > 0),
    enabled INTEGER NOT NULL DEFAULT 1,
    -- 1 = came from resources/data/answers.csv and may be replaced by a newer bundle
    bundled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX answers_intent_emotion ON answers (intent, emotion);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_updated ON conversations (updated_at, id);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'bot')),
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    predictions TEXT NOT NULL DEFAULT '{}',  -- JSON
    model_version TEXT,
    answer_id INTEGER REFERENCES answers (id) ON DELETE SET NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_answer ON messages (answer_id);
CREATE TABLE message_labels (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    head TEXT NOT NULL,
    label TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('user', 'confirmed')),
    labeled_at TEXT NOT NULL,
    PRIMARY KEY (message_id, head)
);
CREATE INDEX message_labels_time ON message_labels (labeled_at);
CREATE TABLE model_versions (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    backbone TEXT NOT NULL,
    parent TEXT,
    created_at TEXT NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',  -- JSON
    n_train INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL DEFAULT '{}',  -- JSON
    active INTEGER NOT NULL DEFAULT 0
);
-- at most one active version, enforced by the file itself
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (active) WHERE active = 1;
CREATE TABLE training_runs (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    version_id TEXT,
    params TEXT NOT NULL DEFAULT '{}',  -- JSON
    error TEXT
);
CREATE TABLE examples (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    labels TEXT NOT NULL,  -- JSON object with sorted keys, so equal labels are equal text
    source TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE UNIQUE INDEX examples_text_labels ON examples (text, labels);
CREATE INDEX examples_source ON examples (source);
"""


def create_schema(db: Database) -> None:
    """Step 1: every table, plus the default label sets so labels can be checked from day one."""
    db.executescript(_SCHEMA_1)
    db.table("label_sets").insert_all(
        {"head": head, "label": label, "display": display, "position": position}
        for head, labels in DEFAULT_HEADS.items()
        for position, (label, display) in enumerate(labels)
    )


def relative_model_paths(db: Database) -> None:
    """Step 2: model folders are recorded relative to the data folder ("models/<id>"), so a copied or
    moved data folder keeps its models. Every registered version lives in <home>/models/<id>, so an
    absolute path ending in models/<id> is that folder, wherever the home was when it was recorded
    (this also repairs a home that was copied before this step ran). Other paths are left as they are."""
    rows = db.execute("SELECT id, path FROM model_versions").fetchall()
    for version_id, path in rows:
        parts = [p for p in re.split(r"[\\/]+", path) if p]
        if len(parts) >= 2 and parts[-1] == version_id and parts[-2] == "models" and _absolute(path):
            db.execute(
                "UPDATE model_versions SET path = ? WHERE id = ?", [f"models/{version_id}", version_id]
            )


def _absolute(path: str) -> bool:
    return path.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:[\\/]", path))


def example_text_keys(db: Database) -> None:
    """Step 3: imported texts are stored exactly as the user wrote them; duplicates are found by a key
    (NFC, outer whitespace ignored: core.dedupe_key) kept beside the text. Not unique: rows that only
    differ in spelling may already exist, and none of them may be lost."""
    db.execute("ALTER TABLE examples ADD COLUMN text_key TEXT NOT NULL DEFAULT ''")
    rows = db.execute("SELECT id, text FROM examples").fetchall()
    for example_id, text in rows:
        key = unicodedata.normalize("NFC", text).strip()
        db.execute("UPDATE examples SET text_key = ? WHERE id = ?", [key, example_id])
    db.execute("CREATE INDEX examples_key_labels ON examples (text_key, labels)")


def reply_details_and_doctor(db: Database) -> None:
    """Step 4: a bot message's details (JSON: the clarifying question it asked and its answer, which
    answer path was taken), and the label doctor's decisions on lines the user cannot edit in place
    (bundled lines: keep as is, relabel, remove from training), keyed by the doctor's text key."""
    db.execute("ALTER TABLE messages ADD COLUMN details TEXT NOT NULL DEFAULT '{}'")
    db.executescript(
        """
        CREATE TABLE doctor_decisions (
            head TEXT NOT NULL,
            text_key TEXT NOT NULL,
            label TEXT NOT NULL,  -- the label the finding was about
            action TEXT NOT NULL CHECK (action IN ('keep', 'relabel', 'remove')),
            new_label TEXT,  -- relabel: the label to train with instead
            decided_at TEXT NOT NULL,
            PRIMARY KEY (head, text_key, label)
        );
        """
    )


def answer_levels_and_links(db: Database) -> None:
    """Step 5: answers get a speech level (polite | casual; NULL = none, fits both), where they came
    from (bundled | user | import | taught) and whether they join the (intent, emotion) pool; answers
    may be tied to example utterances (answer_links: an imported question, or a chat message the user
    taught an answer for); store_meta keeps small facts (the links' revision, the bundle's hash).
    Levels of existing answers are detected from their text here; bundled ones get the bundle's own
    tags at the next open (ChatEngine refreshes the bundle when answers.csv changed)."""
    from kobert_chat.speech_level import level_of_answer  # pure rules, no model

    db.executescript(
        """
        ALTER TABLE answers ADD COLUMN level TEXT CHECK (level IS NULL OR level IN ('polite', 'casual'));
        ALTER TABLE answers ADD COLUMN origin TEXT NOT NULL DEFAULT 'user'
            CHECK (origin IN ('bundled', 'user', 'import', 'taught'));
        ALTER TABLE answers ADD COLUMN in_pool INTEGER NOT NULL DEFAULT 1;
        UPDATE answers SET origin = 'bundled' WHERE bundled = 1;
        CREATE TABLE answer_links (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: (count, max id) names a state
            answer_id INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
            text TEXT NOT NULL,  -- the example utterance, exactly as given
            text_key TEXT NOT NULL,  -- core.dedupe_key(text)
            intent TEXT NOT NULL,  -- the intent it is filed under (replies search the predicted one)
            intent_from TEXT NOT NULL CHECK (intent_from IN ('label', 'model')),
            model_version TEXT,  -- intent_from = 'model': the version that predicted it
            message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,  -- taught from this message
            source TEXT NOT NULL,  -- 'import:<file>' | 'taught'
            added_at TEXT NOT NULL
        );
        CREATE INDEX answer_links_answer ON answer_links (answer_id);
        CREATE INDEX answer_links_key ON answer_links (text_key);
        CREATE INDEX answer_links_message ON answer_links (message_id);
        CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        -- Every change to the links (cascades from a deleted answer too, from any process) bumps the
        -- revision, so a reply can tell in one read whether its similarity index is still current.
        INSERT INTO store_meta (key, value) VALUES ('links_revision', '0');
        CREATE TRIGGER answer_links_added AFTER INSERT ON answer_links BEGIN
            UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'links_revision';
        END;
        CREATE TRIGGER answer_links_changed AFTER UPDATE ON answer_links BEGIN
            UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'links_revision';
        END;
        CREATE TRIGGER answer_links_removed AFTER DELETE ON answer_links BEGIN
            UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'links_revision';
        END;
        """
    )
    rows = db.execute("SELECT id, text FROM answers").fetchall()
    for answer_id, text in rows:
        db.execute("UPDATE answers SET level = ? WHERE id = ?", [level_of_answer(text), answer_id])


MIGRATIONS: tuple[Migration, ...] = (
    create_schema,
    relative_model_paths,
    example_text_keys,
    reply_details_and_doctor,
    answer_levels_and_links,
)
# The tables every kobert-chat database has had since step 1: a SQLite file without them is another
# program's, and is never opened for writing.
CORE_TABLES = frozenset(
    {
        "label_sets",
        "answers",
        "conversations",
        "messages",
        "message_labels",
        "model_versions",
        "training_runs",
        "examples",
    }
)


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: Database, migrations: Sequence[Migration], path: object) -> int:
    """Run the steps the file has not seen yet. The caller holds the write transaction."""
    current = schema_version(db)
    if current > len(migrations):
        raise StoreError(newer_version_message(path, current, len(migrations)))
    for step in migrations[current:]:
        step(db)
    # PRAGMA cannot take parameters; the value is our own int.
    db.execute(f"PRAGMA user_version = {int(len(migrations))}")
    return len(migrations)


def newer_version_message(path: object, found: int, known: int) -> str:
    return (
        f"The database {path} has schema version {found}, newer than this kobert-chat understands "
        f"({known}); it was left untouched. Update kobert-chat, or keep a copy of the file as a backup "
        f"and point KOBERT_CHAT_HOME elsewhere."
    )
