"""Flow estimators: DIS accuracy on a known field, the ground-truth wrapper, the cache, the registry."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from bench.flow.cache import cache_key
from bench.flow import CachedFlow, FlowError, FlowEstimator, GroundTruthFlow, get_estimator, list_estimators


def _texture(x: torch.Tensor, y: torch.Tensor, seed: int = 0, waves: int = 40) -> torch.Tensor:
    """A band-limited RGB texture defined at any real coordinate (sum of random plane waves)."""
    g = torch.Generator().manual_seed(seed)
    out = torch.zeros(3, *x.shape, dtype=torch.float64)
    for _ in range(waves):
        wavelength = 6 + 30 * torch.rand(1, generator=g).item()
        theta, phase = 2 * math.pi * torch.rand(2, generator=g, dtype=torch.float64)
        amp = torch.rand(3, 1, 1, generator=g, dtype=torch.float64)
        out += amp * torch.sin(2 * math.pi / wavelength * (x * torch.cos(theta) + y * torch.sin(theta)) + phase)
    return (out + out.abs().amax()) / (2 * out.abs().amax())


def _known_flow_pair(size: int = 256):
    """Frames a, b with a(p) = b(p + u(p)) for a smooth field u of at most 3 px, both sampled analytically."""
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                            indexing="ij")
    ux = 0.95 * (2.0 * torch.sin(2 * math.pi * ys / size + 0.3) + 0.8 * torch.cos(2 * math.pi * xs / size))
    uy = 0.95 * 1.5 * torch.cos(math.pi * (xs + ys) / size)
    assert (ux.square() + uy.square()).sqrt().max() <= 3.0
    a, b = _texture(xs + ux, ys + uy), _texture(xs, ys)
    return a[None].float(), b[None].float(), torch.stack((ux, uy))[None].float()


def test_dis_recovers_a_known_smooth_flow_at_256():
    a, b, true_flow = _known_flow_pair(256)
    flow = get_estimator("dis").estimate(a, b)
    assert flow.shape == (1, 2, 256, 256) and flow.dtype == torch.float32
    epe = (flow - true_flow).square().sum(dim=1).sqrt()[0]
    # interior pixels: 16 px from each border, where every correspondence stays inside the frame
    assert epe[16:-16, 16:-16].mean() < 0.5, epe[16:-16, 16:-16].mean()
    assert epe.mean() < 1.0


def test_clip_flows_give_backward_and_forward_flows():
    a, b, _ = _known_flow_pair(64)
    clip = torch.cat((b, a, b))
    est = get_estimator("dis", preset="fast")
    bw, fw = est.clip_flows(clip)
    assert bw.shape == fw.shape == (2, 2, 64, 64)
    # frames 0→1 and 2→1 are the same pair, so their flows are identical
    assert torch.equal(fw[0], bw[1])
    with pytest.raises(ValueError, match="T ≥ 2"):
        est.clip_flows(clip[:1])


def _sample(frames: int = 3, size: int = 16):
    g = torch.Generator().manual_seed(5)
    gt = torch.rand(frames, 3, size, size, generator=g)
    composite = torch.rand(frames, 3, size, size, generator=g)
    flow_bw = torch.randn(frames - 1, 2, size, size, generator=g)
    flow_fw = torch.randn(frames - 1, 2, size, size, generator=g)
    return SimpleNamespace(clip_id="c1", gt=gt, composite=composite, flow_bw=flow_bw, flow_fw=flow_fw)


def test_gt_estimator_returns_the_stored_flows():
    s = _sample()
    est = get_estimator("gt", sample=s)
    bw, fw = est.clip_flows(s.composite)
    assert torch.equal(bw, s.flow_bw) and torch.equal(fw, s.flow_fw)
    assert torch.equal(est.estimate(s.gt[1:], s.gt[:-1]), s.flow_bw)
    assert torch.equal(est.estimate(s.composite[:-1], s.composite[1:]), s.flow_fw)
    # the on-disk layout (T−1)×H×W×2 is accepted too
    disk = GroundTruthFlow(flow_bw=s.flow_bw.permute(0, 2, 3, 1).numpy(), frames=s.gt)
    assert torch.equal(disk.estimate(s.gt[2:], s.gt[1:2]), s.flow_bw[1:])


def test_gt_estimator_refuses_to_guess():
    s = _sample()
    est = GroundTruthFlow().bind(s)
    with pytest.raises(FlowError, match="not consecutive"):
        est.estimate(s.gt[2:], s.gt[:1])
    with pytest.raises(FlowError, match="not made of this clip's frames"):
        est.estimate(torch.zeros(1, 3, 16, 16), s.gt[:1])
    with pytest.raises(FlowError, match="does not fit"):
        est.clip_flows(s.gt[:2])
    with pytest.raises(FlowError, match="no stored flow"):
        get_estimator("gt").clip_flows(s.gt)
    no_fw = GroundTruthFlow(sample=SimpleNamespace(clip_id="c2", gt=s.gt, flow_bw=s.flow_bw))
    with pytest.raises(FlowError, match="c2.*forward"):
        no_fw.estimate(s.gt[:1], s.gt[1:2])


class _CountingFlow(FlowEstimator):
    name = "counting"

    def __init__(self, scale: float = 1.0) -> None:
        self.scale, self.calls = scale, 0

    def settings(self) -> dict:
        return {"scale": self.scale}

    def estimate(self, frames_a, frames_b):
        self.calls += 1
        return self.scale * (frames_a - frames_b)[:, :2].float()


def test_cache_hits_on_same_frames_and_settings_only(tmp_path):
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 3, 8, 8, generator=g), torch.rand(2, 3, 8, 8, generator=g)
    inner = _CountingFlow()
    cached = CachedFlow(inner, tmp_path)
    first = cached.estimate(a, b)
    again = cached.estimate(a.clone(), b.clone())
    assert inner.calls == 1 and cached.hits == 1 and torch.equal(first, again)
    cached.estimate(b, a)  # other frames
    CachedFlow(_CountingFlow(scale=2.0), tmp_path).estimate(a, b)  # other settings
    assert inner.calls == 2
    files = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 3 and not any(".tmp" in f for f in files)
    # a corrupt entry is recomputed, not trusted
    for p in tmp_path.rglob("*.npy"):
        p.write_bytes(b"garbage")
    fresh = CachedFlow(_CountingFlow(), tmp_path)
    assert torch.equal(fresh.estimate(a, b), first) and fresh.misses == 1
    assert np.load(cached.path_for(cache_key(inner, a, b))).shape == (2, 2, 8, 8)


def test_registry_names_and_errors(tmp_path):
    assert list_estimators() == ["gt", "dis", "raft"]
    assert isinstance(get_estimator("dis", cache_dir=tmp_path), CachedFlow)
    assert isinstance(get_estimator("gt", cache_dir=tmp_path), GroundTruthFlow)
    with pytest.raises(KeyError, match="unknown flow estimator 'flownet'.*dis"):
        get_estimator("flownet")
    with pytest.raises(TypeError, match="'dis'"):
        get_estimator("dis", wrong_option=1)
    with pytest.raises(ValueError, match="unknown DIS preset"):
        get_estimator("dis", preset="slowest")


def test_gt_estimator_binds_a_dataset_sample(tiny_dancing):
    """The 'gt' estimator on a VideoSample read from a built Dancing dataset returns its stored flows."""
    from bench.datasets import open_dataset

    reader = open_dataset(tiny_dancing)
    sample = reader.load(reader.clip_ids()[0])
    est = get_estimator("gt", sample=sample)
    bw, fw = est.clip_flows(sample.composite)
    assert torch.equal(bw, sample.flow_bw) and torch.equal(fw, sample.flow_fw)
    assert torch.equal(est.estimate(sample.gt[1:], sample.gt[:-1]), sample.flow_bw)
