"""Quality and temporal-consistency metrics (docs/metrics.md).

* A metric is one function of a :class:`Clip` plus ``@register_metric(...)`` with its metadata
  (``higher_is_better``, ``scale``, ``needs``, ``temporal``, description, ``protocol``), in its own module:
  :mod:`bench.metrics.image`, :mod:`bench.metrics.temporal`; :mod:`bench.metrics.functional` has them all as
  functions of tensors (``psnr(pred, gt)``).
* :func:`metrics_for`, :func:`get_metric`, :func:`list_metrics` read the metrics of a protocol (default
  ``"paper"``) from its entry in the one protocol registry, :mod:`bench.protocols.registry` (where a protocol is
  declared, with its reading and preparation); ``METRICS`` is a read-only view of the paper protocol's metrics.
* :func:`evaluate_clip` — every applicable metric on one clip, sharing intermediates through the clip's memo.
* :class:`MeanAccumulator`, :class:`MetricCollection` — streaming means with NaN counts.
* :func:`bench.metrics.conventions.conventions_table` — docs/metrics.md's convention table, from the registry.
"""
from . import image, temporal  # noqa: F401  (importing them registers their metrics)
from .accumulators import MeanAccumulator, MetricCollection
from .context import INPUT_NAMES, Clip
from .registry import (DEFAULT_PROTOCOL, METRICS, MetricSpec, evaluate_clip, get_metric, list_metrics, make_clip,
                       metrics_for, register_metric, unregister_metric)

__all__ = ["INPUT_NAMES", "Clip", "DEFAULT_PROTOCOL", "METRICS", "MetricSpec", "evaluate_clip", "get_metric",
           "list_metrics", "make_clip", "metrics_for", "register_metric", "unregister_metric", "MeanAccumulator",
           "MetricCollection"]
