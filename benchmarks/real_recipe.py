"""Which quick-profile data recipe helps real video: train candidates, score them on the real set's VALIDATION part.

Issue 10, item 6.  Every configuration is the quick profile's ``full`` model as it was before the fourth round
(400 fp32 steps, D width 16, λ2 = 1e-2, plain L2 — :data:`COMMON_OVERRIDES` — unless the configuration says
otherwise, one thread) trained on 2,000 Dancing clips at 64² (procedural scenes, or photo scenes where the recipe
names ``source="photo"``) built with the configuration's disharmony options.  Each trained model is scored

* on the ground-truth real set's **validation** clips only (never the report part), with the given mask and the
  default blend ``M·G + (1 − M)·I``: whole-frame PSNR, foreground PSNR and L_T2 (``lt_regional``, DIS flow on the
  ground truth), each paired against the input (cut-and-paste) over clips with ``bench.paired.paired_difference``;
  on the untouched validation clips, foreground PSNR of the output against its input (true mask) and whole-frame
  PSNR in mask-free mode (D's map);
* on the synthetic Dancing test split of the default-recipe dataset (strength 1, gt flow): PSNR gain over
  cut-and-paste — the Table I–III ordering must not break.

::

    python benchmarks/real_recipe.py train --out runs/real-recipe [--only base,range01]
    python benchmarks/real_recipe.py score --out runs/real-recipe --realset REALSET_DIR [--split validation]
    # the second validation set: new colour draws on 24 people clips of the validation footage and 8 of its face
    # (the fourth round's had no face: --face-clips 0; its clips are a prefix of these)
    python -m bench.realset build --media media --out VALSET1 --seed 1 --clips 24 --face-clips 8 --validation-only
    python benchmarks/real_recipe.py score --out runs/real-recipe --realset VALSET1 --scores scores-valset1
    python benchmarks/real_recipe.py report --out runs/real-recipe [--scores scores-valset1]  # Markdown for RESULTS,
    # the paired differences overall and by footage (vtest, movie = the validation face)

Run with OMP_NUM_THREADS=1 on the shared machine; trainings run one at a time.  Not a pytest file (no ``test_``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the recipe table beside this script
from real_recipes import CLIPS, COMMON_OVERRIDES, RECIPES, SEED, SIZE, SPLITS, SYNTHETIC_TEST_CLIPS, Recipe  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build_data(out: Path, recipe: Recipe, media: Path = Path("media")) -> Path:
    from harmonizer.data.build import build_dataset

    folder = out / recipe.data_key()
    options = dict(recipe.data)
    if options.get("source") == "photo":
        from bench.media import training_photos

        options["photos"] = [str(p) for p in training_photos(media)]
    tick = time.perf_counter()
    build_dataset(folder, clips=recipe.clips, size=SIZE, seed=SEED, split_fractions=SPLITS, workers=1, progress=False,
                  **options)
    log(f"data {folder.name}: {time.perf_counter() - tick:.0f} s")
    return folder


def train_one(out: Path, recipe: Recipe, media: Path = Path("media")) -> Path:
    from harmonizer.config import get_config
    from harmonizer.train import train

    run = out / "runs" / recipe.name
    if (run / "summary.json").exists():
        log(f"{recipe.name}: already trained")
        return run
    data = build_data(out, recipe, media)
    config = get_config("quick", recipe.variant, seed=recipe.seed, **{**COMMON_OVERRIDES, **recipe.overrides})
    tick = time.perf_counter()
    train(config, data, run, progress=False, tensorboard=False)
    seconds = time.perf_counter() - tick
    (run / "recipe.json").write_text(json.dumps({**asdict(recipe), "train_seconds": round(seconds, 1),
                                                 "data_dir": str(data), "load_avg": os.getloadavg()}, indent=2))
    log(f"{recipe.name}: trained in {seconds:.0f} s (load {os.getloadavg()[0]:.1f})")
    return run


class FirstClips:
    """A reader restricted to its first ``n`` clips (the synthetic test split is capped as the reproduction does)."""

    def __init__(self, reader, n: int):
        self.inner, self.n, self.name = reader, n, reader.name

    def clip_ids(self):
        return self.inner.clip_ids()[:self.n]

    def load(self, clip_id):
        return self.inner.load(clip_id)


def trained(out: Path, names=None) -> dict[str, Path]:
    runs = {n: out / "runs" / n for n in (names or RECIPES)}
    return {n: r for n, r in runs.items() if (r / "summary.json").exists()}


def score(out: Path, realset: Path, part: str, names=None, scores: str = "scores") -> None:
    """Score every trained recipe on ``part`` and ``part``-untouched of the real set, and on synthetic test clips."""
    from baselines.registry import get_method
    from bench.datasets import CompositeReader, DancingReader
    from bench.runner import run_benchmark

    runs = trained(out, names)
    given = {"cut_and_paste": get_method("cut_and_paste")}
    given.update({n: get_method("gan", checkpoint=r, mask_mode="given") for n, r in runs.items()})
    # mask-free mode needs the run's D: a recipe without one (variant no_adv) has no mask-free row
    mask_free = {f"{n}@dmap": get_method("gan", checkpoint=r, mask_mode="discriminator") for n, r in runs.items()
                 if json.loads((r / "config.json").read_text())["loss"]["adversarial"]}
    settings = {label: getattr(m, "settings", {}) for label, m in {**given, **mask_free}.items()}
    real_metrics = ["psnr", "fpsnr", "mse", "lt_regional"]
    for sub, methods in ((part, given), (f"{part}-untouched", {**given, **mask_free})):
        log(f"scoring {sub}: {', '.join(methods)}")
        run_benchmark(methods, CompositeReader(realset / sub, name=f"realset:{sub}"), out / scores / sub,
                      flow="dis", metrics=real_metrics, progress=False, extra_config={"method_settings": settings})
    synthetic = FirstClips(DancingReader(out / Recipe("base").data_key(), "test"), SYNTHETIC_TEST_CLIPS)
    log("scoring synthetic test clips")
    run_benchmark(given, synthetic, out / scores / "synthetic", flow="gt", metrics=["psnr", "fpsnr"], progress=False,
                  extra_config={"method_settings": settings})


def cell(x) -> str:
    """A paired difference as ``+m [lo, hi]``."""
    return f"{x.diff_mean:+.2f} [{x.ci_low:+.2f}, {x.ci_high:+.2f}]"


def _clip_means(results, method: str, metric: str):
    rows = results[(results["method"] == method) & (results["metric"] == metric)]
    return rows.groupby("clip")["value"].mean()


def report(out: Path, part: str, names=None, scores: str = "scores") -> str:
    """Markdown: per recipe, paired differences against the input on the real part, and the untouched checks."""
    import pandas as pd

    from bench.paired import paired_difference

    folder = out / scores
    real = pd.read_csv(folder / part / "results.csv")
    untouched = pd.read_csv(folder / f"{part}-untouched" / "results.csv")
    synthetic = pd.read_csv(folder / "synthetic" / "results.csv")
    inp = {m: real[(real.method == "cut_and_paste") & (real.metric == m)]["value"].mean() for m in ("psnr", "fpsnr")}
    lt_in = _clip_means(real, "cut_and_paste", "lt_regional").mean()
    lines = [f"Real set part `{part}` ({real[real.method == 'cut_and_paste']['clip'].nunique()} clips; "
             f"input: PSNR {inp['psnr']:.2f} dB, fPSNR {inp['fpsnr']:.2f} dB, L_T2 {lt_in:.5f}); "
             f"`{part}-untouched` ({untouched['clip'].nunique()} clips); synthetic: first {SYNTHETIC_TEST_CLIPS} test "
             "clips of the default-recipe Dancing data (gt flow).  Paired 95 % bootstrap intervals over clips "
             "(bench.paired.paired_difference, 2,000 resamples, seed 0); one training per recipe.", "",
             "| recipe | ΔPSNR vs input (dB) | ΔfPSNR vs input (dB) | L_T2 / input "
             "| untouched fPSNR vs input (dB, true mask) | untouched PSNR, mask-free (dB) "
             "| synthetic ΔPSNR vs cut-and-paste (dB) | train s |",
             "|---|---|---|---|---|---|---|---|"]
    present = set(real.method)
    footage = sorted({c.split("-")[0] for c in real["clip"].unique()})
    by_footage = ["", "By footage (the clip id's first word: vtest, movie = the validation face, carphone), "
                  "ΔfPSNR vs input:", "", "| recipe | " + " | ".join(footage) + " |", "|---|" + "---|" * len(footage)]
    for name in (names or RECIPES):
        if name not in present:
            continue
        d = {m: paired_difference(real, m, name, "cut_and_paste") for m in ("psnr", "fpsnr")}
        lt_ratio = _clip_means(real, name, "lt_regional").mean() / lt_in
        u_f = untouched[(untouched.method == name) & (untouched.metric == "fpsnr")]["value"].mean()
        u_p = untouched[(untouched.method == f"{name}@dmap") & (untouched.metric == "psnr")]["value"].mean()
        syn = paired_difference(synthetic, "psnr", name, "cut_and_paste")
        recipe_file = out / "runs" / name / "recipe.json"
        info = json.loads(recipe_file.read_text()) if recipe_file.exists() else {}
        lines.append(f"| {name} | {cell(d['psnr'])} | {cell(d['fpsnr'])} | {lt_ratio:.2f} | {u_f:.2f} | {u_p:.2f} "
                     f"| {cell(syn)} | {info.get('train_seconds', float('nan')):.0f} |")
        by_footage.append(f"| {name} | " + " | ".join(
            cell(paired_difference(real[real["clip"].str.startswith(f + "-")], "fpsnr", name, "cut_and_paste"))
            for f in footage) + " |")
    lines += by_footage
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--out", required=True)
    t.add_argument("--only", default=None, help="comma-separated recipe names (default: all)")
    t.add_argument("--media", default="media", help="bench.media folder (photo recipes read its training photos)")
    for name in ("score", "report"):
        c = sub.add_parser(name)
        c.add_argument("--out", required=True)
        c.add_argument("--only", default=None)
        c.add_argument("--split", default="validation", choices=("validation", "report"),
                       help="the real set's part: recipes are chosen on validation only")
        c.add_argument("--scores", default="scores", help="folder under --out for the scores (one per real set)")
        if name == "score":
            c.add_argument("--realset", required=True, help="folder written by python -m bench.realset build")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.command == "train":
        import torch

        torch.set_num_threads(1)
        names = args.only.split(",") if args.only else list(RECIPES)
        for name in names:
            train_one(out, RECIPES[name], Path(args.media))
    elif args.command == "score":
        import torch

        torch.set_num_threads(1)
        score(out, Path(args.realset), args.split, args.only.split(",") if args.only else None, args.scores)
    else:
        print(report(out, args.split, args.only.split(",") if args.only else None, args.scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
