"""Shared session fixtures.  Keep them cheap: the whole suite runs on 2 CPU cores."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_dancing(tmp_path_factory):
    """A small procedural Dancing dataset (32×32, 12 clips, T = 2: 10 train / 1 val / 1 test), built once.

    Returns the dataset folder; read it with ``harmonizer.data.datasets.DancingDataset(path, split)``
    or ``harmonizer.data.format``.  Do not write into it (other tests share it).
    """
    from harmonizer.data.build import build_dataset

    return build_dataset(tmp_path_factory.mktemp("tiny_dancing") / "dancing", clips=12, size=32, frames=2,
                         seed=0, workers=1, progress=False)
