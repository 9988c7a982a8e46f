"""Command line: ``python -m userstudy {kit,fit,simulate}`` (see docs/userstudy.md).

    python -m userstudy kit --videos DIR --plan plan.json --out KIT/
    python -m userstudy fit answers.csv [more.csv ...] --out scores.csv
    python -m userstudy simulate --paper realism --out answers.csv
    python -m userstudy simulate --kind pairwise --utilities a=0.2,b=-0.2 --n 540 --tie-rate 0.09 --out p.csv

``fit`` and ``simulate`` write each CSV atomically and record what they wrote in ``<out>.userstudy.json`` (each
file's size and sha256, the command's settings and inputs).  An existing CSV is replaced only when that record says
the suite wrote it and it is unchanged since; anything else (a file of yours, a scores file you edited) is refused
with one line naming it unless ``--overwrite`` is given (docs/safety.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from harmonizer.atomic import OutputError, atomic_path, write_json_atomic
from harmonizer.cli import run_cli
from harmonizer.digest import file_digest
from harmonizer.outputs import SUITE, check_output_file

from userstudy.fitting import TIE_RULES, FitConfig, fit_answers, pairwise_percentages
from userstudy.formats import (
    Answers, AnswersFormatError, comparisons_of, parse_utilities, read_answers, validate_answers, write_answers,
)
from userstudy.simulate import PAPER_STUDIES, simulate_paper_study, simulate_pairwise, simulate_rankings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m userstudy", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    kit = sub.add_parser("kit", help="write a static web page that runs the study in a plan")
    kit.add_argument("--videos", required=True, type=Path, help="folder the plan's video paths are relative to")
    kit.add_argument("--plan", required=True, type=Path, help="plan.json (schema in docs/userstudy.md)")
    kit.add_argument("--out", required=True, type=Path, help="kit folder to write")
    kit.add_argument("--overwrite", "--force", dest="overwrite", action="store_true",
                     help="replace an earlier kit (only what the suite wrote there; docs/safety.md)")

    fit = sub.add_parser("fit", help="fit Plackett-Luce / Bradley-Terry scores to answers")
    fit.add_argument("answers", nargs="+", type=Path, help="answers CSV(s) of one kind (ranking or pairwise)")
    fit.add_argument("--out", required=True, type=Path, help="scores CSV; pairwise also writes <out>_pairs.csv")
    fit.add_argument("--plan", type=Path, help="check method names against this plan.json")
    fit.add_argument("--alpha", type=float, default=FitConfig.alpha, help="LSR regularisation (default %(default)s)")
    fit.add_argument("--n-boot", type=int, default=FitConfig.n_boot, help="bootstrap refits (default %(default)s)")
    fit.add_argument("--seed", type=int, default=FitConfig.seed, help="bootstrap seed (default %(default)s)")
    fit.add_argument("--ci", type=float, default=FitConfig.ci, help="interval coverage (default %(default)s)")
    fit.add_argument("--ties", choices=TIE_RULES, default=FitConfig.ties, help="pairwise tie rule")
    fit.add_argument("--overwrite", action="store_true",
                     help="replace an existing --out CSV this suite did not write (or that was changed since)")

    sim = sub.add_parser("simulate", help="draw simulated answers from known scores (labelled simulated)")
    sim.add_argument("--out", required=True, type=Path)
    sim.add_argument("--paper", choices=sorted(PAPER_STUDIES), help="one of the paper's studies at its size")
    sim.add_argument("--kind", choices=("ranking", "pairwise"), default="ranking")
    sim.add_argument("--utilities", help="method=score pairs, e.g. gan=0.55,dih=-0.18")
    sim.add_argument("--n", type=int, default=480, help="rankings or choices to draw")
    sim.add_argument("--raters", type=int, default=32)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--subset-size", type=int, help="methods per ranking (default: all)")
    sim.add_argument("--tie-rate", type=float, default=0.0, help="pairwise: probability of a tie")
    sim.add_argument("--question", default="simulated")
    sim.add_argument("--overwrite", action="store_true",
                     help="replace an existing --out CSV this suite did not write (or that was changed since)")
    return parser


# ------------------------------------------------------------------ what the CLI wrote (docs/safety.md)
RECORD_SUFFIX = ".userstudy.json"


def record_path(csv: Path) -> Path:
    """The record beside a command's main CSV: ``scores.csv`` -> ``scores.csv.userstudy.json``."""
    return csv.with_name(csv.name + RECORD_SUFFIX)


def read_record(path: Path) -> dict | None:
    """The record at ``path``, or None when there is none (or the file there is not one of ours)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("suite") == SUITE and isinstance(data.get("files"), dict) else None


def _unchanged(path: Path, record: dict | None) -> bool:
    """Whether ``path`` is a file the record lists, with the size and sha256 it had when the suite wrote it."""
    entry = (record or {}).get("files", {}).get(path.name)
    return (isinstance(entry, dict) and path.is_file() and path.stat().st_size == entry.get("size")
            and file_digest(path) == entry.get("sha256"))


def claim_outputs(main: Path, paths: list[Path], *, inputs, overwrite: bool) -> dict | None:
    """Refuse, before any work, to replace a file the suite did not write: each of ``paths`` (the command's CSVs,
    ``main`` first) that exists must be listed, unchanged, in ``main``'s record, unless ``overwrite``.  Returns the
    earlier record (None: none)."""
    record_file = record_path(main)
    for path in paths:
        check_output_file(path, inputs=inputs, suffixes=(".csv",))
    check_output_file(record_file, inputs=inputs)
    record = read_record(record_file)
    if overwrite:
        return record
    if record is None and record_file.exists():
        raise OutputError(f"{record_file} exists and is not a record this suite wrote; move it away, or pass "
                          f"--overwrite to replace it")
    for path in paths:
        if path.exists() and not _unchanged(path, record):
            why = ("was changed since this suite wrote it" if path.name in (record or {}).get("files", {})
                   else f"was not written by this suite (no entry in {record_file.name})")
            raise OutputError(f"{path} already exists and {why}; pass --overwrite to replace it, or choose another "
                              f"--out")
    return record


def write_outputs(main: Path, tables: dict[Path, Callable[[Path], None]], earlier: dict | None, *, command: str,
                  settings: dict, inputs=()) -> None:
    """Write each CSV (every writer is atomic), remove the suite's own CSVs of the earlier run this one does not
    write again (unchanged ones only), then the record of what was written."""
    for path, write in tables.items():
        write(path)
    for name in (earlier or {}).get("files", {}):
        stale = main.with_name(Path(name).name)  # a bare file name beside main, whatever the record says
        if stale not in tables and _unchanged(stale, earlier):
            stale.unlink()  # e.g. scores_pairs.csv of an earlier pairwise fit, now a ranking fit
    write_json_atomic(record_path(main), {
        "suite": SUITE, "command": command, "written": datetime.now(timezone.utc).isoformat(),
        "files": {p.name: {"size": p.stat().st_size, "sha256": file_digest(p)} for p in tables},
        "settings": settings, "inputs": {str(p): file_digest(p) for p in inputs if p is not None},
    }, indent=1, sort_keys=True)


def _read_all(paths: list[Path], methods) -> Answers:
    parts = [read_answers(p, methods=methods) for p in paths]
    kinds = {a.kind for a in parts}
    if len(kinds) > 1:
        raise AnswersFormatError(f"cannot fit ranking and pairwise files together: {[str(p) for p in paths]}")
    if len(parts) == 1:
        return parts[0]
    table = pd.concat([a.table for a in parts], ignore_index=True)
    return validate_answers(table, kind=parts[0].kind, source=" + ".join(str(p) for p in paths))


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")


def run_fit(args) -> pd.DataFrame:
    inputs = [*args.answers, args.plan]
    pairs_path = args.out.with_name(args.out.stem + "_pairs.csv")
    check_output_file(args.out, inputs=inputs, suffixes=(".csv",))
    check_output_file(pairs_path, inputs=inputs, option="--out (pairs)")
    methods = None
    if args.plan is not None:
        from userstudy.kit import load_plan  # only needed to check names
        methods = load_plan(args.plan).methods
    answers = _read_all(args.answers, methods)
    earlier = claim_outputs(args.out, [args.out] + ([pairs_path] if answers.kind == "pairwise" else []),
                            inputs=inputs, overwrite=args.overwrite)
    config = FitConfig(alpha=args.alpha, n_boot=args.n_boot, seed=args.seed, ci=args.ci, ties=args.ties)
    scores = fit_answers(answers, config)
    tables = {args.out: lambda path: _write_csv(scores, path)}
    if answers.kind == "pairwise":
        pairs = [pairwise_percentages(comparisons_of(Answers(answers.kind, part, answers.source)))
                 .assign(question=q) for q, part in answers.table.groupby("question")]
        tables[pairs_path] = lambda path: _write_csv(pd.concat(pairs, ignore_index=True), path)
    write_outputs(args.out, tables, earlier, command="fit", settings=_settings(args), inputs=inputs)
    if answers.simulated:
        print(f"SIMULATED answers (drawn from utilities {answers.table['utilities'].unique().tolist()})")
    cols = [c for c in ("question", "method", "score", "ci_low", "ci_high", "true_score", "unbounded") if c in scores]
    print(scores[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return scores


def _settings(args) -> dict:
    return {k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
            for k, v in vars(args).items()}


def run_simulate(args) -> pd.DataFrame:
    earlier = claim_outputs(args.out, [args.out], inputs=(), overwrite=args.overwrite)
    if args.paper:
        table = simulate_paper_study(args.paper, seed=args.seed)
    else:
        if not args.utilities:
            raise SystemExit("simulate: give --paper STUDY or --utilities m1=s1,m2=s2")
        utilities = parse_utilities(args.utilities.replace(",", ";"), "--utilities")
        if args.kind == "ranking":
            table = simulate_rankings(utilities, args.n, args.raters, args.seed, args.subset_size, args.question)
        else:
            table = simulate_pairwise(utilities, args.n, args.tie_rate, args.seed, args.raters, question=args.question)
    write_outputs(args.out, {args.out: lambda path: write_answers(table, path)}, earlier, command="simulate",
                  settings=_settings(args))
    print(f"wrote {len(table)} SIMULATED answers to {args.out}")
    return table


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "kit":
        from userstudy.kit import build_kit
        out = build_kit(args.videos, args.plan, args.out, overwrite=args.overwrite)
        print(f"study kit written to {out}: open {out / 'index.html'} or run python -m http.server -d {out}")
        return out
    if args.command == "fit":
        return run_fit(args)
    return run_simulate(args)


if __name__ == "__main__":
    sys.exit(run_cli(main))
