"""Named evaluation protocols: each reproduces one peer's own evaluation step by step (docs/metrics.md, "Protocols").

    from bench.protocols import get_protocol, list_protocols
    get_protocol("co2net").describe()     # reading, resizing, flow frames, pairs, metrics, peer files

``paper`` (default) is this suite's definitions; ``co2net``, ``dovenet``, ``vtt`` and ``lai`` are the peers'.
"""
from . import paper, co2net, dovenet, vtt, lai  # noqa: F401, I001  (each registers its protocol, in this order)
from .registry import PROTOCOLS, Protocol, ProtocolMetric, get_protocol, list_protocols

DEFAULT_PROTOCOL = "paper"

__all__ = ["PROTOCOLS", "Protocol", "ProtocolMetric", "get_protocol", "list_protocols", "DEFAULT_PROTOCOL"]
