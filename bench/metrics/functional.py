"""All metric functions of the "paper" protocol in one namespace (``bench.metrics.functional.psnr(pred, gt)`` …).

Image metrics return one value per frame (``N``); temporal metrics take a whole clip and return ``T−1`` values
for frames t ≥ 1.  Positional inputs follow each metric's ``needs`` then ``optional``; definitions and scales:
docs/metrics.md (its convention table is generated from the registry).
"""
from .image import fmse, fmse255, fpsnr, fssim, mse, mse255, psnr, ssim, ssim_map  # noqa: F401
from .temporal import fr_rtc, lai_occlusion, lt_global, lt_regional, tl_co2net, warp_error  # noqa: F401
