"""The TF-IDF expert: a char n-gram TF-IDF logistic regression that lives inside the classifier.

Why: on a few thousand chat lines a char 1-4-gram TF-IDF + logistic regression beats a small BERT,
and the two make different mistakes; mixing their probabilities beats either (README, "Measured
quality"). Features are the n-grams of its analyzer (korean_features.py): scikit-learn's `char_wb`
1-4-grams (each word padded with spaces; what folders saved before analyzers existed use), plus, if
the analyzer says so, spacing-free, jamo and initial-consonant n-grams of repeat-collapsed text;
sublinear tf, smoothed idf, L2-normalised rows. The vocabulary is stored as the sorted crc32 keys of the
n-grams seen in training (collision-free in practice, unlike a hashed table, and ~60k rows instead
of 2^18), so the expert is plain tensors: keys, idf and one (weight, bias) per head, saved in
model.safetensors with the rest. N-grams never seen in training are ignored, as in scikit-learn.

The fit is full-batch L-BFGS on scikit-learn's objective (balanced class weights, L2 penalty 1/C,
unpenalised bias), on the CPU, so it is deterministic and takes seconds.
"""

from __future__ import annotations

import functools
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
from torch import nn

from . import remembered
from .korean_features import CHAR_WB, check_analyzer, grams

N_MIN, N_MAX = 1, 4  # char_wb's n-gram sizes (korean_features.py)


def word_ngrams(text: str, analyzer: str = CHAR_WB) -> list[str]:
    """The text's n-grams under an analyzer (korean_features.py); char_wb is scikit-learn's char_wb
    analyzer (lowercased, NFC): n-grams inside " word " windows."""
    return grams(text, analyzer)


@functools.lru_cache(maxsize=2**15)  # a fit reads each text up to five times (vocabulary, features, refit)
def gram_counts(text: str, analyzer: str = CHAR_WB) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct crc32 keys int64, their counts int32): arrays, not a dict, so 16k cached texts
    take tens of MB rather than hundreds, and a fit's vocabulary and features are a few numpy calls.
    Read from disk when text_grams.py remembered the text. Callers must not change them: they are
    cached. crc32 is stable across runs and machines, unlike hash()."""
    known = remembered.lookup("tfidf", analyzer, text)
    if known is not None:
        return known
    keys = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams(text, analyzer)), dtype=np.int64)
    unique, counts = np.unique(keys, return_counts=True)
    counts = counts.astype(np.int32)
    unique.flags.writeable = counts.flags.writeable = False
    return unique, counts


class _Head(nn.Module):
    """One head's linear map over the vocabulary. Buffers, not parameters: L-BFGS fits them after
    training, and the encoder's optimizer (which sees every parameter) must never touch them."""

    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(self, n_features: int, n_labels: int):
        super().__init__()
        self.register_buffer("weight", torch.zeros(n_features, n_labels))  # (V, k)
        self.register_buffer("bias", torch.zeros(n_labels))  # (k,)


class TfidfExpert(nn.Module):
    keys: torch.Tensor
    idf: torch.Tensor

    def __init__(self, n_features: int, heads: dict[str, int], analyzer: str = CHAR_WB):
        super().__init__()
        check_analyzer(analyzer)
        self.analyzer = analyzer  # which n-grams the keys are (korean_features.py); kept in config.json
        self.register_buffer("keys", torch.zeros(n_features, dtype=torch.long))  # (V,) sorted crc32 keys
        self.register_buffer("idf", torch.ones(n_features))  # (V,)
        self.heads = nn.ModuleDict({h: _Head(n_features, k) for h, k in heads.items()})

    @property
    def n_features(self) -> int:
        return int(self.keys.shape[0])

    def head(self, name: str) -> _Head:
        return cast(_Head, self.heads[name])

    def ensure_head(self, head: str, n_labels: int) -> None:
        """Add a head or grow one, keeping fitted columns; new columns are zero until the next fit."""
        old = self.head(head) if head in self.heads else None
        if old is not None and old.bias.shape[0] >= n_labels:
            return
        grown = _Head(self.n_features, n_labels).to(self.idf.device)
        if old is not None:
            grown.weight[:, : old.bias.shape[0]] = old.weight
            grown.bias[: old.bias.shape[0]] = old.bias
        self.heads[head] = grown

    def features(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """TF-IDF rows as (row, column, value) triplets on the expert's device; each row has unit L2 norm.
        Rows come in order and columns ascend within a row (so `csr_pair` needs no sort by row)."""
        device = self.idf.device
        keys_np = self.keys.cpu().numpy()
        counted = [gram_counts(text, self.analyzer) for text in texts]
        if not counted or not len(keys_np):
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return empty, empty, torch.zeros(0, device=device)
        k = np.concatenate([c[0] for c in counted])
        n = np.concatenate([c[1] for c in counted])
        row = np.repeat(np.arange(len(texts)), [len(c[0]) for c in counted])
        pos = np.minimum(np.searchsorted(keys_np, k), len(keys_np) - 1)
        known = keys_np[pos] == k  # n-grams never seen in training are ignored
        row_t = torch.from_numpy(row[known]).to(device)
        col_t = torch.from_numpy(pos[known]).to(device)
        vals = (
            torch.from_numpy(1.0 + np.log(n[known].astype(np.float64))).float().to(device) * self.idf[col_t]
        )
        norms = torch.zeros(len(texts), device=device).index_add_(0, row_t, vals * vals).sqrt()
        return row_t, col_t, vals / norms[row_t]

    def logits(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        x = self.features(texts)
        return {h: sparse_linear(x, len(texts), self.head(h).weight, self.head(h).bias) for h in self.heads}


def sparse_linear(
    x: tuple[torch.Tensor, torch.Tensor, torch.Tensor], n_rows: int, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """x @ weight + bias for x as (row, col, value) triplets: (n_rows, k). Works on any device, with autograd."""
    rows, cols, vals = x
    out = torch.zeros(n_rows, weight.shape[1], device=weight.device, dtype=weight.dtype)
    return out.index_add(0, rows, weight.index_select(0, cols) * vals.unsqueeze(1)) + bias


# -- fitting -------------------------------------------------------------------------------------


def fit_vocabulary(
    texts: Sequence[str], heads: dict[str, int], analyzer: str = CHAR_WB, min_df: int = 1
) -> TfidfExpert:
    """A new expert whose vocabulary and idf come from these texts (all zero weights). `min_df` > 1
    leaves out n-grams seen in fewer texts: most of a large vocabulary is n-grams seen once."""
    seen = [gram_counts(text, analyzer)[0] for text in texts]  # each text's distinct keys
    all_keys, df = np.unique(np.concatenate(seen) if seen else np.zeros(0, np.int64), return_counts=True)
    keep = df >= min_df
    expert = TfidfExpert(int(keep.sum()), heads, analyzer)
    n = len(texts)
    counts = torch.from_numpy(df[keep].astype(np.float64))
    expert.keys.copy_(torch.from_numpy(all_keys[keep]))
    expert.idf.copy_(
        (torch.log(torch.tensor((1.0 + n)) / (1.0 + counts)) + 1.0).float()
    )  # scikit-learn's smooth idf
    return expert


@dataclass(frozen=True)
class CsrPair:
    """Labeled rows as CSR, with a CSR copy of the transpose for the gradient. Built once per set of
    rows and shared by every fit on them (both heads, every C): building it costs ~1 s on 16k lines."""

    mat: torch.Tensor  # (n, V)
    mat_t: torch.Tensor  # (V, n)


def csr_pair(x: tuple[torch.Tensor, torch.Tensor, torch.Tensor], n_rows: int, n_cols: int) -> CsrPair:
    """From triplets sorted by row (TfidfExpert.features, mixing._select keep that order)."""
    rows, cols, vals = (t.cpu() for t in x)
    if len(rows) > 1 and bool((rows[1:] < rows[:-1]).any()):
        raise ValueError("csr_pair needs triplets sorted by row")
    r, c = rows.numpy(), cols.numpy()
    order = np.argsort(c, kind="stable")  # the transpose, rows ascending within each column

    def crow(index: np.ndarray, n: int) -> torch.Tensor:
        out = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(index, minlength=n), out=out[1:])
        return torch.from_numpy(out)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR support is in beta": not for our users
        mat = torch.sparse_csr_tensor(crow(r, n_rows), cols.long(), vals.float(), (n_rows, n_cols))
        mat_t = torch.sparse_csr_tensor(
            crow(c, n_cols),
            torch.from_numpy(r[order]),
            vals.float()[torch.from_numpy(order)],
            (n_cols, n_rows),
        )
    return CsrPair(mat, mat_t)


def fit_head(
    expert: TfidfExpert,
    head: str,
    x: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | CsrPair,
    y: torch.Tensor,
    sample_w: torch.Tensor,
    c: float,
    max_iter: int = 500,
    history_size: int = 20,
) -> int:
    """Fit one head on the CPU: multinomial logistic regression, balanced class weights, L2 penalty 1/C.

    `x` holds the labeled rows only (row ids 0..len(y)-1), as triplets or a prebuilt `csr_pair`;
    `sample_w` multiplies each row's loss. scikit-learn's objective C * sum(w_i * loss_i) + 0.5 * ||W||^2,
    divided by C * sum(w_i) so its scale does not depend on the data size (L-BFGS tolerances then mean
    the same on any data). `max_iter` / `history_size` bound the L-BFGS cost (quick retrains cap both:
    mixing.py). Returns the number of L-BFGS iterations it took.
    """
    k = expert.head(head).bias.shape[0]
    counts = torch.bincount(y, minlength=k).double()
    class_w = torch.where(counts > 0, len(y) / (k * counts.clamp(min=1)), torch.zeros_like(counts))
    row_w = (class_w[y] * sample_w.double()).float()  # (n,)
    total = float(row_w.sum())
    pair = x if isinstance(x, CsrPair) else csr_pair(x, len(y), expert.n_features)
    mat, mat_t = pair.mat, pair.mat_t
    # warm start from the head's current weights: zeros after fit_vocabulary, the previous C's optimum in a grid
    w = expert.head(head).weight.detach().cpu().clone().requires_grad_()
    b = expert.head(head).bias.detach().cpu().clone().requires_grad_()
    opt = torch.optim.LBFGS(
        [w, b],
        lr=1.0,
        max_iter=max_iter,
        history_size=history_size,
        tolerance_grad=1e-6,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        logits = _CsrMatmul.apply(mat, mat_t, w) + b  # (n, k)
        per = nn.functional.cross_entropy(logits, y, reduction="none")  # (n,)
        loss = (per * row_w).sum() / total + 0.5 * (w * w).sum() / (c * total)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        expert.head(head).weight.copy_(w.detach())
        expert.head(head).bias.copy_(b.detach())
    return int(opt.state[opt._params[0]].get("n_iter", 0))  # L-BFGS iterations (bench/expert_cost.py)


class _CsrMatmul(torch.autograd.Function):
    """mat @ w with the gradient x^T @ grad from a pre-transposed CSR copy (sparse autograd is slow on CPU)."""

    @staticmethod
    def forward(ctx, mat: torch.Tensor, mat_t: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        ctx.mat_t = mat_t
        return mat @ w

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, None, ctx.mat_t @ grad
