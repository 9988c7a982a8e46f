"""Speed of the baselines on CPU: inference ms/frame and training ms/step per architecture and profile, and
RealismCNN's per-frame colour adjustment.

Networks are freshly initialised (speed does not depend on the weights).  Checks inside each benchmark: the
architectures' parameter counts are matched within the registry's tolerance (``parameter_report``), outputs
have the input's shape and are finite, a training step lowers the loss of the batch it was taken on, and
RealismCNN's adjustment never lowers a frame's realism logit (it maximises it from the identity).

    pytest benchmarks/test_bench_baselines.py --benchmark-only
"""
from __future__ import annotations

import dataclasses

import pytest
import torch

import baselines  # noqa: F401  (registers dih/resnet)
from baselines.architectures import parameter_report
from harmonizer.config import get_config
from harmonizer.models import build_generator

ARCHS = ("unet", "dih", "resnet")


def _inputs(size: int, batch: int):
    torch.manual_seed(0)
    frames = torch.rand(batch, 3, size, size)
    masks = torch.zeros(batch, 1, size, size)
    masks[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return frames, masks


def _settings(scale):
    return scale(("quick", 64, 8), ("tiny", 32, 2))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.benchmark(group="baselines: inference")
def test_inference(benchmark, arch, scale):
    profile, size, batch = _settings(scale)
    cfg = get_config(profile)
    report = parameter_report(cfg.model)
    assert report["matched"], report
    G = build_generator(dataclasses.replace(cfg.model, arch=arch)).eval()
    frames, masks = _inputs(size, batch)
    with torch.no_grad():
        out = benchmark(G, frames * 2 - 1, masks)
    assert out.shape == frames.shape and torch.isfinite(out).all()
    benchmark.extra_info.update(profile=profile, size=size, frames_per_call=batch,
                                parameters=report["parameters"][arch])


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.benchmark(group="baselines: training step")
def test_training_step(benchmark, arch, scale):
    profile, size, batch = _settings(scale)
    cfg = get_config(profile)
    G = build_generator(dataclasses.replace(cfg.model, arch=arch)).train()
    opt = torch.optim.Adam(G.parameters(), lr=1e-4)
    frames, masks = _inputs(size, batch)
    loss_of = lambda: (G(frames * 2 - 1, masks) - frames).pow(2).mean()  # noqa: E731
    with torch.no_grad():
        start = float(loss_of())

    def step():
        loss = loss_of()
        opt.zero_grad()
        loss.backward()
        opt.step()

    benchmark.pedantic(step, rounds=scale(5, 1), warmup_rounds=scale(1, 0), iterations=1)
    with torch.no_grad():
        assert float(loss_of()) < start, "training steps did not lower the loss of their own batch"
    benchmark.extra_info.update(profile=profile, size=size, frames_per_step=batch)


@pytest.mark.benchmark(group="baselines: inference")
def test_realism_adjustment(benchmark, scale):
    from baselines.realism_cnn import adjust_foreground
    from baselines.realism_config import get_realism_config
    from baselines.realism_model import RealismNet

    profile, size, batch = _settings(scale)
    rcfg = get_realism_config(profile)
    torch.manual_seed(0)
    net = RealismNet(rcfg.net).eval()
    frames, masks = _inputs(size, batch)
    result = benchmark.pedantic(adjust_foreground, args=(net, frames, masks, rcfg.adjust), rounds=scale(3, 1),
                                iterations=1)
    assert result.frames.shape == frames.shape
    assert torch.all(result.score_after >= result.score_before - 1e-4), (result.score_before, result.score_after)
    benchmark.extra_info.update(profile=profile, size=size, frames_per_call=batch, steps=rcfg.adjust.steps)
