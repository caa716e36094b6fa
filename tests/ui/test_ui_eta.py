"""The first-run and retrain "time left": measured from the steps seen here, as an honest range."""

from __future__ import annotations

from ui.eta import MEASURING, EtaEstimator, range_text


class Clock:
    """Time as the test says it passes (the estimator takes any clock)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(eta: EtaEstimator, clock: Clock, steps: range, seconds_per_step: float, total: int) -> None:
    for step in steps:
        clock.now += seconds_per_step
        eta.add(step, total)


def test_no_estimate_until_a_few_steps_were_measured():
    clock = Clock()
    eta = EtaEstimator(clock)
    feed(eta, clock, range(1, 3), 0.5, 1000)
    assert eta.estimate() is None and range_text(None) == MEASURING


def test_a_steady_machine_gets_a_tight_range_around_the_truth():
    clock = Clock()
    eta = EtaEstimator(clock)
    feed(eta, clock, range(1, 101), 0.5, 1000)  # 900 steps left at 0.5 s: 450 s of training
    low, high = eta.estimate()
    assert 440 <= low <= high and high <= 450 * 1.25 + 100
    assert range_text((low, high)).startswith("약 ") and range_text((low, high)).endswith("분 남았어요")


def test_a_machine_that_got_busy_widens_the_range_upwards():
    clock = Clock()
    steady, busy = EtaEstimator(clock), EtaEstimator(Clock())
    feed(steady, clock, range(1, 201), 0.5, 1000)
    busy_clock = busy._clock
    feed(busy, busy_clock, range(1, 101), 0.5, 1000)
    feed(busy, busy_clock, range(101, 201), 2.0, 1000)  # another program took the cores
    s_low, s_high = steady.estimate()
    b_low, b_high = busy.estimate()
    assert b_high > s_high * 2  # the recent slow pace is not averaged away
    assert b_low < b_high


def test_range_words():
    assert range_text((10, 40)) == "1분 안에 끝나요"
    assert range_text((130, 250)) == "약 2~5분 남았어요"
    assert range_text((120, 120)) == "약 2분 남았어요"
    assert range_text((4000, 5000)) == "약 1시간 6분~1시간 24분 남았어요"
