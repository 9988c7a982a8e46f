"""Harmonization methods behind one interface: ``harmonize(frames, masks) -> frames``."""
from baselines.registry import get_method, list_methods

__all__ = ["get_method", "list_methods"]
