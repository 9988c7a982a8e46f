"""The one registry of trainable generators: a :class:`GeneratorSpec` per architecture.

A generator is one file that ends with ``register_generator(GeneratorSpec(...))``.  The spec
carries everything the rest of the suite derives from it:

* ``name`` — ``model.arch``, and for a generator trained on its own (``trainer`` set) also the
  training variant (``get_config(profile, name)``), the CLI name (``python -m baselines train
  NAME``), the method name (``get_method(NAME, checkpoint=RUN)``) and the reproduction plan's run;
* ``build(model_cfg)`` — the network, ``forward(composite, mask)`` with the composite in
  [-1, 1] (N×3×H×W) and the mask in [0, 1] (N×1×H×W), returning N×3×H×W in [-1, 1], honouring
  ``model_cfg.output`` (:mod:`harmonizer.models.output`);
* ``options`` — the ``model.options`` it accepts, with their defaults;
* ``width(model_cfg)`` — the width ``build`` uses (e.g. matched to the UNet's parameter count);
* ``trainer`` — the config overrides of its training variant (e.g. no discriminator).

Where generators come from: ``unet`` is built in; other packages are **plugins**, imported
lazily the first time the registry is read (never at import time, so harmonizer imports
nothing above it): the modules named in :data:`BUILTIN_PLUGINS` (this suite's baselines) and
in the environment variable ``HARMONIZER_PLUGINS`` (comma-separated module names, for your own).
The module that registered a generator is recorded in each checkpoint, so loading a run
imports it again.
"""
from __future__ import annotations

import difflib
import importlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch.nn as nn

BUILTIN_PLUGINS = ("baselines.generators",)
PLUGINS_ENV = "HARMONIZER_PLUGINS"


@dataclass(frozen=True)
class GeneratorSpec:
    name: str
    build: Callable[[Any], nn.Module]
    options: Mapping[str, Any] = field(default_factory=dict)
    width: Callable[[Any], int] | None = None
    trainer: Mapping[str, Any] | None = None  # None: trained through harmonizer's variants (the UNet)
    description: str = ""
    module: str = ""  # filled by register_generator (recorded in checkpoints)

    def resolve_options(self, model_cfg) -> dict:
        """The spec's defaults updated by ``model_cfg.options``; an unknown option is an error naming it."""
        given = dict(getattr(model_cfg, "options", None) or {})
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise KeyError(f"model.options {unknown} are not settings of '{self.name}'; known: "
                           f"{', '.join(sorted(self.options)) or '(none)'}")
        return {**self.options, **given}


_GENERATORS: dict[str, GeneratorSpec] = {}
_loaded_plugins: set[str] = set()


def register_generator(spec: GeneratorSpec) -> GeneratorSpec:
    """Add ``spec`` (re-registering a name replaces it); returns the spec as recorded."""
    if not spec.module:
        object.__setattr__(spec, "module", getattr(spec.build, "__module__", "") or "")
    _GENERATORS[spec.name] = spec
    return spec


def unregister_generator(name: str) -> None:
    _GENERATORS.pop(name, None)


def _load_plugins() -> None:
    extra = [m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()]
    for module in (*BUILTIN_PLUGINS, *extra):
        if module not in _loaded_plugins:
            _loaded_plugins.add(module)
            importlib.import_module(module)


def list_generators(*, trainable_only: bool = False) -> list[str]:
    """Registered names, sorted; ``trainable_only``: those trained as a variant of their own (with ``trainer``)."""
    _load_plugins()
    return sorted(n for n, s in _GENERATORS.items() if s.trainer is not None or not trainable_only)


def get_generator(name: str, module: str | None = None) -> GeneratorSpec:
    """The spec of ``name``, importing ``module`` (recorded in a checkpoint) if it is not registered yet."""
    if name not in _GENERATORS and module:
        importlib.import_module(module)
    if name not in _GENERATORS:
        _load_plugins()
    if name not in _GENERATORS:
        close = difflib.get_close_matches(name, list(_GENERATORS), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown architecture '{name}'. Registered: {', '.join(sorted(_GENERATORS))}.{hint} "
                       f"(other generators are plugins: set {PLUGINS_ENV}=your.module)")
    return _GENERATORS[name]


def build_generator(model_cfg, *, module: str | None = None) -> nn.Module:
    return get_generator(model_cfg.arch, module).build(model_cfg)
