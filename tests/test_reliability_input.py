"""`chat` and `predict` survive ordinary input and a busy database (issue 10, case 5).

stdin is a byte stream written by the test (valid and invalid UTF-8 in one chunk), under several
locales; the write lock is held by a second, plain sqlite3 connection with BEGIN IMMEDIATE, as any
other program (a backup tool, a second app) would hold it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import StoreError
from tests.helpers import SAFETY_TIMEOUT_S
from tests.helpers.cli import ROOT, Result, assert_bad_input, cli_env, command, run
from tests.helpers.history import assert_nothing_lost, remember, snapshot

VALID = ["첫 번째 줄이에요", "  앞뒤 공백도 그대로\t", "세 번째: 이모지 😭 도 돼요"]
STREAM = (
    VALID[0].encode() + b"\n"
    + b"\xff\xfe\xc0 not utf-8\n"  # line 2: bytes no encoding of text gives
    + VALID[1].encode() + b"\r\n"
    + b"\xed\xa0\x80 an encoded lone surrogate\n"  # line 4: CESU-8, not UTF-8
    + VALID[2].encode()  # no newline at the end of the stream
)  # fmt: skip


def run_bytes(home: Path, args: list[bytes], stdin: bytes | None = None, env: dict | None = None) -> Result:
    cmd = [os.fsencode(a) for a in command()] + args
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env={**cli_env(home), **(env or {})},
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=SAFETY_TIMEOUT_S,
    )
    decode = lambda b: b.decode("utf-8", "backslashreplace")  # noqa: E731
    return Result([str(c) for c in cmd], proc.returncode, decode(proc.stdout), decode(proc.stderr))


def user_texts(home: Path) -> list[str]:
    with sqlite3.connect(paths.database_path(home)) as conn:
        return [row[0] for row in conn.execute("SELECT text FROM messages WHERE role = 'user' ORDER BY id")]


@pytest.mark.parametrize(
    "locale_env",
    [
        {"LC_ALL": "ko_KR.UTF-8"},
        {"LC_ALL": "C.UTF-8"},
        {"LC_ALL": "C", "PYTHONUTF8": "0"},  # ASCII stdio: the chat must still read and answer
    ],
    ids=["ko_KR.UTF-8", "C.UTF-8", "C-ascii"],
)
def test_chat_skips_undecodable_lines_and_answers_every_other_one(model_home, locale_env):
    before = remember(model_home)
    result = run_bytes(model_home, [b"chat"], stdin=STREAM, env=locale_env)

    assert result.code == 0, result
    assert "Traceback" not in result.err + result.out
    assert result.out.count("봇> ") == 3
    notices = [line for line in result.out.splitlines() if "skipped" in line]
    assert len(notices) == 2 and "line 2" in notices[0] and "line 4" in notices[1], result
    assert user_texts(model_home)[-3:] == VALID  # byte-exact, the line break alone removed
    assert_nothing_lost(model_home, before)


@pytest.mark.parametrize(
    "bad", [b"\xff\xfe", b"\xed\xa0\x80", b"ok \xc3"], ids=["not-utf8", "lone-surrogate", "cut-short"]
)
def test_predict_with_undecodable_text_is_bad_input_in_one_line(model_home, bad):
    before = remember(model_home)
    result = run_bytes(model_home, [b"predict", "좋은 아침".encode(), bad])
    assert_bad_input(result, "TEXT 2", "not valid text")
    assert_nothing_lost(model_home, before)


def test_predict_takes_texts_that_start_with_a_dash(model_home):
    texts = ["-_-", "-.-", "-ㅅ-", "--;", "-1점이에요"]
    result = run(model_home, "predict", "--json", texts[0], texts[1], "--", *texts[2:])
    assert result.code == 0, result
    assert [p["text"] for p in json.loads(result.out)["predictions"]] == texts
    plain = run(model_home, "predict", "-_-", "ㅋㅋ")
    assert plain.code == 0, plain
    assert [line.split("\t")[0] for line in plain.out.strip().splitlines()] == ["-_-", "ㅋㅋ"]
    assert_bad_input(run(model_home, "predict", "-_-", "--jsno"), "--jsno")  # a mistyped flag stays an error


class WriteLockHolder:
    """Another program: its own sqlite3 connection in its own thread, holding BEGIN IMMEDIATE."""

    def __init__(self, db: Path) -> None:
        self._db = db
        self.taken = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)
        self._thread.start()
        assert self.taken.wait(30)

    def _hold(self) -> None:
        conn = sqlite3.connect(self._db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('다른 프로그램', 'x', 'x')"
        )
        self.taken.set()
        self._release.wait(SAFETY_TIMEOUT_S)
        conn.execute("COMMIT")
        conn.close()

    def release(self, after_s: float = 0.0) -> None:
        threading.Timer(after_s, self._release.set).start()

    def join(self) -> None:
        self._release.set()
        self._thread.join(30)


def chat_process(home: Path, out: Path, err: Path, **env: str) -> subprocess.Popen:
    """`main.py chat` with stdin to write to; stdout and stderr go to files the test can poll."""
    with out.open("wb") as out_f, err.open("wb") as err_f:  # the child keeps its own copies
        return subprocess.Popen(
            command("chat"),
            cwd=ROOT,
            env={**cli_env(home), **env},
            stdin=subprocess.PIPE,
            stdout=out_f,
            stderr=err_f,
        )


def test_chat_waits_for_a_slow_writer_and_loses_no_message(model_home, tmp_path):
    """Held for 8 s after the lines are sent, longer than SQLite's own 5 s busy timeout: the chat
    waits, says so, and answers every line."""
    ChatEngine.open(model_home, load_model=False).close()  # a home the app has opened before
    before = remember(model_home)
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    holder = WriteLockHolder(paths.database_path(model_home))
    proc = chat_process(model_home, out, err)
    try:
        wait_for(out, "끝내려면")  # started (opening a current database writes nothing)
        proc.stdin.write("기다려 줄 수 있어?\n두 번째 말\n세 번째 말\n".encode())
        proc.stdin.close()
        sent = time.monotonic()
        holder.release(after_s=8)
        code = proc.wait(SAFETY_TIMEOUT_S)
    finally:
        holder.join()
        if proc.poll() is None:
            proc.kill()
    printed, warned = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
    assert code == 0, printed + warned
    assert time.monotonic() - sent >= 8  # it really outwaited the holder
    assert "기다리는 중" in warned and "busy" not in printed + warned, printed + warned
    assert printed.count("봇> ") == 3
    assert user_texts(model_home)[-3:] == ["기다려 줄 수 있어?", "두 번째 말", "세 번째 말"]
    after = assert_nothing_lost(model_home, before)
    assert (
        len([m for m in after["messages"] if m[2] == "user"])
        == len([m for m in before["messages"] if m[2] == "user"]) + 3
    )


def wait_for(path: Path, text: str) -> None:
    deadline = time.monotonic() + SAFETY_TIMEOUT_S
    while text not in path.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, path.read_text(encoding="utf-8", errors="replace")
        time.sleep(0.05)


def test_a_lock_held_past_the_bound_fails_one_message_cleanly_and_the_chat_goes_on(model_home, tmp_path):
    ChatEngine.open(model_home, load_model=False).close()  # a home the app has opened before
    before = remember(model_home)
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    holder = WriteLockHolder(paths.database_path(model_home))
    proc = chat_process(model_home, out, err, KOBERT_CHAT_WRITE_WAIT_S="2")
    try:
        proc.stdin.write("잠긴 동안 보낸 말\n".encode())
        proc.stdin.flush()
        wait_for(out, "저장하지 못했어요")  # the bound passed: this one message was not saved
        holder.join()
        proc.stdin.write("풀린 뒤에 보낸 말\n".encode())
        proc.stdin.close()
        code = proc.wait(SAFETY_TIMEOUT_S)
    finally:
        holder.join()
        if proc.poll() is None:
            proc.kill()
    printed, warned = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
    assert code == 0, printed + warned
    assert "기다리는 중" in warned and "Traceback" not in printed + warned
    [failure] = [line for line in printed.splitlines() if "저장하지 못했어요" in line]
    assert "nothing from this change was saved" in failure
    assert printed.count("봇> ") == 1
    assert user_texts(model_home)[-1:] == ["풀린 뒤에 보낸 말"]  # the failed one is not half-logged
    assert "잠긴 동안 보낸 말" not in user_texts(model_home)
    assert_nothing_lost(model_home, before)


def test_the_engine_tells_the_window_it_waits_and_then_logs_the_turn(model_home):
    """What the window gets: one on_wait notice on the worker thread, then the reply as usual."""
    before = remember(model_home)
    engine = ChatEngine.open(model_home, device="cpu")
    notices: list[str] = []
    engine.on_wait = notices.append
    try:
        cid = engine.new_conversation()
        holder = WriteLockHolder(paths.database_path(model_home))
        holder.release(after_s=2.5)
        reply = engine.send(cid, "기다렸다가 저장돼?")
        holder.join()
        assert engine.store.message(reply.user.id).text == "기다렸다가 저장돼?"
        assert len(notices) == 1 and "기다리는 중" in notices[0]

        engine.store.write_wait_s = 1.0
        holder = WriteLockHolder(paths.database_path(model_home))
        try:
            with pytest.raises(StoreError, match="nothing from this change was saved"):
                engine.send(cid, "이건 저장 못 해")
        finally:
            holder.join()
        assert [m.text for m in engine.messages(cid) if m.role == "user"] == ["기다렸다가 저장돼?"]
    finally:
        engine.close()
    assert_nothing_lost(model_home, before)
    assert snapshot(model_home)["messages"] >= before["messages"]


def test_a_home_opened_while_another_program_writes_still_opens(model_home, monkeypatch):
    """The bundled answers are synced on open; when another program holds the write lock that sync
    waits its bound, is skipped (the next open does it) and the engine opens and answers anyway."""
    monkeypatch.setenv("KOBERT_CHAT_WRITE_WAIT_S", "1")
    holder = WriteLockHolder(paths.database_path(model_home))  # model_home was never opened: not synced
    try:
        engine = ChatEngine.open(model_home, device="cpu")
    finally:
        holder.join()
    try:
        assert engine.store.bundle_fingerprint() is None  # skipped this time
        reply = engine.send(None, "안녕하세요")
        assert reply.bot.text
    finally:
        engine.close()
    engine = ChatEngine.open(model_home, load_model=False)  # the lock is gone: now it syncs
    try:
        assert engine.store.bundle_fingerprint() is not None and engine.answers()
    finally:
        engine.close()
