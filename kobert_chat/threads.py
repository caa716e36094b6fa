"""How many CPU threads torch gets, chosen for the machine as it is now, not as it is when idle.

torch's default is one thread per core, and every parallel op waits for its slowest thread. On a busy
machine (other programs keeping the cores busy) some of those threads are always waiting for a core,
so each op stalls: a first-run starter build took ~20 minutes instead of ~1 with two other processes
running (bench/run.py's busy-machine section measures it). So training takes the cores that are free:
the cores this process may use minus the load other programs put on them (the 1-minute load average),
at least one. A chat process answers one short sentence at a time and stays on one thread for small
encoders (inference.set_chat_threads).
"""

from __future__ import annotations

import os

THREADS_ENV = "KOBERT_CHAT_THREADS"  # a fixed count (benchmarks, and users who know better)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def other_load() -> float:
    """Runnable processes besides us, averaged over a minute (0 where the OS does not say)."""
    try:
        return max(0.0, os.getloadavg()[0])
    except (AttributeError, OSError):
        return 0.0


def training_threads(load: float | None = None) -> int:
    """Threads for a training run: the free cores, at least 1; KOBERT_CHAT_THREADS overrides."""
    fixed = os.environ.get(THREADS_ENV, "").strip()
    if fixed.isdigit() and int(fixed) > 0:
        return int(fixed)
    cores = usable_cores()
    busy = other_load() if load is None else load
    return max(1, min(cores, int(cores - busy + 0.5)))


def apply_training_threads(running: bool = False) -> int:
    """Set torch's intra-op threads for training now. Call it again between epochs with running=True:
    the load then includes our own threads, which are not "other programs"."""
    import torch

    own = torch.get_num_threads() if running else 0
    threads = training_threads(max(0.0, other_load() - own))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def lower_priority() -> None:
    """Make this process yield to the user's window and chat (the app's training child calls it)."""
    try:
        os.nice(10)
    except (AttributeError, OSError):  # not available (Windows) or not allowed: train at normal priority
        pass
