"""docs/metrics.md's convention table, rendered from the registry's metadata (the table is written nowhere else).

``python -m bench.metrics.conventions`` rewrites the table between the markers in docs/metrics.md;
``--check`` only says whether it is current (exit status 1 if not).  tests/bench/test_metrics_registry.py checks
that the committed page holds exactly :func:`conventions_table`'s rendering.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harmonizer.atomic import write_text_atomic

from . import image, temporal  # noqa: F401  (registers the paper protocol's metrics)
from .registry import DEFAULT_PROTOCOL, metrics_for

BEGIN = "<!-- convention table: generated from the registry by `python -m bench.metrics.conventions`; do not edit -->"
END = "<!-- end of convention table -->"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def conventions_table(protocol: str = DEFAULT_PROTOCOL) -> str:
    """A markdown table: one row per metric of ``protocol`` (name, definition, scale, direction, inputs, values)."""
    rows = ["| name | definition | scale | higher is better | needs | values |", "|---|---|---|---|---|---|"]
    for s in metrics_for(protocol).values():
        needs = ", ".join(s.needs) + (f" (optional: {', '.join(s.optional)})" if s.optional else "")
        values = "T−1, frames 1…T−1" if s.temporal else "one per frame"
        rows.append(f"| `{s.name}` | {_cell(s.description)} | {_cell(s.scale)} | "
                    f"{'yes' if s.higher_is_better else 'no'} | {needs} | {values} |")
    return "\n".join(rows) + "\n"


def with_table(page: str, protocol: str = DEFAULT_PROTOCOL) -> str:
    """``page`` with the text between the markers replaced by the current table."""
    if page.count(BEGIN) != 1 or page.count(END) != 1:
        raise ValueError(f"the page must hold the markers once each:\n{BEGIN}\n{END}")
    head, rest = page.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{conventions_table(protocol)}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics.conventions", description=__doc__.split("\n")[0])
    parser.add_argument("page", nargs="?", default=str(DOCS), help="markdown page holding the markers")
    parser.add_argument("--check", action="store_true", help="only report whether the table is current")
    args = parser.parse_args(argv)
    path = Path(args.page)
    page = path.read_text(encoding="utf-8")
    new = with_table(page)
    if args.check:
        print(f"{path}: convention table is {'current' if new == page else 'out of date'}")
        return 0 if new == page else 1
    if new != page:
        write_text_atomic(path, new)
    print(f"{path}: convention table {'rewritten' if new != page else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
