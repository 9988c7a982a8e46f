"""Session fixtures for the baselines' tests: one tiny dataset and one tiny trained run per method.

Training happens once per session.  The tiny profile's own schedule (2 epochs) only
exercises the plumbing; to test that the baselines *learn*, dih and resnet train for 40
epochs of the 24 tiny clips (240 steps) at lr 1e-3 — still the tiny profile's networks.
"""
from __future__ import annotations

import pytest
import torch

from tests.baselines.tinydata import build_tiny_dataset

LEARN_OVERRIDES = {"schedule.epochs": 40, "optim.lr": 1e-3}


@pytest.fixture(scope="package", autouse=True)
def _one_thread():
    """Tiny 32² models gain nothing from intra-op threads, and on a shared 2-core machine two
    threads per process oversubscribe the cores (10× slower measured); restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    return build_tiny_dataset(tmp_path_factory.mktemp("baselines_data"), train=24, val=8, size=32, seed=0)


def _train(name, tiny_data, tmp_path_factory, **overrides):
    from baselines.train import train_baseline

    out = tmp_path_factory.mktemp(f"run_{name}") / "run"
    return train_baseline(name, "tiny", tiny_data, out, progress=False, tensorboard=False, **overrides)


@pytest.fixture(scope="session")
def generator_runs(tiny_data, tmp_path_factory):
    """``generator_runs(name)``: the session's learning run of a trainable generator (trained on first use)."""
    runs = {}

    def get(name):
        if name not in runs:
            runs[name] = _train(name, tiny_data, tmp_path_factory, **LEARN_OVERRIDES)
        return runs[name]
    return get


@pytest.fixture(scope="session")
def dih_run(generator_runs):
    return generator_runs("dih")


@pytest.fixture(scope="session")
def resnet_run(generator_runs):
    return generator_runs("resnet")


@pytest.fixture(scope="session")
def realism_run(tiny_data, tmp_path_factory):
    return _train("realism_cnn", tiny_data, tmp_path_factory)


@pytest.fixture(scope="session")
def gan_run(tiny_data, tmp_path_factory):
    """A GAN run of a few steps: enough for the interface checks, not for quality."""
    from harmonizer.config import get_config
    from harmonizer.train import train

    out = tmp_path_factory.mktemp("run_gan") / "run"
    return train(get_config("tiny", "full", **{"schedule.max_steps": 2, "schedule.epochs": 1}), tiny_data, out,
                 progress=False, tensorboard=False)
