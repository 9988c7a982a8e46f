"""RAFT (Teed & Deng 2020) through ptlflow, from weights already on this machine — never random weights.

Two ways to name the weights:

* ``ckpt_path=FILE`` — a local ptlflow checkpoint (a dict with ``state_dict``, as ptlflow saves it,
  or a bare state dict);
* ``pretrained=NAME`` — one of ptlflow's pretrained names for the model (``things``, ``sintel``,
  ``kitti``, …), used only when the file is already in torch.hub's cache
  (``$TORCH_HOME/hub/checkpoints/``); nothing is downloaded.

Anything missing is a :class:`FlowError` that says where the file should be.  ptlflow is imported
only when the weights exist, because the import alone takes seconds.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from harmonizer.digest import file_digest

from .base import FlowError, FlowEstimator, check_frame_pair


def _file_sha1(path: Path) -> str:
    return file_digest(path, "sha1")


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def resolve_pretrained(model: str, name: str) -> Path:
    """The cached file of ptlflow's pretrained ``name`` for ``model``; a clear error when absent."""
    import ptlflow  # slow import, only on this path

    ref = ptlflow.get_model_reference(model)
    urls = getattr(ref, "pretrained_checkpoints", {}) or {}
    if name not in urls:
        raise FlowError(f"ptlflow model {model!r} has no pretrained weights named {name!r}; known: {', '.join(urls)}")
    path = hub_checkpoint_dir() / os.path.basename(urls[name])
    if not path.is_file():
        raise FlowError(
            f"pretrained {model}/{name} weights are not in the local cache: expected {path} "
            f"(download {urls[name]} there, or pass ckpt_path=FILE); refusing to run with random weights"
        )
    return path


class RAFTFlow(FlowEstimator):
    """ptlflow's ``raft`` (or ``raft_small``…) with fixed weights, evaluated on CPU or ``device``."""

    name = "raft"

    def __init__(self, ckpt_path: str | os.PathLike | None = None, pretrained: str | None = None, *,
                 model: str = "raft", iters: int | None = None, device: str = "cpu", batch_size: int = 4) -> None:
        if ckpt_path is None and pretrained is None:
            raise FlowError("the 'raft' flow estimator needs weights: ckpt_path=FILE or pretrained=NAME "
                            "(a name already in torch.hub's cache); it never runs with random weights")
        if ckpt_path is not None:
            path = Path(ckpt_path)
            if not path.is_file():
                raise FlowError(f"RAFT checkpoint file {path} does not exist; refusing to run with random weights")
        else:
            path = resolve_pretrained(model, pretrained)
        self.ckpt_path = path
        self.pretrained = pretrained
        self.model_name = model
        self.iters = iters
        self.device = torch.device(device)
        self.batch_size = batch_size
        self._weights_sha1 = _file_sha1(path)
        self._net = None

    def settings(self) -> dict:
        return {"model": self.model_name, "weights_sha1": self._weights_sha1, "iters": self.iters}

    def _model(self):
        if self._net is None:
            import ptlflow

            net = ptlflow.get_model(self.model_name)
            ckpt = torch.load(self.ckpt_path, map_location="cpu", weights_only=True)
            state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
            if not isinstance(state, dict):
                raise FlowError(f"{self.ckpt_path} is not a checkpoint (expected a state dict)")
            try:
                net.load_state_dict(state, strict=True)
            except RuntimeError as exc:
                raise FlowError(f"{self.ckpt_path} does not fit ptlflow model {self.model_name!r}: {exc}") from exc
            if self.iters is not None:
                net.iters = self.iters
            self._net = net.eval().to(self.device)
        return self._net

    @torch.no_grad()
    def estimate(self, frames_a: torch.Tensor, frames_b: torch.Tensor) -> torch.Tensor:
        check_frame_pair(frames_a, frames_b)
        net = self._model()
        out = []
        for s in range(0, frames_a.shape[0], self.batch_size):
            # ptlflow models take BGR in [0, 1] as B×2×3×H×W and pad to their stride themselves
            a = frames_a[s:s + self.batch_size].flip(1)
            b = frames_b[s:s + self.batch_size].flip(1)
            images = torch.stack((a, b), dim=1).to(self.device, torch.float32)
            out.append(net({"images": images})["flows"][:, 0].float().cpu())
        return torch.cat(out)
