"""Optical-flow estimators behind one interface (issue 5).

``get_estimator(name, cache_dir=None, **options)`` → a :class:`FlowEstimator` whose
``estimate(frames_a, frames_b)`` returns ``N×2×H×W`` flow from each pixel of ``frames_a`` to its
position in ``frames_b`` (so ``estimate(frame_t, frame_{t−1})`` is the backward flow), and whose
``clip_flows(frames)`` returns a clip's ``(flow_bw, flow_fw)``.

=======  ====================================================================  ==============
name     what                                                                  options
=======  ====================================================================  ==============
gt       the flows stored with a dataset sample (bench.flow.gt)                sample=, flow_bw=, flow_fw=
dis      OpenCV DIS, medium preset, grey 8-bit frames — the default            preset=
raft     RAFT via ptlflow from local weights only (bench.flow.raft)            ckpt_path= | pretrained=, model=, iters=
=======  ====================================================================  ==============

With ``cache_dir`` the estimator is wrapped in :class:`CachedFlow` (not ``gt``: nothing to compute).
"""
from __future__ import annotations

from .base import FlowError, FlowEstimator
from .cache import CachedFlow
from .dis import DISFlow
from .gt import GroundTruthFlow
from .raft import RAFTFlow

ESTIMATORS: dict[str, type[FlowEstimator]] = {"gt": GroundTruthFlow, "dis": DISFlow, "raft": RAFTFlow}
DEFAULT_ESTIMATOR = "dis"


def list_estimators() -> list[str]:
    return list(ESTIMATORS)


def get_estimator(name: str = DEFAULT_ESTIMATOR, *, cache_dir=None, **options) -> FlowEstimator:
    """Build the estimator ``name`` with ``options``; unknown names and bad options are clear errors."""
    if name not in ESTIMATORS:
        raise KeyError(f"unknown flow estimator {name!r}; known: {', '.join(ESTIMATORS)}")
    try:
        estimator = ESTIMATORS[name](**options)
    except TypeError as exc:
        raise TypeError(f"flow estimator {name!r}: {exc}") from exc
    if cache_dir is not None and name != "gt":
        estimator = CachedFlow(estimator, cache_dir)
    return estimator


__all__ = ["FlowEstimator", "FlowError", "CachedFlow", "DISFlow", "GroundTruthFlow", "RAFTFlow", "ESTIMATORS",
           "DEFAULT_ESTIMATOR", "get_estimator", "list_estimators"]
