"""Where a Dancing clip's build time goes, and how disharmonious the default data is (diagnostics, not timed
benchmarks: the build's speed and memory are benchmarked in ``test_bench_data.py``).

    .venv/bin/python benchmarks/data_profile.py --stages 20                   # ms per clip in each build step
    .venv/bin/python benchmarks/data_profile.py --disharmony 60 --size 64     # area and cut-and-paste MSE per style
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time


def stages(clips: int, size: int) -> dict:
    """Seconds per clip spent in each step of make_clip + write_clip, in-process."""
    import numpy as np

    from harmonizer.data import clips as C
    from harmonizer.data.format import write_clip
    from harmonizer.data.motion import background_maps, clip_flows, foreground_maps, render
    from harmonizer.data.sources import get_source

    src, cfg, acc = get_source("procedural", seed=0), C.ClipConfig(size=size, frames=2), {}

    def tick(name, t0):
        acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0
        return time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        for i in range(clips):
            t = time.perf_counter()
            sample = src.sample(i, size)
            t = tick("procedural scene", t)
            fg = C.extend_foreground(sample.image, sample.mask)
            bg = C.inpaint_background(sample.image, sample.mask)
            t = tick("inpaint + extend", t)
            rng = C.clip_rng(0, i)
            ref = src.sample(i + 1, 64) if i % 3 == 0 else None  # ~p_transfer of clips need a reference
            from harmonizer.data.color import apply_adjustment, random_adjustment

            params, _ = random_adjustment(rng)
            adjusted = apply_adjustment(fg, params)
            t = tick("colour adjustment (+ reference)", t)
            fm, _ = foreground_maps(rng, sample.mask, 2, cfg.motion)
            bm, _ = background_maps(rng, (size, size), 2, cfg.motion)
            layers, masks = render(np.concatenate([fg, adjusted], -1), sample.mask, bg, fm, bm)
            t = tick("render frames", t)
            flows = clip_flows(fm, bm, masks)
            t = tick("flow + validity", t)
            clip = C.make_clip(src, i, seed=0, config=cfg)
            t = time.perf_counter()
            write_clip(tmp, clip)
            tick("write PNG/npy", t)
            del ref, flows, layers
    return {k: round(v / clips * 1000, 1) for k, v in acc.items()}


def disharmony(clips: int, size: int, seed: int = 3) -> dict:
    """Per style: foreground area and cut-and-paste (composite vs ground truth) MSE / PSNR over every frame."""
    import numpy as np

    from harmonizer.data.clips import STYLES, ClipConfig, make_clip
    from harmonizer.data.sources import get_source

    out = {}
    for style in STYLES:
        src, cfg = get_source("procedural", seed=seed), ClipConfig(size=size, style=style)
        area, mse, fmse = [], [], []
        for i in range(clips):
            c = make_clip(src, i, seed=seed, config=cfg)
            for gt, comp, m in zip(c.gt / 255.0, c.composite / 255.0, c.mask):
                d = (gt - comp) ** 2
                area.append(m.mean()), mse.append(d.mean()), fmse.append(d[m].mean())
        area, mse = np.array(area), np.array(mse)
        out[style] = {"area_mean": round(area.mean(), 3), "area_min": round(area.min(), 3),
                      "area_p10": round(np.percentile(area, 10), 3), "area_p90": round(np.percentile(area, 90), 3),
                      "area_max": round(area.max(), 3), "mse": round(mse.mean(), 4),
                      "psnr_db": round(float(np.mean(10 * np.log10(1 / np.maximum(mse, 1e-10)))), 2),
                      "foreground_mse": round(float(np.mean(fmse)), 4)}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--stages", type=int, default=0, help="time each step over N clips in-process (ms/clip)")
    p.add_argument("--disharmony", type=int, default=0, help="area and cut-and-paste MSE over N clips per style")
    args = p.parse_args(argv)
    if not (args.stages or args.disharmony):
        p.error("give --stages N and/or --disharmony N")
    result = {}
    if args.stages:
        result["ms_per_clip"] = stages(args.stages, args.size)
    if args.disharmony:
        result["disharmony"] = disharmony(args.disharmony, args.size)
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
