"""Peak memory and time of ``bench.runner.run_benchmark`` over clip counts (scoring must stream clip by clip).

A Dancing-format dataset of random textured clips moving by a known flow (1 px/frame to the right) is written
once; for each clip count the runner scores cut-and-paste and a foreground-darkening method with every registered
metric in a fresh Python process, which reports its peak resident memory (``VmHWM`` of ``/proc/self/status``) and
the growth over the memory measured just before scoring.  Not ``ru_maxrss``: on Linux a child's ``ru_maxrss`` starts
at its parent's resident size at fork time, so under pytest (a parent of ~1.2 GB after the other benchmarks) every
count read the same 1207 MiB; ``VmHWM`` belongs to the child's own address space, which starts fresh at exec.  The benchmark asserts the peak for the largest count stays within 15 %
(+ 16 MiB) of the smallest, and checks the numbers: cut-and-paste's composite darkens the foreground to half, so
its per-frame MSE must equal the one computed here with NumPy from the written frames.

    pytest benchmarks/test_bench_runner.py --benchmark-only
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CHILD = r"""
import json, sys, time
import torch
torch.set_num_threads(1)
from baselines.registry import get_method
from bench.datasets import DancingReader
from bench.runner import run_benchmark

def status_kib(key="VmRSS"):  # VmHWM: this process's own peak (ru_maxrss would include the parent's at fork)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":"))

class Darken:
    name = "darken"
    def harmonize(self, frames, masks):
        return frames * (1 - 0.5 * masks)

data, out, n, flow = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
reader = DancingReader(data)
ids = reader.clip_ids()[:n]
reader.clip_ids = lambda: ids
before = status_kib()
t0 = time.perf_counter()
run_benchmark({"cut_and_paste": get_method("cut_and_paste"), "darken": Darken()}, reader, out, flow=flow,
              progress=False)
print(json.dumps({"clips": n, "rss_before_mib": before / 1024,
                  "peak_rss_mib": status_kib("VmHWM") / 1024,
                  "seconds": time.perf_counter() - t0}))
"""


def build_data(root: Path, clips: int, size: int, frames: int) -> None:
    from harmonizer.data.format import Clip, write_clip, write_manifest

    rng = np.random.default_rng(0)
    for i in range(clips):
        base = rng.integers(0, 256, size=(size, size + frames, 3), dtype=np.uint8)
        fg = np.zeros((size, size + frames), bool)
        fg[size // 4: 3 * size // 4, size // 4: size // 2] = True
        window = lambda img, t: img[:, frames - t: frames - t + size]  # noqa: E731  content moves right 1 px/frame
        gt = np.stack([window(base, t) for t in range(frames)])
        comp = np.stack([window(np.where(fg[..., None], base // 2, base), t) for t in range(frames)])
        mask = np.stack([window(fg, t) for t in range(frames)])
        flow = np.zeros((frames - 1, size, size, 2), np.float32)
        flow[..., 0] = -1.0
        valid = np.ones((frames - 1, size, size), bool)
        write_clip(root, Clip(f"clip{i:03d}", "test", gt, comp, mask, flow, -flow, valid, valid, {}))
    write_manifest(root, [{"id": f"clip{i:03d}", "split": "test"} for i in range(clips)])


def check_mse(data: Path, results: Path, n: int) -> None:
    """cut_and_paste's MSE per frame equals NumPy's on the stored frames (composite vs ground truth)."""
    from harmonizer.data.format import read_clip

    df = pd.read_csv(results / "results.csv")
    got = df[(df["method"] == "cut_and_paste") & (df["metric"] == "mse")]
    assert got["clip"].nunique() == n
    for clip_id in sorted(got["clip"].unique())[:3]:
        clip = read_clip(data, "test", clip_id)
        want = ((clip.composite / 255.0 - clip.gt / 255.0) ** 2).mean(axis=(1, 2, 3))
        have = got[got["clip"] == clip_id].sort_values("frame")["value"].to_numpy()
        np.testing.assert_allclose(have, want, rtol=1e-6)


def pytest_generate_tests(metafunc):
    from conftest import smoke_mode

    if "flow" in metafunc.fixturenames:  # the smoke run scores with DIS only (the same code path, one process less)
        metafunc.parametrize("flow", ["dis"] if smoke_mode(metafunc.config) else ["gt", "dis"])


@pytest.mark.benchmark(group="runner memory over clip counts")
def test_runner_memory(benchmark, flow, tmp_path_factory, scale):
    counts, size, frames = scale((10, 100), (2, 6)), scale(128, 32), scale(4, 3)
    work = tmp_path_factory.mktemp(f"runner-{flow}")
    data = work / "data"
    build_data(data, max(counts), size, frames)
    repo = Path(__file__).resolve().parents[1]

    def score(n):
        out = work / f"results-{n}"
        proc = subprocess.run([sys.executable, "-c", CHILD, str(data), str(out), str(n), flow], cwd=repo,
                              capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"scoring {n} clips failed:\n{proc.stderr[-3000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["growth_mib"] = row["peak_rss_mib"] - row["rss_before_mib"]
        return row

    small = score(counts[0])
    large = benchmark.pedantic(score, args=(counts[1],), rounds=1, iterations=1)
    check_mse(data, work / f"results-{counts[1]}", counts[1])
    benchmark.extra_info.update(flow=flow, size=size, frames=frames, runs=[small, large], peak="VmHWM")
    assert large["peak_rss_mib"] <= 1.15 * small["peak_rss_mib"] + 16, (
        f"peak RSS grows with the clip count: {small['peak_rss_mib']:.0f} MiB for {counts[0]} clips, "
        f"{large['peak_rss_mib']:.0f} MiB for {counts[1]}")
