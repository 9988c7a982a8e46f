"""One process or several (``torchrun``): the rank, the world size and the device of this process."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as torch_dist


@dataclass
class Dist:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            torch_dist.barrier()


def setup_distributed(device_pref: str) -> tuple[Dist, torch.device]:
    """DDP from the environment variables torchrun exports (NCCL on CUDA, else gloo); one process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda")
    if device_pref == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("schedule.device='cuda' but no CUDA device is available")
    if world > 1:
        if not torch_dist.is_initialized():
            torch_dist.init_process_group("nccl" if use_cuda else "gloo")
        rank = torch_dist.get_rank()
        local = int(os.environ.get("LOCAL_RANK", rank))
        device = torch.device("cuda", local) if use_cuda else torch.device("cpu")
        if use_cuda:
            torch.cuda.set_device(device)
        return Dist(rank, world), device
    return Dist(), torch.device("cuda" if use_cuda else "cpu")
