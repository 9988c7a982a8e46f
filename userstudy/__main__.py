"""Command line: ``python -m userstudy {kit,fit,simulate}`` (see docs/userstudy.md).

    python -m userstudy kit --videos DIR --plan plan.json --out KIT/
    python -m userstudy fit answers.csv [more.csv ...] --out scores.csv
    python -m userstudy simulate --paper realism --out answers.csv
    python -m userstudy simulate --kind pairwise --utilities a=0.2,b=-0.2 --n 540 --tie-rate 0.09 --out p.csv

``fit`` and ``simulate`` write each CSV atomically and record what they wrote in ``<out>.userstudy.json`` (each
file's size and sha256, the command's settings and inputs; harmonizer.output_files).  An existing CSV is replaced
only when that record says the suite wrote it and it is unchanged since; anything else (a file of yours, a scores
file you edited) is refused with one line naming it unless ``--overwrite`` is given (docs/safety.md).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import pandas as pd

from harmonizer.atomic import atomic_path
from harmonizer.cli import run_cli
from harmonizer.output_files import claim_files, command_settings, write_files_record
from harmonizer.outputs import check_output_file

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
TOOL = "userstudy"  # its record: <out>.userstudy.json (harmonizer.output_files)


def write_outputs(main: Path, tables: dict[Path, Callable[[Path], None]], earlier: dict | None, *, command: str,
                  settings: dict, inputs=()) -> None:
    """Write each CSV (every writer is atomic), then :func:`harmonizer.output_files.write_files_record` (the suite's
    own CSVs of the earlier run this one does not write again are removed, the record written)."""
    for path, write in tables.items():
        write(path)
    write_files_record(main, list(tables), earlier, tool=TOOL, command=command, settings=settings, inputs=inputs)


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
    earlier = claim_files(args.out, [args.out] + ([pairs_path] if answers.kind == "pairwise" else []), tool=TOOL,
                          inputs=inputs, overwrite=args.overwrite, suffixes=(".csv",))
    config = FitConfig(alpha=args.alpha, n_boot=args.n_boot, seed=args.seed, ci=args.ci, ties=args.ties)
    scores = fit_answers(answers, config)
    tables = {args.out: lambda path: _write_csv(scores, path)}
    if answers.kind == "pairwise":
        pairs = [pairwise_percentages(comparisons_of(Answers(answers.kind, part, answers.source)))
                 .assign(question=q) for q, part in answers.table.groupby("question")]
        tables[pairs_path] = lambda path: _write_csv(pd.concat(pairs, ignore_index=True), path)
    write_outputs(args.out, tables, earlier, command="fit", settings=command_settings(args), inputs=inputs)
    if answers.simulated:
        print(f"SIMULATED answers (drawn from utilities {answers.table['utilities'].unique().tolist()})")
    cols = [c for c in ("question", "method", "score", "ci_low", "ci_high", "true_score", "unbounded") if c in scores]
    print(scores[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return scores


def run_simulate(args) -> pd.DataFrame:
    earlier = claim_files(args.out, [args.out], tool=TOOL, overwrite=args.overwrite, suffixes=(".csv",))
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
                  settings=command_settings(args))
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
