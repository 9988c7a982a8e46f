"""Registry of harmonization methods: a name maps to a constructor.

Adding a method = one file with a class implementing :class:`baselines.base.Method`
and one line in ``_REGISTRY`` below.  Constructors are imported lazily so that a
method with heavy dependencies costs nothing until it is asked for.
"""
from __future__ import annotations

import difflib
import importlib

# name -> "module:attribute" of a constructor taking keyword options
_REGISTRY: dict[str, str] = {
    "cut_and_paste": "baselines.cut_and_paste:CutAndPaste",
    "dih": "baselines.learned:DIH",
    "gan": "baselines.gan:GAN",
    "realism_cnn": "baselines.realism_cnn:RealismCNN",
    "resnet": "baselines.learned:ResNet",
}


def list_methods() -> list[str]:
    return sorted(_REGISTRY)


def get_method(name: str, **options):
    """Build the method called ``name`` with ``options`` (e.g. ``checkpoint=RUN_DIR``)."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown method '{name}'. Known methods: {', '.join(list_methods())}.{hint}")
    module_name, attr = _REGISTRY[name].split(":")
    constructor = getattr(importlib.import_module(module_name), attr)
    return constructor(**options)
