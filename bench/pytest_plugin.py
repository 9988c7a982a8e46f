"""pytest plugin (entry point ``pytest11``): ``pytest --harmonization expectations.toml``.

Each line of the file's ``[expectations]`` becomes one test item.  The first item to run scores every method of
the file on its dataset with :func:`bench.runner.run_benchmark` into the file's results folder (resumed and
cached like ``bench run``: a second session re-uses the part files); each item then decides its claim from the
paired interval over clips (:func:`bench.expectations.decide`).  It passes only when the claim holds; a
contradicted claim fails with the numbers, an interval that includes 0 fails as *unresolved*, a metric without
numbers as *not measured*.  A malformed file is a usage error naming the key and line.  The measured numbers
are in each item's report (section "harmonization", ``user_properties``) and in a summary at the end.

Without other paths on the command line only the expectations are collected (not the ``testpaths``).
Importing this module is cheap (no torch): it is loaded by every pytest run of an environment with the suite.
"""
from __future__ import annotations

from pathlib import Path

import pytest

_FILES = pytest.StashKey[list]()
_OUTCOMES = pytest.StashKey[list]()


def pytest_addoption(parser):
    group = parser.getgroup("harmonization", "quality expectations on harmonization methods (docs/benchmarks.md)")
    group.addoption("--harmonization", action="append", default=[], metavar="TOML",
                    help="expectations file: each claim in it becomes a test item (may be given several times)")


def pytest_configure(config):
    paths = config.getoption("harmonization", default=[]) or []
    if not paths:
        return
    from bench.expectations import ExpectationError, load_expectations

    from baselines.registry import list_methods
    from bench.expectations import check_names
    from bench.metrics import list_metrics
    from bench.metrics.registry import list_protocols

    def metrics_of(protocol):
        return list_metrics(protocol) if protocol else list_metrics()

    files = []
    for p in paths:
        try:
            spec = load_expectations(Path(p))
            check_names(spec, methods=list_methods(), protocols=list_protocols(), metrics_of=metrics_of)
        except ExpectationError as exc:
            raise pytest.UsageError(str(exc)) from None
        files.append(spec)
    config.stash[_FILES] = files
    config.stash[_OUTCOMES] = []
    wanted = [str(f.path) for f in files]
    source = getattr(config, "args_source", None)
    if source is not None and source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = wanted  # no paths given: collect the expectations only, not the testpaths
    else:
        config.args.extend(w for w in wanted if w not in config.args)


def pytest_collect_file(file_path, parent):
    files = parent.config.stash.get(_FILES, None)
    if not files:
        return None
    for spec in files:
        if Path(file_path).resolve() == spec.path:
            return ExpectationsCollector.from_parent(parent, path=Path(file_path), spec=spec)
    return None


class ExpectationsCollector(pytest.File):
    """One expectations file; scores its methods once (lazily, on the first item run) and keeps the results."""

    def __init__(self, *, spec, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec
        self._results = None
        self._failure = None

    def collect(self):
        for exp in self.spec.expectations:
            yield ExpectationItem.from_parent(self, name=exp.name, expectation=exp)

    def results(self):
        """The tidy results frame of every method on the dataset (scored or resumed once per session)."""
        if self._failure is not None:
            raise self._failure
        if self._results is None:
            try:
                self._results = score(self.spec, progress=self.config.getoption("capture") == "no")
            except Exception as exc:  # noqa: BLE001 - every item of the file reports the same scoring failure
                self._failure = ScoringFailed(f"{self.spec.path}: scoring the methods failed: "
                                              f"{type(exc).__name__}: {exc}") if _plain(exc) else exc
                raise self._failure from exc
        return self._results


class ExpectationItem(pytest.Item):
    def __init__(self, *, expectation, **kwargs):
        super().__init__(**kwargs)
        self.expectation = expectation
        self.outcome = None

    def runtest(self):
        from bench.expectations import decide

        spec = self.parent.spec
        self.outcome = decide(self.expectation, self.parent.results(), spec.scoring)
        self.config.stash[_OUTCOMES].append(self.outcome)
        d = self.outcome.diff
        self.user_properties.append(("verdict", self.outcome.verdict))
        self.user_properties.append(("numbers", self.outcome.numbers()))
        if d is not None:
            self.user_properties += [("diff_mean", d.diff_mean), ("ci_low", d.ci_low), ("ci_high", d.ci_high),
                                     ("n_clips", d.n_clips)]
        text = f"{self.outcome.message()}\nresults: {spec.scoring['results'] / 'results.csv'}"
        if not self.outcome.passed:
            raise ExpectationFailed(text)
        self.add_report_section("call", "harmonization", text)  # shown with -rP / -rA

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (ExpectationFailed, ScoringFailed)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        line = self.expectation.line
        return self.path, (line - 1 if line else None), f"{self.expectation.name}: {self.expectation.text}"


class ExpectationFailed(AssertionError):
    """A claim that does not hold (contradicted, unresolved or not measured); the message has the numbers."""


class ScoringFailed(RuntimeError):
    """Scoring stopped on bad input (a clip, a results folder of another run, a checkpoint); one clear line."""


def _plain(exc: Exception) -> bool:
    """Errors whose message already says what is wrong (bad input), shown without a traceback."""
    from bench.datasets import ClipError
    from harmonizer.runs import CheckpointError

    return isinstance(exc, (ClipError, CheckpointError, ValueError, KeyError, FileNotFoundError))


def score(spec, *, progress: bool = False):
    """Run (or resume) ``bench.runner.run_benchmark`` for the file's methods; returns ``results.csv`` as a frame.
    ``progress``: tqdm bars (the plugin shows them when pytest does not capture output, ``-s``)."""
    import inspect

    import pandas as pd

    from baselines.registry import get_method
    from bench.datasets import ExternalMethod, open_dataset
    from bench.runner import run_benchmark

    options = {k: v for k, v in spec.dataset.items() if k not in ("path", "kind")}
    if isinstance(options.get("size"), (int, str)):
        h, _, w = str(options["size"]).lower().partition("x")
        options["size"] = (int(h), int(w or h))
    reader = open_dataset(spec.dataset["path"], spec.dataset.get("kind", "auto"), **options)
    methods, recorded = {}, {}
    for label, m in spec.methods.items():
        if m.external is not None:
            methods[label] = ExternalMethod(m.external.parent, m.external.name)
            recorded[label] = {"external": str(m.external)}
        else:
            methods[label] = get_method(m.name, **m.options)
            recorded[label] = {"name": m.name, **{k: str(v) for k, v in m.options.items()}}
    s = spec.scoring
    flow = None if s["flow"].lower() == "none" else s["flow"]
    kwargs = {"metrics": s["metrics"], "flow_options": {"ckpt_path": s["flow_checkpoint"]} if s["flow_checkpoint"] else {},
              "progress": progress,
              "extra_config": {"method_specs": recorded, "expectations_file": str(spec.path)}}
    if s["protocol"] is not None:
        if "protocol" not in inspect.signature(run_benchmark).parameters:
            from bench.expectations import ExpectationError

            raise ExpectationError(f"{spec.path}: scoring.protocol is set but this bench.runner has no protocols")
        kwargs["protocol"] = s["protocol"]
    out = run_benchmark(methods, reader, s["results"], flow=flow, **kwargs)
    return pd.read_csv(Path(out) / "results.csv")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    outcomes = config.stash.get(_OUTCOMES, None)
    if not outcomes:
        return
    terminalreporter.section("harmonization expectations")
    for spec in config.stash[_FILES]:
        terminalreporter.write_line(f"{spec.path}: results in {spec.scoring['results']}")
    for o in outcomes:
        terminalreporter.write_line(f"{o.verdict.upper():>13}  {o.expectation.name}: {o.expectation.text}  —  {o.numbers()}")
