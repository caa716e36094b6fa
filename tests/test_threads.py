"""Training threads follow the free cores: all of them when the machine is idle, one when other
programs keep every core busy (oversubscribed threads made a first-run build 20x slower)."""

from __future__ import annotations

import pytest

from kobert_chat import threads


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)


@pytest.mark.parametrize(("load", "expected"), [(0.0, 2), (0.4, 2), (0.6, 1), (1.0, 1), (2.0, 1), (7.5, 1)])
def test_free_cores_at_least_one(two_cores, load, expected):
    assert threads.training_threads(load) == expected


def test_a_fixed_count_wins(two_cores, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(threads.THREADS_ENV, "3")
    assert threads.training_threads(9.0) == 3


def test_our_own_threads_are_not_other_programs(two_cores, monkeypatch: pytest.MonkeyPatch):
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        monkeypatch.setattr(threads, "other_load", lambda: 2.0)  # what our own 2 busy threads look like
        assert threads.apply_training_threads(running=True) == 2
        assert threads.apply_training_threads(running=False) == 1  # before we start, that load is others'
    finally:
        torch.set_num_threads(before)
