"""The protocol registry: each named evaluation protocol and what it fixes (docs/metrics.md, "Protocols").

A :class:`Protocol` says how one peer evaluates, step by step: how frames and masks are read and resized
(``reading``, a :class:`~bench.readers.peer_io.Reading`; ``None`` = the dataset reader's own), on which frames the
optical flow is estimated (``flow_frames``: ``"gt"`` or ``"composite"``) and with which estimator the peer did it
(``peer_flow``, printed beside our own), which frame pairs the temporal metrics compare (``pairs``), and its
metrics (:class:`ProtocolMetric`, each with the peer's printed name and whether the dataset figure is the mean of
all frame values (``aggregate="frames"``) or the mean of per-clip means (``"clips"``)).
``metrics=None`` (the ``paper`` protocol) means the suite's own registered metrics.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from bench.readers.peer_io import Reading

AGGREGATES = ("frames", "clips")
FLOW_FRAMES = ("gt", "composite", "gt_else_composite")


@dataclass(frozen=True)
class ProtocolMetric:
    """One metric of a protocol.  ``fn(pred, **inputs)`` takes the inputs named in ``needs`` (``gt``, ``mask``,
    ``flow_bw``, ``flow_fw``) and returns one float64 value per frame (temporal: per frame t ≥ 1)."""

    name: str
    fn: Callable[..., torch.Tensor]
    needs: tuple[str, ...]
    higher_is_better: bool
    scale: str
    temporal: bool
    peer_name: str
    aggregate: str = "frames"

    def __post_init__(self):
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"metric {self.name}: aggregate must be one of {AGGREGATES}, got {self.aggregate!r}")

    def describe(self) -> dict:
        return {"needs": list(self.needs), "higher_is_better": self.higher_is_better, "scale": self.scale,
                "temporal": self.temporal, "peer_name": self.peer_name, "aggregate": self.aggregate}


@dataclass(frozen=True)
class Protocol:
    name: str
    title: str
    peer: str
    files: tuple[str, ...]
    reading: Reading | None
    flow_frames: str
    peer_flow: str
    pairs: str
    metrics: tuple[ProtocolMetric, ...] | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.flow_frames not in FLOW_FRAMES:
            raise ValueError(f"protocol {self.name}: flow_frames must be one of {FLOW_FRAMES}")

    def metric_names(self) -> list[str] | None:
        return None if self.metrics is None else [m.name for m in self.metrics]

    def get_metric(self, name: str) -> ProtocolMetric:
        for m in self.metrics or ():
            if m.name == name:
                return m
        raise KeyError(f"protocol {self.name} has no metric {name!r}; its metrics: {', '.join(self.metric_names() or [])}")

    def aggregates(self) -> dict[str, str]:
        """metric → ``"frames"`` / ``"clips"`` (empty for the suite's own metrics: all pooled over frames)."""
        return {m.name: m.aggregate for m in self.metrics or ()}

    def describe(self) -> dict:
        """What the manifest records: every step this protocol fixes."""
        return {"name": self.name, "title": self.title, "peer": self.peer, "files": list(self.files),
                "reading": self.reading.describe() if self.reading else "the dataset reader's own",
                "flow_frames": self.flow_frames, "peer_flow": self.peer_flow, "pairs": self.pairs,
                "metrics": {m.name: m.describe() for m in self.metrics} if self.metrics is not None else "suite",
                "notes": list(self.notes)}


PROTOCOLS: dict[str, Protocol] = {}


def register_protocol(protocol: Protocol) -> Protocol:
    if protocol.name in PROTOCOLS:
        raise ValueError(f"protocol {protocol.name!r} registered twice")
    PROTOCOLS[protocol.name] = protocol
    return protocol


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise KeyError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}") from None


def list_protocols() -> list[str]:
    return list(PROTOCOLS)
