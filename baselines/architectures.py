"""How a baseline generator becomes a :class:`harmonizer.models.GeneratorSpec`: width matching and the output.

:func:`matched_generator` turns a network factory into a spec whose builder

* derives the width from the config instead of hard-coding it: the UNet the same config describes
  (``arch="unet"``) is counted on the meta device, and the baseline's width is the one whose
  parameter count is closest to it (within 10%, else an error) — the paper keeps UNet, DIH and
  the ResNet "at the same level" of parameters (Sec. IV-C); ``model.options.width`` forces one;
* applies Xavier initialisation (Algorithm 1) and honours ``model.output`` like the UNet:
  ``direct`` returns the net ending in tanh; ``residual`` (the ``tiny``/``quick`` profiles) wraps
  the net without its tanh in ``harmonizer.models.ResidualOutput`` — O = tanh(atanh(I) + net(I, M)),
  last layer zero, so G starts as cut-and-paste (no extra parameters);
* trains like harmonizer's ``no_adv``: the reconstruction loss, no discriminator (Table III).

``parameter_report`` compares the parameter counts of every registered generator for one config.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Callable

import torch.nn as nn

from baselines.sizing import MATCH_TOLERANCE, count_on_meta, match_width
from harmonizer.models import (NORMS, GeneratorSpec, build_generator, get_generator, list_generators, with_output,
                               xavier_init)

# net(model_cfg, options, width, out_activation) -> nn.Module with a ``last_layer`` property; the factory
# reads only model_cfg.in_mask and model_cfg.depth (width matching caches on them)
NetFactory = Callable[[Any, dict, int, str], nn.Module]
TRAIN_LIKE_NO_ADV = {"loss.adversarial": False}


def unet_parameter_count(model_cfg) -> int:
    """Parameters of the UNet generator described by ``model_cfg`` (whatever its ``arch``)."""
    return count_on_meta(lambda: build_generator(dataclasses.replace(model_cfg, arch="unet", options={})))


def _options(spec: GeneratorSpec, model_cfg) -> dict:
    opts = spec.resolve_options(model_cfg)
    if opts.get("norm", "batch") not in NORMS:
        raise ValueError(f"model.options.norm '{opts['norm']}' not in {NORMS}")
    return opts


def matched_generator(name: str, net: NetFactory, *, options: dict, description: str = "",
                      trainer: dict | None = None) -> GeneratorSpec:
    """The spec of a baseline generator built by ``net`` at the width that matches the UNet (or ``options.width``).

    ``options``: every ``model.options`` key the net reads, with its default (``width: None`` = matched).
    """
    @lru_cache(maxsize=64)
    def matched(target: int, in_mask: bool, depth: int, shape: tuple) -> int:
        view = SimpleNamespace(in_mask=in_mask, depth=depth)  # the model fields a factory may read
        return match_width(lambda w: net(view, dict(shape), w, "tanh"), target)

    def width(model_cfg) -> int:
        opts = _options(spec, model_cfg)
        if opts.get("width") is not None:
            return int(opts["width"])
        shape = tuple(sorted((k, v) for k, v in opts.items() if k != "width"))
        return matched(unet_parameter_count(model_cfg), bool(model_cfg.in_mask), int(model_cfg.depth), shape)

    def build(model_cfg) -> nn.Module:
        out_activation = "tanh" if model_cfg.output == "direct" else "none"  # residual: the wrapper applies tanh
        module = net(model_cfg, _options(spec, model_cfg), width(model_cfg), out_activation)
        xavier_init(module)  # Algorithm 1: Xavier initialisation for every generator
        return with_output(module, model_cfg.output, module.last_layer)  # after Xavier: the residual zero-init stays

    build.__module__ = net.__module__  # the plugin module a checkpoint records
    spec = GeneratorSpec(name, build, options=dict(options), width=width,
                         trainer=dict(TRAIN_LIKE_NO_ADV if trainer is None else trainer), description=description)
    return spec


def parameter_report(model_cfg) -> dict:
    """Parameter counts (and widths) of the UNet and every registered baseline generator for one model
    config, and whether they match.  The run's own architecture keeps its ``model.options``; the others
    are built with their defaults."""
    def as_arch(arch: str):
        return dataclasses.replace(model_cfg, arch=arch, options=dict(model_cfg.options) if model_cfg.arch == arch else {})

    matched = [n for n in list_generators() if get_generator(n).width is not None]
    counts = {"unet": unet_parameter_count(model_cfg)}
    counts.update({arch: count_on_meta(lambda: build_generator(as_arch(arch))) for arch in matched})
    spread = (max(counts.values()) - min(counts.values())) / counts["unet"]
    return {"parameters": counts, "widths": {arch: get_generator(arch).width(as_arch(arch)) for arch in matched},
            "max_relative_difference": round(spread, 4), "tolerance": MATCH_TOLERANCE,
            "matched": spread <= MATCH_TOLERANCE}
