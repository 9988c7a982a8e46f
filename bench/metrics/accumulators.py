"""Streaming accumulators: per-frame values in, running means out, constant memory.

Torchmetrics-style (``update`` / ``compute`` / ``reset``) but over per-frame values, because every
metric here is defined per frame and then averaged.  NaN frames (empty foreground, nothing valid)
are counted in ``n_nan`` and left out of the mean; +inf (identical frames in PSNR) is kept, so a
mean that contains one is +inf — report ``n_inf`` beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from .registry import DEFAULT_PROTOCOL, evaluate_clip, get_metric


@dataclass
class MeanAccumulator:
    """Running mean of per-frame values of one metric (float64 sums; NaN frames counted, not averaged)."""

    name: str
    total: float = 0.0
    n: int = 0
    n_nan: int = 0
    n_inf: int = 0

    def update(self, values: torch.Tensor) -> None:
        v = torch.as_tensor(values, dtype=torch.float64).flatten()
        nan = torch.isnan(v)
        self.n_nan += int(nan.sum())
        v = v[~nan]
        self.n_inf += int(torch.isinf(v).sum())
        self.total += float(v.sum())
        self.n += int(v.numel())

    def compute(self) -> float:
        return self.total / self.n if self.n else math.nan

    def reset(self) -> None:
        self.total, self.n, self.n_nan, self.n_inf = 0.0, 0, 0, 0


@dataclass
class MetricCollection:
    """Scores clip after clip with :func:`evaluate_clip` and keeps one :class:`MeanAccumulator` per metric."""

    names: list[str] | None = None
    protocol: str = DEFAULT_PROTOCOL
    accumulators: dict[str, MeanAccumulator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n in self.names or []:
            get_metric(n, self.protocol)

    def update(self, pred: torch.Tensor, **inputs) -> dict[str, torch.Tensor]:
        """Score one clip (same keyword inputs as :func:`evaluate_clip`); returns its per-frame values."""
        values = evaluate_clip(pred, metrics=self.names, protocol=self.protocol, **inputs)
        for n, v in values.items():
            self.accumulators.setdefault(n, MeanAccumulator(n)).update(v)
        return values

    def compute(self) -> dict[str, dict]:
        specs = {n: get_metric(n, self.protocol) for n in self.accumulators}
        return {
            n: {"mean": a.compute(), "n": a.n, "n_nan": a.n_nan, "n_inf": a.n_inf,
                "higher_is_better": specs[n].higher_is_better, "scale": specs[n].scale}
            for n, a in self.accumulators.items()
        }

    def reset(self) -> None:
        for a in self.accumulators.values():
            a.reset()
