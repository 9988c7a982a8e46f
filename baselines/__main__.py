"""``python -m baselines list`` and ``python -m baselines train NAME --profile P --data DIR --out RUN``.

Examples::

    python -m baselines train dih --profile quick --data data/dancing --out runs/dih
    python -m baselines train realism_cnn --profile paper --data data/dancing --out runs/realism \\
        --weights ~/weights/vgg16-397923af.pth
    python -m baselines train resnet --profile tiny --data D --out R --set schedule.epochs=5 --set optim.lr=1e-3
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from baselines.registry import list_methods
from baselines.train import trainable_baselines
from harmonizer.cli import run_cli
from harmonizer.config import PROFILES, parse_override
from harmonizer.outputs import mark_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m baselines", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the registered method names")
    names = trainable_baselines()
    tr = sub.add_parser("train", help=f"train a baseline ({', '.join(names)}) into a run folder")
    tr.add_argument("name", choices=names)
    tr.add_argument("--profile", default="quick", choices=PROFILES)
    tr.add_argument("--data", required=True, type=Path, help="Dancing dataset folder")
    tr.add_argument("--out", required=True, type=Path, help="run folder to create")
    tr.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="config override, e.g. schedule.epochs=3 or steps=500 (parsed by the field's type)")
    tr.add_argument("--weights", type=Path, default=None,
                    help="realism_cnn only: LOCAL ImageNet VGG-16 state dict to start from (never downloaded)")
    tr.add_argument("--no-progress", action="store_true")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "list":
        names = list_methods()
        print("\n".join(names))
        return names
    from baselines.train import train_baseline

    overrides = dict(parse_override(text) for text in args.set)
    if args.weights is not None:
        if args.name != "realism_cnn":
            raise SystemExit("--weights applies to realism_cnn only")
        overrides["pretrained_weights"] = str(args.weights)
    mark_dir(args.out, kind="run", inputs=[args.data, args.weights], legacy=("config.json", "checkpoints"))
    run = train_baseline(args.name, args.profile, args.data, args.out, progress=not args.no_progress, **overrides)
    summary = json.loads((run / "summary.json").read_text())
    print(f"run folder: {run}")
    print(json.dumps(summary, indent=2, sort_keys=True))
    return run


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
