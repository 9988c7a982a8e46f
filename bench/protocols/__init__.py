"""Named evaluation protocols: each reproduces one peer's own evaluation step by step (docs/metrics.md, "Protocols").

    from bench.protocols import get_steps, list_protocols
    get_steps("co2net").describe()        # reading, resizing, flow frames, pairs, metrics, peer files
    bench.metrics.metrics_for("co2net")   # its metrics (registered by importing this package)

``paper`` (default) is this suite's definitions; ``co2net``, ``dovenet``, ``vtt`` and ``lai`` are the peers'.
"""
from . import paper, co2net, dovenet, vtt, lai  # noqa: F401, I001  (each registers its protocol, in this order)
from .registry import PROTOCOL_STEPS, ProtocolSteps, get_steps, list_protocols

__all__ = ["PROTOCOL_STEPS", "ProtocolSteps", "get_steps", "list_protocols"]
