"""Readers that load a dataset the way a peer's evaluation does (bench.protocols chooses them).

``peer_io`` holds the per-protocol reading and resizing; ``hyoutube`` the HYouTube clips and CO2Net's TL-task
pairs; ``iharmony4`` the iHarmony4 image layout.  The suite's own readers stay in :mod:`bench.datasets`.
"""
