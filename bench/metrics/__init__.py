"""Quality and temporal-consistency metrics (docs/metrics.md).

* A metric is one function of a :class:`Clip` plus ``@register_metric(...)`` with its metadata
  (``higher_is_better``, ``scale``, ``needs``, ``temporal``, description, ``protocol``), in its own module:
  :mod:`bench.metrics.image`, :mod:`bench.metrics.temporal`; :mod:`bench.metrics.functional` has them all as
  functions of tensors (``psnr(pred, gt)``).
* :func:`metrics_for`, :func:`get_metric`, :func:`list_metrics` read the registry by protocol (default
  ``"paper"``); ``METRICS`` is a read-only view of the paper protocol's metrics.
* :func:`evaluate_clip` — every applicable metric on one clip, sharing intermediates through the clip's memo.
* :class:`MeanAccumulator`, :class:`MetricCollection` — streaming means with NaN counts.
* :func:`bench.metrics.conventions.conventions_table` — docs/metrics.md's convention table, from the registry.
"""
from . import image, temporal  # noqa: F401  (importing them registers their metrics)
from .accumulators import MeanAccumulator, MetricCollection
from .context import INPUT_NAMES, Clip
from .registry import (DEFAULT_PROTOCOL, METRICS, MetricSpec, Protocol, evaluate_clip, get_metric, get_protocol,
                       list_metrics, list_protocols, make_clip, metrics_for, register_metric, register_protocol,
                       unregister_metric)

__all__ = ["INPUT_NAMES", "Clip", "DEFAULT_PROTOCOL", "METRICS", "MetricSpec", "Protocol", "evaluate_clip",
           "get_metric", "get_protocol", "list_metrics", "list_protocols", "make_clip", "metrics_for",
           "register_metric", "register_protocol", "unregister_metric", "MeanAccumulator", "MetricCollection"]
