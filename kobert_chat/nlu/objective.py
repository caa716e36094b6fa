"""The training objective: label targets per head (masked where an example has no label for it),
square-root class weights, and the per-sample weighted cross-entropy summed over heads."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import torch
from torch import nn

from .examples import Example
from .model import KoBertClassifier
from .ngrams import NgramBatch

IGNORE = -100


class TrainingForward(nn.Module):
    """The training forward DDP wraps: token batches (full mode) or, in quick mode, what the heads read
    (the frozen encoder's remembered features and the frozen n-gram bag's output)."""

    def __init__(self, model: KoBertClassifier, quick: bool):
        super().__init__()
        self.model, self.quick = model, quick

    def forward(self, inputs, grams: NgramBatch | None) -> dict[str, torch.Tensor]:
        return self.model.logits_over(inputs) if self.quick else self.model(inputs, grams)


def targets(model: KoBertClassifier, examples: Sequence[Example]) -> dict[str, torch.Tensor]:
    out = {}
    for head, labels in model.heads_config.heads.items():
        index = {lab: i for i, lab in enumerate(labels)}
        out[head] = torch.tensor([index[ex.labels[head]] if head in ex.labels else IGNORE for ex in examples])
    return out


def class_weights(
    model: KoBertClassifier, targets: dict[str, torch.Tensor], device: torch.device
) -> dict[str, torch.Tensor]:
    """Square-root inverse frequency: rare labels count more, without letting a 3-example label dominate."""
    weights = {}
    for head, labels in model.heads_config.heads.items():
        counts = Counter(t for t in targets[head].tolist() if t != IGNORE)
        n = sum(counts.values()) or 1
        w = [math.sqrt(n / (len(labels) * counts[i])) if counts.get(i) else 1.0 for i in range(len(labels))]
        weights[head] = torch.tensor(w, dtype=torch.float32, device=device)
    return weights


def loss(
    logits: dict[str, torch.Tensor],
    targets: dict[str, torch.Tensor],
    sample_w: torch.Tensor,
    class_w: dict[str, torch.Tensor],
) -> torch.Tensor:
    total = torch.zeros((), device=sample_w.device)
    for head, lg in logits.items():
        t = targets[head]
        mask = t != IGNORE
        if not mask.any():
            continue
        per = nn.functional.cross_entropy(
            lg.float(), t.clamp(min=0), weight=class_w[head], reduction="none"
        )  # (B,)
        w = sample_w * mask
        total = total + (per * w).sum() / w.sum()
    return total
