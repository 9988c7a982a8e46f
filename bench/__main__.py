"""Command line of the benchmark: ``python -m bench {run, summary, build-realworld}``.

    python -m bench run --methods cut_and_paste,ours:gan=RUN_DIR --data DIR --flow dis --out RESULTS
    python -m bench run --external OUTPUTS --data DIR --flow gt --out RESULTS     # score results made elsewhere
    python -m bench run --methods cut_and_paste --data HYOUTUBE --protocol co2net --out RESULTS   # a peer's protocol
    python -m bench summary RESULTS
    python -m bench build-realworld --out DIR [--foregrounds FG_DIR --backgrounds BG_DIR | --media MEDIA_DIR]

A method item is ``[label:]name[=RUN_DIR]``: ``name`` from ``baselines.registry``, ``RUN_DIR`` passed as its
``checkpoint`` option, ``label`` (default ``name``) the value of the ``method`` column.  Every method keeps
the input's background outside the mask (``blend="mask"``); ``--raw-output`` scores their raw outputs.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harmonizer.cli import UsageError, run_cli


def parse_methods(spec: str) -> dict[str, tuple[str, dict]]:
    """``"cut_and_paste,ours:gan=runs/a"`` → ``{"cut_and_paste": ("cut_and_paste", {}), "ours": ("gan", {...})}``."""
    methods: dict[str, tuple[str, dict]] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        head, _, checkpoint = item.partition("=")
        label, _, name = head.rpartition(":")
        label = label or name
        if label in methods:
            raise UsageError(f"--methods: label '{label}' given twice; name them 'label:{name}=...'")
        methods[label] = (name, {"checkpoint": checkpoint} if checkpoint else {})
    return methods


def _size(text: str | None):
    if text is None:
        return None
    h, _, w = text.lower().partition("x")
    return (int(h), int(w or h))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="score methods on a dataset into results.csv + manifest.json")
    run.add_argument("--methods", default="", help="comma-separated [label:]name[=RUN_DIR] items")
    run.add_argument("--external", help="folder of results made elsewhere: <method>/<clip_id>/<frame>.png")
    run.add_argument("--raw-output", action="store_true",
                     help="score every --methods method's raw output (blend='none'); default: the input's background "
                          "kept outside the mask (blend='mask'), as in harmonize")
    run.add_argument("--data", required=True, help="dataset folder (Dancing, HYouTube or composites)")
    run.add_argument("--kind", default="auto", choices=["auto", "dancing", "hyoutube", "composites", "iharmony4"])
    from bench.protocols import list_protocols  # each protocol's own module registers it

    run.add_argument("--protocol", default="paper", choices=list_protocols(),
                     help="evaluation protocol: this suite's definitions (paper) or a peer's own (docs/metrics.md)")
    run.add_argument("--tl-next", help="CO2Net's TL test set (frames n+1; --protocol co2net): score the TL-task pairs")
    run.add_argument("--tl-tasks", help="the TL task list (default: tl_task.txt in --data or --tl-next)")
    run.add_argument("--split", default="test", help="split of a Dancing / HYouTube dataset")
    run.add_argument("--size", help="resize frames to HxW (HYouTube / composites only), e.g. 256 or 256x256")
    run.add_argument("--max-frames", type=int, help="use only the first N frames of each clip")
    run.add_argument("--flow", default="dis", help="'gt' (stored flow), an estimator (dis, raft) or 'none'")
    run.add_argument("--flow-checkpoint", help="local weights file of a learned flow estimator (raft)")
    run.add_argument("--flow-cache", help="folder caching estimated flows (keyed by estimator, settings, frames)")
    run.add_argument("--metrics", help="comma-separated metric names (default: all)")
    run.add_argument("--out", required=True, help="results folder (resumed if it exists)")
    run.add_argument("--overwrite", action="store_true",
                     help="score everything again (only what the suite wrote in --out is replaced; docs/safety.md)")
    run.add_argument("--on-error", default="raise", choices=["raise", "skip"])
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    summ = sub.add_parser("summary", help="per-method table with bootstrap 95%% CIs over clips")
    summ.add_argument("results", help="results folder or results.csv")
    summ.add_argument("--n-boot", type=int, default=1000)
    summ.add_argument("--seed", type=int, default=0)
    summ.add_argument("--csv", help="also write the summary to this CSV")

    real = sub.add_parser("build-realworld", help="paste every foreground video on every background video")
    real.add_argument("--out", required=True)
    real.add_argument("--foregrounds", help="folder of foreground videos with masks (default: procedural)")
    real.add_argument("--backgrounds", help="folder of background videos (default: procedural)")
    real.add_argument("--media", help="real footage from a bench.media folder (people x real videos and stills)")
    real.add_argument("--procedural-foregrounds", type=int, default=3, help="foregrounds (procedural or --media)")
    real.add_argument("--procedural-backgrounds", type=int, default=2, help="backgrounds (procedural or --media)")
    real.add_argument("--size", default="64", help="HxW of every composite, e.g. 256 or 256x320")
    real.add_argument("--frames", type=int, help="frames per composite (procedural default 8)")
    real.add_argument("--variants", type=int, default=2, help="colour-distorted copies per background")
    real.add_argument("--fit", default="crop", choices=["crop", "resize"])
    real.add_argument("--format", default="png", choices=["png", "mkv", "mp4"])
    real.add_argument("--seed", type=int, default=0)
    return parser


def _run(args):
    from baselines.registry import get_method
    from bench.datasets import external_methods
    from bench.protocols.datasets import open_for_protocol
    from bench.runner import run_benchmark

    methods, specs = {}, {}
    for label, (name, options) in parse_methods(args.methods).items():
        if args.raw_output:
            options["blend"] = "none"  # the background option every method shares (baselines.base)
        try:
            methods[label] = get_method(name, **options)
        except KeyError as exc:  # an unknown name: the registry's message names it and suggests close ones
            raise UsageError(f"--methods: {exc.args[0]}") from exc
        except TypeError as exc:
            if "checkpoint" in str(exc) and "checkpoint" not in options:
                raise UsageError(f"--methods: '{name}' needs a run folder: --methods {name}=RUN_DIR") from exc
            raise
        specs[label] = {"name": name, **options}
    if args.external:
        for label, method in external_methods(args.external).items():
            if label in methods:
                raise UsageError(f"--external method '{label}' clashes with a --methods label; rename one")
            methods[label] = method
            specs[label] = {"external": str(Path(args.external) / label)}
    if not methods:
        raise UsageError("give --methods and/or --external")
    from harmonizer.outputs import check_separate

    # the dataset and external folders are checked by the runner; run folders and flow weights here
    check_separate(args.out, [s.get("checkpoint") for s in specs.values()] + [args.flow_checkpoint])
    options = {"split": args.split}
    if args.size:
        options["size"] = _size(args.size)
    if args.max_frames:
        options["max_frames"] = args.max_frames
    if args.tl_next:
        options.update(tl_next=args.tl_next, tl_tasks=args.tl_tasks)
    try:
        reader = open_for_protocol(args.data, args.protocol, args.kind, **options)
    except ValueError as exc:  # a --size or --tl-next the protocol does not allow: one line
        raise UsageError(str(exc)) from exc
    flow = None if args.flow.lower() == "none" else args.flow
    flow_options = {"ckpt_path": args.flow_checkpoint} if args.flow_checkpoint else {}
    if args.flow_cache:
        flow_options["cache_dir"] = args.flow_cache
    metrics = args.metrics.split(",") if args.metrics else None
    return run_benchmark(methods, reader, args.out, flow=flow, metrics=metrics, protocol=args.protocol,
                         flow_options=flow_options,
                         on_error=args.on_error, progress=not args.quiet, overwrite=args.overwrite,
                         extra_config={"method_specs": specs, "reader_options": {k: str(v) for k, v in options.items()}})


def _summary(args):
    from bench.summary import SummaryConfig, format_table, protocol_header, read_protocol, summarize

    protocol = read_protocol(args.results)
    table = summarize(args.results, SummaryConfig(n_boot=args.n_boot, seed=args.seed),
                      aggregates=protocol["aggregates"])
    print(protocol_header(protocol))
    print(format_table(table, protocol=protocol["name"]))
    _print_skipped_clips(Path(args.results))
    if args.csv:
        table.to_csv(args.csv, index=False)
    return table


def _print_skipped_clips(results: Path) -> None:
    """Clips a ``--on-error skip`` run left out (from its manifest), so the table never hides them."""
    manifest = (results if results.is_dir() else results.parent) / "manifest.json"
    try:
        errors = json.loads(manifest.read_text()).get("errors") or []
    except (OSError, ValueError):
        return
    if errors:
        print(f"{len(errors)} clip{'s' if len(errors) != 1 else ''} skipped (--on-error skip), not in the table above:")
        for err in errors:
            print(f"  {err['clip']}: {err['error']}")


def _build_realworld(args):
    from bench.realworld import (RealWorldConfig, build_composites, build_procedural, discover_backgrounds,
                                 discover_foregrounds)

    config = RealWorldConfig(size=_size(args.size), frames=args.frames, variants=args.variants, seed=args.seed,
                             fit=args.fit, video_format=args.format)
    if bool(args.foregrounds) != bool(args.backgrounds):
        raise SystemExit("give both --foregrounds and --backgrounds, or neither (procedural videos)")
    from harmonizer.outputs import mark_dir

    mark_dir(args.out, kind="realworld", inputs=[args.foregrounds, args.backgrounds, getattr(args, "media", None)],
             legacy=("dataset.json", "manifest.jsonl"))
    if args.foregrounds:
        return build_composites(discover_foregrounds(args.foregrounds), discover_backgrounds(args.backgrounds),
                                args.out, config)
    if args.media:
        from bench.realworld import build_from_media

        return build_from_media(args.media, args.out, foregrounds=args.procedural_foregrounds,
                                backgrounds=args.procedural_backgrounds, config=config)
    return build_procedural(args.out, foregrounds=args.procedural_foregrounds,
                            backgrounds=args.procedural_backgrounds, config=config)


def main(argv=None):
    """Run a sub-command; returns its result (results folder, summary DataFrame or dataset folder)."""
    args = build_parser().parse_args(argv)
    handlers = {"run": _run, "summary": _summary, "build-realworld": _build_realworld}
    result = handlers[args.command](args)
    if args.command != "summary":
        print(result)
    return result


if __name__ == "__main__":
    sys.exit(run_cli(main))
