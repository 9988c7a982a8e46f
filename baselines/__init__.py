"""Harmonization methods behind one interface: ``harmonize(frames, masks) -> frames``.

Importing the package registers the baseline generators "dih" and "resnet" with
``harmonizer.models`` so harmonizer's training loop and run loader can build them.
"""
import baselines.architectures  # noqa: F401  (registers "dih" and "resnet")
from baselines.registry import get_method, list_methods

__all__ = ["get_method", "list_methods"]
