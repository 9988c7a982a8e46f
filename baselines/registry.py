"""Registry of harmonization methods: a name maps to a constructor.

Two kinds of entries, one list:

* the methods that are not trainable generators: one file with a class implementing
  :class:`baselines.base.Method` and one line in ``_REGISTRY`` below (imported lazily, so a method
  with heavy dependencies costs nothing until it is asked for);
* every trainable generator of ``harmonizer.models``' registry (a ``GeneratorSpec`` with a
  ``trainer``, e.g. "dih", "resnet"): its method is :class:`baselines.learned.LearnedGenerator`
  applied to a run folder of that architecture — nothing to add here.

The background option is handed out here, once for every method: :func:`get_method` passes ``blend``
(default ``DEFAULT_BLEND`` = "mask"; ``baselines.base``) to every constructor, so every method takes it
under the same name with the same default; each checks it with ``check_blend`` and records it in its
``settings``.
"""
from __future__ import annotations

import difflib
import importlib

from baselines.base import DEFAULT_BLEND

# name -> "module:attribute" of a constructor taking keyword options
_REGISTRY: dict[str, str] = {
    "cut_and_paste": "baselines.cut_and_paste:CutAndPaste",
    "gan": "baselines.gan:GAN",
    "realism_cnn": "baselines.realism_cnn:RealismCNN",
}


def trainable_generators() -> list[str]:
    """Names of the generators trained on their own (each is also a method)."""
    from harmonizer.models import list_generators

    return list_generators(trainable_only=True)


def list_methods() -> list[str]:
    return sorted({*_REGISTRY, *trainable_generators()})


def get_method(name: str, *, blend: str = DEFAULT_BLEND, **options):
    """Build the method called ``name`` with ``options`` (e.g. ``checkpoint=RUN_DIR``).

    ``blend``: ``"mask"`` (default) returns the input outside the mask, ``"none"`` the method's raw output
    (``baselines.base``); every method receives it.
    """
    if "paste_background" in options:  # the option DIH/ResNet had before every method shared ``blend``
        raise TypeError(f"{name}: paste_background was replaced by blend='mask' (the default: background kept) "
                        f"or blend='none' (the raw output)")
    if name in _REGISTRY:
        module_name, attr = _REGISTRY[name].split(":")
        return getattr(importlib.import_module(module_name), attr)(blend=blend, **options)
    if name in trainable_generators():
        from baselines.learned import LearnedGenerator

        return LearnedGenerator(arch=name, blend=blend, **options)
    close = difflib.get_close_matches(name, list_methods(), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown method '{name}'. Known methods: {', '.join(list_methods())}.{hint}")
