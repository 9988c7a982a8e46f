"""Harmonization methods behind one interface: ``harmonize(frames, masks) -> frames``.

The trainable generators ("dih", "resnet") are registered with ``harmonizer.models``' one
generator registry, which imports :mod:`baselines.generators` when it is first read.
"""
from baselines.registry import get_method, list_methods

__all__ = ["get_method", "list_methods"]
