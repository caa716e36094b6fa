"""How many CPU threads torch gets, chosen for the machine as it is now, not as it is when idle.

torch's default is one thread per core, and every parallel op waits for its slowest thread. On a busy
machine (other programs keeping the cores busy) some of those threads are always waiting for a core,
so each op stalls: a first-run starter build took ~20 minutes instead of ~1 with two other processes
running, and one training step of the starter ran 2.6-3.9x faster on one thread than on two beside
other busy programs (bench/busy.py measures it; README, "Benchmarks"). So training takes the cores
that are free: the cores this process may use minus what other programs keep busy, at least one.
"Busy" is a short /proc/stat sample minus our own CPU time (it reacts at once when a program starts
or stops, and never counts our own threads), re-taken after every epoch; the 1-minute load average
where there is no /proc/stat. A thread too few costs an idle machine little, a thread too many costs
a busy one several times over. A chat process
answers one short sentence at a time and stays on one thread for small encoders
(inference.set_chat_threads).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .progress import Event, Progress

THREADS_ENV = "KOBERT_CHAT_THREADS"  # a fixed count (benchmarks, and users who know better)
SAMPLE_S = 0.2  # how long the CPU-use sample watches the machine
NICE = 10  # lower_priority(): the app's training child yields to the window and the chat


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def other_load() -> float:
    """Runnable processes, averaged over a minute (0 where the OS does not say). Includes our own
    threads when we are running: callers subtract them."""
    try:
        return max(0.0, os.getloadavg()[0])
    except (AttributeError, OSError):
        return 0.0


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat (None where there is none)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def other_busy_cores(sample_s: float = SAMPLE_S) -> float | None:
    """Cores that other programs keep busy right now: the machine's CPU use over a short sample minus
    this process's own (all its threads). None where /proc/stat does not exist."""
    before, own0, t0 = _cpu_jiffies(), time.process_time(), time.monotonic()
    if before is None:
        return None
    time.sleep(sample_s)
    after, own1, t1 = _cpu_jiffies(), time.process_time(), time.monotonic()
    if after is None or after[1] <= before[1]:
        return None
    machine_cores = os.cpu_count() or 1  # /proc/stat counts every CPU, not just our affinity set
    busy = (after[0] - before[0]) / (after[1] - before[1]) * machine_cores
    own = (own1 - own0) / max(t1 - t0, 1e-6)
    return max(0.0, busy - own)


class BusyMeter:
    """Other programs' CPU use since the previous reading, without waiting (a chat reply cannot sleep
    for a sample): the machine's busy share over the interval minus this process's own CPU time."""

    def __init__(self) -> None:
        self._last = self._snapshot()

    @staticmethod
    def _snapshot() -> tuple[tuple[int, int] | None, float, float]:
        return _cpu_jiffies(), time.process_time(), time.monotonic()

    def since_last(self) -> float | None:
        """Other programs' busy cores since the previous reading; None when the interval says nothing
        (no /proc/stat, or too short for a clock tick)."""
        (j0, own0, t0), now = self._last, self._snapshot()
        self._last = now
        j1, own1, t1 = now
        if j0 is None or j1 is None or j1[1] <= j0[1]:
            return None
        cores = os.cpu_count() or 1
        busy = (j1[0] - j0[0]) / (j1[1] - j0[1]) * cores
        return min(float(cores), max(0.0, busy - (own1 - own0) / max(t1 - t0, 1e-6)))

    def other_busy(self) -> float:
        sampled = self.since_last()
        if sampled is None:
            # The load average, which counts waiting processes too (4.7 on 2 cores was seen), capped
            # at what other programs can keep busy.
            return min(float(os.cpu_count() or 1), other_load())
        return sampled


def training_threads(load: float | None = None) -> int:
    """Threads for a training run: the free cores, at least 1; KOBERT_CHAT_THREADS overrides.
    `load`: what other programs keep busy (None: measure it now)."""
    fixed = os.environ.get(THREADS_ENV, "").strip()
    if fixed.isdigit() and int(fixed) > 0:
        return int(fixed)
    cores = usable_cores()
    busy = other_busy() if load is None else load
    return max(1, min(cores, int(cores - busy + 0.5)))


def other_busy(own_threads: int = 0) -> float:
    """What other programs keep busy: the short sample where the OS gives one, else the load average
    minus our own `own_threads` (which it counts while we run). Not the larger of the two: the average
    still counts a minute of our own earlier work (a chat, a previous run) as other programs'."""
    sampled = other_busy_cores()
    return max(0.0, other_load() - own_threads) if sampled is None else sampled


def apply_training_threads(running: bool = False, busy: float | None = None) -> int:
    """Set torch's intra-op threads for training now. Call it again between epochs with running=True:
    the load average then includes our own threads, which are not "other programs". `busy`: other
    programs' cores as already measured (None: take a short sample now)."""
    import torch

    fixed = os.environ.get(THREADS_ENV, "").strip()
    if fixed.isdigit() and int(fixed) > 0:
        threads = int(fixed)
    else:
        own = torch.get_num_threads() if running else 0
        threads = training_threads(other_busy(own) if busy is None else busy)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


NICE_ENV = "KOBERT_CHAT_NICE"  # how much lower_priority() lowers it (0: not at all)


def lower_priority(amount: int | None = None) -> bool:
    """Make this process yield to the user's window and chat (`train --low-priority`, which the app's
    training child runs): NICE, or KOBERT_CHAT_NICE. False where it is not possible or asked not to
    (then it trains at normal priority)."""
    if amount is None:
        value = os.environ.get(NICE_ENV, "").strip()
        amount = int(value) if value.isdigit() else NICE
    if amount <= 0:
        return False
    try:
        os.nice(amount)
    except (AttributeError, OSError):  # not available (Windows) or not allowed
        return False
    return True


def rechecking(emit: Progress) -> Progress:
    """`emit`, which also re-chooses the thread count at each epoch's end (other programs come and go),
    from the machine's CPU use over that epoch (no waiting for a sample: a quick retrain's epochs last
    a second, and five 0.2 s samples were 5 % of it). Wrapping twice re-checks once."""
    if getattr(emit, "rechecks_threads", False):
        return emit
    from .progress import Epoch

    meter = BusyMeter()

    def wrapped(event: Event) -> None:
        if isinstance(event, Epoch):
            apply_training_threads(running=True, busy=meter.since_last())
        emit(event)

    wrapped.rechecks_threads = True  # type: ignore[attr-defined]
    return wrapped
