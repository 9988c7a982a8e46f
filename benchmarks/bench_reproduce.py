"""Wall time of the reproduction, per step and per kind of step, from its manifest.json.

    python benchmarks/bench_reproduce.py --profile quick --out runs/reproduce-quick   # runs (or resumes) it first
    python benchmarks/bench_reproduce.py --manifest runs/reproduce-quick/manifest.json  # only formats

Prints Markdown: a table per kind (data / train / score / summary, study, samples, report) and
one per step.  Each step's time is that of the run that produced its outputs (cached steps keep
the time recorded in their stamp), so a resumed reproduction still reports every step.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from harmonizer.atomic import write_text_atomic


def kind_of(step: str) -> str:
    for prefix in ("data_", "train_", "score_synthetic", "score_realworld"):
        if step.startswith(prefix):
            return prefix.rstrip("_")
    return "summaries, study, samples, report"


def format_manifest(manifest: dict) -> str:
    steps = manifest["steps"]
    total = sum(s["wall_s"] for s in steps)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for s in steps:
        by_kind[kind_of(s["name"])].append(s["wall_s"])
    lines = [f"Profile `{manifest['profile']}`, git {str(manifest['git'].get('revision'))[:10]}"
             f"{' (dirty)' if manifest['git'].get('dirty') else ''}, torch {manifest['versions'].get('torch')}, "
             f"{manifest['versions'].get('platform')}.", "",
             f"Total of the steps' wall times: **{total / 60:.1f} min** ({total:.0f} s).", "",
             "| kind of step | steps | wall time (s) | share |", "|---|---|---|---|"]
    for kind, times in sorted(by_kind.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"| {kind} | {len(times)} | {sum(times):.0f} | {100 * sum(times) / total:.0f}% |")
    lines += ["", "| step | wall time (s) |", "|---|---|"]
    lines += [f"| {s['name']} | {s['wall_s']:.1f} |" for s in steps]
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", help="format this manifest.json without running anything")
    p.add_argument("--profile", default="quick")
    p.add_argument("--out", default="runs/reproduce-quick")
    p.add_argument("--write", help="also write the Markdown to this file")
    return p


def main(argv: list[str] | None = None) -> str:
    args = build_parser().parse_args(argv)
    if args.manifest:
        manifest_path = Path(args.manifest)
    else:
        from reports.reproduce import reproduce

        manifest_path = Path(reproduce(args.profile, args.out)["manifest"])
    text = format_manifest(json.loads(manifest_path.read_text()))
    print(text)
    if args.write:
        write_text_atomic(args.write, text)
    return text


if __name__ == "__main__":
    main()
