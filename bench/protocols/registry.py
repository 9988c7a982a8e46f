"""The one registry of evaluation protocols (docs/metrics.md, "Protocols"): a protocol is declared once, here.

A :class:`Protocol` holds everything a named set of conventions fixes:

* what it reproduces: ``title``, the ``peer`` repository and the peer's ``files`` it re-derives, and ``notes``, the
  documented gaps between its numbers and the peer's;
* how it reads and prepares its inputs: ``reading`` (a :class:`~bench.readers.peer_io.Reading`: the library and
  filter that load and resize composite, ground truth and mask, the evaluation size; ``None`` = the dataset
  reader's own), and ``prepare`` (optional: a function run once per clip on the tensors, ``{"pred": …, "gt": …}``
  → the inputs its metrics see);
* its temporal side: on which frames the flow is estimated (``flow_frames``), with which estimator the peer did it
  (``peer_flow``, printed beside ours), which frame pairs are compared (``pairs``) and whether it scores CO2Net's
  TL-task pairs when their test set is given (``tl_task_pairs``, ``bench run --tl-next``);
* which metrics it reports: ``metrics``, name → :class:`~bench.metrics.registry.MetricSpec`, filled by
  ``@bench.metrics.register_metric(..., protocol=NAME)`` in the module that declares the protocol (the formulas);
  for each, the name the peer's script prints (``peer_names``) and how its dataset figure is formed
  (``aggregates``: ``"frames"``, the mean of all frame values, the default, or ``"clips"``, the mean of per-clip
  means).

``bench run --protocol NAME`` (choices: :func:`list_protocols`), the runner, the dataset choice
(:mod:`bench.protocols.datasets`) and the metric registry (:mod:`bench.metrics.registry`: ``metrics_for``,
``get_metric``, ``evaluate_clip``) all read :func:`get_protocol`; nothing else keeps a list of protocols.

The built-in protocols are declared by the modules named in :data:`BUILTIN` (``bench/protocols/<name>.py``), each
imported by name the first time the registry is read for it, so importing :mod:`bench.metrics` alone is enough
to score under any of them.  This module imports no other part of the suite.
"""
from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from bench.metrics.registry import MetricSpec
    from bench.readers.peer_io import Reading

DEFAULT_PROTOCOL = "paper"
BUILTIN = ("paper", "co2net", "dovenet", "vtt", "lai")
"""The suite's protocols, in the order they are listed; each is declared by ``bench/protocols/<name>.py``."""
AGGREGATES = ("frames", "clips")
FLOW_FRAMES = ("gt", "composite", "gt_else_composite")


@dataclass(frozen=True)
class Protocol:
    """One protocol (see the module docstring).  ``metrics`` is filled by ``@register_metric`` only."""

    name: str
    title: str
    peer: str
    files: tuple[str, ...]
    peer_flow: str
    pairs: str
    reading: Reading | None = None
    flow_frames: str = "gt_else_composite"
    tl_task_pairs: bool = False
    peer_names: dict[str, str] = field(default_factory=dict)
    aggregates: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    prepare: Callable[[dict], dict] | None = None
    metrics: dict[str, MetricSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.flow_frames not in FLOW_FRAMES:
            raise ValueError(f"protocol {self.name}: flow_frames must be one of {FLOW_FRAMES}, got {self.flow_frames!r}")
        bad = {m: a for m, a in self.aggregates.items() if a not in AGGREGATES}
        if bad:
            raise ValueError(f"protocol {self.name}: aggregates must be one of {AGGREGATES}, got {bad}")

    def metric_names(self) -> list[str]:
        return list(self.metrics)

    def aggregate(self, metric: str) -> str:
        """``"frames"`` or ``"clips"``: how the dataset figure of ``metric`` is formed."""
        return self.aggregates.get(metric, "frames")

    def describe(self) -> dict:
        """What the manifest records: every step this protocol fixes."""
        out = {"name": self.name, "title": self.title, "peer": self.peer, "files": list(self.files),
               "reading": self.reading.describe() if self.reading else "the dataset reader's own",
               "flow_frames": self.flow_frames, "peer_flow": self.peer_flow, "pairs": self.pairs,
               "metrics": {n: {"peer_name": self.peer_names.get(n, n), "aggregate": self.aggregate(n)}
                           for n in self.metrics},
               "notes": list(self.notes)}
        if self.prepare is not None:
            out["prepare"] = f"{self.prepare.__module__}.{self.prepare.__qualname__}"
        return out


_PROTOCOLS: dict[str, Protocol] = {}


def register_protocol(protocol: Protocol) -> Protocol:
    """Declare ``protocol`` (once, before its metrics are registered); returns it."""
    if not isinstance(protocol, Protocol):
        raise TypeError(f"register_protocol takes a Protocol, got {type(protocol).__name__}")
    if protocol.name in _PROTOCOLS:
        raise ValueError(f"protocol {protocol.name!r} is already registered")
    _PROTOCOLS[protocol.name] = protocol
    return protocol


def unregister_protocol(name: str) -> Protocol:
    """Remove a protocol and its metrics (for tests that declare one of their own; built-ins stay)."""
    if name in BUILTIN:
        raise ValueError(f"protocol {name!r} is built in and cannot be removed")
    return _PROTOCOLS.pop(get_protocol(name).name)


def _declare(names) -> None:
    """Import the modules declaring the built-in ``names`` not yet registered (each registers itself)."""
    for name in names:
        if name in BUILTIN and name not in _PROTOCOLS:
            try:
                importlib.import_module(f"{__package__}.{name}")
            except BaseException:
                _PROTOCOLS.pop(name, None)  # never keep a protocol whose declaring module failed half-way
                raise


def lookup(known: dict, name: str, what: str):
    """``known[name]``, or a KeyError naming ``what``, the closest known name and all of them (in ``known``'s order)."""
    if name in known:
        return known[name]
    close = difflib.get_close_matches(str(name), list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise KeyError(f"unknown {what}{hint}; known: {', '.join(known)}")


def get_protocol(name: str) -> Protocol:
    """The protocol ``name``; an unknown name is a KeyError naming the closest known one and all of them."""
    _declare((name,))
    if name in _PROTOCOLS:
        return _PROTOCOLS[name]
    return lookup({n: _PROTOCOLS[n] for n in list_protocols()}, name, f"protocol '{name}'")


def list_protocols() -> list[str]:
    """Every protocol's name: the built-ins in :data:`BUILTIN` order, then any other, in registration order."""
    _declare(BUILTIN)
    return [n for n in BUILTIN if n in _PROTOCOLS] + [n for n in _PROTOCOLS if n not in BUILTIN]
