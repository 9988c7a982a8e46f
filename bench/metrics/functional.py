"""All metric functions in one namespace (``bench.metrics.functional.psnr(pred, target)`` …).

Image metrics return one value per frame (``N``); temporal metrics take a whole clip and
return ``T−1`` values for frames t ≥ 1.  Definitions and scales: :mod:`bench.metrics.image`,
:mod:`bench.metrics.temporal` and docs/metrics.md.
"""
from .image import fmse, fmse255, fpsnr, fssim, mse, mse255, psnr, ssim, ssim_map  # noqa: F401
from .temporal import fr_rtc, lai_occlusion, lt_global, lt_regional, tl_co2net, warp_error  # noqa: F401
