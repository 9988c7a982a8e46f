"""Speed of the baselines on CPU: parameter counts per profile, inference ms/frame, training ms/step.

    .venv/bin/python benchmarks/bench_baselines.py [--threads 1] [--repeats 5] [--out benchmarks/RESULTS-baselines.md]

Networks are freshly initialised (speed does not depend on the weights); RealismCNN's
per-frame adjustment runs its profile's number of gradient steps.  The median of
``--repeats`` timings is reported.  Prints a markdown table and, with ``--out``, writes it.
"""
from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import time

import torch

import baselines  # noqa: F401  (registers dih/resnet)
from baselines.architectures import parameter_report
from baselines.realism_cnn import adjust_foreground
from baselines.realism_config import get_realism_config
from baselines.realism_model import RealismNet
from baselines.sizing import count_on_meta
from harmonizer.config import get_config
from harmonizer.models import build_generator


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def bench(profile: str, size: int, batch: int, repeats: int) -> list[dict]:
    rows = []
    cfg = get_config(profile)
    torch.manual_seed(0)
    frames = torch.rand(batch, 3, size, size)
    masks = torch.zeros(batch, 1, size, size)
    masks[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    for arch in ("unet", "dih", "resnet"):
        G = build_generator(dataclasses.replace(cfg.model, arch=arch))
        G.eval()
        with torch.no_grad():
            infer = _median_ms(lambda: G(frames * 2 - 1, masks), repeats) / batch
        G.train()
        opt = torch.optim.Adam(G.parameters(), lr=1e-4)

        def step():
            loss = (G(frames * 2 - 1, masks) - frames).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        rows.append({"method": arch, "profile": profile, "size": size, "infer_ms_per_frame": infer,
                     "train_ms_per_step": _median_ms(step, repeats), "batch": batch})
    rcfg = get_realism_config(profile)
    net = RealismNet(rcfg.net).eval()
    adjust = _median_ms(lambda: adjust_foreground(net, frames, masks, rcfg.adjust), max(1, repeats // 2)) / batch
    rows.append({"method": f"realism_cnn ({rcfg.adjust.steps} steps)", "profile": profile, "size": size,
                 "infer_ms_per_frame": adjust, "train_ms_per_step": float("nan"), "batch": batch})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    lines = [f"Machine: {platform.machine()} CPU, {torch.get_num_threads()} torch thread(s), no GPU; "
             f"torch {torch.__version__}.", "", "### Parameter counts (matched within 10% of the UNet)", "",
             "| profile | UNet | ResNet | DIH | max. relative difference | RealismCNN classifier |", "|---|---|---|---|---|---|"]
    for profile in ("tiny", "quick", "paper"):
        rep = parameter_report(get_config(profile).model)
        p = rep["parameters"]
        realism = count_on_meta(lambda: RealismNet(get_realism_config(profile).net))
        lines.append(f"| {profile} | {p['unet']:,} | {p['resnet']:,} | {p['dih']:,} | "
                     f"{rep['max_relative_difference']:.1%} | {realism:,} |")
    lines += ["", "### CPU time (median of repeats)", "",
              "| method | profile | frame size | inference ms/frame | training ms/step (frames per step) |", "|---|---|---|---|---|"]
    for profile, size, batch in (("tiny", 32, 8), ("quick", 64, 8)):
        for r in bench(profile, size, batch, args.repeats):
            train = "—" if r["train_ms_per_step"] != r["train_ms_per_step"] else f"{r['train_ms_per_step']:.1f} ({r['batch']})"
            lines.append(f"| {r['method']} | {r['profile']} | {r['size']}² | {r['infer_ms_per_frame']:.2f} | {train} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        from harmonizer.runs import atomic_write_text

        atomic_write_text(args.out, text + "\n")
    return text


if __name__ == "__main__":
    main()
