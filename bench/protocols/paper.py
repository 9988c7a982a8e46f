"""``paper``: the definitions of Huang et al. (TIP 2019) as this suite computes them — the default protocol.

The metrics are the suite's own registry (``bench.metrics``; docs/metrics.md, "Convention table"): [0, 1] frames,
PSNR with data range 1, fMSE over mask pixels only, scikit-image's SSIM, the regional temporal loss L_T with
ground-truth (L_T1) or estimated (L_T2) flow.  Reading is the dataset reader's own: HYouTube frames resized by
area, masks binarised at 128 and resized nearest (``bench.datasets``); flow estimated on the ground truth when a
dataset has it, else on the composite; temporal metrics on consecutive frames of each clip.
"""
from __future__ import annotations

from .registry import Protocol, register_protocol

STEPS = register_protocol(Protocol(
    name="paper",
    title="Huang et al., TIP 2019 (this suite's definitions)",
    peer="this suite (docs/metrics.md)",
    files=("bench/metrics",),
    reading=None,
    flow_frames="gt_else_composite",
    peer_flow="ground-truth flow (L_T1) or an estimator (L_T2)",
    pairs="consecutive frames of each clip",
    notes=("L_T averages over the three channels where the paper divides the channel sum by N_F (a factor 3).",
           "Differences from the peers' scripts, on purpose: docs/metrics.md, 'Where we differ from the reference "
           "scripts'; their own conventions are their protocols."),
))
PROTOCOL = STEPS.name
