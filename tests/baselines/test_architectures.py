"""DIH and the Johnson ResNet: hand-counted sizes, shapes, registration, and the matched-size rule."""
from __future__ import annotations

import dataclasses

import pytest
import torch

import baselines  # noqa: F401  (registers the architectures)
from baselines.architectures import parameter_report
from baselines.dih import DIHNet, level_widths
from baselines.resnet import JohnsonResNet
from baselines.sizing import count_parameters, match_width
from harmonizer.config import PROFILES, get_config
from harmonizer.models import build_generator, list_generators


def test_dih_parameter_count_by_hand():
    # depth 1, no norm: conv 4→8 (4×4) + bottleneck 8→8 (3×3) + head 8→3 (4×4 transposed)
    net = DIHNet(width=8, depth=1, norm="none")
    assert count_parameters(net) == (4 * 8 * 16 + 8) + (8 * 8 * 9 + 8) + (8 * 3 * 16 + 3)


def test_resnet_parameter_count_by_hand():
    # trunk c=4 → outer widths 1 and 2; one residual block; no norm
    net = JohnsonResNet(width=4, n_blocks=1, norm="none")
    expected = (
        (4 * 1 * 81 + 1)  # c9s1-1 from image+mask
        + (1 * 2 * 9 + 2) + (2 * 4 * 9 + 4)  # two stride-2 convs
        + 2 * (4 * 4 * 9 + 4)  # residual block
        + (4 * 2 * 9 + 2) + (2 * 1 * 9 + 1)  # two transposed convs
        + (1 * 3 * 81 + 3)  # c9s1-3
    )
    assert count_parameters(net) == expected


def test_dih_level_widths_double_toward_the_bottleneck():
    assert level_widths(512, 5) == [64, 128, 256, 512, 512]
    assert level_widths(40, 3) == [10, 20, 40]


@pytest.mark.parametrize("cls", [DIHNet, JohnsonResNet])
@pytest.mark.parametrize("size", [(32, 32), (30, 37)])
def test_generators_keep_size_and_range(cls, size):
    torch.manual_seed(0)
    net = cls(width=16).eval()
    comp = torch.rand(2, 3, *size) * 2 - 1
    mask = (torch.rand(2, 1, *size) > 0.5).float()
    out = net(comp, mask)
    assert out.shape == (2, 3, *size)
    assert out.abs().max() <= 1.0
    with pytest.raises(ValueError, match="mask"):
        net(comp)


def test_dih_skips_are_sums_not_concatenations():
    net = DIHNet(width=32, depth=3)
    # a concatenation skip would double the decoder's input channels; a sum keeps them
    for dec, enc_width in zip(net.decoder, reversed(net.widths[:-1])):
        assert dec[0].out_channels == enc_width
    assert net.head.in_channels == net.widths[0]


def test_match_width_equals_brute_force():
    factory = lambda w: JohnsonResNet(width=w, n_blocks=2)  # noqa: E731
    target = 50_000
    counts = {w: count_parameters(factory(w)) for w in range(1, 80)}
    best = min(counts, key=lambda w: abs(counts[w] - target))
    assert match_width(factory, target) == best
    with pytest.raises(ValueError, match="within"):
        match_width(lambda w: torch.nn.Linear(1, 1000 * w), 1500)  # steps of 2000 parameters


def test_architectures_registered_and_buildable_from_harmonizer_config():
    assert {"dih", "resnet", "unet"} <= set(list_generators())
    for arch in list_generators(trainable_only=True):
        cfg = get_config("tiny", variant=arch)
        assert cfg.model.arch == arch and not cfg.loss.adversarial
        net = build_generator(cfg.model).eval()
        out = net(torch.zeros(1, 3, 32, 32), torch.ones(1, 1, 32, 32))
        assert out.shape == (1, 3, 32, 32)


@pytest.mark.parametrize("profile", PROFILES)
def test_parameter_counts_match_the_unet_within_ten_percent(profile):
    model_cfg = get_config(profile).model
    # independent count: build the three generators through harmonizer's registry
    # (meta device for the 512² profile: no memory is allocated)
    device = "meta" if profile == "paper" else "cpu"
    with torch.device(device):
        counts = {a: count_parameters(build_generator(dataclasses.replace(model_cfg, arch=a)))
                  for a in ("unet", "resnet", "dih")}
    for a in ("resnet", "dih"):
        assert abs(counts[a] - counts["unet"]) <= 0.10 * counts["unet"], (profile, counts)
    report = parameter_report(model_cfg)
    assert report["parameters"] == counts and report["matched"]


def test_unknown_option_is_an_error():
    cfg = get_config("tiny", variant="dih", **{"model.options": {"blocks": 3}})
    with pytest.raises(KeyError, match="blocks"):
        build_generator(cfg.model)


@pytest.mark.parametrize("profile", ["tiny", "quick"])
@pytest.mark.parametrize("arch", ["unet", "dih", "resnet"])
def test_residual_generators_start_as_the_identity(arch, profile):
    """model.output='residual' is honoured by every registered generator the same way: a freshly built G
    returns its input (closed form: tanh(atanh(I) + 0) = I), in training mode (batch norm) and eval mode."""
    cfg = get_config(profile, model__arch=arch, model__output="residual").model
    torch.manual_seed(0)
    size = get_config(profile).data.size
    comp = torch.rand(2, 3, size, size) * 1.98 - 0.99
    mask = (torch.rand(2, 1, size, size) > 0.5).float()
    G = build_generator(cfg)
    for mode in (True, False):
        G.train(mode)
        assert torch.allclose(G(comp, mask), comp, atol=1e-5), (arch, profile, mode)
    direct = build_generator(dataclasses.replace(cfg, output="direct"))
    assert not torch.allclose(direct(comp, mask), comp, atol=1e-2)  # the paper's output does not start there
    # the zero-initialised last layer adds nothing: same count in both modes
    assert count_parameters(G) == count_parameters(direct)


def test_profiles_use_one_output_for_every_architecture():
    for profile, output in (("tiny", "residual"), ("quick", "residual"), ("paper", "direct")):
        for arch in ("unet", "dih", "resnet"):
            assert get_config(profile, variant=arch if arch != "unet" else "no_adv").model.output == output


def test_a_residual_baseline_refuses_direct_weights():
    """Weights of a directly-predicting DIH (as trained before model.output was honoured) are not silently
    loaded into a residual DIH, whose output they would not produce."""
    cfg = get_config("tiny", variant="dih").model
    direct = build_generator(dataclasses.replace(cfg, output="direct"))
    with pytest.raises(RuntimeError, match="direct-output DIHNet"):
        build_generator(cfg).load_state_dict(direct.state_dict())
