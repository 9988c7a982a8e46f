"""Named evaluation protocols: each reproduces one peer's own evaluation step by step (docs/metrics.md, "Protocols").

    from bench.protocols import get_protocol, list_protocols
    get_protocol("co2net").describe()     # reading, resizing, flow frames, pairs, metrics, peer files, gaps
    bench.metrics.metrics_for("co2net")   # its metrics: the same entry's ``metrics``

One registry (:mod:`bench.protocols.registry`); each protocol is declared once, by its own module: ``paper``
(default, this suite's definitions), ``co2net``, ``dovenet``, ``vtt`` and ``lai`` (the peers'), each imported by
name the first time the registry is asked for it.
"""
from .registry import BUILTIN, DEFAULT_PROTOCOL, Protocol, get_protocol, list_protocols, register_protocol

__all__ = ["BUILTIN", "DEFAULT_PROTOCOL", "Protocol", "get_protocol", "list_protocols", "register_protocol"]
