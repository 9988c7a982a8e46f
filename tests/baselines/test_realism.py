"""RealismCNN: AUC and colour transform against hand-computed references, classifier quality on held-out
tiny data, the adjustment raising realism scores, and honest records of how the classifier was initialised."""
from __future__ import annotations

import json
from itertools import product

import numpy as np
import pytest
import torch

from baselines.realism_cnn import RealismCNN, adjust_foreground, apply_colour_transform
from baselines.realism_config import get_realism_config
from baselines.realism_model import RealismNet, RealismNetConfig, load_imagenet_weights
from baselines.realism_train import roc_auc, train_realism
from harmonizer.data.format import list_clips, read_clip


def _pairwise_auc(scores, labels):
    """AUC by its definition: P(score of a positive > score of a negative), ties counting 1/2."""
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_pairwise_definition():
    rng = np.random.default_rng(3)
    scores = np.round(rng.normal(size=40), 1)  # rounding creates ties
    labels = rng.integers(0, 2, 40)
    assert roc_auc(torch.tensor(scores), torch.tensor(labels)) == pytest.approx(_pairwise_auc(scores, labels))
    assert roc_auc(torch.tensor([0.1, 0.9]), torch.tensor([0, 1])) == 1.0


def test_colour_transform_by_hand():
    frame = torch.full((1, 3, 2, 2), 0.5)
    frame[0, :, 0, 0] = torch.tensor([0.2, 0.4, 0.6])  # background pixel
    frame[0, :, 1, 1] = torch.tensor([0.3, 0.3, 0.3])  # foreground pixel; the other fg pixel is 0.5
    mask = torch.tensor([[[[0.0, 0.0], [1.0, 1.0]]]])
    # foreground mean per channel over pixels (1,0)=0.5 and (1,1)=0.3 is 0.4
    params = torch.tensor([[0.1, float(np.log(2.0)), 0.0, 0.05, -0.05]])
    out = apply_colour_transform(frame, mask, params)
    expected_fg = lambda v, off: (v - 0.4) * 2 + 0.4 + 0.1 + off  # noqa: E731
    for c, off in enumerate((0.0, 0.05, -0.05)):
        assert out[0, c, 1, 0].item() == pytest.approx(expected_fg(0.5, off))
        assert out[0, c, 1, 1].item() == pytest.approx(expected_fg(0.3, off))
    assert torch.equal(out[:, :, 0], frame[:, :, 0])  # background row untouched


def _test_frames(data_dir, split="test"):
    frames, masks, labels = [], [], []
    for _, cid in list_clips(data_dir, split):
        clip = read_clip(data_dir, split, cid)
        for kind, label in (("gt", 1), ("composite", 0)):
            frames.append(torch.from_numpy(getattr(clip, kind)).permute(0, 3, 1, 2).float() / 255)
            masks.append(torch.from_numpy(clip.mask).float().unsqueeze(1))
            labels += [label] * clip.num_frames
    return torch.cat(frames), torch.cat(masks), labels


def test_classifier_separates_real_from_composite_on_held_out_clips(realism_run, tiny_data):
    method = RealismCNN(checkpoint=realism_run)
    frames, _, labels = _test_frames(tiny_data, "test")  # never seen in training or model selection
    scores = method.score(frames).tolist()
    assert _pairwise_auc(scores, labels) > 0.5


def test_adjustment_raises_the_realism_score(realism_run, tiny_data):
    method = RealismCNN(checkpoint=realism_run)
    frames, masks, labels = _test_frames(tiny_data, "test")
    composites = [i for i, y in enumerate(labels) if y == 0]
    result = adjust_foreground(method.net, frames[composites], masks[composites], method.adjust_config)
    rescored = method.score(result.frames)
    assert torch.allclose(rescored, result.score_after, atol=1e-4)  # the reported score is the frame's score
    assert (result.score_after >= result.score_before - 1e-5).all()
    assert result.score_after.mean() > result.score_before.mean()
    assert (result.params.abs().sum(1) > 0).any()  # some frames were actually changed


def test_run_records_initialisation_and_architecture(realism_run):
    summary = json.loads((realism_run / "summary.json").read_text())
    assert summary["initialisation"] == "scratch" and summary["pretrained"] is False
    assert "scaled-down" in summary["architecture"] and "not the full VGG-16" in summary["architecture"]
    assert summary["parameters"]["realism_cnn"] == sum(p.numel() for p in RealismCNN(realism_run).net.parameters())
    assert (realism_run / "checkpoints" / "best.pt").is_file() and (realism_run / "metrics.csv").is_file()


def test_missing_weights_file_is_a_clear_error(tiny_data, tmp_path):
    cfg = get_realism_config("tiny", steps=1, pretrained_weights=str(tmp_path / "nope.pth"))
    with pytest.raises(FileNotFoundError, match="nope.pth"):
        train_realism(cfg, tiny_data, tmp_path / "run", progress=False)


def test_imagenet_weights_refused_for_a_scaled_network(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({}, path)
    with pytest.raises(ValueError, match="full VGG-16"):
        load_imagenet_weights(RealismNet(RealismNetConfig(width_scale=0.125, hidden=8, pool=1)), path)


def test_unknown_config_field_is_an_error():
    with pytest.raises(KeyError, match="net.nope"):
        get_realism_config("tiny", net__nope=1)
    with pytest.raises(ValueError, match="profile"):
        get_realism_config("huge")


def test_layout_and_names_are_torchvision_vgg16():
    import torchvision

    with torch.device("meta"):  # shapes only: no memory for the 138M parameters
        ours = RealismNet(RealismNetConfig()).state_dict()
        theirs = torchvision.models.vgg16(weights=None).state_dict()
        ours_bn = RealismNet(RealismNetConfig(batch_norm=True)).state_dict()
        theirs_bn = torchvision.models.vgg16_bn(weights=None).state_dict()
    for a, b in ((ours, theirs), (ours_bn, theirs_bn)):
        assert set(a) == set(b)
        assert {k: tuple(v.shape) for k, v in a.items() if k != "classifier.6.weight" and k != "classifier.6.bias"} == \
               {k: tuple(v.shape) for k, v in b.items() if k != "classifier.6.weight" and k != "classifier.6.bias"}
        assert tuple(a["classifier.6.weight"].shape) == (1, 4096)  # one realism logit instead of 1000 classes


def test_imagenet_weights_load_all_but_the_class_layer(tmp_path, monkeypatch):
    # a small stand-in for the ImageNet file (same names, 1000-way last layer), allowed through the size check
    monkeypatch.setattr(RealismNetConfig, "is_full_vgg16", property(lambda self: True))
    cfg = RealismNetConfig(width_scale=0.125, hidden=16, pool=1)
    torch.manual_seed(1)
    source = RealismNet(cfg).state_dict()
    source["classifier.6.weight"] = torch.randn(1000, 16)
    source["classifier.6.bias"] = torch.randn(1000)
    path = tmp_path / "vgg16-imagenet.pth"
    torch.save(source, path)
    torch.manual_seed(2)
    net = RealismNet(cfg)
    head_before = net.classifier[6].weight.clone()
    load_imagenet_weights(net, path)
    loaded = net.state_dict()
    for key, value in source.items():
        if not key.startswith("classifier.6."):
            assert torch.equal(loaded[key], value), key
    assert torch.equal(net.classifier[6].weight, head_before)  # the realism head keeps its own init
    torch.save({"features.0.weight": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="vgg16-imagenet.pth"):
        load_imagenet_weights(RealismNet(cfg), path)


def test_run_manifest_says_pretrained_when_started_from_a_weights_file(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setattr(RealismNetConfig, "is_full_vgg16", property(lambda self: True))
    cfg = get_realism_config("tiny", steps=2, val_every=1)
    source = RealismNet(cfg.net).state_dict()
    weights = tmp_path / "imagenet.pth"
    torch.save(source, weights)
    cfg.pretrained_weights = str(weights)
    run = train_realism(cfg, tiny_data, tmp_path / "run", progress=False)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["pretrained"] is True and summary["initialisation"] == f"imagenet:{weights}"


@pytest.mark.parametrize("context", [torch.no_grad, torch.inference_mode])
def test_adjustment_works_under_no_grad_callers(realism_run, tiny_data, context):
    method = RealismCNN(checkpoint=realism_run, steps=3)
    frames, masks, _ = _test_frames(tiny_data, "test")
    expected = method.harmonize(frames[:2], masks[:2])
    with context():
        assert torch.equal(method.harmonize(frames[:2].clone(), masks[:2].clone()), expected)


def test_empty_foreground_is_left_unchanged(realism_run, tiny_data):
    method = RealismCNN(checkpoint=realism_run, steps=3)
    frames, masks, _ = _test_frames(tiny_data, "test")
    empty = torch.zeros_like(masks[:2])
    assert torch.equal(method.harmonize(frames[:2], empty), frames[:2])
