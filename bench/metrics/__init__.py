"""Quality and temporal-consistency metrics (issue 5).

* :mod:`bench.metrics.functional` — pure per-frame functions (``mse``, ``psnr``, ``fmse``, ``fpsnr``,
  ``mse255``, ``fmse255``, ``ssim``, ``fssim``, ``lt_regional``, ``lt_global``, ``tl_co2net``,
  ``warp_error``, ``fr_rtc``); conventions in docs/metrics.md.
* ``METRICS`` — name → :class:`MetricSpec` (``higher_is_better``, ``scale``, ``needs``, ``temporal``).
* :func:`evaluate_clip` — every applicable metric on one clip, sharing intermediate work.
* :class:`MeanAccumulator`, :class:`MetricCollection` — streaming means with NaN counts.
"""
from .accumulators import MeanAccumulator, MetricCollection
from .registry import METRICS, MetricSpec, evaluate_clip, get_metric, list_metrics

__all__ = ["METRICS", "MetricSpec", "evaluate_clip", "get_metric", "list_metrics", "MeanAccumulator",
           "MetricCollection"]
