"""RAFT through ptlflow: only from weights on this machine, with clear errors otherwise.

The round-trip test saves a freshly initialised raft_small to tmp_path purely to exercise the loading
path (test weights, never reported as pretrained) and checks the estimator runs exactly those weights.
"""
from __future__ import annotations

import pytest
import torch

from bench.flow import FlowError, get_estimator


def test_raft_without_weights_is_an_error():
    with pytest.raises(FlowError, match="random weights"):
        get_estimator("raft")


def test_raft_missing_checkpoint_file_is_an_error(tmp_path):
    missing = tmp_path / "raft-things.ckpt"
    with pytest.raises(FlowError, match="raft-things.ckpt does not exist"):
        get_estimator("raft", ckpt_path=missing)


@pytest.fixture(scope="module")
def ptlflow():
    return pytest.importorskip("ptlflow")


def test_raft_pretrained_name_only_from_local_cache(ptlflow, tmp_path, monkeypatch):
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    try:
        with pytest.raises(FlowError, match=r"not in the local cache: expected .*hub/checkpoints/raft-things"):
            get_estimator("raft", pretrained="things")
        with pytest.raises(FlowError, match="no pretrained weights named 'imaginary'"):
            get_estimator("raft", pretrained="imaginary")
    finally:
        torch.hub.set_dir(old)


def test_raft_runs_the_weights_of_a_local_checkpoint(ptlflow, tmp_path):
    torch.manual_seed(0)
    net = ptlflow.get_model("raft_small")
    path = tmp_path / "raft_small-test.ckpt"
    torch.save({"state_dict": net.state_dict()}, path)
    est = get_estimator("raft", ckpt_path=path, model="raft_small", iters=1, batch_size=1)
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 3, 128, 128, generator=g), torch.rand(2, 3, 128, 128, generator=g)
    flow = est.estimate(a, b)
    assert flow.shape == (2, 2, 128, 128) and torch.isfinite(flow).all()
    net.iters = 1
    with torch.no_grad():
        direct = net.eval()({"images": torch.stack((a.flip(1), b.flip(1)), dim=1)})["flows"][:, 0]
    assert torch.allclose(flow, direct, atol=1e-5)
    assert est.settings()["weights_sha1"] and est.settings()["model"] == "raft_small"
    # weights that do not fit the architecture (here: one tensor missing) do not load silently
    state = dict(net.state_dict())
    state.pop(next(iter(state)))
    partial = tmp_path / "partial.ckpt"
    torch.save({"state_dict": state}, partial)
    with pytest.raises(FlowError, match="does not fit"):
        get_estimator("raft", ckpt_path=partial, model="raft_small").estimate(a, b)
