"""The one interface every optical-flow estimator offers.

``estimate(frames_a, frames_b)`` takes two ``N×3×H×W`` batches in [0, 1] and returns ``N×2×H×W``
float32 flow in pixels (channel 0 = dx, 1 = dy) giving, for each pixel of ``frames_a[k]``, the
offset to its position in ``frames_b[k]``.  So ``estimate(frame_t, frame_{t−1})`` is the backward
flow the temporal metrics want (docs/metrics.md, "Inputs"), and ``estimate(frame_{t−1}, frame_t)`` the forward one.
"""
from __future__ import annotations

import abc

import numpy as np
import torch


class FlowError(RuntimeError):
    """An estimator cannot run (missing weights, no stored flow, bad frames); the message says why."""


def check_frame_pair(frames_a: torch.Tensor, frames_b: torch.Tensor) -> None:
    for name, f in (("frames_a", frames_a), ("frames_b", frames_b)):
        if not isinstance(f, torch.Tensor) or f.dim() != 4 or f.shape[1] != 3:
            shape = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise ValueError(f"{name} must be an N×3×H×W tensor in [0, 1], got {shape}")
    if frames_a.shape != frames_b.shape:
        raise ValueError(f"frames_a {tuple(frames_a.shape)} and frames_b {tuple(frames_b.shape)} differ in shape")


def to_uint8_hwc(frames: torch.Tensor) -> np.ndarray:
    """``N×3×H×W`` in [0, 1] → ``N×H×W×3`` uint8 RGB (rounded, clipped)."""
    x = frames.detach().to("cpu", torch.float32).clamp(0, 1).mul(255).round().to(torch.uint8)
    return np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy())


class FlowEstimator(abc.ABC):
    """Base class: subclasses set ``name`` and implement :meth:`estimate` and :meth:`settings`."""

    name: str = "flow"

    @abc.abstractmethod
    def estimate(self, frames_a: torch.Tensor, frames_b: torch.Tensor) -> torch.Tensor:
        """Flow from each pixel of ``frames_a`` to its position in ``frames_b``, ``N×2×H×W`` float32."""

    def settings(self) -> dict:
        """Everything that changes the numbers (part of the cache key and of result manifests)."""
        return {}

    def describe(self) -> dict:
        return {"name": self.name, **self.settings()}

    def clip_flows(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(flow_bw, flow_fw)`` of a clip ``T×3×H×W``: ``flow_bw[i]`` frame i+1 → i, ``flow_fw[i]`` i → i+1."""
        if frames.dim() != 4 or frames.shape[0] < 2:
            raise ValueError(f"clip_flows needs a T×3×H×W clip with T ≥ 2, got {tuple(frames.shape)}")
        return self.estimate(frames[1:], frames[:-1]), self.estimate(frames[:-1], frames[1:])
