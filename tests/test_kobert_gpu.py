"""GPU helpers that must stay correct on a CPU-only machine: the batch-size chooser halves on CUDA
out-of-memory, and on the CPU there is no autocast and no pinning, so training is unchanged."""

from __future__ import annotations

import pytest
import torch

from kobert_chat.errors import InputError
from kobert_chat.nlu.hardware import fit_batch_size
from kobert_chat.nlu.inference import autocast_dtype, to_device
from kobert_chat.nlu.tokenizer import pad


def test_batch_size_is_halved_until_a_step_fits_in_gpu_memory():
    tried = []

    def step(size: int) -> None:  # a GPU with room for 8 examples
        tried.append(size)
        if size > 8:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    assert fit_batch_size(step, 64) == 8
    assert tried == [64, 32, 16, 8]
    assert fit_batch_size(step, 6) == 6  # what fits is kept as asked


def test_a_gpu_without_room_for_one_example_is_a_clear_error():
    def step(size: int) -> None:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(InputError, match="--device cpu"):
        fit_batch_size(step, 4)


def test_cpu_runs_without_autocast_or_pinned_memory():
    cpu = torch.device("cpu")
    assert autocast_dtype(cpu) is None
    batch = pad([[2, 10, 11, 3], [2, 12, 3]])
    moved = to_device(batch, cpu)
    assert torch.equal(moved.input_ids, batch.input_ids) and not moved.input_ids.is_pinned()
