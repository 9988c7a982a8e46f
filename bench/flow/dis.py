"""OpenCV's DIS optical flow (Kroeger et al. 2016): the suite's embedded default, no weights needed."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from .base import FlowEstimator, check_frame_pair, to_uint8_hwc

PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


class DISFlow(FlowEstimator):
    """``cv2.DISOpticalFlow_create(preset)`` on grey 8-bit frames (RGB rounded to uint8, then
    ``cv2.COLOR_RGB2GRAY``).  ``calc(a, b)`` returns u with a(x) ≈ b(x + u(x)): our convention as is."""

    name = "dis"

    def __init__(self, preset: str = "medium") -> None:
        if preset not in PRESETS:
            raise ValueError(f"unknown DIS preset {preset!r}; choose from {', '.join(PRESETS)}")
        self.preset = preset
        self._dis = None  # created lazily: OpenCV objects do not pickle

    def settings(self) -> dict:
        return {"preset": self.preset, "input": "gray8", "opencv": cv2.__version__}

    def _engine(self):
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(PRESETS[self.preset])
        return self._dis

    def estimate(self, frames_a: torch.Tensor, frames_b: torch.Tensor) -> torch.Tensor:
        check_frame_pair(frames_a, frames_b)
        a, b = to_uint8_hwc(frames_a), to_uint8_hwc(frames_b)
        dis = self._engine()
        flows = []
        for fa, fb in zip(a, b):
            ga = cv2.cvtColor(fa, cv2.COLOR_RGB2GRAY)
            gb = cv2.cvtColor(fb, cv2.COLOR_RGB2GRAY)
            flows.append(dis.calc(ga, gb, None))
        out = np.stack(flows).astype(np.float32)  # N×H×W×2
        return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()
