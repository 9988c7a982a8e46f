"""An exponential moving average of the generator's weights (``optim.ema_decay``).

Training evaluates and saves the average instead of the last step's weights: an adversarial run's G moves with D
from step to step, and the average is a steadier model of the same run (the usual practice of GAN trainers).  The
decay is warmed up as TensorFlow's ``ExponentialMovingAverage`` does with ``num_updates``,
``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so the first steps do not tie the average to the
initial weights.  Buffers (none in the suite's UNets) are copied, not averaged.
"""
from __future__ import annotations

import copy

import torch


def warmed_decay(decay: float, updates: int) -> float:
    """The decay applied at update number ``updates`` (1, 2, ...)."""
    return min(decay, (1 + updates) / (10 + updates))


class WeightAverage:
    """``module``'s weights averaged over the updates: ``avg ← d·avg + (1 − d)·w``, ``d`` = warmed_decay."""

    def __init__(self, module: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(module).requires_grad_(False)

    @torch.no_grad()
    def update(self, module: torch.nn.Module) -> None:
        self.updates += 1
        keep = warmed_decay(self.decay, self.updates)
        for avg, w in zip(self.module.parameters(), module.parameters()):
            avg.lerp_(w.detach(), 1.0 - keep)
        for avg, b in zip(self.module.buffers(), module.buffers()):
            avg.copy_(b)

    def state_dict(self) -> dict:
        return {"weights": self.module.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.module.load_state_dict(state["weights"])
        self.updates = int(state["updates"])
