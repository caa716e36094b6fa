"""kill -9 never loses acknowledged work: real processes on a real data folder, SIGKILLed mid-work.

"Acknowledged" means the process printed that a call returned (a reply line of `main.py chat`, an ack
line of the driver below). After each kill: SQLite's integrity check passes, every acknowledged
message and label is on disk exactly, no turn is half-logged, and the active model is the same and loads.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.registry import STAGING_PREFIX
from kobert_chat.store import Store
from tests.helpers import integrity
from tests.helpers.cli import ROOT, SAFETY_TIMEOUT_S, cli_env, command

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")  # kill -9 semantics

SENTENCES = [
    "오늘 너무 피곤해",
    "안녕 반가워!",
    "시험 망했어ㅠㅠ",
    "고마워 정말",
    "주말에 뭐 하지?",
    "미안해 늦었어",
    "너 진짜 똑똑하다",
    "대답이 좀 이상해",
    "배고파 죽겠다 🍜",
    "잘 자 내일 봐",
]
INTENT_LABELS = ["help", "greeting", "worry", "thanks", "smalltalk", "apology", "praise", "complaint"]


class Lines:
    """A child's stdout line by line, with a timeout, so a hung child fails the test instead of hanging it."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def next(self) -> str:
        line = self._queue.get(timeout=SAFETY_TIMEOUT_S)
        assert line is not None, "the child process ended before printing the expected line"
        return line


def popen(home: Path, args: list[str]) -> subprocess.Popen:
    env = cli_env(home) | {"PYTHONUNBUFFERED": "1"}  # every printed line leaves the child at once
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )


def kill_9(proc: subprocess.Popen, rng: random.Random) -> None:
    time.sleep(rng.uniform(0, 0.03))  # land somewhere inside the next call, not right after an ack
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=SAFETY_TIMEOUT_S)
    with contextlib.suppress(OSError):  # lines still buffered for a process that is gone
        proc.stdin.close()
    assert proc.returncode == -signal.SIGKILL


def assert_whole_turns(store: Store, cid: int) -> list[str]:
    """Every user message is followed by its bot reply (a turn is logged whole or not at all);
    returns the user texts in order."""
    roles = [m.role for m in store.messages(cid, limit=100_000)]
    assert roles == ["user", "bot"] * (len(roles) // 2) and len(roles) % 2 == 0, roles
    return [m.text for m in store.messages(cid, limit=100_000) if m.role == "user"]


def assert_active_model_unchanged_and_loads(home: Path, active_id: str) -> None:
    engine = ChatEngine.open(home, device="cpu")
    try:
        assert engine.model_warning is None
        assert engine.registry.active().id == active_id and engine.model_version == active_id
        assert engine.reply(engine.new_conversation(), "다시 켰어 잘 되지?").bot.text
    finally:
        engine.close()


def active_id(home: Path) -> str:
    with Store.open(paths.database_path(home)) as store:
        return store.active_model_version().id


# -- the terminal chat -------------------------------------------------------------------------------


def test_kill_9_of_terminal_chat_keeps_every_replied_message(model_home: Path):
    rng = random.Random()
    before = active_id(model_home)
    proc = popen(model_home, command("chat"))
    lines = Lines(proc)
    assert lines.next().startswith("kobert-chat (")
    sent, acked = [], 0
    for i in range(rng.randint(4, 10)):
        sent.append(f"{i}번째: {rng.choice(SENTENCES)}")
        proc.stdin.write(sent[-1] + "\n")
        proc.stdin.flush()
        while "봇> " not in lines.next():  # the reply line: the turn was committed before it was printed
            pass
        acked += 1
    for i in range(acked, acked + 3):  # more lines in flight when the kill lands
        sent.append(f"{i}번째: {rng.choice(SENTENCES)}")
        proc.stdin.write(sent[-1] + "\n")
    proc.stdin.flush()
    kill_9(proc, rng)

    assert integrity(model_home) == "ok"
    with Store.open(paths.database_path(model_home)) as store:
        [conversation] = store.conversations()  # named after its first message (was "터미널 대화")
        stored = assert_whole_turns(store, conversation.id)
    assert stored[:acked] == sent[:acked]
    assert stored == sent[: len(stored)]  # anything after the acks is a whole turn, in order
    assert_active_model_unchanged_and_loads(model_home, before)


# -- the app's calls: ChatEngine.reply and ChatEngine.label, as the UI worker makes them ----------------

DRIVER = textwrap.dedent("""
    import random, sys
    from kobert_chat.engine import ChatEngine

    sentences, intents = sys.argv[1].split("|"), sys.argv[2].split("|")
    engine = ChatEngine.open(device="cpu")
    cid = engine.new_conversation("kill test")
    print("ready", cid)
    rng = random.Random()
    for i in range(100_000):  # until killed
        reply = engine.reply(cid, f"{i} {rng.choice(sentences)}")
        print("reply", reply.user.id, reply.bot.id, reply.user.text, sep="\\t")
        intent = rng.choice(intents)
        engine.label(reply.user.id, "intent", intent)
        print("label", reply.user.id, "intent", intent, sep="\\t")
        engine.confirm(reply.user.id, "emotion")
        print("confirm", reply.user.id, "emotion", sep="\\t")
""")


def run_driver_and_kill(home: Path, rng: random.Random) -> tuple[int, list[tuple[int, str]], dict[int, dict]]:
    """-> (conversation id, acknowledged (user id, text) turns, acknowledged labels by message id)."""
    proc = popen(home, [sys.executable, "-c", DRIVER, "|".join(SENTENCES), "|".join(INTENT_LABELS)])
    lines = Lines(proc)
    ready = lines.next().split()
    assert ready[0] == "ready", ready
    turns: list[tuple[int, str]] = []
    labels: dict[int, dict] = {}
    for _ in range(rng.randint(8, 45)):
        kind, *rest = lines.next().rstrip("\n").split("\t")
        if kind == "reply":
            turns.append((int(rest[0]), rest[2]))
        elif kind == "label":
            labels.setdefault(int(rest[0]), {})[rest[1]] = rest[2]
        else:
            labels.setdefault(int(rest[0]), {})[rest[1]] = "confirmed"
    kill_9(proc, rng)
    return int(ready[1]), turns, labels


def test_kill_9_while_replying_and_labeling_loses_no_acknowledged_write(model_home: Path):
    rng = random.Random()
    before = active_id(model_home)
    for _ in range(2):  # two kills at two random points on the same folder
        cid, turns, labels = run_driver_and_kill(model_home, rng)
        assert turns, "the driver acknowledged no reply before the kill"

        assert integrity(model_home) == "ok"
        with Store.open(paths.database_path(model_home)) as store:
            stored = assert_whole_turns(store, cid)
            assert stored[: len(turns)] == [text for _, text in turns]
            for user_id, text in turns:
                assert store.message(user_id).text == text
            for user_id, acked in labels.items():
                message = store.message(user_id)
                for head, value in acked.items():
                    if value == "confirmed":
                        assert message.label_sources[head] == "confirmed"
                        assert message.labels[head] == message.predictions[head]["label"]
                    else:
                        assert message.labels[head] == value and message.label_sources[head] == "user"
    assert_active_model_unchanged_and_loads(model_home, before)


# -- training --------------------------------------------------------------------------------------


def label_some_messages(home: Path) -> dict[int, tuple[str, str]]:
    engine = ChatEngine.open(home, device="cpu")
    try:
        cid = engine.new_conversation("학습 전에 쓴 대화")
        labeled = {}
        for text, intent in zip(SENTENCES[:6], INTENT_LABELS, strict=False):
            reply = engine.reply(cid, text)
            engine.label(reply.user.id, "intent", intent)
            labeled[reply.user.id] = (text, intent)
        return labeled
    finally:
        engine.close()


def test_kill_9_of_training_mid_epoch_keeps_data_and_the_active_model(model_home: Path):
    labeled = label_some_messages(model_home)
    with Store.open(paths.database_path(model_home)) as store:
        before_versions = {v.id for v in store.model_versions()}
        before = store.active_model_version().id
    folders_before = sorted(p.name for p in paths.models_dir(model_home).iterdir())

    proc = popen(model_home, command("train", "--mode", "full", "--epochs", "50", "--progress", "jsonl"))
    proc.stdin.close()
    lines = Lines(proc)
    while json.loads(lines.next())["event"] != "step":  # training is really under way
        pass
    kill_9(proc, random.Random())

    assert integrity(model_home) == "ok"
    with Store.open(paths.database_path(model_home)) as store:
        for user_id, (text, intent) in labeled.items():
            message = store.message(user_id)
            assert (message.text, message.labels["intent"]) == (text, intent)
        assert {v.id for v in store.model_versions()} == before_versions
        assert store.active_model_version().id == before
    assert sorted(p.name for p in paths.models_dir(model_home).iterdir()) == folders_before
    assert_active_model_unchanged_and_loads(model_home, before)


SAVE_THEN_DIE = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from kobert_chat import paths
    from kobert_chat.nlu.model_io import WEIGHTS, load_model, save_model
    from kobert_chat.registry import Registry
    from kobert_chat.store import Store

    store = Store.open(paths.database_path())
    registry = Registry(store, paths.models_dir())
    model, tokenizer = load_model(Path(registry.active().path))
    staging = registry.staging_folder()
    save_model(model, tokenizer, staging, {})
    weights = staging / WEIGHTS
    os.truncate(weights, weights.stat().st_size // 2)  # the state of a write cut off half-way
    print(staging, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_kill_9_while_saving_a_version_leaves_only_a_staging_folder_that_the_next_start_sweeps(
    model_home: Path,
):
    """What a training killed while writing its new version leaves behind (the mid-epoch kill above is
    earlier than any file is written), made exact: the writer dies with half its weights on disk."""
    before = active_id(model_home)
    with Store.open(paths.database_path(model_home)) as store:
        before_versions = {v.id for v in store.model_versions()}
    proc = popen(model_home, [sys.executable, "-c", SAVE_THEN_DIE])
    proc.stdin.close()
    staging = Path(Lines(proc).next().strip())
    proc.wait(timeout=SAFETY_TIMEOUT_S)
    assert proc.returncode == -signal.SIGKILL
    assert staging.is_dir() and staging.name.startswith(STAGING_PREFIX + str(proc.pid))

    assert integrity(model_home) == "ok"
    assert_active_model_unchanged_and_loads(model_home, before)  # opens the engine: the sweep runs here
    assert not staging.exists()
    assert not list(paths.models_dir(model_home).glob(STAGING_PREFIX + "*"))
    with Store.open(paths.database_path(model_home)) as store:
        assert {v.id for v in store.model_versions()} == before_versions
    assert sorted(os.listdir(paths.models_dir(model_home))) == sorted(before_versions)
