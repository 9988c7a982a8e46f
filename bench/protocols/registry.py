"""The data side of each named protocol: what it fixes beyond its metric formulas (docs/metrics.md, "Protocols").

A protocol's *metrics* live in the metric registry (``@bench.metrics.register_metric(..., protocol=NAME)``, under
the same names as the suite's where the concept is the same: ``mse``, ``psnr``, ``fmse``, ``fssim`` …).  Its
:class:`ProtocolSteps` here say how the peer gets to those inputs: how frames and masks are read and resized
(``reading``, a :class:`~bench.readers.peer_io.Reading`; ``None`` = the dataset reader's own), on which frames the
optical flow is estimated (``flow_frames``) and with which estimator the peer did it (``peer_flow``, printed beside
ours), which frame pairs the temporal metrics compare (``pairs``), and for each metric the name the peer's script
prints and how its dataset figure is formed: the mean of all frame values (``"frames"``, the default) or the mean
of per-clip means (``"clips"``, in ``aggregates``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bench.metrics import metrics_for
from bench.metrics import register_protocol as register_metric_protocol
from bench.metrics.registry import list_protocols as _metric_protocols
from bench.readers.peer_io import Reading

AGGREGATES = ("frames", "clips")
FLOW_FRAMES = ("gt", "composite", "gt_else_composite")


@dataclass(frozen=True)
class ProtocolSteps:
    name: str
    title: str
    peer: str
    files: tuple[str, ...]
    reading: Reading | None
    flow_frames: str
    peer_flow: str
    pairs: str
    peer_names: dict[str, str] = field(default_factory=dict)
    aggregates: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        if self.flow_frames not in FLOW_FRAMES:
            raise ValueError(f"protocol {self.name}: flow_frames must be one of {FLOW_FRAMES}, got {self.flow_frames!r}")
        bad = {m: a for m, a in self.aggregates.items() if a not in AGGREGATES}
        if bad:
            raise ValueError(f"protocol {self.name}: aggregates must be one of {AGGREGATES}, got {bad}")

    def metric_names(self) -> list[str]:
        return list(metrics_for(self.name))

    def aggregate(self, metric: str) -> str:
        """``"frames"`` or ``"clips"``: how the dataset figure of ``metric`` is formed."""
        return self.aggregates.get(metric, "frames")

    def describe(self) -> dict:
        """What the manifest records: every step this protocol fixes."""
        return {"name": self.name, "title": self.title, "peer": self.peer, "files": list(self.files),
                "reading": self.reading.describe() if self.reading else "the dataset reader's own",
                "flow_frames": self.flow_frames, "peer_flow": self.peer_flow, "pairs": self.pairs,
                "metrics": {n: {"peer_name": self.peer_names.get(n, n), "aggregate": self.aggregate(n)}
                            for n in self.metric_names()},
                "notes": list(self.notes)}


PROTOCOL_STEPS: dict[str, ProtocolSteps] = {}


def register_steps(steps: ProtocolSteps) -> ProtocolSteps:
    """Record ``steps`` and declare the protocol in the metric registry (``paper`` is declared there already)."""
    if steps.name in PROTOCOL_STEPS:
        raise ValueError(f"protocol {steps.name!r} registered twice")
    if steps.name not in _metric_protocols():
        register_metric_protocol(steps.name, description=steps.title)
    PROTOCOL_STEPS[steps.name] = steps
    return steps


def get_steps(name: str) -> ProtocolSteps:
    try:
        return PROTOCOL_STEPS[name]
    except KeyError:
        raise KeyError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOL_STEPS)}") from None


def list_protocols() -> list[str]:
    return list(PROTOCOL_STEPS)
