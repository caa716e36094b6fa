"""Training threads follow the free cores: all of them when the machine is idle, one when other
programs keep every core busy (oversubscribed threads made a first-run build 20x slower)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import torch

from kobert_chat import bootstrap, paths, progress, threads
from kobert_chat.registry import Registry
from kobert_chat.store import Store
from tests.helpers import sample_examples


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)


@pytest.fixture
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def machine(monkeypatch: pytest.MonkeyPatch, sampled: float | None, averaged: float) -> None:
    """What the two signals say other programs keep busy right now."""
    monkeypatch.setattr(threads, "other_busy_cores", lambda sample_s=threads.SAMPLE_S: sampled)
    monkeypatch.setattr(threads, "other_load", lambda: averaged)
    monkeypatch.setattr(threads.BusyMeter, "since_last", lambda self: sampled)  # the epoch-long reading


@pytest.mark.parametrize(("load", "expected"), [(0.0, 2), (0.4, 2), (0.6, 1), (1.0, 1), (2.0, 1), (7.5, 1)])
def test_free_cores_at_least_one(two_cores, load, expected):
    assert threads.training_threads(load) == expected


def test_a_fixed_count_wins(two_cores, monkeypatch: pytest.MonkeyPatch, keep_threads):
    monkeypatch.setenv(threads.THREADS_ENV, "3")
    machine(monkeypatch, 9.0, 9.0)
    assert threads.training_threads(9.0) == 3
    assert threads.apply_training_threads() == 3 and torch.get_num_threads() == 3


def test_our_own_threads_are_not_other_programs(two_cores, monkeypatch: pytest.MonkeyPatch, keep_threads):
    torch.set_num_threads(2)
    machine(monkeypatch, None, 2.0)  # no sample: the load average counts our own 2 busy threads
    assert threads.apply_training_threads(running=True) == 2
    assert threads.apply_training_threads(running=False) == 1  # before we start, that load is others'


@pytest.mark.parametrize(
    ("sampled", "averaged", "expected"),
    [
        (1.8, 0.1, 1),  # a program just started: the 1-minute average has not seen it yet
        (0.1, 1.9, 2),  # the average still counts a minute of earlier work; the sample says it is over
        (0.1, 0.2, 2),  # idle
        (None, 1.5, 1),  # no /proc/stat (not Linux): the average alone
        (None, 0.0, 2),
    ],
)
def test_the_sample_decides_where_there_is_one(two_cores, monkeypatch, sampled, averaged, expected):
    machine(monkeypatch, sampled, averaged)
    assert threads.training_threads() == expected


def test_the_sample_leaves_out_this_process(monkeypatch: pytest.MonkeyPatch):
    """Our own busy thread is not another program: the machine's CPU use minus this process's."""
    jiffies = iter([(1000, 4000), (1100, 4200)])  # 100 of 200 jiffies busy over 2 CPUs: one core's worth
    monkeypatch.setattr(threads, "_cpu_jiffies", lambda: next(jiffies))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    stop = threading.Event()

    def spin() -> None:  # a busy thread of ours during the sample (it releases the GIL now and then)
        while not stop.is_set():
            sum(range(1000))

    spinner = threading.Thread(target=spin)
    own0 = time.process_time()
    spinner.start()
    try:
        other = threads.other_busy_cores(0.3)
    finally:
        stop.set()
        spinner.join()
    own = time.process_time() - own0
    assert other is not None and own > 0
    assert other < 1.0  # one core busy in all, part of it ours


def test_a_real_sample_is_a_share_of_the_machine():
    other = threads.other_busy_cores(0.1)
    if other is None:  # not Linux
        assert not os.path.exists("/proc/stat")
        return
    assert 0.0 <= other <= (os.cpu_count() or 1) + 0.01


def test_thread_count_is_rechecked_at_every_epoch_once(monkeypatch: pytest.MonkeyPatch):
    calls, seen = [], []
    monkeypatch.setattr(
        threads, "apply_training_threads", lambda running=False, busy=None: calls.append(running) or 1
    )
    emit = threads.rechecking(threads.rechecking(seen.append))  # wrapped twice: still one re-check
    emit(progress.Stage("train"))
    emit(progress.Epoch(1, 0.5, {}, 10.0))
    assert calls == [True]
    assert [type(e) for e in seen] == [progress.Stage, progress.Epoch]


def test_an_epoch_recheck_reads_the_machine_over_that_epoch(
    two_cores, monkeypatch: pytest.MonkeyPatch, keep_threads
):
    """Between epochs the busy share comes from the epoch just run (no sleeping sample); where it says
    nothing, the short sample decides."""
    jiffies = iter([(1000, 4000), (1180, 4200), (1180, 4200)])  # 90 % busy over the epoch, then no tick
    monkeypatch.setattr(threads, "_cpu_jiffies", lambda: next(jiffies))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "other_busy_cores", lambda sample_s=0.2: 0.0)
    torch.set_num_threads(2)
    emit = threads.rechecking(lambda event: None)
    time.sleep(0.05)  # the "epoch": our own process idle, so the busy share is other programs'
    emit(progress.Epoch(1, 0.5, {}, 10.0))
    assert torch.get_num_threads() == 1  # 1.8 cores busy, hardly any of it ours: others hold them
    emit(progress.Epoch(2, 0.5, {}, 10.0))
    assert torch.get_num_threads() == 2  # no tick in between: the (idle) sample decides


@pytest.mark.parametrize(("busy", "expected"), [(5.0, 1), (0.0, 2)])
def test_first_run_build_trains_on_the_free_cores(
    home, two_cores, monkeypatch: pytest.MonkeyPatch, keep_threads, busy, expected
):
    """The app's first-run build (bootstrap) takes the free cores, not torch's one per core, and keeps
    checking at every epoch."""
    monkeypatch.setenv("KOBERT_CHAT_STARTER_RECIPE", "tiny")
    monkeypatch.setattr(bootstrap, "bundled_examples", lambda split: sample_examples(300, split=split))
    machine(monkeypatch, busy, busy)
    torch.set_num_threads(2 if expected == 1 else 1)  # start from the other count
    during: list[int] = []

    def record(event) -> None:
        if isinstance(event, (progress.Start, progress.Epoch)):
            during.append(torch.get_num_threads())

    store = Store.open(paths.database_path(home))
    try:
        version = bootstrap.build_starter_version(Registry(store, paths.models_dir(home)), record)
    finally:
        store.close()
    assert version.backbone == "starter"
    assert len(during) >= 2 and set(during) == {expected}


def test_lower_priority_raises_the_nice_value():
    code = (
        "import os; from kobert_chat import threads; before = os.nice(0); "
        "ok = threads.lower_priority(); print(before, os.nice(0), ok)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after, ok = out.split()
    assert ok == "True" and int(after) == min(19, int(before) + threads.NICE)


@pytest.mark.parametrize(("env", "raised", "ok"), [("0", 0, "False"), ("3", 3, "True")])
def test_the_nice_amount_can_be_chosen(env, raised, ok):
    code = (
        "import os; from kobert_chat import threads; before = os.nice(0); "
        "ok = threads.lower_priority(); print(before, os.nice(0), ok)"
    )
    env_vars = os.environ | {threads.NICE_ENV: env}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env_vars
    ).stdout
    before, after, got = out.split()
    assert got == ok and int(after) == min(19, int(before) + raised)
