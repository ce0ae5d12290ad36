"""torchrun set-up: rank and world size, which batches are mine, rank 0's decisions shared.

`torchrun --nproc-per-node N -m tagger train ...` starts N copies of the command with
RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous address in their environment. Every
rank builds the same vocabularies and the same batches (seed and epoch), takes every
N-th of them, and steps the same number of times; gradients are averaged by
DistributedDataParallel (gloo on the CPU, NCCL on CUDA). Rank 0 alone scores dev,
writes the model and logs; what it decides is broadcast, so every rank stops together.
The training loop asks this module; this module knows nothing of training.
"""

from __future__ import annotations

import datetime
import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn

from tagger.devices import resolve_device

T = TypeVar("T")
TIMEOUT = datetime.timedelta(minutes=30)  # rank 0 scores dev while the others wait


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (one process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    restarts: int = 0  # how often torchrun has restarted the workers of this job

    @property
    def main(self) -> bool:
        """Whether this rank scores dev, writes files and logs."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def from_environment() -> World:
    """The World torchrun describes in the environment (rank 0 of 1 without torchrun)."""
    env = os.environ
    try:
        return World(
            rank=int(env.get("RANK", 0)),
            world_size=int(env.get("WORLD_SIZE", 1)),
            local_rank=int(env.get("LOCAL_RANK", 0)),
            restarts=int(env.get("TORCHELASTIC_RESTART_COUNT", 0)),
        )
    except ValueError as err:
        raise ValueError(f"RANK, WORLD_SIZE and LOCAL_RANK must be integers ({err})") from None


def start(world: World, device_name: str) -> torch.device:
    """This rank's device, and the process group when there are several ranks.

    With CUDA each rank takes the GPU of its local rank; the backend follows the device.
    """
    device = resolve_device(device_name)
    if not world.distributed:
        return device
    if device.type == "cuda":
        if device.index is None:
            device = torch.device("cuda", world.local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise ValueError(f"distributed training runs on cpu or cuda, not {device.type}")
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=TIMEOUT)  # env:// rendezvous from torchrun
    return device


def stop(world: World) -> None:
    """Leave the process group (every rank, at the end of training)."""
    if world.distributed and dist.is_initialized():
        dist.barrier()
        # DDP's reducer holds the group: collect it first, or the group's threads are
        # torn down at interpreter exit ("terminate called without an active exception").
        gc.collect()
        dist.destroy_process_group()


def rank_zero_first(world: World, work: Callable[[], object]) -> None:
    """`work` on rank 0, then on the other ranks once it is done (a cache rank 0 fills
    is then only read by the others), and every rank goes on together."""
    if world.rank == 0:
        work()
    if world.distributed and dist.is_initialized():
        dist.barrier()
    if world.rank != 0:
        work()


def my_batches(batches: Sequence[T], world: World) -> list[T]:
    """Every world_size-th batch, from this rank's offset. The list is first padded with
    its own first batches to a multiple of world_size, so every rank gets as many
    batches (and steps as often) as the others, however many there are."""
    if not world.distributed or not batches:
        return list(batches)
    n = world.world_size
    padded = list(batches) + [batches[i % len(batches)] for i in range(-len(batches) % n)]
    return padded[world.rank :: n]


def wrap(model: nn.Module, world: World) -> nn.Module:
    """The module to run forward and backward through: DDP when there are several ranks
    (it averages gradients during backward), the model itself otherwise."""
    if not world.distributed:
        return model
    return nn.parallel.DistributedDataParallel(model)


def shared(value: float, world: World, device: torch.device) -> float:
    """Rank 0's value, on every rank."""
    if not world.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=device)
    dist.broadcast(tensor, src=0)
    return float(tensor.item())


def same_everywhere(digest: str, world: World, device: torch.device) -> bool:
    """Whether every rank holds this hex digest (rank 0's is compared on each rank)."""
    if not world.distributed:
        return True
    mine = torch.tensor(list(bytes.fromhex(digest)), dtype=torch.int64, device=device)
    theirs = mine.clone()
    dist.broadcast(theirs, src=0)
    agree = torch.tensor([int(torch.equal(mine, theirs))], device=device)
    dist.all_reduce(agree, op=dist.ReduceOp.MIN)
    return bool(agree.item())


def summed(values: Sequence[float], world: World, device: torch.device) -> list[float]:
    """The sum of each value over all ranks."""
    if not world.distributed:
        return list(values)
    tensor = torch.tensor(list(values), dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()
