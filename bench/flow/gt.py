"""Ground-truth flow: the flows stored with a dataset sample, behind the estimator interface.

A ground-truth "estimator" knows one clip at a time.  Bind it to a sample (anything with
``flow_bw`` and optionally ``flow_fw``, ``gt``, ``composite`` — e.g. ``bench.datasets.VideoSample``)::

    est = get_estimator("gt", sample=sample)        # or GroundTruthFlow().bind(sample)
    flow_bw, flow_fw = est.clip_flows(frames)       # the stored flows, whatever frames are scored
    est.estimate(frames[1:], frames[:-1])           # also works: pairs found by frame content

:meth:`estimate` recognises the pair by the content (SHA-1) of the frames, among the sample's
``gt`` and ``composite`` frames (and any passed with ``frames=``): a → b with b the previous frame
gives the stored backward flow, with b the next frame the stored forward flow.  Anything else is
an error, never a guess.
"""
from __future__ import annotations

import hashlib

import torch

from .base import FlowError, FlowEstimator, check_frame_pair


def frame_digest(frame: torch.Tensor) -> str:
    """SHA-1 of one frame's float32 bytes (after rounding to 8 bits, so reloaded PNGs match)."""
    q = frame.detach().to("cpu", torch.float32).clamp(0, 1).mul(255).round().to(torch.uint8).contiguous()
    return hashlib.sha1(q.numpy().tobytes() + str(tuple(q.shape)).encode()).hexdigest()


def _as_flow(x, name: str) -> torch.Tensor | None:
    if x is None:
        return None
    t = torch.as_tensor(x, dtype=torch.float32)
    if t.dim() == 4 and t.shape[-1] == 2 and t.shape[1] != 2:  # (T−1)×H×W×2 as stored on disk
        t = t.permute(0, 3, 1, 2)
    if t.dim() != 4 or t.shape[1] != 2:
        raise ValueError(f"{name} must be (T−1)×2×H×W, got {tuple(t.shape)}")
    return t.contiguous()


class GroundTruthFlow(FlowEstimator):
    name = "gt"

    def __init__(self, *, sample=None, flow_bw=None, flow_fw=None, frames=None, clip_id: str | None = None) -> None:
        self.flow_bw: torch.Tensor | None = None
        self.flow_fw: torch.Tensor | None = None
        self.clip_id = clip_id
        self._index: dict[str, int] = {}
        if sample is not None:
            self._bind_sample(sample)
        if flow_bw is not None or flow_fw is not None:
            self.flow_bw, self.flow_fw = _as_flow(flow_bw, "flow_bw"), _as_flow(flow_fw, "flow_fw")
        if frames is not None:
            self._register(frames)

    def settings(self) -> dict:
        return {"source": "dataset"}

    def bind(self, sample) -> "GroundTruthFlow":
        """A new estimator holding ``sample``'s stored flows."""
        return GroundTruthFlow(sample=sample)

    def _bind_sample(self, sample) -> None:
        self.clip_id = getattr(sample, "clip_id", self.clip_id)
        self.flow_bw = _as_flow(getattr(sample, "flow_bw", None), "flow_bw")
        self.flow_fw = _as_flow(getattr(sample, "flow_fw", None), "flow_fw")
        for attr in ("gt", "composite"):
            frames = getattr(sample, attr, None)
            if frames is not None:
                self._register(frames)

    def _register(self, frames: torch.Tensor) -> None:
        for i, frame in enumerate(frames):
            self._index.setdefault(frame_digest(frame), i)

    def _where(self) -> str:
        return f"clip {self.clip_id!r}" if self.clip_id else "the bound clip"

    def _require_bw(self) -> torch.Tensor:
        if self.flow_bw is None:
            raise FlowError(
                "the 'gt' flow estimator has no stored flow: bind it to a dataset sample that has ground-truth "
                "flow (get_estimator('gt', sample=...)) or use an estimated flow such as 'dis' for this dataset"
            )
        return self.flow_bw

    def clip_flows(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        bw = self._require_bw()
        if frames.shape[0] - 1 != bw.shape[0] or tuple(frames.shape[-2:]) != tuple(bw.shape[-2:]):
            raise FlowError(
                f"{self._where()}: stored flow {tuple(bw.shape)} does not fit a clip of shape {tuple(frames.shape)}"
            )
        return bw, self.flow_fw

    def estimate(self, frames_a: torch.Tensor, frames_b: torch.Tensor) -> torch.Tensor:
        check_frame_pair(frames_a, frames_b)
        bw = self._require_bw()
        out = []
        for k, (a, b) in enumerate(zip(frames_a, frames_b)):
            i, j = self._index.get(frame_digest(a)), self._index.get(frame_digest(b))
            if i is None or j is None:
                raise FlowError(f"{self._where()}: pair {k} is not made of this clip's frames; no stored flow for it")
            if j == i - 1:
                out.append(bw[i - 1])
            elif j == i + 1:
                if self.flow_fw is None:
                    raise FlowError(f"{self._where()}: no stored forward flow (frame {i} → {j})")
                out.append(self.flow_fw[i])
            else:
                raise FlowError(f"{self._where()}: frames {i} → {j} are not consecutive; only t ↔ t±1 flows are stored")
        return torch.stack(out)
