"""Registry of harmonization methods: a name maps to a constructor.

Two kinds of entries, one list:

* the methods that are not trainable generators: one file with a class implementing
  :class:`baselines.base.Method` and one line in ``_REGISTRY`` below (imported lazily, so a method
  with heavy dependencies costs nothing until it is asked for);
* every trainable generator of ``harmonizer.models``' registry (a ``GeneratorSpec`` with a
  ``trainer``, e.g. "dih", "resnet"): its method is :class:`baselines.learned.LearnedGenerator`
  applied to a run folder of that architecture — nothing to add here.
"""
from __future__ import annotations

import difflib
import importlib

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


def get_method(name: str, **options):
    """Build the method called ``name`` with ``options`` (e.g. ``checkpoint=RUN_DIR``)."""
    if name in _REGISTRY:
        module_name, attr = _REGISTRY[name].split(":")
        return getattr(importlib.import_module(module_name), attr)(**options)
    if name in trainable_generators():
        from baselines.learned import LearnedGenerator

        return LearnedGenerator(arch=name, **options)
    close = difflib.get_close_matches(name, list_methods(), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown method '{name}'. Known methods: {', '.join(list_methods())}.{hint}")
