"""Scoring speed per evaluation protocol (bench.protocols): every metric of the protocol plus DIS flow, 256².

One benchmark per protocol scores the same clips (``make_clip`` of test_bench_metrics.py: a panning texture, a
moving recoloured disc, 8-bit values) through ``bench.metrics.evaluate_clip(protocol=…)``, with DIS flow estimated
in both directions on the protocol's flow frames (the ground truth; for ``lai`` the input video, here the
flickering prediction stands in for it).  Frames per second = ``extra_info["frames"]`` / mean time.
Each benchmark checks one of its numbers against an independent formula (scikit-image, SciPy), so a fast but
wrong protocol fails.

    pytest benchmarks/test_bench_protocols.py --benchmark-only
"""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio
from test_bench_metrics import _warp, make_clip  # noqa: I001  (benchmarks/ is on sys.path under pytest)

from bench.flow import get_estimator
from bench.metrics import evaluate_clip, metrics_for
from bench.protocols import get_protocol, list_protocols


@pytest.fixture(scope="module")
def clips(scale):
    size, n_clips, frames = scale(256, 32), scale(2, 1), scale(5, 3)
    return [make_clip(seed, frames, size) for seed in range(n_clips)]


def _flow_frames(protocol, pred, gt):
    return pred if get_protocol(protocol).flow_frames == "composite" else gt


def score(protocol, clips, estimator):
    out = []
    for pred, gt, mask in clips:
        bw, fw = estimator.clip_flows(_flow_frames(protocol, pred, gt))
        out.append(evaluate_clip(pred, protocol=protocol, gt=gt, mask=mask, flow_bw=bw, flow_fw=fw))
    return out


def _hwc255(x):
    return np.clip(x.permute(1, 2, 0).numpy().astype(np.float32) * np.float32(255), 0, 255)


def check(protocol, clips, values, estimator) -> float:
    """One number per clip against an independent formula; returns the largest relative difference."""
    worst = 0.0
    for (pred, gt, _), v in zip(clips, values):
        p, x = _hwc255(pred[0]), _hwc255(gt[0])
        if protocol == "paper":
            got, ref = v["psnr"][0], peak_signal_noise_ratio(gt[0].double().numpy(), pred[0].double().numpy(),
                                                             data_range=1.0)
        elif protocol in ("co2net", "dovenet"):
            got, ref = v["psnr"][0], peak_signal_noise_ratio(x, p, data_range=np.float32(p.max() - p.min()))
        elif protocol == "vtt":
            got, ref = v["mse"][0], mean_squared_error(x, p)
        else:  # lai: frame 1 warped onto frame 0 by fw, occlusion by the forward-backward test on frame 0's grid
            bw, fw = (f[0].permute(1, 2, 0).double().numpy() for f in estimator.clip_flows(pred))
            b = _warp(bw, fw)
            mag = lambda a: (a**2).sum(-1)  # noqa: E731
            occ = mag(fw + b) > 0.01 * (mag(b) + mag(fw)) + 0.5
            du, dv = np.zeros_like(fw), np.zeros_like(fw)
            du[:, :-1], dv[:-1] = fw[:, :-1] - fw[:, 1:], fw[:-1] - fw[1:]
            noc = ~(occ | ((du**2 + dv**2).sum(-1) > 0.01 * mag(fw) + 0.002))
            d2 = ((_warp(pred[1].permute(1, 2, 0).double().numpy(), fw) - pred[0].permute(1, 2, 0).double().numpy())
                  ** 2).sum(-1)
            got, ref = v["warp_error"][0], (d2 * noc).sum() / (3 * noc.sum())
        rel = abs(float(got) - float(ref)) / max(1.0, abs(float(ref)))
        assert rel <= 1e-6, (protocol, float(got), float(ref))
        worst = max(worst, rel)
    return worst


@pytest.mark.benchmark(group="protocol scoring + DIS flow (both directions)")
@pytest.mark.parametrize("protocol", list_protocols())
def test_protocol_scoring(benchmark, clips, protocol):
    estimator = get_estimator("dis")
    values = benchmark(lambda: score(protocol, clips, estimator))
    benchmark.extra_info.update(frames=sum(len(c[0]) for c in clips), size=clips[0][0].shape[-1], protocol=protocol,
                                metrics=len(metrics_for(protocol)),
                                max_relative_difference=check(protocol, clips, values, estimator))
