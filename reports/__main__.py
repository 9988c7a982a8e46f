"""``python -m reports reproduce --profile {tiny,quick,paper} --out OUT [--jobs N] [--only STEP,...] [--seeds N]
[--rankings CSV] [--pairwise CSV] [--media DIR]``."""
from __future__ import annotations

import argparse
import sys

from harmonizer.cli import run_cli
from reports.plan import PROFILES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reports",
                                     description="Regenerate the paper's Tables I-IV, claims and figures.")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run (or resume) the cached reproduction pipeline")
    rep.add_argument("--profile", choices=PROFILES, default="quick",
                     help="tiny: tests (~1 min); quick: 2-core CPU (<= 30 min); paper: 512², GPU")
    rep.add_argument("--out", required=True, help="output folder (re-using it resumes and reuses finished steps)")
    rep.add_argument("--rankings", default=None,
                     help="user-study rankings CSV (userstudy format, questions realism/temporal); "
                          "without it the study is SIMULATED from our measured metrics")
    rep.add_argument("--pairwise", default=None,
                     help="with/without-D pairwise answers CSV (userstudy format); without it SIMULATED")
    rep.add_argument("--train-steps", type=int, default=None, metavar="N",
                     help="override the profile's training steps per G model (quick: 400; tiny: 2)")
    rep.add_argument("--seeds", type=int, default=1, metavar="N",
                     help="train every model N times (seeds seed..seed+N-1); claims then resample seeds, then "
                          "clips (default 1)")
    rep.add_argument("--jobs", type=int, default=None, metavar="N",
                     help="run up to N steps at once, one torch thread each (default: one per core)")
    rep.add_argument("--only", default=None, metavar="STEP[,STEP]",
                     help="run only these steps (their inputs must be done or in progress in another runner)")
    rep.add_argument("--force", nargs="*", default=[], metavar="STEP", help="re-run these steps even if cached")
    rep.add_argument("--media", default="media", metavar="DIR",
                     help="fetched real footage (python -m bench.media fetch --out DIR; scripts/reproduce.sh does "
                          "it): quick and paper build their real-world sets from it, tiny does not read it "
                          "(default media/)")
    rep.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = parser.parse_args(argv)
    from reports.plan import SpecError
    from reports.reproduce import OptionError, reproduce  # heavy imports only when running

    only = tuple(n.strip() for n in args.only.split(",") if n.strip()) if args.only is not None else None
    try:
        result = reproduce(args.profile, args.out, rankings=args.rankings, pairwise=args.pairwise,
                           train_steps=args.train_steps, progress=not args.quiet, force=tuple(args.force),
                           only=only, jobs=args.jobs, seeds=args.seeds, media=args.media,
                           argv=list(sys.argv[1:] if argv is None else argv))
    except (OptionError, SpecError) as exc:  # bad options or specs: one line, no traceback
        parser.error(str(exc))
    print(f"report: {result['report']}/README.md  manifest: {result['manifest']}  "
          f"({result['wall_s']:.1f} s this run, {result['jobs']} job(s))")
    for name, status, wall in result["steps"]:
        print(f"  {name:40s} {status:7s} {wall:8.1f} s")
    return result


if __name__ == "__main__":
    sys.exit(run_cli(main))
