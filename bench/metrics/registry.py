"""The metric registry: each metric's function and metadata, and one call that scores a whole clip.

``METRICS[name]`` is a :class:`MetricSpec` with ``higher_is_better`` (so tables can mark the best
value without hard-coding directions), ``scale`` (the unit every number is in), ``needs`` (which
inputs beyond the prediction it uses: ``gt``, ``mask``, ``flow`` = backward flows, ``flow_fw`` =
forward flows) and ``temporal`` (True: ``T−1`` values for frames 1…T−1; False: one per frame).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from . import image, temporal
from ._checks import as_images, check_clip, check_flow, check_mask, check_pair, safe_ratio


@dataclass(frozen=True)
class MetricSpec:
    """One metric.  ``needs`` lists the inputs in the order ``fn`` takes them after ``pred``."""

    name: str
    fn: Callable[..., torch.Tensor]
    higher_is_better: bool
    scale: str
    needs: tuple[str, ...]
    temporal: bool
    description: str


def _spec(fn, higher, scale, needs, temporal_, description) -> MetricSpec:
    return MetricSpec(fn.__name__, fn, higher, scale, tuple(needs), temporal_, description)


METRICS: dict[str, MetricSpec] = {s.name: s for s in (
    _spec(image.mse, False, "[0,1] images", ("gt",), False, "mean squared error"),
    _spec(image.psnr, True, "dB, data range 1", ("gt",), False, "PSNR; +inf for identical frames"),
    _spec(image.fmse, False, "[0,1] images", ("gt", "mask"), False, "foreground MSE, / (3·mask pixels)"),
    _spec(image.fpsnr, True, "dB, data range 1", ("gt", "mask"), False, "PSNR of the foreground MSE"),
    _spec(image.mse255, False, "0-255 images", ("gt",), False, "MSE on 0-255 values (HYouTube/iHarmony4)"),
    _spec(image.fmse255, False, "0-255 images", ("gt", "mask"), False, "fMSE on 0-255 values (HYouTube/iHarmony4)"),
    _spec(image.ssim, True, "[-1,1]", ("gt",), False, "SSIM as scikit-image (Gaussian σ=1.5, population cov.)"),
    _spec(image.fssim, True, "[-1,1]", ("gt", "mask"), False, "SSIM map averaged over mask pixels"),
    _spec(temporal.lt_regional, False, "[0,1] images", ("mask", "flow"), True, "paper's regional L_T"),
    _spec(temporal.lt_global, False, "[0,1] images", ("flow",), True, "global temporal loss"),
    _spec(temporal.tl_co2net, False, "0-255 images", ("gt", "mask", "flow"), True, "CO2Net TL, soft occlusion"),
    _spec(temporal.warp_error, False, "[0,1] images", ("flow", "flow_fw"), True, "Lai et al. 2018 warping error"),
    _spec(temporal.fr_rtc, False, "(0-255)^2 brightness", ("gt", "mask"), True, "flow-free fg brightness fR-RTC"),
)}


def list_metrics() -> list[str]:
    return list(METRICS)


def get_metric(name: str) -> MetricSpec:
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def _available(inputs: dict) -> set[str]:
    return {k for k, v in inputs.items() if v is not None}


def evaluate_clip(pred: torch.Tensor, *, gt: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                  flow_bw: torch.Tensor | None = None, flow_fw: torch.Tensor | None = None,
                  valid_bw: torch.Tensor | None = None, metrics: list[str] | None = None,
                  where: str = "clip") -> dict[str, torch.Tensor]:
    """Score one clip ``pred`` (T×3×H×W in [0, 1]) with several metrics at once, sharing the SSIM map and
    the warped previous frames between them.  Results equal the individual functions.

    ``metrics=None`` means every metric whose inputs are given; a requested metric whose input is missing
    is an error naming ``where`` (e.g. the clip id).  Image metrics give T values, temporal ones T−1
    (frames 1…T−1); a single-frame clip skips temporal metrics when ``metrics`` is None.
    """
    given = {"gt": gt, "mask": mask, "flow": flow_bw, "flow_fw": flow_fw}
    have = _available(given)
    n_frames = pred.shape[0] if pred.dim() == 4 else 0
    if metrics is None:
        names = [n for n, s in METRICS.items() if set(s.needs) <= have and (not s.temporal or n_frames >= 2)]
    else:
        names = list(metrics)
        for n in names:
            missing = set(get_metric(n).needs) - have
            if missing:
                raise ValueError(f"{where}: metric {n!r} needs {', '.join(sorted(missing))}, which was not given")
    try:
        return _evaluate(names, pred, gt, mask, flow_bw, flow_fw, valid_bw)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _evaluate(names, pred, gt, mask, flow_bw, flow_fw, valid_bw) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    # convert once to float64; the functions below then see float64 and do not copy again
    p = check_clip(pred) if any(METRICS[n].temporal for n in names) else as_images(pred, "pred")
    x = check_pair(p, gt)[1] if gt is not None else None
    m = check_mask(mask, p) if mask is not None else None
    stats = {}
    if {"mse", "psnr", "mse255", "fmse", "fpsnr", "fmse255"} & set(names):
        sq = (p - x).square()
        stats["all"] = image._mse_stats(sq, None)
        if m is not None:
            stats["fg"] = image._mse_stats(sq, m)
    smap = image.ssim_map(p, x) if {"ssim", "fssim"} & set(names) else None
    warped = _shared_warps(names, p, x, m, flow_bw, flow_fw, valid_bw)
    for n in names:
        if n == "mse":
            out[n] = image._mse_compute(*stats["all"])
        elif n == "psnr":
            out[n] = image._psnr_compute(*stats["all"])
        elif n == "mse255":
            out[n] = image._mse_compute(*stats["all"]) * 255.0**2
        elif n == "fmse":
            out[n] = image._mse_compute(*stats["fg"])
        elif n == "fpsnr":
            out[n] = image._psnr_compute(*stats["fg"])
        elif n == "fmse255":
            out[n] = image._mse_compute(*stats["fg"]) * 255.0**2
        elif n == "ssim":
            out[n] = safe_ratio(*image._ssim_update(smap))
        elif n == "fssim":
            out[n] = safe_ratio(*image._ssim_update(smap, m))
        elif n == "lt_regional":
            out[n] = temporal._weighted_mean(warped["sq"], warped["valid"] * m[1:])
        elif n == "lt_global":
            out[n] = temporal._weighted_mean(warped["sq"], warped["valid"])
        elif n == "warp_error":
            occluded = temporal._occlusion_from_warped(warped["bw"], warped["fw"])
            out[n] = temporal._weighted_mean(warped["sq"], 1.0 - occluded)
        elif n == "tl_co2net":
            out[n] = temporal._tl_from_warped(warped["sq"], warped["gt"], warped["mask"], x[1:])
        elif n == "fr_rtc":
            out[n] = temporal.fr_rtc(p, x, m)
        else:  # a metric registered without a shared path
            spec = get_metric(n)
            kwargs = {"gt": gt, "mask": mask, "flow": flow_bw, "flow_fw": flow_fw}
            out[n] = spec.fn(pred, *[kwargs[k] for k in spec.needs])
    return out


def _shared_warps(names, p, gt, m, flow_bw, flow_fw, valid_bw) -> dict[str, torch.Tensor]:
    """Warp everything the temporal metrics need onto frames 1…T−1 in one ``backward_warp`` call."""
    wanted = set(names) & {"lt_regional", "lt_global", "warp_error", "tl_co2net"}  # all use sq
    if not wanted:
        return {}
    bw = check_flow(flow_bw, p, "flow_bw")
    parts = {"pred": p[:-1]}
    if "tl_co2net" in wanted:
        parts["gt"] = gt[:-1]
        parts["mask"] = m[:-1]
    if "warp_error" in wanted:
        parts["fw"] = check_flow(flow_fw, p, "flow_fw")
    warped = temporal.backward_warp(torch.cat(list(parts.values()), dim=1), bw)
    out = dict(zip(parts, warped.split([v.shape[1] for v in parts.values()], dim=1)))
    out.update(bw=bw, sq=(p[1:] - out["pred"]).square(), valid=temporal._valid_weight(bw, valid_bw))
    return out
