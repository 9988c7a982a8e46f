"""One clip's inputs, checked once, and the intermediates several metrics share, each computed at most once.

A metric function takes a :class:`Clip` and asks it for what it uses: the checked inputs (``clip.pred``,
``clip.gt``, ``clip.mask``, ``clip.flow_bw`` …, float64) and shared intermediates (``clip.squared_error()``,
``clip.error_stats()``, ``clip.ssim_map()``, ``clip.warped_previous("pred")``, ``clip.warped_sq_diff()``,
``clip.valid_weight()``).  The first request computes the value and keeps it; every later request on the same
clip, by any metric, gets the kept value.  So scoring a clip with all metrics costs one SSIM map and one warp per
warped tensor, and each metric gives exactly what it gives when called alone (it runs the same code).

The input names are the suite's one set (docs/metrics.md, "Inputs"): :data:`INPUT_NAMES`.  Readers
(``bench.datasets.VideoSample.available()``), metric ``needs`` and the runner all use them.
"""
from __future__ import annotations

import difflib
from typing import Callable, Hashable

import torch

from harmonizer.warp import backward_warp, flow_in_bounds

from ._checks import as_images, check_flow, check_mask, require_frames, same_shape
from .ssim import ssim_map

INPUT_NAMES = ("gt", "mask", "flow_bw", "flow_fw", "valid_bw", "valid_fw")
"""What a metric may need beside ``pred``: ground-truth frames, foreground masks, backward and forward flows and
their stored validity masks (shapes and flow direction in docs/metrics.md)."""

WARPABLE = ("pred", "gt", "mask", "flow_fw")


def unknown_input_error(name: str, where: str) -> str:
    """``"<where>: unknown input 'x'; the inputs are … (did you mean …?)"``."""
    close = difflib.get_close_matches(name, INPUT_NAMES, n=2)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    return f"{where}: unknown input '{name}'; the inputs are {', '.join(INPUT_NAMES)}{hint}"


class Clip:
    """The prediction ``pred`` (T×3×H×W in [0, 1]) of one clip and its other inputs (``None`` = not given)."""

    def __init__(self, pred: torch.Tensor, **inputs: torch.Tensor | None) -> None:
        for name in inputs:
            if name not in INPUT_NAMES:
                raise TypeError(unknown_input_error(name, "Clip"))
        self.raw = {"pred": pred, **{n: inputs.get(n) for n in INPUT_NAMES}}
        self._memo: dict[Hashable, object] = {}

    def given(self) -> set[str]:
        """Names of the inputs that were given (not ``None``)."""
        return {n for n in INPUT_NAMES if self.raw[n] is not None}

    def once(self, key: Hashable, compute: Callable[[], object]):
        """``compute()`` the first time ``key`` is asked for on this clip, the kept value afterwards."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _given(self, name: str) -> torch.Tensor:
        value = self.raw[name]
        if value is None:
            raise ValueError(f"{name} was not given")
        return value

    # ------------------------------------------------------------------ checked inputs (float64)
    @property
    def pred(self) -> torch.Tensor:
        return self.once("pred", lambda: as_images(self.raw["pred"], "pred"))

    @property
    def frames(self) -> torch.Tensor:
        """``pred`` checked to hold the ≥ 2 frames a temporal metric compares."""
        return self.once("frames", lambda: require_frames(self.pred, "pred"))

    @property
    def gt(self) -> torch.Tensor:
        return self.once("gt", lambda: same_shape(self.pred, as_images(self._given("gt"), "gt"), "gt"))

    @property
    def mask(self) -> torch.Tensor:
        return self.once("mask", lambda: check_mask(self._given("mask"), self.pred))

    @property
    def flow_bw(self) -> torch.Tensor:
        return self.once("flow_bw", lambda: check_flow(self._given("flow_bw"), self.frames, "flow_bw"))

    @property
    def flow_fw(self) -> torch.Tensor:
        return self.once("flow_fw", lambda: check_flow(self._given("flow_fw"), self.frames, "flow_fw"))

    @property
    def valid_bw(self) -> torch.Tensor | None:
        """The stored validity of ``flow_bw``, or ``None`` when not given (it is optional everywhere)."""
        if self.raw["valid_bw"] is None:
            return None
        return self.once("valid_bw", lambda: check_mask(self.raw["valid_bw"], self.flow_bw, "valid_bw"))

    # ------------------------------------------------------------------ shared intermediates
    def squared_error(self) -> torch.Tensor:
        """``(pred − gt)²``, N×3×H×W."""
        return self.once("squared_error", lambda: (self.pred - self.gt).square())

    def error_stats(self, foreground: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame ``(sum of squared errors, number of observations)`` over all pixels and channels, or with
        ``foreground=True`` over the mask's pixels (weighted by soft values) and channels."""
        def compute():
            sq = self.squared_error()
            if not foreground:
                return sq.sum(dim=(1, 2, 3)), torch.full((sq.shape[0],), float(sq[0].numel()), dtype=sq.dtype)
            m = self.mask
            return (sq * m).sum(dim=(1, 2, 3)), sq.shape[1] * m.sum(dim=(1, 2, 3))

        return self.once(("error_stats", foreground), compute)

    def ssim_map(self) -> torch.Tensor:
        """The full-size SSIM map of ``pred`` against ``gt`` (:func:`bench.metrics.ssim.ssim_map`)."""
        return self.once("ssim_map", lambda: ssim_map(self.pred, self.gt))

    def warped_previous(self, name: str = "pred") -> torch.Tensor:
        """Frame t−1's ``name`` (``pred``, ``gt``, ``mask``, or ``flow_fw``, the forward flow of frame t−1) sampled
        where each pixel of frame t comes from, by ``flow_bw``: (T−1)×C×H×W for frames t = 1 … T−1."""
        if name not in WARPABLE:
            raise ValueError(f"warped_previous: {name!r} is not one of {', '.join(WARPABLE)}")

        def compute():
            value = getattr(self, name)
            return backward_warp(value if name == "flow_fw" else value[:-1], self.flow_bw)

        return self.once(("warped_previous", name), compute)

    def warped_sq_diff(self) -> torch.Tensor:
        """``(O_t − W(O_{t−1}))²`` for frames t = 1 … T−1, (T−1)×3×H×W."""
        return self.once("warped_sq_diff", lambda: (self.frames[1:] - self.warped_previous("pred")).square())

    def valid_weight(self) -> torch.Tensor:
        """(T−1)×1×H×W: 1 where frame t's correspondence lands inside frame t−1, times ``valid_bw`` if given."""
        def compute():
            weight = flow_in_bounds(self.flow_bw)
            return weight if self.valid_bw is None else weight * self.valid_bw

        return self.once("valid_weight", compute)
