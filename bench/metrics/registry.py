"""The metric registry: ``@register_metric`` puts a metric and its metadata in it where the function is defined.

A metric is one function of a :class:`~bench.metrics.context.Clip` plus this decorator::

    @register_metric(higher_is_better=True, scale="dB, data range 1", needs=("gt",), temporal=False)
    def psnr(clip):
        \"\"\"10·log10(1 / mse) per frame; identical frames → +inf.\"\"\"
        return _psnr(*clip.error_stats())

The decorator records a :class:`MetricSpec` in its protocol's entry of the one protocol registry
(:mod:`bench.protocols.registry`: ``get_protocol(protocol).metrics[name]``) and returns a function of tensors,
``psnr(pred, gt)``, whose positional inputs follow ``needs`` then ``optional``.  A *protocol* is a set of
conventions (``"paper"``: this suite's own, docs/metrics.md); another protocol, declared once with
``bench.protocols.register_protocol(Protocol(...))``, registers its own versions of metrics under the same names
(``protocol="co2net"``), and may declare an input preparation (``Protocol.prepare``) run once per clip before its
metrics.  This module keeps no list of protocols of its own: every lookup reads that registry.
:func:`evaluate_clip` scores a clip with every metric of one protocol, sharing intermediates through the clip's
memo; it has no per-metric code.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

import torch

from bench.protocols.registry import DEFAULT_PROTOCOL, get_protocol, list_protocols, lookup  # noqa: F401

from .context import INPUT_NAMES, Clip, unknown_input_error


@dataclass(frozen=True)
class MetricSpec:
    """One registered metric: ``fn(clip) -> values`` and its metadata.

    ``needs``: inputs it cannot do without (names from ``INPUT_NAMES``); ``optional``: inputs it uses when given;
    ``temporal``: True → T−1 values for frames 1 … T−1, False → one value per frame.
    """

    name: str
    fn: Callable[[Clip], torch.Tensor]
    higher_is_better: bool
    scale: str
    needs: tuple[str, ...]
    temporal: bool
    description: str
    protocol: str = DEFAULT_PROTOCOL
    optional: tuple[str, ...] = ()

    def __call__(self, pred: torch.Tensor, *inputs: torch.Tensor | None, **named: torch.Tensor | None) -> torch.Tensor:
        """The metric on tensors: ``pred`` then its inputs, positionally (``needs`` then ``optional``) or by name."""
        order = self.needs + self.optional
        if len(inputs) > len(order):
            raise TypeError(f"{self.name}() takes pred and at most {len(order)} inputs ({', '.join(order)}), "
                            f"got {len(inputs)}")
        given = dict(zip(order, inputs))
        for key, value in named.items():
            if key not in order:
                raise TypeError(f"{self.name}() got an unexpected input '{key}'; its inputs are {', '.join(order)}")
            if key in given:
                raise TypeError(f"{self.name}() got input '{key}' twice")
            given[key] = value
        missing = [n for n in self.needs if given.get(n) is None]
        if missing:
            raise TypeError(f"{self.name}() missing input(s) {', '.join(missing)}")
        return self.fn(make_clip(pred, protocol=self.protocol, **given))


METRICS = MappingProxyType(get_protocol(DEFAULT_PROTOCOL).metrics)  # read-only live view: name → MetricSpec of "paper"


def _check_names(names: tuple[str, ...], metric: str, field: str) -> None:
    for n in names:
        if n not in INPUT_NAMES:
            raise ValueError(unknown_input_error(n, f"metric '{metric}' {field}"))


def _first_paragraph(doc: str | None) -> str:
    return " ".join(inspect.cleandoc(doc or "").split("\n\n")[0].split())


def register_metric(*, higher_is_better: bool, scale: str, needs: tuple[str, ...] = (), temporal: bool,
                    optional: tuple[str, ...] = (), name: str | None = None, description: str | None = None,
                    protocol: str = DEFAULT_PROTOCOL) -> Callable[[Callable[[Clip], torch.Tensor]], Callable]:
    """Register the decorated ``fn(clip) -> values`` as a metric; return it as a function of tensors.

    ``name`` defaults to the function's name, ``description`` to the first paragraph of its docstring (the
    definition shown in docs/metrics.md's convention table)."""
    def decorate(fn: Callable[[Clip], torch.Tensor]) -> Callable:
        metric = name or fn.__name__
        _check_names(tuple(needs), metric, "needs")
        _check_names(tuple(optional), metric, "optional")
        registry = get_protocol(protocol).metrics
        if metric in registry:
            raise ValueError(f"metric '{metric}' is already registered for protocol '{protocol}' "
                             f"(by {registry[metric].fn.__module__})")
        spec = MetricSpec(metric, fn, bool(higher_is_better), scale, tuple(needs), bool(temporal),
                          description if description is not None else _first_paragraph(fn.__doc__), protocol,
                          tuple(optional))
        registry[metric] = spec

        @functools.wraps(fn)
        def on_tensors(pred, *inputs, **named):
            return spec(pred, *inputs, **named)

        del on_tensors.__wrapped__  # its signature is the tensors', below, not fn's
        params = [inspect.Parameter("pred", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in spec.needs]
        params += [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None) for n in spec.optional]
        on_tensors.__signature__ = inspect.Signature(params)
        on_tensors.spec = spec
        return on_tensors

    return decorate


def unregister_metric(name: str, protocol: str = DEFAULT_PROTOCOL) -> MetricSpec:
    """Remove a metric (for tests that register one of their own)."""
    spec = get_metric(name, protocol)
    del get_protocol(protocol).metrics[name]
    return spec


def metrics_for(protocol: str = DEFAULT_PROTOCOL) -> dict[str, MetricSpec]:
    """name → spec of every metric of ``protocol``, in registration order."""
    return dict(get_protocol(protocol).metrics)


def list_metrics(protocol: str = DEFAULT_PROTOCOL) -> list[str]:
    return list(metrics_for(protocol))


def get_metric(name: str, protocol: str = DEFAULT_PROTOCOL) -> MetricSpec:
    return lookup(get_protocol(protocol).metrics, name, f"metric '{name}' for protocol '{protocol}'")


def make_clip(pred: torch.Tensor, *, protocol: str = DEFAULT_PROTOCOL, **inputs: torch.Tensor | None) -> Clip:
    """The :class:`Clip` a protocol's metrics see: the inputs after the protocol's ``prepare`` (if any)."""
    prepare = get_protocol(protocol).prepare
    if prepare is not None:
        prepared = dict(prepare({"pred": pred, **inputs}))
        pred = prepared.pop("pred")
        inputs = prepared
    return Clip(pred, **inputs)


def evaluate_clip(pred: torch.Tensor, *, metrics: list[str] | None = None, protocol: str = DEFAULT_PROTOCOL,
                  where: str = "clip", **inputs: torch.Tensor | None) -> dict[str, torch.Tensor]:
    """Score one clip ``pred`` (T×3×H×W in [0, 1]) with several metrics of ``protocol`` at once; ``inputs`` are
    named as in ``INPUT_NAMES`` (``gt=``, ``mask=``, ``flow_bw=`` …; ``None`` = not given).

    The metrics share intermediates through one :class:`Clip`, so the results equal the individual functions.
    ``metrics=None`` means every metric whose ``needs`` are given (temporal ones only for clips of ≥ 2 frames);
    a requested metric whose input is missing is an error naming ``where`` (e.g. the clip id).  Image metrics
    give T values, temporal ones T−1 (frames 1 … T−1).
    """
    for key in inputs:
        if key not in INPUT_NAMES:
            raise TypeError(unknown_input_error(key, "evaluate_clip"))
    have = {k for k, v in inputs.items() if v is not None}
    n_frames = pred.shape[0] if pred.dim() == 4 else 0
    if metrics is None:
        specs = [s for s in metrics_for(protocol).values()
                 if set(s.needs) <= have and (not s.temporal or n_frames >= 2)]
    else:
        specs = [get_metric(n, protocol) for n in metrics]
        for s in specs:
            missing = set(s.needs) - have
            if missing:
                raise ValueError(f"{where}: metric '{s.name}' needs {', '.join(sorted(missing))}, which was not given")
    try:
        clip = make_clip(pred, protocol=protocol, **inputs)
        return {s.name: s.fn(clip) for s in specs}
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
