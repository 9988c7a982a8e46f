"""A disk cache in front of any estimator.

Key = SHA-1 of the estimator's name, its settings (JSON, sorted) and the exact bytes, dtype and
shape of both frame batches; value = the float32 flow as ``.npy`` under
``CACHE/<estimator>/<key[:2]>/<key>.npy``, written to a temporary file and renamed so a crash never
leaves a half-written entry.  A corrupt entry is recomputed, not trusted.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

from harmonizer.atomic import atomic_path

from .base import FlowEstimator, check_frame_pair


def cache_key(estimator: FlowEstimator, frames_a: torch.Tensor, frames_b: torch.Tensor) -> str:
    h = hashlib.sha1()
    h.update(json.dumps({"name": estimator.name, "settings": estimator.settings()}, sort_keys=True,
                        default=str).encode())
    for frames in (frames_a, frames_b):
        arr = frames.detach().cpu().contiguous().numpy()
        h.update(f"{arr.dtype}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


class CachedFlow(FlowEstimator):
    """Wraps ``estimator``; ``hits`` / ``misses`` count cache use."""

    def __init__(self, estimator: FlowEstimator, cache_dir: str | os.PathLike) -> None:
        self.inner = estimator
        self.name = estimator.name
        self.cache_dir = Path(cache_dir)
        self.hits = 0
        self.misses = 0

    def settings(self) -> dict:
        return self.inner.settings()

    def path_for(self, key: str) -> Path:
        return self.cache_dir / self.name / key[:2] / f"{key}.npy"

    def estimate(self, frames_a: torch.Tensor, frames_b: torch.Tensor) -> torch.Tensor:
        check_frame_pair(frames_a, frames_b)
        path = self.path_for(cache_key(self.inner, frames_a, frames_b))
        expected = (frames_a.shape[0], 2, *frames_a.shape[-2:])
        if path.is_file():
            try:
                flow = np.load(path)
                if flow.shape == expected and flow.dtype == np.float32:
                    self.hits += 1
                    return torch.from_numpy(flow)
            except (OSError, ValueError):
                pass  # unreadable entry: recompute and overwrite
        self.misses += 1
        flow = self.inner.estimate(frames_a, frames_b).to(torch.float32).contiguous()
        with atomic_path(path) as tmp:  # concurrent workers may fill the same entry: last complete one wins
            np.save(tmp, flow.numpy())
        return flow
