"""Speed of the flow estimators on a clip whose background moves by a known flow (DIS always; RAFT from a local
weights file given with ``--raft-checkpoint`` / ``RAFT_CHECKPOINT``, else skipped with the reason).

The clip is :func:`test_bench_metrics.make_clip`'s: a textured background panning so that every background pixel
of frame t sits 2 px right and 1 px down in frame t−1 (backward flow (+2, +1)), and a moving disc.  Each benchmark
asserts that the median backward flow over the background, away from the disc and the borders, is that flow
within 0.25 px — an estimator that is fast because it is wrong fails.

    pytest benchmarks/test_bench_flow.py --benchmark-only [--raft-checkpoint raft-things.ckpt]
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.flow import get_estimator

from test_bench_metrics import make_clip  # noqa: E402  (benchmarks/ is on sys.path under pytest's rootdir)

KNOWN_BW = (2.0, 1.0)  # (dx, dy) of the background from frame t to frame t−1


@pytest.fixture(scope="module")
def clip(scale):
    return make_clip(0, scale(8, 3), scale(256, 64))[1]  # the ground-truth frames


def check_background_flow(flow_bw, size: int) -> float:
    """Largest deviation of the median background flow from ``KNOWN_BW`` over the frame pairs (asserted ≤ 0.25)."""
    yy, xx = np.mgrid[:size, :size]
    worst = 0.0
    for t, f in enumerate(flow_bw.numpy(), start=1):
        cx, cy = size / 2 + 3 * t, size / 2 - 2 * t  # the disc of make_clip, with a margin
        background = (((xx - cx) ** 2 + (yy - cy) ** 2) > (size / 5 + 8) ** 2)
        background &= (xx > 8) & (xx < size - 8) & (yy > 8) & (yy < size - 8)
        med = np.median(f[:, background], axis=1)
        worst = max(worst, float(np.abs(med - KNOWN_BW).max()))
    assert worst <= 0.25, f"median background flow deviates by {worst:.3f} px from {KNOWN_BW}"
    return worst


def _run(benchmark, estimator, clip):
    flow_bw, flow_fw = benchmark(estimator.clip_flows, clip)
    assert flow_fw.shape == flow_bw.shape == (clip.shape[0] - 1, 2, *clip.shape[-2:])
    benchmark.extra_info.update(frame_pairs=clip.shape[0] - 1, directions=2, size=clip.shape[-1],
                                max_background_error_px=check_background_flow(flow_bw, clip.shape[-1]),
                                settings=estimator.describe())


@pytest.mark.benchmark(group="flow: both directions per frame pair")
def test_dis_flow(benchmark, clip):
    _run(benchmark, get_estimator("dis"), clip)


@pytest.mark.benchmark(group="flow: both directions per frame pair")
def test_raft_flow(benchmark, clip, raft_checkpoint):
    _run(benchmark, get_estimator("raft", ckpt_path=raft_checkpoint), clip)
