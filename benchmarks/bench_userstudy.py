"""Benchmark: user-study fitting (with bootstrap) and study-kit build speed.

    .venv/bin/python benchmarks/bench_userstudy.py                  # paper-sized studies, 200 refits
    .venv/bin/python benchmarks/bench_userstudy.py --n-boot 1000 --kit-size 256

Reports wall and CPU seconds (CPU time is less distorted by other load on a shared
machine) and peak Python heap (tracemalloc) for:
- fit_rankings on 480 simulated rankings of 4 methods, 32 raters (the paper's Table I study);
- fit_pairwise on 540 simulated choices with 9% ties, 36 raters (the paper's Section IV-C study);
- build_kit for 15 trials x 4 methods of 16-frame frame folders (encoded to VP8 WebM).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(fn) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    out = {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}
    # heap peak in a second run: tracemalloc slows choix's Python loops several-fold
    tracemalloc.start()
    fn()
    out["peak_heap_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--kit-size", type=int, default=128, help="frame size of the kit videos")
    parser.add_argument("--kit-trials", type=int, default=15)
    args = parser.parse_args(argv)

    import cv2
    import numpy as np

    from userstudy.fitting import fit_pairwise, fit_rankings
    from userstudy.kit import build_kit
    from userstudy.simulate import simulate_paper_study

    results = {}
    ranks = simulate_paper_study("realism", seed=0)
    rankings, raters = [r.split(">") for r in ranks["ranking"]], list(ranks["rater"])
    results["fit_rankings_480x4"] = measure(lambda: fit_rankings(rankings, raters, n_boot=args.n_boot))
    pairs = simulate_paper_study("discriminator", seed=0)
    comps = list(zip(pairs["left"], pairs["right"], pairs["choice"]))
    results["fit_pairwise_540"] = measure(lambda: fit_pairwise(comps, list(pairs["rater"]), n_boot=args.n_boot))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        methods = ["gan", "cut_and_paste", "dih", "realism_cnn"]
        rng = np.random.default_rng(0)
        trials = []
        for t in range(args.kit_trials):
            videos = {}
            for m in methods:
                folder = tmp / "videos" / f"clip{t:02d}" / m
                folder.mkdir(parents=True)
                for f in range(16):
                    img = rng.integers(0, 256, (args.kit_size, args.kit_size, 3), dtype=np.uint8)
                    cv2.imwrite(str(folder / f"{f:03d}.png"), img)
                videos[m] = f"clip{t:02d}/{m}"
            trials.append({"id": f"clip{t:02d}", "videos": videos})
        plan = {"study": "bench", "kind": "ranking", "methods": methods, "trials": trials,
                "questions": [{"id": "realism", "text": "?"}, {"id": "temporal", "text": "?"}]}
        (tmp / "plan.json").write_text(json.dumps(plan))
        results[f"build_kit_{args.kit_trials}x4x16f_{args.kit_size}px"] = measure(
            lambda: build_kit(tmp / "videos", tmp / "plan.json", tmp / "kit", overwrite=True))
    import resource
    results["settings"] = {"n_boot": args.n_boot,
                           "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    print(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
