"""Reply latency end to end: ChatEngine.reply = safety check + classify + answer choice + SQLite write."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.stats import spread
from kobert_chat.engine import ChatEngine


def percentiles(samples_ms: list[float]) -> dict:
    a = np.asarray(samples_ms)
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "max_ms": float(a.max()),
        "n": len(a),
    }


def measure_replies(
    home: Path,
    texts: list[str],
    rounds: int = 3,
    warmup: int = 10,
    int8: bool = False,
    threads: int | None = None,
) -> dict:
    """Time `rounds` passes over `texts` (one reply each, one conversation, after `warmup` untimed
    replies): p50 / p95 per pass, and their spread over the passes. `threads`: force torch's thread
    count after the engine chose its own (inference.set_chat_threads)."""
    import torch

    engine = ChatEngine.open(home, device="cpu")
    try:
        if int8 != engine.settings.quantize_int8:  # reloads the model, as the settings dialog does
            engine.save_settings(replace(engine.settings, quantize_int8=int8))
        engine.load_active_model()
        if threads:
            torch.set_num_threads(threads)
        cid = engine.new_conversation("bench")
        for i in range(warmup):
            engine.reply(cid, texts[i % len(texts)])
        passes, loads = [], []
        for _ in range(rounds):
            samples = []
            for text in texts:
                t0 = time.perf_counter()
                engine.reply(cid, text)
                samples.append((time.perf_counter() - t0) * 1000)
            passes.append(percentiles(samples))
            loads.append(os.getloadavg()[0])
        return {
            "p50_ms": spread([p["p50_ms"] for p in passes]),
            "p95_ms": spread([p["p95_ms"] for p in passes]),
            "max_ms": spread([p["max_ms"] for p in passes]),
            "replies_per_round": len(texts),
            "torch_threads": torch.get_num_threads(),
            "load": spread(loads, 2),
        }
    finally:
        engine.close()
