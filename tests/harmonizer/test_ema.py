"""The weight average (optim.ema_decay): the recurrence by hand, and what training validates, saves and resumes."""
import json

import pytest
import torch

from harmonizer.config import get_config
from harmonizer.ema import WeightAverage, warmed_decay
from harmonizer.runs import load_checkpoint
from harmonizer.train import train
from tests.harmonizer.synthetic import make_dataset


def test_warmed_decay_is_tensorflows_num_updates_rule():
    assert warmed_decay(0.995, 1) == pytest.approx(2 / 11)
    assert warmed_decay(0.995, 8) == pytest.approx(9 / 18)
    assert warmed_decay(0.995, 10_000) == 0.995  # capped by the decay


def test_average_follows_the_recurrence_by_hand():
    net = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(1.0)
    avg = WeightAverage(net, 0.5)
    expected = 1.0
    for n, w in enumerate([3.0, -1.0, 5.0, 2.0], start=1):
        with torch.no_grad():
            net.weight.fill_(w)
        avg.update(net)
        d = min(0.5, (1 + n) / (10 + n))
        expected = d * expected + (1 - d) * w
        assert float(avg.module.weight) == pytest.approx(expected)
    assert not avg.module.weight.requires_grad
    again = WeightAverage(net, 0.5)
    again.load_state_dict(avg.state_dict())
    assert again.updates == 4 and float(again.module.weight) == pytest.approx(expected)
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(net, 1.0)
    with pytest.raises(ValueError, match=r"optim.ema_decay must be in \[0, 1\), got 1.0"):
        get_config("tiny", optim__ema_decay=1.0)  # the config names the field before any training starts


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("ema") / "data", train=8, val=2, seed=2)


def test_training_saves_the_average_as_g_and_resumes_it_exactly(small_data, tmp_path):
    cfg = get_config("tiny", optim__ema_decay=0.9, schedule__epochs=3, schedule__max_steps=None)  # 6 steps
    whole = train(cfg, small_data, tmp_path / "whole", progress=False, tensorboard=False)
    ckpt = load_checkpoint(whole / "checkpoints" / "last.pt")
    assert ckpt["G_avg_updates"] == 6
    # the average is not the last step's weights, and it lies between the start and the end of training
    start = load_checkpoint(train(get_config("tiny", optim__ema_decay=0.9, schedule__max_steps=0), small_data,
                                  tmp_path / "start", progress=False, tensorboard=False) / "checkpoints" / "last.pt")
    name = next(k for k, v in ckpt["G"].items() if v.is_floating_point() and v.numel() > 8)
    g_avg, g_last, g_0 = ckpt["G"][name], ckpt["G_train"][name], start["G"][name]
    assert not torch.equal(g_avg, g_last)
    assert (g_avg - g_0).norm() < (g_last - g_0).norm()
    # an interrupted run resumes both the training weights and the average
    cut = train(cfg, small_data, tmp_path / "cut", progress=False, tensorboard=False, stop_after_steps=3)
    train(cfg, small_data, tmp_path / "cut", resume=True, progress=False, tensorboard=False)
    resumed = load_checkpoint(cut / "checkpoints" / "last.pt")
    for key in ("G", "G_train"):
        assert all(torch.equal(resumed[key][k], ckpt[key][k]) for k in ckpt[key])
    assert json.loads((whole / "config.json").read_text())["optim"]["ema_decay"] == 0.9


def test_without_the_average_g_is_the_last_steps_weights(small_data, tmp_path):
    run = train(get_config("tiny", schedule__max_steps=2), small_data, tmp_path / "plain", progress=False,
                tensorboard=False)
    ckpt = load_checkpoint(run / "checkpoints" / "last.pt")
    assert "G_train" not in ckpt and "G_avg_updates" not in ckpt
