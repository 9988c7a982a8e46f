"""Registers the baseline generators "dih" and "resnet" with ``harmonizer.models`` (done on import of ``baselines``).

Each builder takes harmonizer's ``ModelConfig`` and returns a generator with the UNet's
interface and honours ``model.output`` like the UNet: ``direct`` returns the net ending in
tanh; ``residual`` (the ``tiny``/``quick`` profiles) wraps the net without its tanh in
``harmonizer.models.ResidualOutput`` — O = tanh(atanh(I) + net(I, M)), last layer zero, so G
starts as cut-and-paste (no extra parameters).  The width is derived from the config, not hard-coded: the UNet the same
config describes (``arch="unet"``) is counted on the meta device, and the baseline's
width is the one whose parameter count is closest to it (within 10%, else an error).
Architecture-specific settings live in ``model.options``:

* ``width``  — force a width instead of matching (the match is then not guaranteed);
* ``norm``   — ``batch`` (default, as both originals), ``instance`` or ``none``;
* ``depth``  — DIH levels (default ``model.depth``, so DIH's bottleneck has the UNet's size);
* ``blocks`` — ResNet residual blocks (default 5, as Johnson et al.).
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import torch.nn as nn

from baselines.dih import DIHNet
from baselines.layers import NORMS
from baselines.resnet import JohnsonResNet
from baselines.sizing import MATCH_TOLERANCE, count_on_meta, match_width
from harmonizer.models import ARCHITECTURES, build_generator, register_architecture, with_output, xavier_init

_KNOWN_OPTIONS = {"dih": {"width", "norm", "depth"}, "resnet": {"width", "norm", "blocks"}}


def unet_parameter_count(model_cfg) -> int:
    """Parameters of the UNet generator described by ``model_cfg`` (whatever its ``arch``)."""
    return count_on_meta(lambda: build_generator(dataclasses.replace(model_cfg, arch="unet", options={})))


def _options(arch: str, model_cfg) -> dict:
    opts = dict(model_cfg.options or {})
    unknown = set(opts) - _KNOWN_OPTIONS[arch]
    if unknown:
        raise KeyError(f"model.options {sorted(unknown)} are not settings of '{arch}'; known: "
                       f"{', '.join(sorted(_KNOWN_OPTIONS[arch]))}")
    if opts.get("norm", "batch") not in NORMS:
        raise ValueError(f"model.options.norm '{opts['norm']}' not in {NORMS}")
    return opts


@lru_cache(maxsize=64)
def _matched_width(arch: str, target: int, in_mask: bool, norm: str, depth_or_blocks: int) -> int:
    if arch == "dih":
        return match_width(lambda w: DIHNet(width=w, depth=depth_or_blocks, in_mask=in_mask, norm=norm), target)
    return match_width(lambda w: JohnsonResNet(width=w, n_blocks=depth_or_blocks, in_mask=in_mask, norm=norm), target)


def baseline_width(arch: str, model_cfg) -> int:
    """The width ``build_dih``/``build_resnet`` use for ``model_cfg`` (forced or matched to the UNet)."""
    opts = _options(arch, model_cfg)
    if "width" in opts:
        return int(opts["width"])
    shape = opts.get("depth", model_cfg.depth) if arch == "dih" else opts.get("blocks", 5)
    return _matched_width(arch, unet_parameter_count(model_cfg), model_cfg.in_mask, opts.get("norm", "batch"), shape)


def _out_activation(model_cfg) -> str:
    return "tanh" if model_cfg.output == "direct" else "none"  # residual: the wrapper applies the tanh


def build_dih(model_cfg) -> nn.Module:
    opts = _options("dih", model_cfg)
    net = DIHNet(width=baseline_width("dih", model_cfg), depth=opts.get("depth", model_cfg.depth),
                 in_mask=model_cfg.in_mask, norm=opts.get("norm", "batch"), out_activation=_out_activation(model_cfg))
    xavier_init(net)  # Algorithm 1: Xavier initialisation for every generator
    return with_output(net, model_cfg.output, net.last_layer)  # after Xavier: the residual zero-init must stay


def build_resnet(model_cfg) -> nn.Module:
    opts = _options("resnet", model_cfg)
    net = JohnsonResNet(width=baseline_width("resnet", model_cfg), n_blocks=opts.get("blocks", 5),
                        in_mask=model_cfg.in_mask, norm=opts.get("norm", "batch"),
                        out_activation=_out_activation(model_cfg))
    xavier_init(net)
    return with_output(net, model_cfg.output, net.last_layer)


def parameter_report(model_cfg) -> dict:
    """Parameter counts (and widths) of UNet, ResNet and DIH for one model config, and whether they match.

    The run's own architecture keeps its ``model.options``; the others are built with defaults.
    """
    def as_arch(arch: str):
        return dataclasses.replace(model_cfg, arch=arch, options=dict(model_cfg.options) if model_cfg.arch == arch else {})

    counts = {"unet": unet_parameter_count(model_cfg)}
    counts.update({arch: count_on_meta(lambda: build_generator(as_arch(arch))) for arch in ("resnet", "dih")})
    spread = (max(counts.values()) - min(counts.values())) / counts["unet"]
    return {"parameters": counts, "widths": {arch: baseline_width(arch, as_arch(arch)) for arch in ("resnet", "dih")},
            "max_relative_difference": round(spread, 4), "tolerance": MATCH_TOLERANCE,
            "matched": spread <= MATCH_TOLERANCE}


def register() -> None:
    """Register "dih" and "resnet" (idempotent; the module is recorded so checkpoints can reload it)."""
    for name, builder in (("dih", build_dih), ("resnet", build_resnet)):
        if ARCHITECTURES.get(name) is not builder:
            register_architecture(name, builder, module=__name__)


register()
