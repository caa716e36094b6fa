"""Reply latency end to end: ChatEngine.reply = safety check + classify + answer choice + SQLite write."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from kobert_chat.engine import ChatEngine


def percentiles(samples_ms: list[float]) -> dict:
    a = np.asarray(samples_ms)
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "max_ms": float(a.max()),
        "n": len(a),
    }


def measure_replies(home: Path, texts: list[str], n: int, warmup: int = 10, int8: bool = False) -> dict:
    """Time `n` replies in one conversation (after `warmup` untimed ones), cycling through `texts`."""
    engine = ChatEngine.open(home, device="cpu")
    try:
        if int8 != engine.settings.quantize_int8:  # reloads the model, as the settings dialog does
            engine.save_settings(replace(engine.settings, quantize_int8=int8))
        cid = engine.new_conversation("bench")
        for i in range(warmup):
            engine.reply(cid, texts[i % len(texts)])
        samples = []
        for i in range(n):
            text = texts[(warmup + i) % len(texts)]
            t0 = time.perf_counter()
            engine.reply(cid, text)
            samples.append((time.perf_counter() - t0) * 1000)
        return percentiles(samples)
    finally:
        engine.close()
