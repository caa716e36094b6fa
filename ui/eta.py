"""An honest "time left" for training: measured here, from the pace of the last steps, as a range.

The engine's own eta assumes the pace so far holds. On a busy shared machine it does not (another
program takes the cores for a while), and after the last step validation and the TF-IDF fit still
run. So: wait for a few steps before saying anything, compare the pace over the whole run with the
pace of the last half minute, give the range between them, and add room for the finishing work.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MIN_SAMPLES = 3
MIN_SECONDS = 4.0  # the first steps include warm-up: no estimate before this much was measured
RECENT_S = 30.0
SLOW_MARGIN = 1.25  # a busy machine gets slower as often as faster: the upper bound has room
FINISH_SHARE = 0.12  # validation, the TF-IDF expert and the final check, as a share of the training time
MEASURING = "남은 시간을 재는 중이에요…"


class EtaEstimator:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._samples: list[tuple[float, int]] = []
        self._total = 0

    def add(self, step: int, total_steps: int) -> None:
        self._total = total_steps
        self._samples.append((self._clock(), step))
        cutoff = self._samples[-1][0] - RECENT_S * 4
        while len(self._samples) > MIN_SAMPLES and self._samples[1][0] < cutoff:
            self._samples.pop(0)  # keep the first one: the whole-run pace needs it

    def estimate(self) -> tuple[float, float] | None:
        """(soonest, latest) seconds left, or None while too little has been measured."""
        if len(self._samples) < MIN_SAMPLES:
            return None
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        if t1 - t0 < MIN_SECONDS or s1 <= s0:
            return None
        overall = (s1 - s0) / (t1 - t0)
        recent_samples = [(t, s) for t, s in self._samples if t >= t1 - RECENT_S]
        rates = [overall]
        if len(recent_samples) >= 2 and recent_samples[-1][0] > recent_samples[0][0]:
            rt0, rs0 = recent_samples[0]
            recent = (s1 - rs0) / (t1 - rt0)
            if recent > 0:
                rates.append(recent)
        left = max(0, self._total - s1)
        finish = FINISH_SHARE * self._total / overall
        return left / max(rates) + finish, left / min(rates) * SLOW_MARGIN + finish


def minutes_text(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes}분"
    hours, rest = divmod(minutes, 60)
    return f"{hours}시간 {rest}분" if rest else f"{hours}시간"


def range_text(estimate: tuple[float, float] | None) -> str:
    """The range in words (약 2~4분 남았어요, 1분 안에 끝나요), or that it is still measuring."""
    if estimate is None:
        return MEASURING
    low, high = estimate
    if high < 50:
        return "1분 안에 끝나요"
    lo_m = max(1, math.floor(low / 60))
    hi_m = max(lo_m, math.ceil(high / 60))
    if hi_m - lo_m <= 0:
        return f"약 {minutes_text(lo_m)} 남았어요"
    if lo_m >= 60:
        return f"약 {minutes_text(lo_m)}~{minutes_text(hi_m)} 남았어요"
    return f"약 {lo_m}~{minutes_text(hi_m)} 남았어요"
