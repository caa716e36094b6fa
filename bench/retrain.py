"""Retrain wall time after a user has labeled 1,000 messages: what the app's retrain button runs."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from kobert_chat.engine import ChatEngine
from kobert_chat.training_data import bundled_examples
from kobert_chat.training_job import TrainRequest, run_training

# Variations a user might type around held-out lines, so the 1,000 labeled messages are all new text.
TAILS = ("", " ㅋㅋ", "ㅠㅠ", "..", " 진짜로", "!!", " 근데", "요")


def label_messages(home: Path, n: int) -> int:
    """Chat `n` new lines through the engine and label each one (both heads), as a user would."""
    test = bundled_examples("test")
    threads = torch.get_num_threads()
    engine = ChatEngine.open(home, device="cpu")
    try:
        cid = engine.new_conversation("labels")
        for i in range(n):
            ex = test[i % len(test)]
            text = ex.text + TAILS[(i // len(test)) % len(TAILS)]
            reply = engine.reply(cid, text)
            for head, value in ex.labels.items():
                engine.label(reply.user.id, head, value)
        return engine.new_label_count()
    finally:
        engine.close()
        # The chat engine sets one thread for the starter; the retrain that follows is, in the app, a
        # child process with the default pool, so give this process its default back.
        torch.set_num_threads(threads)


def time_retrain(home: Path, mode: str, epochs: int | None = None) -> dict:
    t0 = time.perf_counter()
    done = run_training(TrainRequest(mode=mode, epochs=epochs), home=home)
    return {
        "seconds": time.perf_counter() - t0,
        "mode": mode,
        "epochs": epochs or "default",
        "version": done.version,
        "n_train": done.n_train,
    }
