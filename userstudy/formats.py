"""The two answer formats of a user study (CSV), their validation, reading and writing.

Rankings (one row per ranking; methods best first, joined by ``>``)::

    rater,question,trial,ranking
    r01,realism,clip03,gan>cut_and_paste>dih>realism_cnn

Pairwise choices (``choice`` is ``left``, ``right`` or ``tie``)::

    rater,question,trial,left,right,choice
    r01,realism,clip03,gan,gan_no_adv,left

Two optional columns label simulated answers (:mod:`userstudy.simulate`):
``simulated`` (``true``/``false``) and ``utilities`` (``gan=0.551;dih=-0.179``,
the scores the answers were drawn from).  Any other column is an error, so a
typo in a header is caught rather than silently ignored.

Every validation error names the source and the row (``answers.csv line 7``,
counting the header as line 1) and says what is wrong.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from harmonizer.atomic import atomic_path

RANKING_COLUMNS = ("rater", "question", "trial", "ranking")
PAIRWISE_COLUMNS = ("rater", "question", "trial", "left", "right", "choice")
LABEL_COLUMNS = ("simulated", "utilities")
CHOICES = ("left", "right", "tie")
KINDS = ("ranking", "pairwise")
# Method names travel inside `a>b>c` strings and CSV cells, so they must not contain separators.
METHOD_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


class AnswersFormatError(ValueError):
    """An answers file or table breaks the format; the message names the source and row."""


@dataclass
class Answers:
    """Validated answers of one study file: ``kind`` is ``ranking`` or ``pairwise``."""

    kind: str
    table: pd.DataFrame  # string columns, RANKING_COLUMNS or PAIRWISE_COLUMNS (+ label columns)
    source: str = "<table>"
    from_file: bool = False  # rows are a file's lines (header = line 1), for error messages

    @property
    def simulated(self) -> bool:
        return "simulated" in self.table and bool((self.table["simulated"] == "true").any())

    @property
    def utilities(self) -> dict[str, float] | None:
        """The scores simulated answers were drawn from (None for human answers)."""
        if "utilities" not in self.table or not self.simulated:
            return None
        values = self.table["utilities"].unique()
        return parse_utilities(values[0]) if len(values) == 1 else None


def check_method_name(name: str, where: str = "") -> str:
    if not isinstance(name, str) or not METHOD_NAME.match(name):
        raise AnswersFormatError(
            f"{where}: method name {name!r} must be letters, digits, '_', '.' or '-' (no spaces, '>' or ',')"
        )
    return name


def format_utilities(utilities: dict[str, float]) -> str:
    return ";".join(f"{m}={float(v):.6g}" for m, v in utilities.items())


def parse_utilities(text: str, where: str = "utilities") -> dict[str, float]:
    out: dict[str, float] = {}
    for item in filter(None, str(text).split(";")):
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[check_method_name(name.strip(), where)] = float(value)
        except ValueError:
            raise AnswersFormatError(f"{where}: cannot read {item!r} in {text!r}; expected name=value;name=value")
    if not out:
        raise AnswersFormatError(f"{where}: empty utilities {text!r}")
    return out


def parse_ranking(text: str, *, methods: Iterable[str] | None = None, where: str = "ranking") -> list[str]:
    """``'a>b>c'`` -> ``['a', 'b', 'c']``; an error names ``where`` on empty, duplicated or unknown methods."""
    text = str(text).strip()
    if not text:
        raise AnswersFormatError(f"{where}: empty ranking")
    order = [part.strip() for part in text.split(">")]
    if any(not part for part in order):
        raise AnswersFormatError(f"{where}: empty method name in ranking {text!r}")
    seen: set[str] = set()
    for name in order:
        check_method_name(name, where)
        if name in seen:
            raise AnswersFormatError(f"{where}: method {name!r} appears twice in ranking {text!r}")
        seen.add(name)
    if len(order) < 2:
        raise AnswersFormatError(f"{where}: ranking {text!r} orders fewer than two methods, so it says nothing")
    _check_known(order, methods, where)
    return order


def _check_known(names: Sequence[str], methods: Iterable[str] | None, where: str) -> None:
    if methods is None:
        return
    known = sorted(set(methods))
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AnswersFormatError(
                f"{where}: method {name!r} is not in the study's plan (methods: {', '.join(known)}){hint}"
            )


def check_methods(answers: Answers, methods: Iterable[str]) -> Answers:
    """Every method an answers table names must be one of ``methods``; the error names the row (the file's
    line) and suggests the closest known name, so a typo is never fitted as an extra method."""
    methods = list(methods)
    t = answers.table
    for i in range(len(t)):
        where = _row_label(answers.source, i, answers.from_file)
        names = t["ranking"].iat[i].split(">") if answers.kind == "ranking" else [t["left"].iat[i], t["right"].iat[i]]
        _check_known(names, methods, where)
    return answers


def detect_kind(columns: Iterable[str], source: str = "<table>") -> str:
    cols = set(columns)
    if set(RANKING_COLUMNS) <= cols and not {"left", "right", "choice"} & cols:
        return "ranking"
    if set(PAIRWISE_COLUMNS) <= cols and "ranking" not in cols:
        return "pairwise"
    raise AnswersFormatError(
        f"{source}: columns {sorted(cols)} are neither a ranking file ({','.join(RANKING_COLUMNS)}) "
        f"nor a pairwise file ({','.join(PAIRWISE_COLUMNS)})"
    )


def _row_label(source: str, i: int, from_file: bool) -> str:
    # Files count the header as line 1, so data row i sits on line i + 2.
    return f"{source} line {i + 2}" if from_file else f"{source} row {i}"


def validate_answers(
    table: pd.DataFrame,
    *,
    kind: str | None = None,
    methods: Iterable[str] | None = None,
    source: str = "<table>",
    from_file: bool = False,
) -> Answers:
    """Check every row of ``table``; return a cleaned copy (stripped strings) as :class:`Answers`."""
    kind = kind or detect_kind(table.columns, source)
    if kind not in KINDS:
        raise AnswersFormatError(f"{source}: unknown kind {kind!r}; expected one of {KINDS}")
    required = RANKING_COLUMNS if kind == "ranking" else PAIRWISE_COLUMNS
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise AnswersFormatError(f"{source}: missing column(s) {missing} for a {kind} file")
    extra = [c for c in table.columns if c not in required and c not in LABEL_COLUMNS]
    if extra:
        raise AnswersFormatError(
            f"{source}: unexpected column(s) {extra}; allowed: {', '.join(required + LABEL_COLUMNS)}"
        )
    if len(table) == 0:
        raise AnswersFormatError(f"{source}: no answers")
    methods = list(methods) if methods is not None else None
    clean = table.loc[:, [c for c in required + LABEL_COLUMNS if c in table.columns]].copy()
    clean = clean.fillna("").astype(str).apply(lambda col: col.str.strip())
    clean.index = range(len(clean))
    seen: dict[tuple, int] = {}
    for i, row in enumerate(clean.itertuples(index=False)):
        where = _row_label(source, i, from_file)
        rec = row._asdict()
        for col in ("rater", "question", "trial"):
            if not rec[col]:
                raise AnswersFormatError(f"{where}: empty {col!r}")
        if kind == "ranking":
            order = parse_ranking(rec["ranking"], methods=methods, where=where)
            key: tuple = (rec["rater"], rec["question"], rec["trial"])
            clean.at[i, "ranking"] = ">".join(order)
        else:
            left, right, choice = rec["left"], rec["right"], rec["choice"]
            for name in (left, right):
                check_method_name(name, where)
            if left == right:
                raise AnswersFormatError(f"{where}: left and right are the same method {left!r}")
            _check_known([left, right], methods, where)
            if choice not in CHOICES:
                raise AnswersFormatError(f"{where}: choice {choice!r} is not one of {', '.join(CHOICES)}")
            key = (rec["rater"], rec["question"], rec["trial"], frozenset((left, right)))
        if key in seen:
            raise AnswersFormatError(
                f"{where}: repeats the answer of {_row_label(source, seen[key], from_file)} "
                f"(same rater, question and trial{'' if kind == 'ranking' else ' and pair'})"
            )
        seen[key] = i
        if "simulated" in rec and rec["simulated"] not in ("true", "false"):
            raise AnswersFormatError(f"{where}: simulated must be 'true' or 'false', not {rec['simulated']!r}")
        if rec.get("utilities"):
            parse_utilities(rec["utilities"], where)
    return Answers(kind=kind, table=clean, source=source, from_file=from_file)


def read_answers(path: str | os.PathLike, *, methods: Iterable[str] | None = None, kind: str | None = None) -> Answers:
    """Read and validate an answers CSV; the kind is detected from the header unless given."""
    path = Path(path)
    if not path.is_file():
        raise AnswersFormatError(f"{path}: no such answers file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise AnswersFormatError(f"{path}: not a readable CSV ({err})") from err
    return validate_answers(table, kind=kind, methods=methods, source=str(path), from_file=True)


def write_answers(table: pd.DataFrame | Answers, path: str | os.PathLike) -> Path:
    """Validate and write answers atomically (temporary file, then rename)."""
    answers = table if isinstance(table, Answers) else validate_answers(table)
    path = Path(path)
    with atomic_path(path) as tmp:
        answers.table.to_csv(tmp, index=False, lineterminator="\n")
    return path


def rankings_of(answers: Answers) -> list[list[str]]:
    if answers.kind != "ranking":
        raise AnswersFormatError(f"{answers.source}: holds {answers.kind} answers, not rankings")
    return [r.split(">") for r in answers.table["ranking"]]


def comparisons_of(answers: Answers) -> list[tuple[str, str, str]]:
    if answers.kind != "pairwise":
        raise AnswersFormatError(f"{answers.source}: holds {answers.kind} answers, not pairwise choices")
    t = answers.table
    return list(zip(t["left"], t["right"], t["choice"]))
