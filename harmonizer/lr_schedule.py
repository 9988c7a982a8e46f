"""Learning-rate multiplier per optimisation step: optional linear warm-up, then constant or cosine decay.

A pure function of the step, so a resumed run continues on the same curve without saved scheduler state.
"""
from __future__ import annotations

import math

LR_SCHEDULES = ("constant", "cosine")


def lr_factor(step: int, total_steps: int, schedule: str = "constant", warmup_steps: int = 0,
              final_fraction: float = 0.0) -> float:
    """Multiplier of the base lr for 0-based ``step`` of ``total_steps``.

    Warm-up ramps linearly from 1/warmup_steps to 1 over the first ``warmup_steps`` steps (short, hot
    schedules otherwise take a few wild first Adam steps); ``cosine`` then decays from 1 to
    ``final_fraction`` at the last step (a decayed lr settles the weights the bench scores).
    """
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr schedule '{schedule}'; known: {', '.join(LR_SCHEDULES)}")
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    span = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / span)
    return final_fraction + (1.0 - final_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress))
