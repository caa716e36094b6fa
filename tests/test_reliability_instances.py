"""Two programs on one data folder: one desktop app at a time (an OS lock that kill -9 frees), while
CLI commands share the folder safely through SQLite."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.instance_lock import LOCK_NAME, AlreadyRunning, InstanceLock
from kobert_chat.store import Store
from tests.helpers import integrity
from tests.helpers.cli import ROOT, SAFETY_TIMEOUT_S, cli_env, command, run_side_by_side, start

ALREADY_RUNNING = "이미 다른 창에서 kobert-chat이 실행 중이에요"
HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from kobert_chat.instance_lock import InstanceLock
    lock = InstanceLock.acquire(sys.argv[1])
    print("locked", flush=True)
    time.sleep(3600)
""")


def hold_lock(home: Path) -> subprocess.Popen:
    """Another process holding the app's lock on home (what a running app does first)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def kill_9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL if sys.platform != "win32" else signal.SIGTERM)
    proc.wait(timeout=SAFETY_TIMEOUT_S)


def snapshot(home: Path) -> dict[str, str]:
    """Every file in the data folder -> sha256, except the log (written before the app starts)."""
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file() and p.parent.name != "logs"
    }


def test_only_one_process_holds_the_lock_and_kill_9_frees_it(home: Path):
    holder = hold_lock(home)
    try:
        with pytest.raises(AlreadyRunning) as err:
            InstanceLock.acquire(home)
        assert ALREADY_RUNNING in str(err.value) and str(home) in str(err.value)
        assert (home / LOCK_NAME).read_text() == f"{holder.pid}\n"  # the refused attempt changed nothing
    finally:
        kill_9(holder)

    with InstanceLock.acquire(home) as lock:  # no stale lock after kill -9
        assert lock.held and (home / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(AlreadyRunning):
            InstanceLock.acquire(home)  # a second open file in the same process is refused too
    with InstanceLock.acquire(home):  # released by release()
        pass


def test_a_second_app_says_so_in_korean_and_exits_without_touching_the_folder(
    model_home: Path, tmp_path: Path
):
    holder = hold_lock(model_home)
    try:
        before = snapshot(model_home)
        picture = tmp_path / "shot.png"
        window, screenshot = run_side_by_side(model_home, (), ("--screenshot", picture))
        after = snapshot(model_home)
    finally:
        kill_9(holder)

    for result in (window, screenshot):
        assert result.code == 3, result
        assert ALREADY_RUNNING in result.err and str(model_home) in result.err, result
        assert "Traceback" not in result.err
    assert after == before
    assert not picture.exists()


def test_the_app_takes_the_lock_at_start_and_kill_9_of_the_app_frees_it(model_home: Path):
    app = subprocess.Popen(
        command(), cwd=ROOT, env=cli_env(model_home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        lock_file = model_home / LOCK_NAME
        deadline = time.monotonic() + SAFETY_TIMEOUT_S
        while not (lock_file.exists() and lock_file.read_text().strip() == str(app.pid)):
            assert app.poll() is None, "the app exited instead of running"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with pytest.raises(AlreadyRunning):
            InstanceLock.acquire(model_home)
    finally:
        kill_9(app)
    with InstanceLock.acquire(model_home) as lock:
        assert lock.held
    assert integrity(model_home) == "ok"


def test_cli_chats_share_the_folder_with_a_running_app_and_with_each_other(model_home: Path):
    holder = hold_lock(model_home)  # the CLI does not take the app's lock
    try:
        lines = {name: [f"{name} {i}번째 말: 오늘 하루 어땠어?" for i in range(12)] for name in ("가", "나")}
        waits = [start(model_home, "chat", stdin="\n".join(texts) + "\n") for texts in lines.values()]
        results = [wait() for wait in waits]
    finally:
        kill_9(holder)

    for result in results:
        assert result.code == 0, result
        assert result.out.count("봇> ") == 12, result
    assert integrity(model_home) == "ok"
    with Store.open(paths.database_path(model_home)) as store:
        stored = []
        for conversation in store.conversations():
            messages = store.messages(conversation.id)
            assert [m.role for m in messages] == ["user", "bot"] * 12
            stored.append([m.text for m in messages if m.role == "user"])
    assert sorted(stored) == sorted(lines.values())
