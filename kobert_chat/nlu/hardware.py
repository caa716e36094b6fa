"""Hardware: mixed precision on CUDA, and the largest batch that fits in GPU memory.

On CUDA, bf16 autocast where the GPU has it, else fp16 with loss scaling; on the CPU (and MPS) every
method is a no-op, so the training loop reads the same everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import torch

from ..errors import InputError
from . import objective
from .examples import Example
from .inference import autocast_dtype, ngram_input, to_device
from .model import KoBertClassifier
from .objective import TrainingForward
from .tokenizer import pad


class Amp:
    """Mixed precision on CUDA (bf16 where the GPU has it, else fp16 with loss scaling); a no-op elsewhere."""

    def __init__(self, device: torch.device):
        self.device_type = device.type
        self.dtype = autocast_dtype(device)
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None

    def autocast(self):
        return torch.autocast(self.device_type, dtype=self.dtype) if self.dtype else contextlib.nullcontext()

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def unscale(self, optimizers: Sequence[torch.optim.Optimizer]) -> None:
        if self.scaler is None:
            return
        for o in optimizers:  # gradient clipping needs the true gradients
            self.scaler.unscale_(o)

    def step(self, optimizers: Sequence[torch.optim.Optimizer]) -> None:
        if self.scaler is None:
            for o in optimizers:
                o.step()
            return
        for o in optimizers:
            self.scaler.step(o)  # skipped when fp16 gradients overflowed; the scale then shrinks
        self.scaler.update()


def memory_trial(
    model: KoBertClassifier,
    encoded: list[list[int]],
    train_set: Sequence[Example],
    targets: dict[str, torch.Tensor],
    sample_w: torch.Tensor,
    class_weights: dict[str, torch.Tensor],
    amp: Amp,
    device: torch.device,
) -> Callable[[int], None]:
    """One forward + backward on the `size` longest examples: the most memory a training step will need."""
    longest = sorted(range(len(encoded)), key=lambda i: len(encoded[i]), reverse=True)
    net = TrainingForward(
        model, quick=False
    )  # not the DDP wrapper: a rank that runs out of memory must not leave others waiting

    def trial(size: int) -> None:
        idx = longest[:size]
        # AdamW keeps two tensors per weight once it steps; hold their room now so step 1 cannot run out.
        optimizer_room = [
            torch.empty_like(p) for p in model.parameters() if p.requires_grad for _ in range(2)
        ]
        try:
            with amp.autocast():
                logits = net(
                    to_device(pad([encoded[i] for i in idx]), device),
                    ngram_input(model, [train_set[i].text for i in idx], device),
                )
                loss = objective.loss(
                    logits,
                    {h: to_device(t[idx], device) for h, t in targets.items()},
                    to_device(sample_w[idx], device),
                    class_weights,
                )
            amp.backward(loss)
        finally:
            model.zero_grad(set_to_none=True)
            del optimizer_room

    return trial


def fit_batch_size(trial: Callable[[int], None], start: int) -> int:
    """The largest of start, start/2, start/4, ... for which `trial(size)` runs without CUDA running out of memory."""
    size = start
    while True:
        try:
            trial(size)
            return size
        except torch.cuda.OutOfMemoryError:
            if size <= 1:
                raise InputError(
                    "the GPU does not have enough free memory to train even one example at a time; "
                    "close other programs that use it, or use --device cpu"
                ) from None
            size = max(1, size // 2)
            torch.cuda.empty_cache()
