"""How a generator turns its network's last layer into the image O: ``direct`` or ``residual``.

``model.output`` is a property of the run, honoured the same way by every registered
generator (UNet, DIH, ResNet), so architectures are compared under one parameterisation:

* ``direct`` (the paper): O = tanh(net(I, M)).
* ``residual``: O = tanh(atanh(I) + net(I, M)) with the net's last layer zero-initialised,
  so a freshly built G returns its input I (cut-and-paste) and learns only the correction.
  The short CPU profiles use it: a few hundred steps are not enough for a direct output to
  learn even to copy the background (the paper trains ~1.3 M steps).  It adds no parameters.

I is clamped to ±(1 − :data:`INPUT_CLAMP`) before atanh (atanh(±1) is infinite), so a
fresh residual G reproduces inputs inside that range exactly and moves ±1 by at most
``INPUT_CLAMP``.

Pieces: :func:`residual_tanh` and :func:`zero_init_` (used inside ``UNetGenerator``, whose
state-dict keys stay ``net.*``), and :class:`ResidualOutput`, a wrapper that gives any
generator whose ``forward(composite, mask)`` returns the unbounded correction a residual
output (used by the baselines' builders).
"""
from __future__ import annotations

import torch
import torch.nn as nn

OUTPUTS = ("direct", "residual")
INPUT_CLAMP = 1e-3


def check_output(output: str) -> str:
    if output not in OUTPUTS:
        raise ValueError(f"generator output must be one of {', '.join(OUTPUTS)}, got '{output}'")
    return output


def residual_tanh(composite: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """tanh(atanh(I) + delta): the correction ``delta`` is added in the pre-tanh domain, so O stays in (-1, 1)."""
    return torch.tanh(torch.atanh(composite.clamp(-1 + INPUT_CLAMP, 1 - INPUT_CLAMP)) + delta)


def zero_init_(layer: nn.Module) -> nn.Module:
    """Zero the weight and bias of ``layer`` (the last layer of a residual generator: delta = 0 at init)."""
    if not isinstance(getattr(layer, "weight", None), torch.Tensor):
        raise TypeError(f"cannot zero-initialise {type(layer).__name__}: it has no weight")
    nn.init.zeros_(layer.weight)
    if getattr(layer, "bias", None) is not None:
        nn.init.zeros_(layer.bias)
    return layer


class ResidualOutput(nn.Module):
    """G(I, M) = tanh(atanh(I) + net(I, M)); ``net`` must return the unbounded correction (no tanh).

    ``last_layer`` (a module inside ``net``) is zero-initialised here, after any other
    initialisation of ``net``, so the wrapped generator starts as the identity.  The weights
    live under ``net.``; a state dict without that prefix (a directly-predicting generator
    saved bare) is refused with an explanation rather than loaded into the wrong output.
    """

    output = "residual"

    def __init__(self, net: nn.Module, last_layer: nn.Module):
        super().__init__()
        if not any(m is last_layer for m in net.modules()):
            raise ValueError("last_layer must be a module of net")
        self.net = net
        self.in_mask = bool(getattr(net, "in_mask", True))
        zero_init_(last_layer)
        self._register_load_state_dict_pre_hook(self._refuse_bare_weights)

    def _refuse_bare_weights(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                             error_msgs):
        keys = [k for k in state_dict if k.startswith(prefix)]
        if keys and not any(k.startswith(prefix + "net.") for k in keys):
            # raised, not appended to error_msgs: torch would list every missing key before this explanation
            raise RuntimeError(
                f"these weights belong to a direct-output {type(self.net).__name__} (no 'net.' prefix), but the "
                "config asks for model.output='residual'. Runs of dih/resnet trained before the baselines honoured "
                "model.output predicted directly although their config said residual: retrain them "
                "(for reports: a fresh --out folder), or load them with model.output='direct'.")

    def forward(self, composite: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return residual_tanh(composite, self.net(composite, mask))


def with_output(net: nn.Module, output: str, last_layer: nn.Module) -> nn.Module:
    """``net`` itself for ``direct`` (it must end in tanh), else ``ResidualOutput(net, last_layer)``
    (``net`` must then return the unbounded correction)."""
    return net if check_output(output) == "direct" else ResidualOutput(net, last_layer)
