"""Several processes, one training: `torchrun --nproc_per_node=N main.py train ...`.

torchrun starts N copies of the command and sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT. Each copy trains on its own shard of every epoch and DistributedDataParallel averages
the gradients, so all copies hold the same weights. Only rank 0 talks: progress, the database, the
model folder. Without those variables `Dist()` is a single process and every method is a no-op, so
the ordinary path does not change. Backends: NCCL between GPUs, gloo on CPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import torch
from torch import nn

from ..errors import InputError

# Rank 0 may build the starter or download KoBERT while the others wait at a barrier.
TIMEOUT = timedelta(hours=2)


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def device(self, device: torch.device) -> torch.device:
        """One GPU per process: cuda:LOCAL_RANK."""
        return torch.device("cuda", self.local_rank) if self.enabled and device.type == "cuda" else device

    def wrap(self, module: nn.Module) -> nn.Module:
        if not self.enabled:
            return module
        from torch.nn.parallel import DistributedDataParallel

        on_gpu = self.backend == "nccl"
        # find_unused_parameters: a batch may carry no label for some head, so that head gets no gradient.
        return DistributedDataParallel(
            module, device_ids=[self.local_rank] if on_gpu else None, find_unused_parameters=True
        )

    def shard(self, order: np.ndarray) -> np.ndarray:
        """This rank's part of an epoch's order, like DistributedSampler: every rank the same length
        (the order is padded by wrapping around), so all ranks take the same number of steps."""
        if not self.enabled:
            return order
        per_rank = -(-len(order) // self.world_size)
        padded = np.resize(order, per_rank * self.world_size)
        return padded[self.rank :: self.world_size]

    def shard_size(self, n: int) -> int:
        return -(-n // self.world_size)

    def barrier(self) -> None:
        if self.enabled:
            torch.distributed.barrier()

    @contextmanager
    def main_first(self) -> Iterator[None]:
        """Rank 0 runs the block (and any writes in it) before the others run it."""
        if not self.is_main:
            self.barrier()
        yield
        if self.is_main:
            self.barrier()

    def any(self, flag: bool) -> bool:
        """True on every rank if it is true on one (a cancel must stop all ranks at the same step)."""
        return bool(self._reduce(float(flag), torch.distributed.ReduceOp.MAX)) if self.enabled else flag

    def min_int(self, value: int) -> int:
        return int(self._reduce(float(value), torch.distributed.ReduceOp.MIN)) if self.enabled else value

    def from_main(self, value: float) -> float:
        """Rank 0's value on every rank (so all ranks take the same early-stopping decision)."""
        if not self.enabled:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self._device())
        torch.distributed.broadcast(t, src=0)
        return float(t.item())

    def _reduce(self, value: float, op) -> float:
        t = torch.tensor([value], dtype=torch.float64, device=self._device())
        torch.distributed.all_reduce(t, op=op)
        return float(t.item())

    def _device(self) -> torch.device:
        return torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")


def from_env() -> Dist:
    """What torchrun asked for; a single process when the variables are absent."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise InputError(
            "RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers (they are set by torchrun)"
        ) from None
    return Dist(rank, world, local) if world > 1 else Dist()


def init(device: torch.device) -> Dist:
    """Join the process group torchrun set up (no-op for one process). NCCL for CUDA, gloo otherwise."""
    dist = from_env()
    if not dist.enabled:
        return dist
    backend = "nccl" if device.type == "cuda" else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(dist.local_rank)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend, timeout=TIMEOUT)
    return Dist(dist.rank, dist.world_size, dist.local_rank, backend)


def shutdown(dist: Dist, *, wait: bool = True) -> None:
    """Leave the group; with `wait`, first wait for every rank (rank 0 may still be writing the model
    version). After a failure do not wait: the other ranks may never arrive, and torchrun stops them."""
    if dist.enabled and torch.distributed.is_initialized():
        if wait:
            torch.distributed.barrier()
        torch.distributed.destroy_process_group()
