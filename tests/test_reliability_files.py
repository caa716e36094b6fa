"""The smaller file problems of issue 10, case 8: malformed tables are refused or rejected with the
reason, answer weights are bounded, exports never create folders, and another program's SQLite file
is never written to (not even switched to WAL)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.data.rows import MAX_WEIGHT
from kobert_chat.errors import InputError, StoreError
from kobert_chat.store import Store
from kobert_chat.store.answers import MAX_ANSWER_WEIGHT
from tests.helpers.cli import assert_bad_input, run, run_side_by_side, write_table
from tests.helpers.history import assert_nothing_lost, remember, snapshot


def test_an_unterminated_quote_refuses_the_whole_file_naming_its_line(home, tmp_path):
    before = remember(home)
    rows = [f"먼저 온 문장 {i},smalltalk\n" for i in range(2500)]  # more than one insert batch
    path = tmp_path / "quote.csv"
    path.write_text(
        "text,intent\n" + "".join(rows) + '"닫히지 않은 따옴표,greeting\n다음 줄,thanks\n', encoding="utf-8"
    )

    line = assert_bad_input(run(home, "import", path), "unterminated quote at line 2502")
    assert "nothing was imported" in line
    assert snapshot(home) == before  # not even the 2,500 rows before it
    assert_nothing_lost(home, before)


def test_a_column_named_twice_refuses_the_file(home, tmp_path):
    before = remember(home)
    path = write_table(tmp_path / "twice.csv", ["text", "intent", "Text"], [("안녕", "greeting", "다른 글")])
    assert_bad_input(run(home, "import", path), "'text' appears twice", "columns 1 and 3")
    assert snapshot(home) == before


def test_ragged_rows_are_rejected_with_the_reason_and_the_rest_imported(home, tmp_path):
    before = remember(home)
    path = tmp_path / "ragged.csv"
    path.write_text(
        "text,intent,emotion\n"
        "정상 문장,smalltalk,neutral\n"  # 2
        "쉼표, 를 따옴표 없이 쓴 문장,smalltalk,neutral\n"  # 3: one field too many
        "칸이 모자란 줄,smalltalk\n"  # 4: one field short
        "뒤에 빈 칸,thanks,happiness,,\n",  # 5: empty cells beyond the header carry nothing: fine
        encoding="utf-8",
    )
    result = run(home, "import", path)
    assert result.code == 0, result
    assert "accepted 2 rows" in result.out and "rejected 2" in result.out
    reasons = dict(line.strip().split(": ", 1) for line in result.err.strip().splitlines())
    assert reasons["line 3"].startswith("has 4 fields but the header has 3")
    assert reasons["line 4"].startswith("has 2 fields but the header has 3")
    assert_nothing_lost(home, before)


def test_answer_weights_are_bounded(home, tmp_path):
    assert MAX_WEIGHT == MAX_ANSWER_WEIGHT == 1000
    before = remember(home)
    path = write_table(
        tmp_path / "answers.csv",
        ["kind", "intent", "emotion", "text", "weight"],
        [
            ("answer", "greeting", "", "엄청 자주 나오고 싶은 답", "1e308"),
            ("answer", "greeting", "", "조금 더 자주", "1000"),
            ("answer", "greeting", "", "무한히", "inf"),
        ],
    )
    result = run(home, "import", path)
    assert result.code == 0 and "accepted 1 rows" in result.out and "rejected 2" in result.out, result
    assert "line 2: weight must be at most 1000" in result.err and "line 4" in result.err
    with Store.open(paths.database_path(home)) as store:
        with pytest.raises(InputError, match="at most 1000"):
            store.add_answer("너무 무거운 답", intent="greeting", weight=1e308)
        with pytest.raises(InputError, match="at most 1000"):
            store.update_answer(store.answers(intent="greeting")[-1].id, weight=1001)
    assert_nothing_lost(home, before)


def test_export_to_a_missing_folder_is_refused_and_creates_nothing(home, tmp_path):
    before = remember(home)
    target = tmp_path / "nonexistent" / "sub" / "x.csv"
    assert_bad_input(run(home, "export", target), "does not exist")
    assert not (tmp_path / "nonexistent").exists()
    assert_nothing_lost(home, before)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_another_programs_sqlite_file_is_left_untouched(home, tmp_path):
    db = paths.database_path(home)
    conn = sqlite3.connect(db)
    with conn:  # a rollback-journal database of some other app, where ours would be
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('다른 앱의 메모')")
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    digest, files = sha256(db), sorted(p.name for p in home.iterdir())
    good = write_table(tmp_path / "in.csv", ["text", "intent"], [("안녕", "greeting")])

    results = run_side_by_side(home, ("models", "list"), ("import", good), ("labels", "list"), ("chat",))
    for result in results:
        assert_bad_input(result, "another program", "will not touch it")
    with pytest.raises(StoreError, match="another program"):
        Store.open(db)
    assert sha256(db) == digest
    assert sorted(p.name for p in home.iterdir() if p.name != "logs") == [f for f in files if f != "logs"]
    header = db.read_bytes()[:20]
    assert header[18:20] == b"\x01\x01"  # still a rollback-journal file: never switched to WAL


def test_an_empty_sqlite_file_is_still_a_fresh_database(home):
    db = paths.database_path(home)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE scratch (x)")
    conn.execute("DROP TABLE scratch")  # a real SQLite file (header and all) with no tables left
    conn.close()
    assert db.read_bytes().startswith(b"SQLite format 3\x00")
    with Store.open(db) as store:
        assert store.conversations() == []
