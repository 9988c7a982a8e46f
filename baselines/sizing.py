"""Parameter counting and width matching, so the learned baselines have about the UNet's size.

The paper constrains UNet, DIH and the style-transfer ResNet "to the same level" of
parameters (Sec. IV-C).  We derive each baseline's width from the UNet built from the
same model config instead of hard-coding numbers, so every profile stays matched.
Models are built on the ``meta`` device: counting a 512²-profile model costs no memory.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn

MATCH_TOLERANCE = 0.10  # relative difference allowed between matched parameter counts


def count_parameters(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def count_on_meta(factory: Callable[[], nn.Module]) -> int:
    """Parameter count of ``factory()`` built on the meta device (no storage allocated)."""
    with torch.device("meta"):
        return count_parameters(factory())


def match_width(factory: Callable[[int], nn.Module], target_params: int, *, max_width: int = 4096) -> int:
    """The integer width ``w`` minimising ``|params(factory(w)) − target_params|``.

    Parameter counts grow monotonically with width, so a bisection finds the crossing;
    raises ``ValueError`` if even the best width misses the target by more than
    :data:`MATCH_TOLERANCE`.
    """
    if target_params <= 0:
        raise ValueError(f"target parameter count must be positive, got {target_params}")
    lo, hi = 1, max_width
    while lo < hi:  # smallest width with params >= target
        mid = (lo + hi) // 2
        if count_on_meta(lambda: factory(mid)) >= target_params:
            hi = mid
        else:
            lo = mid + 1
    candidates = {w: count_on_meta(lambda: factory(w)) for w in (max(lo - 1, 1), lo)}
    best = min(candidates, key=lambda w: abs(candidates[w] - target_params))
    rel = abs(candidates[best] - target_params) / target_params
    if rel > MATCH_TOLERANCE:
        raise ValueError(
            f"no width matches {target_params} parameters within {MATCH_TOLERANCE:.0%}: "
            f"width {best} gives {candidates[best]} ({rel:.1%} off)"
        )
    return best
