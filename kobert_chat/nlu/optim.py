"""Optimiser setup: AdamW with the BERT no-decay rule and a faster rate for the fresh heads, SparseAdam
for the n-gram table, and linear warmup then decay."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from .model import KoBertClassifier

if TYPE_CHECKING:
    from .training import TrainConfig


def is_sparse(model: KoBertClassifier, p: torch.Tensor) -> bool:
    return model.ngram is not None and p is model.ngram.weight


def optimizers(model: KoBertClassifier, config: TrainConfig) -> list[torch.optim.Optimizer]:
    """AdamW for dense weights; SparseAdam for the n-gram table, whose gradient touches only the
    rows a batch used (a dense update of a 10M-row table each step would dominate training time)."""
    optimizers = [_optimizer(model, config)]
    if model.ngram is not None and model.ngram.weight.requires_grad:  # quick mode keeps the bag
        optimizers.append(torch.optim.SparseAdam([model.ngram.weight], lr=config.head_lr))
    return optimizers


def _optimizer(model: KoBertClassifier, config: TrainConfig) -> torch.optim.Optimizer:
    # No weight decay on biases and LayerNorm: decaying them only hurts (BERT recipe).
    decay, no_decay, fresh = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad or is_sparse(model, p):
            continue
        if not name.startswith("encoder."):
            fresh.append(p)
        elif p.ndim < 2 or "LayerNorm" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    groups = [
        {"params": decay, "lr": config.lr, "weight_decay": config.weight_decay},
        {"params": no_decay, "lr": config.lr, "weight_decay": 0.0},
        {"params": fresh, "lr": config.head_lr, "weight_decay": config.weight_decay},
    ]
    return torch.optim.AdamW([g for g in groups if g["params"]])


def warmup_linear(
    optimizer: torch.optim.Optimizer, warmup: int, total: int
) -> torch.optim.lr_scheduler.LambdaLR:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
