"""A data folder that is copied, moved or restored from a backup keeps every model (issue 10, case 1).

Model folders are recorded relative to the data folder ("models/<id>"); the copy is made exactly as a
user would (`cp -a HOME /new`, the old folder moved away) and used through the real CLI.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.store import MIGRATIONS, Store
from tests.helpers import install_model
from tests.helpers.cli import run
from tests.helpers.history import assert_nothing_lost, remember


def copy_and_move_away(home: Path, tmp_path: Path) -> Path:
    restored = tmp_path / "restored" / "home"
    restored.parent.mkdir()
    subprocess.run(["cp", "-a", str(home), str(restored)], check=True)
    home.rename(tmp_path / "moved-away")  # the old paths no longer exist
    return restored


def stored_paths(home: Path) -> dict[str, str]:
    conn = sqlite3.connect(paths.database_path(home))
    try:
        return dict(conn.execute("SELECT id, path FROM model_versions"))
    finally:
        conn.close()


def test_a_copied_data_folder_predicts_and_trains_with_its_models(model_home, tiny_model_dir, tmp_path):
    newest = install_model(model_home, tiny_model_dir)  # the active one, above the fixture's version
    before = remember(model_home)
    assert set(stored_paths(model_home).values()) == {f"models/{v}" for v in stored_paths(model_home)}

    new = copy_and_move_away(model_home, tmp_path)
    predicted = run(new, "predict", "안녕하세요 반가워요", "--json")
    assert predicted.code == 0, predicted
    assert json.loads(predicted.out)["model_version"] == newest
    assert predicted.err.strip() == ""  # nothing fell back: no warning

    trained = run(new, "train", "--mode", "quick", "--epochs", "1", "--progress", "jsonl")
    assert trained.code == 0, trained
    done = trained.events()[-1]
    assert done["event"] == "done" and Path(done["path"]).parent == new / "models"
    with Store.open(paths.database_path(new)) as store:
        assert {v.path.parent for v in store.model_versions()} == {new / "models"}
        assert all(v.path.is_dir() for v in store.model_versions())
        assert store.model_version(done["version"]).parent == newest
    assert stored_paths(new)[done["version"]] == f"models/{done['version']}"
    assert_nothing_lost(new, before)


def test_a_database_with_absolute_paths_is_migrated_and_works_after_a_move(home, tiny_model_dir, tmp_path):
    """A home written before paths were relative (schema step 1, absolute paths), then copied."""
    db = paths.database_path(home)
    with Store.open(db, migrations=MIGRATIONS[:1]) as store:
        store.add_model_version("20240101-000000-abcd", "x", "starter", None, {}, 600, {})
        store.set_active_model("20240101-000000-abcd")
        store.add_model_version("elsewhere", "/opt/shared/kobert", "kobert", None, {}, 0, {})
    shutil.copytree(tiny_model_dir, home / "models" / "20240101-000000-abcd")
    conn = sqlite3.connect(db)
    with conn:  # what the old code recorded: the folder's absolute path in the old home
        conn.execute(
            "UPDATE model_versions SET path = ? WHERE id = ?",
            [str(home.resolve() / "models" / "20240101-000000-abcd"), "20240101-000000-abcd"],
        )
    conn.close()
    before = remember(home, migrations=MIGRATIONS[:1])

    new = copy_and_move_away(home, tmp_path)
    engine = ChatEngine.open(new, device="cpu")
    try:
        assert engine.model_version == "20240101-000000-abcd" and engine.model_warning is None
        assert engine.store.schema_version == len(MIGRATIONS)
        assert engine.reply(engine.new_conversation(), "옮긴 뒤에도 대화돼?").bot.text
        # the old example got its duplicate key: the same text with other spaces is not added again
        assert engine.store.add_examples([(" 가져온 문장이에요  ", {"intent": "smalltalk"})], "x.csv") == 0
    finally:
        engine.close()
    assert stored_paths(new) == {
        "20240101-000000-abcd": "models/20240101-000000-abcd",
        "elsewhere": "/opt/shared/kobert",  # not a folder of this home: left as it was
    }
    assert_nothing_lost(new, before)
