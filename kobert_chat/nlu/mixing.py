"""Fitting the TF-IDF expert (tfidf.py) and how much to trust it next to the encoder, per head.

    encoder logits --/T_encoder--> softmax --(1 - w)--+
                                                      +--> mixed probabilities
    expert logits (1/T_expert folded into them) --w---+

Everything is chosen on the validation split, never the test split: the expert's C (inverse L2
strength) from a small grid, one temperature per model (temperature scaling: the encoder is
over-confident, a regularised logistic regression under-confident, and a linear mix of
probabilities is only fair between calibrated models), then the weight w. Each choice minimises the
validation log-loss: smooth and convex in T and w, where macro-F1 on a few hundred lines is a noisy
step function (measured: choosing w by validation macro-F1 trusted the encoder for intent on this
split and lost to the baseline on test). Then the expert is fit again on train + validation with
the chosen C, so it learns from every labeled line, as the baseline does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .korean_features import CHAR_WB
from .tfidf import CsrPair, TfidfExpert, csr_pair, fit_head, fit_vocabulary, sparse_linear

# A quick retrain's budget (training.py): L-BFGS warm-starts from the old expert's optimum, and by
# 40 iterations (history 10) macro-F1 is within 0.003 of the converged fit on all bundled lines
# (bench/expert_cost.py); converging takes 120-180 iterations, 3-4x the time.
QUICK_MAX_ITER, QUICK_HISTORY = 40, 10
C_GRID = (3.0, 10.0, 30.0)  # tried per head, strongest penalty first; 10 is the baseline's
DEFAULT_C = 10.0  # for a head with no validation labels
NO_VALIDATION_MIX = 0.5  # with nothing to choose on, trust both models equally
TEMPERATURES = np.exp(np.linspace(np.log(0.1), np.log(10.0), 81))
WEIGHTS = np.linspace(0.0, 1.0, 21)


@dataclass
class Labeled:
    """Texts with per-head label indices (negative where a text has no label for that head)."""

    texts: list[str]
    labels: dict[str, np.ndarray]  # head -> (N,) int
    weights: np.ndarray = field(default_factory=lambda: np.ones(0))  # (N,) sample weights; empty: all 1

    def sample_weights(self) -> np.ndarray:
        return self.weights if len(self.weights) else np.ones(len(self.texts))


@dataclass
class ExpertFit:
    expert: TfidfExpert
    mix: dict[str, float]  # head -> the expert's weight w in [0, 1]
    encoder_temperature: dict[str, float]  # head -> T_encoder
    c: dict[str, float]  # head -> chosen C
    val_probs: dict[
        str, np.ndarray
    ]  # head -> (N_val, k) mixed probabilities with the expert fit on train only


def fit_expert(
    train: Labeled,
    val: Labeled,
    val_encoder_logits: dict[str, np.ndarray],
    heads: dict[str, int],
    c_grid: Sequence[float] = C_GRID,
    refit: bool = True,
    before_each_fit: Callable[[], None] = lambda: None,
    analyzer: str = CHAR_WB,
    min_df: int = 1,
    warm_start: TfidfExpert | None = None,
    max_iter: int = 500,
    history_size: int = 20,
) -> ExpertFit:
    """Fit the expert and choose its mix per head (see the module docstring). `before_each_fit` may
    raise to cancel: each fit takes seconds. `analyzer`: which n-grams it reads (korean_features.py).
    `warm_start`: an expert fit before (a retrain's old model) whose weights start the fits, for the
    n-grams and heads both know; the same convex objective is minimised, from closer to its optimum.
    `max_iter`, `history_size`: each L-BFGS fit's budget (fit_head). Without `refit` the weights of
    the chosen C, fit on train, are the final ones (no second fit on the same data)."""
    expert = fit_vocabulary(train.texts, heads, analyzer, min_df)
    if warm_start is not None and warm_start.analyzer == analyzer:
        _carry_weights(warm_start.cpu(), expert)  # fits run on the CPU; the old expert is not used again
    x, val_x = expert.features(train.texts), expert.features(val.texts)
    fits = _Fits(max_iter, history_size, before_each_fit)
    mix, temps, chosen_c, expert_temps, chosen_weights = {}, {}, {}, {}, {}
    val_probs = {h: _softmax(lg) for h, lg in val_encoder_logits.items()}
    for head in heads:
        rows = np.flatnonzero(train.labels[head] >= 0)
        val_rows = np.flatnonzero(val.labels[head] >= 0) if val.texts else np.zeros(0, dtype=np.int64)
        if not len(rows):
            continue
        if not len(val_rows):
            chosen_c[head], mix[head], temps[head], expert_temps[head] = (
                DEFAULT_C,
                NO_VALIDATION_MIX,
                1.0,
                1.0,
            )
            continue
        y = val.labels[head][val_rows]
        t_enc = temperature(val_encoder_logits[head][val_rows], y)
        p_enc = _softmax(val_encoder_logits[head][val_rows] / t_enc)
        best: tuple | None = None  # (log-loss, C, w, T_expert, mixed, (weight, bias))
        for c in sorted(c_grid):  # strongest penalty first: each fit warm-starts from the previous optimum
            fits.fit(expert, head, x, rows, train, c)
            h = expert.head(head)
            out = sparse_linear(_select(val_x, val_rows, len(val.texts)), len(val_rows), h.weight, h.bias)
            logits = out.detach().cpu().numpy()
            t_exp = temperature(logits, y)
            w, loss = choose_weight(p_enc, _softmax(logits / t_exp), y)
            if best is None or round(loss, 4) < round(best[0], 4):  # a tie keeps the stronger penalty
                mixed = (1 - w) * p_enc + w * _softmax(logits / t_exp)
                best = (loss, c, w, t_exp, mixed, (h.weight.clone(), h.bias.clone()))
        assert best is not None  # c_grid is never empty
        _, chosen_c[head], mix[head], expert_temps[head], mixed, chosen_weights[head] = best
        temps[head] = t_enc
        val_probs[head][val_rows] = mixed
    data = train
    if refit and val.texts:
        data = Labeled(
            train.texts + val.texts,
            {h: np.concatenate([train.labels[h], val.labels[h]]) for h in heads},
            np.concatenate([train.sample_weights(), val.sample_weights()]),
        )
        grown = fit_vocabulary(data.texts, heads, analyzer, min_df)
        _carry_weights(expert, grown)  # a warm start: the optimum moves little when 10 % more lines arrive
        expert, x = grown, grown.features(data.texts)
        fits = _Fits(max_iter, history_size, before_each_fit)  # new rows: new matrices
    for head, c in chosen_c.items():  # the final weights: chosen C, calibration folded in
        if data is train and head in chosen_weights:  # no refit: the chosen C's fit on train is final
            expert.head(head).weight.copy_(chosen_weights[head][0])
            expert.head(head).bias.copy_(chosen_weights[head][1])
        else:
            fits.fit(expert, head, x, np.flatnonzero(data.labels[head] >= 0), data, c)
        expert.head(head).weight /= expert_temps[head]
        expert.head(head).bias /= expert_temps[head]
    return ExpertFit(expert, mix, temps, chosen_c, val_probs)


def temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T in TEMPERATURES that minimises the log-loss of softmax(logits / T)."""
    return float(min(TEMPERATURES, key=lambda t: log_loss(_softmax(logits / t), y)))


def choose_weight(p_encoder: np.ndarray, p_expert: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """-> (w in WEIGHTS minimising the log-loss of (1 - w) * encoder + w * expert, that log-loss)."""
    losses = [log_loss((1 - w) * p_encoder + w * p_expert, y) for w in WEIGHTS]
    i = int(np.argmin(losses))
    return round(float(WEIGHTS[i]), 4), float(losses[i])


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class _Fits:
    """fit_head over a subset of rows, with one CSR matrix per distinct subset (heads labeled on the
    same lines share it) and the budget and cancel check of the whole fit."""

    def __init__(self, max_iter: int, history_size: int, before_each_fit: Callable[[], None]):
        self.max_iter, self.history_size, self.before_each_fit = max_iter, history_size, before_each_fit
        self._pairs: dict[bytes, CsrPair] = {}

    def fit(self, expert: TfidfExpert, head: str, x, rows: np.ndarray, data: Labeled, c: float) -> None:
        self.before_each_fit()
        key = rows.tobytes()
        if key not in self._pairs:
            self._pairs[key] = csr_pair(_select(x, rows, len(data.texts)), len(rows), expert.n_features)
        y = torch.from_numpy(data.labels[head][rows]).long()
        w = torch.from_numpy(data.sample_weights()[rows]).float()
        fit_head(expert, head, self._pairs[key], y, w, c, self.max_iter, self.history_size)


def _carry_weights(old: TfidfExpert, new: TfidfExpert) -> None:
    """Copy each head's fitted weights to the same n-grams in `new` (n-grams only old knows are dropped;
    heads whose label count differs are left alone)."""
    pos = torch.searchsorted(new.keys, old.keys)
    found = new.keys[pos.clamp(max=len(new.keys) - 1)] == old.keys if len(new.keys) else pos < 0
    with torch.no_grad():
        for head in old.heads:
            if head not in new.heads or new.head(head).bias.shape != old.head(head).bias.shape:
                continue  # a new head, or labels added since: that head starts from zero
            new.head(head).weight[pos[found]] = old.head(head).weight[found]
            new.head(head).bias.copy_(old.head(head).bias)


def _select(x: tuple[torch.Tensor, torch.Tensor, torch.Tensor], rows: np.ndarray, n_total: int):
    """The given rows (sorted, unique) of triplet features, renumbered 0..len(rows)-1."""
    r, cols, vals = x
    new_id = torch.full((n_total,), -1, dtype=torch.long, device=r.device)
    new_id[torch.from_numpy(rows).to(r.device)] = torch.arange(len(rows), device=r.device)
    mapped = new_id[r]
    keep = mapped >= 0
    return mapped[keep], cols[keep], vals[keep]
