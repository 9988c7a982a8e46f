"""Run folders and checkpoints (docs/interfaces.md).

::

    RUN/config.json            the resolved TrainConfig
    RUN/metrics.csv            tidy log: step, epoch, split, metric, value
    RUN/tb/                    TensorBoard events (same numbers)
    RUN/checkpoints/last.pt    latest state: G, D, both optimisers, RNG states, step, epoch, position in epoch
    RUN/checkpoints/best.pt    the state with the best validation PSNR so far
    RUN/summary.json           best val PSNR, steps, wall time, parameter counts

Every file is written to a temporary sibling and renamed, so a crash never leaves a
half-written checkpoint; the previous good one stays in place.
"""
from __future__ import annotations

import csv
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from harmonizer.atomic import atomic_path, write_json_atomic, write_text_atomic

CHECKPOINT_FORMAT = 1
METRIC_COLUMNS = ("step", "epoch", "split", "metric", "value")


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, or belongs to another architecture/profile; the message names it."""


atomic_write_text = write_text_atomic  # the older name, still imported by baselines and benchmarks


def write_json(path: Path, data: Any) -> None:
    write_json_atomic(path, data, indent=2, sort_keys=True, default=str)


def save_checkpoint(path: Path, payload: dict) -> None:
    """``torch.save`` to a temporary file in the same folder, then an atomic rename."""
    with atomic_path(path) as tmp:
        torch.save({"format": CHECKPOINT_FORMAT, **payload}, tmp)


def checkpoint_path(run_or_file: str | os.PathLike, which: str = "best") -> Path:
    """``RUN/checkpoints/{which}.pt`` for a run folder, or the file itself."""
    p = Path(run_or_file)
    if p.is_dir():
        p = p / "checkpoints" / f"{which}.pt"
    if not p.is_file():
        raise CheckpointError(f"no checkpoint at {p} (expected a run folder with checkpoints/{which}.pt or a .pt file)")
    return p


def load_checkpoint(path: str | os.PathLike, *, expect: dict | None = None) -> dict:
    """Load a checkpoint on the CPU; ``expect`` = {"arch": ..., "profile": ...} entries that must match."""
    path = Path(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file named
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT or "config" not in ckpt:
        raise CheckpointError(f"{path} is not a harmonizer checkpoint (format {CHECKPOINT_FORMAT})")
    for key, want in (expect or {}).items():
        have = ckpt["config"]["model"]["arch"] if key == "arch" else ckpt["config"].get(key)
        if have != want:
            raise CheckpointError(f"checkpoint {path} is for {key} '{have}', but '{want}' was asked for")
    return ckpt


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class MetricsLog:
    """Append-only tidy CSV plus TensorBoard scalars (``tb=False`` skips TensorBoard)."""

    def __init__(self, run_dir: Path, *, truncate_after_step: int | None = None, tb: bool = True):
        self.path = Path(run_dir) / "metrics.csv"
        rows = []
        if self.path.exists() and truncate_after_step is not None:
            # on resume, drop rows logged after the checkpoint we continue from (they will be redone)
            with self.path.open(newline="") as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= truncate_after_step]
        with self.path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METRIC_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        self._file = self.path.open("a", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=METRIC_COLUMNS)
        self._tb = None
        if tb:
            from torch.utils.tensorboard import SummaryWriter  # imported lazily: slow import

            self._tb = SummaryWriter(str(Path(run_dir) / "tb"), purge_step=truncate_after_step)

    def log(self, step: int, epoch: int, split: str, values: dict[str, float]) -> None:
        for name, value in values.items():
            self._writer.writerow({"step": step, "epoch": epoch, "split": split, "metric": name, "value": value})
            if self._tb is not None:
                self._tb.add_scalar(f"{split}/{name}", value, step)
        self._file.flush()

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()


def read_metrics(run_dir: str | os.PathLike):
    import pandas as pd

    return pd.read_csv(Path(run_dir) / "metrics.csv")
