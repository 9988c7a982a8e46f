"""Peak memory of ``bench.runner.run_benchmark`` for 10 vs 100 clips (scoring must stream clip by clip).

Builds a Dancing-format dataset of random textured clips moving by a known flow, then, for each clip count, runs
the runner in a fresh Python process (cut-and-paste + a foreground-darkening method, every registered metric,
``--flow`` as given) and reports that process's peak resident memory (``ru_maxrss``) and its growth over the
resident memory measured just before scoring (imports, dataset listing).

    .venv/bin/python benchmarks/bench_runner_memory.py [--size 128] [--frames 4] [--flow gt] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import torch
torch.set_num_threads(1)
from baselines.registry import get_method
from bench.datasets import DancingReader
from bench.runner import run_benchmark

def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

class Darken:
    name = "darken"
    def harmonize(self, frames, masks):
        return frames * (1 - 0.5 * masks)

data, out, n, flow = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
reader = DancingReader(data)
ids = reader.clip_ids()[:n]
reader.clip_ids = lambda: ids
before = rss_kib()
t0 = time.perf_counter()
run_benchmark({"cut_and_paste": get_method("cut_and_paste"), "darken": Darken()}, reader, out, flow=flow,
              progress=False)
print(json.dumps({"clips": n, "rss_before_mib": before / 1024, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t0}))
"""


def build_data(root: Path, clips: int, size: int, frames: int) -> None:
    import numpy as np

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--frames", type=int, default=4)
    p.add_argument("--flow", default="gt")
    p.add_argument("--counts", default="10,100")
    p.add_argument("--work", help="working folder (default: a temporary one)")
    return p


def main(argv=None) -> list[dict]:
    args = build_parser().parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-mem-"))
    data = work / "data"
    if not (data / "manifest.jsonl").exists():
        t0 = time.perf_counter()
        build_data(data, max(counts), args.size, args.frames)
        print(f"built {max(counts)} clips of {args.frames}×{args.size}² in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    repo = Path(__file__).resolve().parents[1]
    rows = []
    for n in counts:
        out = work / f"results-{args.flow}-{n}"
        shutil.rmtree(out, ignore_errors=True)  # measure a full run, not a resume
        proc = subprocess.run([sys.executable, "-c", CHILD, str(data), str(out), str(n), args.flow], cwd=repo,
                              capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"scoring {n} clips failed:\n{proc.stderr[-3000:]}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["growth_mib"] = row["peak_rss_mib"] - row["rss_before_mib"]
        row["flow"] = args.flow
        rows.append(row)
        print(json.dumps(row))
    return rows


if __name__ == "__main__":
    main()
