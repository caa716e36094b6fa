"""Length-bucketed training order: a real permutation, reproducible, far less padding than random."""

from __future__ import annotations

import numpy as np

from kobert_chat.nlu.batching import bucketed_order


def _padded_tokens(order: np.ndarray, lengths: np.ndarray, batch_size: int) -> int:
    return sum(
        int(lengths[order[i : i + batch_size]].max()) * len(order[i : i + batch_size])
        for i in range(0, len(order), batch_size)
    )


def test_order_is_a_permutation_and_reproducible_for_a_seed():
    lengths = np.random.default_rng(0).integers(2, 64, size=1037)
    a = bucketed_order(np.random.default_rng(5), lengths, 32)
    b = bucketed_order(np.random.default_rng(5), lengths, 32)
    c = bucketed_order(np.random.default_rng(6), lengths, 32)
    assert sorted(a.tolist()) == list(range(1037))
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()


def test_batches_need_little_padding_and_only_the_last_one_is_short():
    rng = np.random.default_rng(1)
    lengths = np.minimum(rng.geometric(0.08, size=3000) + 2, 64)  # chat-like: many short lines, a long tail
    order = bucketed_order(np.random.default_rng(2), lengths, 32)
    bucketed = _padded_tokens(order, lengths, 32)
    random = _padded_tokens(np.random.default_rng(3).permutation(3000), lengths, 32)
    assert bucketed < 0.75 * random
    assert bucketed < 1.1 * lengths.sum()
    # fixed-size slices line up with the buckets: every slice but the last is a full, sorted-chunk batch
    slices = [order[i : i + 32] for i in range(0, 3000, 32)]
    assert all(len(s) == 32 for s in slices[:-1]) and len(slices[-1]) == 3000 % 32


def test_consecutive_epochs_see_different_orders():
    lengths = np.arange(500) % 40 + 2
    rng = np.random.default_rng(0)
    first, second = bucketed_order(rng, lengths, 16), bucketed_order(rng, lengths, 16)
    assert first.tolist() != second.tolist()


def test_empty_and_tiny_inputs():
    assert bucketed_order(np.random.default_rng(0), [], 8).tolist() == []
    assert sorted(bucketed_order(np.random.default_rng(0), [5, 3, 9], 8).tolist()) == [0, 1, 2]
