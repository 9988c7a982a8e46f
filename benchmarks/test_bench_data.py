"""Dancing build: speed (clips/s, CPU s/clip) and peak memory per worker over clip counts.

* ``test_build_speed`` — ``build_dataset`` of two-frame clips with 2 workers into a fresh folder each round; the
  built clips must equal ``make_clip`` called directly for the same (seed, index), so a fast build that writes
  other clips fails.  ``extra_info`` has clips/s and CPU s/clip (workers + main: what a shared machine distorts
  least; an idle W-core machine builds about W / cpu_s_per_clip clips/s).
* ``test_build_memory`` — each clip count is built in a fresh Python process, so ``RUSAGE_CHILDREN`` is the peak
  RSS of that build's workers only; the peak for the largest count must stay within 15 % (+ 8 MB) of the smallest
  (the build streams: no clip is kept after it is written).  A child's ``ru_maxrss`` starts at its parent's
  resident size at fork time, so the workers' figure is their own only above the build process's size just
  before the build (``driver_rss_before_mb``, checked); the build process's own peak is its ``VmHWM`` (its
  ``ru_maxrss`` would start at pytest's size).

    pytest benchmarks/test_bench_data.py --benchmark-only
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import pytest

CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from harmonizer.data.build import build_dataset

def status_mb(key):  # this process's own figures (VmHWM: its peak; ru_maxrss would include the parent's at fork)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":")) / 1024

clips, size, workers = (int(a) for a in sys.argv[1:4])
before = status_mb("VmRSS")
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    build_dataset(Path(tmp) / "d", clips=clips, size=size, frames=2, seed=0, workers=workers, progress=False)
    wall = time.perf_counter() - t0
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"clips": clips, "wall_s": wall, "worker_peak_rss_mb": kids.ru_maxrss / 1024,
                  "driver_rss_before_mb": before, "main_peak_rss_mb": status_mb("VmHWM")}))
"""


def _cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def check_clips_match(root, indices, size: int) -> None:
    """The clips on disk equal ``make_clip(procedural source, i, seed=0)`` computed in this process."""
    from harmonizer.data.clips import ClipConfig, make_clip
    from harmonizer.data.format import list_clips, read_clip
    from harmonizer.data.sources import get_source

    on_disk = dict((int(cid), (split, cid)) for split, cid in list_clips(root))
    assert sorted(on_disk) == sorted(indices), "the build did not write every clip"
    src = get_source("procedural", seed=0)
    for i in indices[:2]:
        split, cid = on_disk[i]
        want = make_clip(src, i, seed=0, config=ClipConfig(size=size, frames=2), split=split)
        got = read_clip(root, split, cid)
        np.testing.assert_array_equal(got.gt, want.gt)
        np.testing.assert_array_equal(got.composite, want.composite)


@pytest.mark.benchmark(group="data build")
def test_build_speed(benchmark, tmp_path, scale):
    from harmonizer.data.build import build_dataset

    clips, size, workers = scale(50, 4), scale(256, 32), 2
    folders = iter(range(100))

    def setup():
        return (tmp_path / f"d{next(folders)}",), {}

    cpu, wall = [], []

    def build(out):
        start, start_wall = _cpu_seconds(), time.perf_counter()
        build_dataset(out, clips=clips, size=size, frames=2, seed=0, workers=workers, progress=False)
        cpu.append(_cpu_seconds() - start)
        wall.append(time.perf_counter() - start_wall)
        return out

    out = benchmark.pedantic(build, setup=setup, rounds=scale(3, 1), iterations=1)
    check_clips_match(out, list(range(clips)), size)
    benchmark.extra_info.update(clips=clips, size=size, workers=workers,
                                clips_per_s=clips / min(wall),
                                cpu_s_per_clip=min(cpu) / clips)


@pytest.mark.benchmark(group="data build")
def test_build_memory(benchmark, scale):
    counts, size, workers = scale((50, 200), (3, 6)), scale(256, 32), 2

    def child(n):
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(size), str(workers)], check=True,
                             capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    small = child(counts[0])
    large = benchmark.pedantic(child, args=(counts[1],), rounds=1, iterations=1)
    benchmark.extra_info.update(size=size, workers=workers, runs=[small, large])
    for run in (small, large):  # at or below it, the workers' figure would be the inherited start, not their peak
        assert run["worker_peak_rss_mb"] > run["driver_rss_before_mb"], run
    limit = 1.15 * small["worker_peak_rss_mb"] + 8
    assert large["worker_peak_rss_mb"] <= limit, (
        f"worker peak RSS grows with the clip count: {small['worker_peak_rss_mb']:.0f} MB for {counts[0]} clips, "
        f"{large['worker_peak_rss_mb']:.0f} MB for {counts[1]}")
