"""Label set names and their lifetime (issue 10, case 7): reserved names are refused up front, a
`train --data` head's label set exists only with a finished version, and `labels remove` takes one
away saying what happens to its labels."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.errors import InputError
from kobert_chat.store import Store
from tests.helpers import SAFETY_TIMEOUT_S
from tests.helpers.cli import (
    ROOT,
    assert_bad_input,
    cli_env,
    command,
    run,
    run_side_by_side,
    sentiment_rows,
    write_table,
)
from tests.helpers.history import assert_nothing_lost, remember, snapshot


def label_sets(home: Path) -> dict[str, list[str]]:
    with Store.open(paths.database_path(home)) as store:
        return {head: [label for label, _ in labels] for head, labels in store.label_sets().items()}


@pytest.fixture
def topic_file(tmp_path: Path) -> Path:
    return write_table(tmp_path / "topics.csv", ["text", "label"], sentiment_rows())


def test_reserved_head_names_are_refused_before_anything_happens(model_home, topic_file):
    before = remember(model_home)
    names = ["kind", "type", "text", "weight", "Topic", "my topic"]
    results = run_side_by_side(model_home, *[("train", "--data", topic_file, "--head", n) for n in names])
    for name, result in zip(names, results, strict=True):
        assert_bad_input(result, f"--head {name}", "cannot name a label set")
    assert snapshot(model_home) == before  # no label set, nothing else either
    with sqlite3.connect(paths.database_path(model_home)) as conn:
        assert conn.execute("SELECT count(*) FROM training_runs").fetchone() == (
            0,
        )  # refused before starting
    exported = run(model_home, "export", model_home.parent / "after.csv")
    assert exported.code == 0, exported
    with Store.open(paths.database_path(model_home)) as store:
        with pytest.raises(InputError, match="export's own"):
            store.ensure_labels("kind", [("a", "a")])
    assert_nothing_lost(model_home, before)


def test_a_cancelled_training_writes_no_label_set(model_home, topic_file):
    before = remember(model_home)
    proc = subprocess.Popen(
        command(
            "train",
            "--data",
            topic_file,
            "--head",
            "topic",
            "--mode",
            "full",
            "--epochs",
            "50",
            "--progress",
            "jsonl",
        ),
        cwd=ROOT,
        env=cli_env(model_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    for line in proc.stdout:  # wait until it is training, well past reading the file
        if json.loads(line)["event"] == "step":
            break
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=SAFETY_TIMEOUT_S)
    assert proc.returncode == 130, err
    assert "topic" not in label_sets(model_home)
    assert_nothing_lost(model_home, before)


def test_labels_list_and_remove(model_home, tmp_path):
    before = remember(model_home)
    with Store.open(paths.database_path(model_home)) as store:
        store.ensure_labels("topic", [("food", "음식"), ("work", "일")])
        conversation = store.create_conversation("주제")
        user, _ = store.log_turn(conversation.id, "점심 뭐 먹지", {}, None, "글쎄요", None)
        store.set_label(user.id, "topic", "food")
        store.set_label(user.id, "intent", "smalltalk")
        store.add_examples(
            [
                ("회의가 너무 길어", {"topic": "work"}),
                ("야근이 싫어", {"topic": "work", "intent": "complaint"}),
            ],
            "import:topics.csv",
        )

    listed = run(model_home, "labels", "list")
    assert listed.code == 0, listed
    lines = {line.split(" ")[0]: line for line in listed.out.strip().splitlines()}
    assert list(lines) == ["intent", "emotion", "topic"]
    assert "food (음식)" in lines["topic"] and "1 message labels, 2 imported examples" in lines["topic"]

    assert_bad_input(run(model_home, "labels", "remove", "intent"), "intent", "built in")
    assert_bad_input(run(model_home, "labels", "remove", "nope"), "nope", "labels list")
    assert_bad_input(run(model_home, "labels", "remove", "topic"), "--yes", "1 message labels", "2 imported")
    assert "topic" in label_sets(model_home)

    removed = run(model_home, "labels", "remove", "topic", "--yes")
    assert removed.code == 0, removed
    assert "deleted 1 labels on messages (the messages stay)" in removed.out
    assert "took its label off 1 imported examples and deleted 1" in removed.out
    assert "topic" not in label_sets(model_home)
    with Store.open(paths.database_path(model_home)) as store:
        assert store.message(user.id).labels == {"intent": "smalltalk"}
        assert [(e.text, e.labels) for e in store.examples(source="import:topics.csv")] == [
            ("야근이 싫어", {"intent": "complaint"})
        ]
    assert_nothing_lost(model_home, before)  # everything else is as it was


def test_a_home_that_already_has_a_reserved_head_can_still_export_after_removing_it(home, tmp_path):
    """Made by an older kobert-chat (`train --data --head kind` was accepted): export used to fail forever."""
    before = remember(home)
    conn = sqlite3.connect(paths.database_path(home))
    with conn:
        conn.execute("INSERT INTO label_sets (head, label, display, position) VALUES ('kind', 'a', 'a', 0)")
    conn.close()
    target = tmp_path / "out.csv"
    assert_bad_input(run(home, "export", target), "'kind'", "labels remove kind")
    assert not target.exists()
    assert run(home, "labels", "remove", "kind").code == 0
    exported = run(home, "export", target)
    assert exported.code == 0 and target.exists(), exported
    assert_nothing_lost(home, before)
