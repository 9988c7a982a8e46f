"""docs/metrics.md's generated tables, rendered from the registries (they are written nowhere else).

* :func:`conventions_table`: one row per metric of a protocol, from each metric's decorator and docstring;
* :func:`protocols_table`: one row per protocol, from its one declaration (``bench.protocols.register_protocol``):
  what it reproduces, how it reads its inputs, its flow and pairs, its metrics and its documented gaps.

``python -m bench.metrics.conventions`` rewrites both between their markers in docs/metrics.md; ``--check`` only
says whether they are current (exit status 1 if not).  tests/bench/test_metrics_registry.py checks that the
committed page holds exactly this rendering.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harmonizer.atomic import write_text_atomic

from . import image, temporal  # noqa: F401  (registers the paper protocol's metrics)
from .registry import DEFAULT_PROTOCOL, get_protocol, list_protocols, metrics_for

BEGIN = "<!-- convention table: generated from the registry by `python -m bench.metrics.conventions`; do not edit -->"
END = "<!-- end of convention table -->"
BEGIN_PROTOCOLS = ("<!-- protocol table: generated from bench.protocols' registry by `python -m bench.metrics.conventions`;"
                   " do not edit -->")
END_PROTOCOLS = "<!-- end of protocol table -->"
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


def _reading(reading) -> str:
    if reading is None:
        return "the dataset reader's own"
    size = f"{reading.size[0]}×{reading.size[1]}" if reading.size else "native size"
    when = ", only when the width differs" if reading.resize_when == "width_differs" else ""
    return f"composite `{reading.composite}`, gt `{reading.gt}`, mask `{reading.mask}`; {size}{when}"


def _parenthesis(peer_name: str, name: str, aggregate: str) -> str:
    """`` (the peer's name; mean of clip means)``, each part only where it says something."""
    said = [peer_name] if peer_name != name else []
    said += ["mean of clip means"] if aggregate == "clips" else []
    return f" ({'; '.join(said)})" if said else ""


def protocols_table() -> str:
    """A markdown table: one row per registered protocol, every cell from its declaration."""
    rows = ["| protocol | reproduces | reading | flow frames (peer's flow) | pairs | metrics (peer's name) "
            "| documented gaps |", "|---|---|---|---|---|---|---|"]
    for name in list_protocols():
        p = get_protocol(name)
        files = ", ".join(f"`{f}`" for f in p.files)
        metrics = ", ".join(f"`{m}`" + _parenthesis(p.peer_names.get(m, m), m, p.aggregate(m)) for m in p.metrics)
        prepare = f"; then `{p.prepare.__qualname__}` per clip" if p.prepare is not None else ""
        cells = (f"`{name}`", f"{p.title}: {p.peer}; {files}", _reading(p.reading) + prepare,
                 f"`{p.flow_frames}` ({p.peer_flow})", p.pairs, metrics, " ".join(p.notes) or "—")
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _replace_block(page: str, begin: str, end: str, body: str) -> str:
    if page.count(begin) != 1 or page.count(end) != 1:
        raise ValueError(f"the page must hold the markers once each:\n{begin}\n{end}")
    head, rest = page.split(begin)
    _, tail = rest.split(end)
    return f"{head}{begin}\n{body}{end}{tail}"


def with_table(page: str, protocol: str = DEFAULT_PROTOCOL) -> str:
    """``page`` with the text between each pair of markers replaced by the current table."""
    page = _replace_block(page, BEGIN, END, conventions_table(protocol))
    return _replace_block(page, BEGIN_PROTOCOLS, END_PROTOCOLS, protocols_table())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics.conventions", description=__doc__.split("\n")[0])
    parser.add_argument("page", nargs="?", default=str(DOCS), help="markdown page holding the markers")
    parser.add_argument("--check", action="store_true", help="only report whether the table is current")
    args = parser.parse_args(argv)
    path = Path(args.page)
    page = path.read_text(encoding="utf-8")
    new = with_table(page)
    if args.check:
        print(f"{path}: generated tables are {'current' if new == page else 'out of date'}")
        return 0 if new == page else 1
    if new != page:
        write_text_atomic(path, new)
    print(f"{path}: generated tables {'rewritten' if new != page else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
