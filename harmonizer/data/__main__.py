"""Command line: ``python -m harmonizer.data build ...`` and ``python -m harmonizer.data show DIR``.

Examples::

    python -m harmonizer.data build --source procedural --out data/dancing --clips 2000 --size 64
    python -m harmonizer.data build --source photo --photos media/opencv-doc --out data/photo --clips 2000 --size 64
    python -m harmonizer.data build --source folder --images photos/ --masks masks/ --out data/f --clips 100
    python -m harmonizer.data build --source coco --coco-json instances.json --coco-images imgs/ --out data/c \\
        --clips 33338 --size 512 --shard 3/16
    python -m harmonizer.data show data/dancing
"""
from __future__ import annotations

import argparse
import sys

from harmonizer.cli import run_cli
from harmonizer.outputs import check_output_file, mark_dir

from .build import build_dataset
from .clips import STYLES
from .format import DATASET_INFO, read_manifest
from .show import contact_sheet
from .sources import SOURCES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harmonizer.data", description="Build and inspect Dancing datasets.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build (or resume) a dataset")
    b.add_argument("--source", choices=sorted(SOURCES), default="procedural")
    b.add_argument("--out", required=True, help="output folder")
    b.add_argument("--clips", type=int, required=True, help="number of clips over all splits")
    b.add_argument("--size", type=int, default=128, help="frame side in pixels")
    b.add_argument("--frames", type=int, default=2, help="frames per clip (≥ 2)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--style", choices=STYLES, default="dancing")
    b.add_argument("--scenes", type=int, default=10, help="base scenes for --style few_scene")
    b.add_argument("--workers", type=int, default=None, help="processes (default: all cores, in-process for tiny jobs)")
    b.add_argument("--shard", default=None, help="build only clips i with i %% n == k, given as k/n")
    b.add_argument("--luts", nargs="*", default=[], help=".cube files the colour adjustment may apply")
    b.add_argument("--p-transfer", type=float, default=0.3, help="probability of Reinhard transfer")
    b.add_argument("--strength", type=float, default=1.0,
                   help="colour-adjustment strength: 1 = paper-like disharmony, <1 milder, 0 none (LUTs unscaled)")
    b.add_argument("--strength-range", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="draw each train/val clip's strength uniformly in [LO, HI] instead of --strength "
                        "(a training recipe: the test split keeps --strength)")
    b.add_argument("--photos", help="photo source: folder of real photos (backgrounds and figure textures)")
    b.add_argument("--texture-elsewhere", type=float, default=None, metavar="P",
                   help="photo source: probability that a figure's texture comes from another photo (quick: 0.5)")
    b.add_argument("--images", help="folder source: image folder")
    b.add_argument("--masks", help="folder source: mask folder (0/255 PNGs, same stems)")
    b.add_argument("--coco-json", help="coco source: instances JSON")
    b.add_argument("--coco-images", help="coco source: image folder")
    b.add_argument("--min-area", type=float, default=None, help="minimum foreground fraction (coco default 0.1)")
    b.add_argument("--no-progress", action="store_true")
    s = sub.add_parser("show", help="write a PNG contact sheet of a few clips")
    s.add_argument("dir")
    s.add_argument("--out", default=None, help="PNG path (default DIR/contact_sheet.png)")
    s.add_argument("--clips", type=int, default=4)
    s.add_argument("--split", default=None)
    return parser


def _source_options(args) -> dict:
    needed = {"folder": ("images", "masks"), "coco": ("coco_json", "coco_images"),
              "photo": ("photos",)}.get(args.source, ())
    missing = [f"--{k.replace('_', '-')}" for k in needed if getattr(args, k) is None]
    if missing:
        raise SystemExit(f"--source {args.source} needs {' and '.join(missing)}")
    options = {k: getattr(args, k) for k in needed}
    if args.min_area is not None:
        options["min_area"] = args.min_area
    if args.texture_elsewhere is not None:
        if args.source != "photo":
            raise SystemExit("--texture-elsewhere applies to --source photo only")
        options["texture_elsewhere"] = args.texture_elsewhere
    return options


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "build":
        # a user's folder is refused; a dataset folder is marked (shards write it at once: files not tracked)
        mark_dir(args.out, kind="dataset", legacy=(DATASET_INFO,),
                 inputs=[args.images, args.masks, args.coco_json, args.coco_images, args.photos, *args.luts])
        out = build_dataset(args.out, source=args.source, clips=args.clips, size=args.size, frames=args.frames,
                            seed=args.seed, style=args.style, scenes=args.scenes, workers=args.workers,
                            shard=args.shard, luts=args.luts, p_transfer=args.p_transfer, strength=args.strength,
                            strength_range=args.strength_range,
                            progress=not args.no_progress, **_source_options(args))
        records = read_manifest(out)
        counts = {s: sum(r["split"] == s for r in records) for s in ("train", "val", "test")}
        print(f"{out}: {len(records)} clips ({', '.join(f'{k} {v}' for k, v in counts.items())})")
        return out
    if args.out is not None:
        check_output_file(args.out, suffixes=(".png",))
    sheet = contact_sheet(args.dir, args.out, clips=args.clips, split=args.split)
    print(sheet)
    return sheet


if __name__ == "__main__":
    sys.exit(run_cli(main))
