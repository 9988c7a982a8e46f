"""Quality expectations: a TOML file naming a dataset, methods and scoring, and one-line claims about them.

``pytest --harmonization FILE.toml`` (the plugin in :mod:`bench.pytest_plugin`) turns each claim into a test item;
this module only reads and checks the file and decides a claim from scored results (docs/benchmarks.md)::

    [dataset]
    path = "data/dancing"            # relative to this file; any bench reader (Dancing, HYouTube, composites)
    split = "test"                   # also: kind, size, max_frames (as `bench run`)

    [scoring]
    flow = "gt"                      # gt | dis | raft | none;  also flow_checkpoint, protocol, metrics, results,
    confidence = 0.95                #   n_boot, seed

    [methods]
    cut_and_paste = "cut_and_paste"          # a registered method
    gan = "gan=runs/full"                    # registered name = run folder (as in `bench run --methods`)
    mine = { external = "outputs/mine" }     # results made elsewhere: <folder>/<clip_id>/<frame>.png

    [expectations]
    gan_beats_cut_and_paste = "gan.psnr > cut_and_paste.psnr + 0.5"
    gan_is_steadier = "gan.lt_regional < 1.5 * cut_and_paste.lt_regional"

A claim is ``A.metric OP RHS`` with ``OP`` one of ``> >= < <=`` and ``RHS`` linear in one ``B.metric`` of the same
metric (``k * B.m + c``, ``B.m - c``, ``B.m / k``…) or a constant.  It is decided by the paired difference over
clips ``A − (k·B + c)`` (:func:`bench.paired.paired_difference`): it holds only when the interval lies on the
claimed side of 0.  Every problem of the file is an :class:`ExpectationError` naming the file, key and line.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DATASET_KEYS = {"path", "kind", "split", "size", "max_frames"}
SCORING_KEYS = {"flow", "flow_checkpoint", "protocol", "metrics", "results", "confidence", "n_boot", "seed"}
SECTIONS = {"dataset", "scoring", "methods", "expectations"}
OPERATORS = {ast.Gt: (">", "higher"), ast.GtE: (">=", "higher"), ast.Lt: ("<", "lower"), ast.LtE: ("<=", "lower")}


class ExpectationError(ValueError):
    """A malformed expectations file; the message names the file, the key and (when known) its line."""


@dataclass(frozen=True)
class Expectation:
    """``a.metric OP b_scale · b.metric + b_offset`` (``b == a`` and ``b_scale == 0`` for a constant)."""

    name: str
    text: str
    line: int | None
    metric: str
    a: str
    b: str
    b_scale: float
    b_offset: float
    operator: str
    direction: str  # "higher" (> or >=) or "lower" (< or <=)

    def rhs(self) -> str:
        """The right-hand side as the claim's numbers read, e.g. ``1.5 × cut_and_paste.psnr + 0.5``."""
        parts = [] if self.b_scale == 0 else [f"{'' if self.b_scale == 1 else f'{self.b_scale:g} × '}{self.b}.{self.metric}"]
        if self.b_offset or not parts:
            parts.append(f"{self.b_offset:+g}" if parts else f"{self.b_offset:g}")
        return " ".join(parts)


@dataclass(frozen=True)
class MethodSpec:
    """One ``[methods]`` entry: a registered ``name`` with ``options`` (e.g. ``checkpoint``), or an ``external``
    results folder."""

    label: str
    name: str | None = None
    options: dict = field(default_factory=dict)
    external: Path | None = None


@dataclass(frozen=True)
class ExpectationFile:
    path: Path
    dataset: dict  # path (absolute), kind, and the reader options
    scoring: dict  # flow, flow_checkpoint, protocol, metrics, results (absolute), confidence, n_boot, seed
    methods: dict[str, MethodSpec]
    expectations: list[Expectation]


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """1-based line of ``key = …`` inside ``[section]`` (top level when ``section`` is None), if found."""
    current = None
    pattern = re.compile(r'^\s*(?:"{0}"|\'{0}\'|{0})\s*='.format(re.escape(key)))
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            current = header.group(1).strip()
        elif current == section and pattern.match(line):
            return number
    return None


class _Reader:
    """Checks the parsed TOML, raising one :class:`ExpectationError` naming the key and line."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text

    def error(self, section: str | None, key: str, message: str) -> ExpectationError:
        line = _line_of(self.text, section, key)
        where = f"{self.path}" + (f", line {line}" if line else "") + f": {section + '.' if section else ''}{key}"
        return ExpectationError(f"{where}: {message}")

    def resolve(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.path.parent / p).resolve()


def _linear(node: ast.AST, where) -> tuple[float, float, tuple[str, str] | None]:
    """``node`` as ``scale · ref + offset`` with at most one ``method.metric`` reference."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return 1.0, 0.0, (node.value.id, node.attr)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return 0.0, float(node.value), None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        s, o, ref = _linear(node.operand, where)
        return (-s, -o, ref) if isinstance(node.op, ast.USub) else (s, o, ref)
    if isinstance(node, ast.BinOp):
        ls, lo, lref = _linear(node.left, where)
        rs, ro, rref = _linear(node.right, where)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            sign = 1.0 if isinstance(node.op, ast.Add) else -1.0
            if lref and rref:
                raise where("the right-hand side may use only one method.metric")
            return ls + sign * rs, lo + sign * ro, lref or rref
        if isinstance(node.op, ast.Mult):
            if lref and rref:
                raise where("a product of two method.metric terms is not a linear comparison")
            k, (s, o, ref) = (lo, (rs, ro, rref)) if lref is None else (ro, (ls, lo, lref))
            return k * s, k * o, ref
        if isinstance(node.op, ast.Div):
            if rref is not None or ro == 0:
                raise where("divide only by a non-zero number")
            return ls / ro, lo / ro, lref
    raise where(f"'{ast.unparse(node)}' is not a number or method.metric (use + - * / with numbers)")


def parse_expectation(name: str, text: str, where, line: int | None = None) -> Expectation:
    """One claim ``A.metric OP RHS``; ``where(message)`` builds the error naming its key and line."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise where(f"cannot read '{text}' ({exc.msg}); write e.g. \"gan.psnr > cut_and_paste.psnr + 0.5\"") from None
    if not isinstance(tree, ast.Compare) or len(tree.ops) != 1 or type(tree.ops[0]) not in OPERATORS:
        raise where(f"'{text}' must be one comparison: method.metric (> | >= | < | <=) expression")
    left = tree.left
    if not (isinstance(left, ast.Attribute) and isinstance(left.value, ast.Name)):
        raise where(f"the left-hand side of '{text}' must be method.metric")
    a, metric = left.value.id, left.attr
    scale, offset, ref = _linear(tree.comparators[0], where)
    b = a
    if ref is not None:
        b, ref_metric = ref
        if ref_metric != metric:
            raise where(f"'{text}' compares {metric} with {ref_metric}; a paired comparison needs the same metric")
        if b == a:
            raise where(f"'{text}' compares {a} with itself")
        if scale == 0:
            raise where(f"'{text}': {b}.{metric} is multiplied by 0")
    op, direction = OPERATORS[type(tree.ops[0])]
    return Expectation(name, text.strip(), line, metric, a, b, scale, offset, op, direction)


def _method(reader: _Reader, label: str, value) -> MethodSpec:
    if not label.isidentifier():
        raise reader.error("methods", label, "a method label must be a Python-style name (letters, digits, _)")
    if isinstance(value, str):
        name, _, checkpoint = value.partition("=")
        options = {"checkpoint": str(reader.resolve(checkpoint.strip()))} if checkpoint.strip() else {}
        return MethodSpec(label, name.strip(), options)
    if isinstance(value, dict):
        if "external" in value:
            if set(value) != {"external"}:
                raise reader.error("methods", label, "an external method takes only 'external = FOLDER'")
            folder = reader.resolve(str(value["external"]))
            if not folder.is_dir():
                raise reader.error("methods", label, f"external results folder {folder} does not exist")
            return MethodSpec(label, external=folder)
        if not isinstance(value.get("name"), str):
            raise reader.error("methods", label, "a method table needs name = \"registered name\" or external = FOLDER")
        options = {k: v for k, v in value.items() if k != "name"}
        if isinstance(options.get("checkpoint"), str):
            options["checkpoint"] = str(reader.resolve(options["checkpoint"]))
        return MethodSpec(label, value["name"], options)
    raise reader.error("methods", label, "give \"name\", \"name=RUN_DIR\" or a table {name = ..., ...} / {external = ...}")


def _number(reader, section, key, value, kind, low=None):
    ok = isinstance(value, kind) and not isinstance(value, bool) and (low is None or value >= low)
    if not ok:
        raise reader.error(section, key, f"must be a {'number' if kind is not int else 'whole number'}"
                           + (f" ≥ {low}" if low is not None else "") + f", got {value!r}")
    return value


def load_expectations(path: str | Path) -> ExpectationFile:
    """Read and check an expectations file (see the module docstring); errors name the key and line."""
    path = Path(path).resolve()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ExpectationError(f"{path}: cannot read the expectations file ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationError(f"{path}: not valid TOML: {exc}") from None
    reader = _Reader(path, text)
    for key in data:
        if key not in SECTIONS:
            raise reader.error(None, key, f"unknown section or key; the file has [{'], ['.join(sorted(SECTIONS))}]")
    for section in SECTIONS:
        if not isinstance(data.get(section, {}), dict):
            raise reader.error(None, section, f"must be a table [{section}]")

    dataset = dict(data.get("dataset", {}))
    for key in dataset:
        if key not in DATASET_KEYS:
            raise reader.error("dataset", key, f"unknown key; known: {', '.join(sorted(DATASET_KEYS))}")
    if not isinstance(dataset.get("path"), str):
        raise ExpectationError(f"{path}: [dataset] needs path = \"FOLDER\" (the dataset to score)")
    dataset["path"] = reader.resolve(dataset["path"])
    if not dataset["path"].is_dir():
        raise reader.error("dataset", "path", f"dataset folder {dataset['path']} does not exist")
    if "max_frames" in dataset:
        _number(reader, "dataset", "max_frames", dataset["max_frames"], int, 2)

    scoring = {"flow": "dis", "flow_checkpoint": None, "protocol": None, "metrics": None,
               "results": str(path.with_suffix(".results")), "confidence": 0.95, "n_boot": 2000, "seed": 0}
    given = dict(data.get("scoring", {}))
    for key in given:
        if key not in SCORING_KEYS:
            raise reader.error("scoring", key, f"unknown key; known: {', '.join(sorted(SCORING_KEYS))}")
    scoring.update(given)
    for key in ("flow", "results") + tuple(k for k in ("flow_checkpoint", "protocol") if scoring[k] is not None):
        if not isinstance(scoring[key], str) or not scoring[key]:
            raise reader.error("scoring", key, f"must be a non-empty string, got {scoring[key]!r}")
    scoring["results"] = reader.resolve(scoring["results"])
    if scoring["flow_checkpoint"]:
        scoring["flow_checkpoint"] = str(reader.resolve(scoring["flow_checkpoint"]))
    conf = _number(reader, "scoring", "confidence", scoring["confidence"], float)
    if not 0 < conf < 1:
        raise reader.error("scoring", "confidence", f"must lie strictly between 0 and 1, got {conf}")
    _number(reader, "scoring", "n_boot", scoring["n_boot"], int, 2000)
    _number(reader, "scoring", "seed", scoring["seed"], int, 0)
    if scoring["metrics"] is not None and not (isinstance(scoring["metrics"], list) and scoring["metrics"]
                                                and all(isinstance(m, str) for m in scoring["metrics"])):
        raise reader.error("scoring", "metrics", "must be a list of metric names, e.g. [\"psnr\", \"lt_regional\"]")

    methods = {label: _method(reader, label, value) for label, value in data.get("methods", {}).items()}
    if not methods:
        raise ExpectationError(f"{path}: [methods] names no method to score")

    expectations = []
    for name, value in data.get("expectations", {}).items():
        line = _line_of(text, "expectations", name)
        where = lambda message, name=name: reader.error("expectations", name, message)  # noqa: E731
        if not isinstance(value, str):
            raise where("must be a string such as \"gan.psnr > cut_and_paste.psnr + 0.5\"")
        exp = parse_expectation(name, value, where, line)
        for label in {exp.a, exp.b}:
            if label not in methods:
                raise where(f"method '{label}' is not in [methods] ({', '.join(methods)})")
        if scoring["metrics"] is not None and exp.metric not in scoring["metrics"]:
            raise where(f"metric '{exp.metric}' is not in scoring.metrics ({', '.join(scoring['metrics'])})")
        expectations.append(exp)
    if not expectations:
        raise ExpectationError(f"{path}: [expectations] holds no expectation")
    return ExpectationFile(path, dataset, scoring, methods, expectations)


def check_names(spec: ExpectationFile, *, methods: list[str], protocols: list[str], metrics_of) -> None:
    """Registered method names, the protocol and every claim's metric exist (``metrics_of(protocol)`` lists a
    protocol's metrics, ``None`` = the default); else an :class:`ExpectationError` naming the key and line."""
    import difflib

    reader = _Reader(spec.path, spec.path.read_text())

    def hint(name, known):
        close = difflib.get_close_matches(name, known, n=3)
        return f" (did you mean {', '.join(close)}?)" if close else f"; known: {', '.join(known)}"

    for label, m in spec.methods.items():
        if m.external is None and m.name not in methods:
            raise reader.error("methods", label, f"unknown method '{m.name}'" + hint(m.name, methods))
    protocol = spec.scoring["protocol"]
    if protocol is not None and protocol not in protocols:
        raise reader.error("scoring", "protocol", f"unknown protocol '{protocol}'" + hint(protocol, protocols))
    known = list(metrics_of(protocol))
    for name in spec.scoring["metrics"] or []:
        if name not in known:
            raise reader.error("scoring", "metrics", f"unknown metric '{name}'" + hint(name, known))
    for exp in spec.expectations:
        if exp.metric not in known:
            raise reader.error("expectations", exp.name, f"unknown metric '{exp.metric}'" + hint(exp.metric, known))


@dataclass(frozen=True)
class Outcome:
    """An expectation decided on scored results: the verdict and the paired difference behind it."""

    expectation: Expectation
    verdict: str
    diff: object  # bench.paired.PairedDifference
    unit: str

    @property
    def passed(self) -> bool:
        from bench.paired import HOLDS

        return self.verdict == HOLDS

    def numbers(self) -> str:
        e, d = self.expectation, self.diff
        if d is None or not math.isfinite(d.diff_mean):
            return f"{e.a} − ({e.rhs()}) on {e.metric}: no clip where both have a number"
        unit = f" ({self.unit})" if self.unit else ""
        return (f"{e.a}.{e.metric} − ({e.rhs()}) = {d.diff_mean:+.4g}{unit}, {100 * d.confidence:g}% paired interval "
                f"[{d.ci_low:+.4g}, {d.ci_high:+.4g}] over {d.n_clips} clips"
                + (f" × {d.n_seeds} seeds" if d.n_seeds > 1 else "") + f" ({d.n_boot} bootstrap resamples)")

    def message(self) -> str:
        from bench.paired import CONTRADICTED, HOLDS, NOT_MEASURED

        e = self.expectation
        claim = f"'{e.text}' ({e.name})"
        if self.verdict == HOLDS:
            return f"holds: {claim}: {self.numbers()}"
        if self.verdict == CONTRADICTED:
            return f"contradicted: {claim}: the interval lies on the other side of 0: {self.numbers()}"
        if self.verdict == NOT_MEASURED:
            return f"not measured: {claim}: {self.numbers()}"
        return f"unresolved: {claim}: the paired interval includes 0: {self.numbers()}"


def decide(expectation: Expectation, results, scoring: dict) -> Outcome:
    """The verdict of ``expectation`` on a tidy results frame (``results.csv`` of ``bench run``)."""
    from bench.paired import paired_difference, verdict

    diff = paired_difference(results, expectation.metric, expectation.a, expectation.b,
                             b_scale=expectation.b_scale, b_offset=expectation.b_offset, n_boot=scoring["n_boot"],
                             confidence=scoring["confidence"], seed=scoring["seed"])
    unit = ""
    try:
        from bench.metrics import get_metric

        protocol = {"protocol": scoring["protocol"]} if scoring.get("protocol") else {}
        unit = str(getattr(get_metric(expectation.metric, **protocol), "scale", "") or "")
    except (ImportError, KeyError, ValueError):
        pass
    return Outcome(expectation, verdict(diff, expectation.direction), diff, unit)
