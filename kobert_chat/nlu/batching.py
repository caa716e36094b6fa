"""Training batches of similar length: chat lines vary from 2 to 60 tokens, and a random batch pads
every line to its longest one. Sorting within chunks of ~50 batches, then shuffling the batches,
cuts the padding (the encoder's cost) while every epoch still sees a fresh random order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHUNK_BATCHES = 50


def bucketed_order(
    rng: np.random.Generator, lengths: Sequence[int], batch_size: int, chunk_batches: int = CHUNK_BATCHES
) -> np.ndarray:
    """A permutation of range(len(lengths)) whose consecutive `batch_size` runs have similar lengths.

    Deterministic for the generator's state, so every torchrun rank computes the same order."""
    order = rng.permutation(len(lengths))
    sizes = np.asarray(lengths)
    chunk = batch_size * chunk_batches
    batches: list[np.ndarray] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(sizes[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    # Shuffled batch order mixes lengths across steps (the loss must not see "all short, then all long").
    # A short batch can only be the very last one; it stays last so the caller's fixed-size slices of the
    # order line up with these batches.
    tail = [batches.pop()] if batches and len(batches[-1]) < batch_size else []
    picks = rng.permutation(len(batches))
    return np.concatenate([batches[i] for i in picks] + tail) if batches or tail else order
