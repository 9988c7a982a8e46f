"""Training and inference speed of the harmonization GAN (issue 3's benchmark).

Measures, in one process so the numbers share the machine's state:

* the fp32 (and bf16) matmul peak of this machine (square ``torch.mm``), GFLOP/s;
* one full training step (Algorithm 1: G on both frames, one D step, one G step) per profile,
  fp32 and bf16 autocast: pairs/s, FLOPs per step (``torch.utils.flop_counter``) and the
  achieved fraction of the fp32 matmul peak;
* ``harmonize`` frames per second at 256² and 512² (G only, frame by frame, no grad).

Synthetic tensors stand in for data (speed does not depend on content).  Usage::

    python benchmarks/bench_train.py [--profiles quick paper] [--steps 5] [--threads 2] [--json OUT]

Prints a markdown table; record it with the machine and its load in RESULTS-train.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from harmonizer.config import get_config
from harmonizer.models import build_discriminator, build_generator
from harmonizer.train import Models, train_step


def matmul_peak(dtype=torch.float32, n: int = 1024, seconds: float = 2.0) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.mm(a, b)
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def synthetic_batch(b: int, size: int) -> dict:
    g = torch.Generator().manual_seed(0)
    mask = torch.zeros(b, 2, 1, size, size)
    mask[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return {"composite": torch.rand(b, 2, 3, size, size, generator=g), "gt": torch.rand(b, 2, 3, size, size, generator=g),
            "mask": mask, "flow_bw": torch.randn(b, 2, size, size, generator=g),
            "valid_bw": torch.ones(b, 1, size, size)}


def bench_step(profile: str, bf16: bool, steps: int, warmup: int) -> dict:
    cfg = get_config(profile, schedule__bf16=bf16)
    torch.manual_seed(0)
    G, D = build_generator(cfg.model), build_discriminator(cfg.model)
    opt_G, opt_D = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())
    batch = synthetic_batch(cfg.data.batch_size, cfg.data.size)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    models = Models(G, D, opt_G, opt_D, torch.device("cpu"))
    run = lambda: train_step(models, batch, cfg, autocast)  # noqa: E731
    t0 = time.perf_counter()
    with FlopCounterMode(display=False) as fc:
        run()  # the first step: counted (and timed when steps == 0, for the slow paper profile)
    flops, dt = fc.get_total_flops(), time.perf_counter() - t0
    if steps:
        for _ in range(warmup - 1):
            run()
        t0 = time.perf_counter()
        for _ in range(steps):
            run()
        dt = (time.perf_counter() - t0) / steps
    return {"profile": profile, "size": cfg.data.size, "batch": cfg.data.batch_size, "bf16": bf16,
            "s_per_step": dt, "pairs_per_s": cfg.data.batch_size / dt, "gflop_per_step": flops / 1e9,
            "gflop_per_s": flops / dt / 1e9}


@torch.no_grad()
def bench_harmonize(profile: str, size: int, frames: int) -> dict:
    cfg = get_config(profile)
    G = build_generator(cfg.model).eval()
    x, m = torch.rand(1, 3, size, size) * 2 - 1, torch.ones(1, 1, size, size)
    G(x, m)
    t0 = time.perf_counter()
    for _ in range(frames):
        G(x, m)
    return {"profile": profile, "size": size, "fps": frames / (time.perf_counter() - t0)}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--profiles", nargs="+", default=["quick", "paper"])
    p.add_argument("--steps", type=int, default=5, help="timed steps per setting (paper: its single counted step)")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--json", default=None)
    return p


def main(argv=None) -> dict:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    res = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
                      f"torch {torch.__version__}, {args.threads} threads",
           "load_avg_start": os.getloadavg(),
           "peak_fp32_gflops": matmul_peak(torch.float32), "peak_bf16_gflops": matmul_peak(torch.bfloat16)}
    res["train"] = []
    for prof in args.profiles:
        steps, warmup = (args.steps, 2) if prof != "paper" else (0, 1)  # paper: one counted step, timed
        for bf16 in (False, True):
            r = bench_step(prof, bf16, steps, warmup)
            r["fraction_of_fp32_peak"] = r["gflop_per_s"] / res["peak_fp32_gflops"]
            res["train"].append(r)
            print(json.dumps(r), flush=True)
    res["harmonize"] = [bench_harmonize(prof, size, 3 if size == 512 else 5)
                        for prof in args.profiles for size in (256, 512)]
    res["load_avg_end"] = os.getloadavg()
    print(f"\nmachine: {res['machine']}; load average at start {res['load_avg_start']}, end {res['load_avg_end']}")
    print(f"matmul peak: fp32 {res['peak_fp32_gflops']:.1f} GFLOP/s, bf16 {res['peak_bf16_gflops']:.1f} GFLOP/s\n")
    print("| profile | size | batch | precision | s/step | pairs/s | GFLOP/step | GFLOP/s | % of fp32 matmul peak |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in res["train"]:
        print(f"| {r['profile']} | {r['size']}² | {r['batch']} | {'bf16' if r['bf16'] else 'fp32'} | "
              f"{r['s_per_step']:.3f} | {r['pairs_per_s']:.2f} | {r['gflop_per_step']:.1f} | "
              f"{r['gflop_per_s']:.1f} | {100 * r['fraction_of_fp32_peak']:.0f}% |")
    print("\n| G of profile | frame size | harmonize fps |\n|---|---|---|")
    for r in res["harmonize"]:
        print(f"| {r['profile']} | {r['size']}² | {r['fps']:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    main()
