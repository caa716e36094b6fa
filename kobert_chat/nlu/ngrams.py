"""Hashed character n-grams: a bag-of-n-grams side channel for the classifier.

Why: on a few thousand chat lines a from-scratch BERT lands just under a char n-gram TF-IDF +
logistic regression baseline (see DESIGN.md). Feeding the same n-grams into the heads lets one
model keep both strengths. Hashing is crc32 (stable across runs and machines, unlike hash()).
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import remembered

MAX_CHARS = 512  # n-grams come from the head of very long messages only


@dataclass
class NgramBatch:
    ids: torch.Tensor  # (N,) flat bucket ids for the whole batch
    offsets: torch.Tensor  # (B,) start of each sample in ids
    weights: torch.Tensor  # (N,) per-id weight; each sample's weights have unit L2 norm

    def to(self, device: torch.device | str, non_blocking: bool = False) -> NgramBatch:
        return NgramBatch(
            *(t.to(device, non_blocking=non_blocking) for t in (self.ids, self.offsets, self.weights))
        )


def char_ngrams(text: str, n_min: int = 1, n_max: int = 4) -> list[str]:
    text = unicodedata.normalize("NFC", text)[:MAX_CHARS].lower()
    padded = f" {' '.join(text.split())} "  # word-boundary markers, whitespace folded
    grams: list[str] = []
    for n in range(n_min, n_max + 1):
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return [g for g in grams if g.strip()]


def hashed_counts(text: str, buckets: int) -> dict[int, float]:
    counts: dict[int, float] = {}
    for gram in char_ngrams(text):
        bucket = zlib.crc32(gram.encode("utf-8")) % buckets
        counts[bucket] = counts.get(bucket, 0.0) + 1.0
    return counts


def ngram_features(text: str, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """One text's bag: bucket ids (int64) and weights (float32; sublinear tf, then L2-normalised: the
    same shaping that makes TF-IDF + LR strong). Training computes these once per text instead of once
    per epoch; a retrain reads them from disk when text_grams.py remembered the text."""
    known = remembered.lookup("bag", str(buckets), text)
    if known is not None:
        return known
    counts = hashed_counts(text, buckets)
    if not counts:  # EmbeddingBag wants a non-empty bag; a zero weight adds nothing
        return np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.float32)
    vals = {k: 1.0 + math.log(v) for k, v in counts.items()}
    norm = sum(v * v for v in vals.values()) ** 0.5 or 1.0
    return (
        np.fromiter(vals, dtype=np.int64, count=len(vals)),
        np.array([v / norm for v in vals.values()], dtype=np.float32),
    )


def batch_from_features(features: Sequence[tuple[np.ndarray, np.ndarray]]) -> NgramBatch:
    lengths = np.array([len(ids) for ids, _ in features], dtype=np.int64)
    offsets = np.zeros(len(features), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    if not len(features):
        empty = torch.zeros(0, dtype=torch.long)
        return NgramBatch(empty, empty, torch.zeros(0))
    return NgramBatch(
        torch.from_numpy(np.concatenate([np.asarray(ids, dtype=np.int64) for ids, _ in features])),
        torch.from_numpy(offsets),
        torch.from_numpy(np.concatenate([np.asarray(w, dtype=np.float32) for _, w in features])),
    )


def ngram_batch(texts: Sequence[str], buckets: int) -> NgramBatch:
    return batch_from_features([ngram_features(text, buckets) for text in texts])
