"""UNet G and D: shapes, concatenation skips, Xavier init, the architecture registry."""
import math

import pytest
import torch
import torch.nn as nn

from harmonizer.config import get_config
from harmonizer.models import (ARCHITECTURES, UNet, build_discriminator, build_generator, ensure_architecture,
                               register_architecture)


def test_generator_and_discriminator_shapes_and_ranges():
    cfg = get_config("tiny")
    G, D = build_generator(cfg.model), build_discriminator(cfg.model)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    out = G(x * 5, torch.ones(2, 1, 32, 32))  # large inputs: tanh still bounds the output
    assert out.shape == (2, 3, 32, 32) and out.abs().max() <= 1
    assert G.net.in_channels == 4 and D.net.in_channels == 3
    d = D(x)
    assert d.shape == (2, 1, 32, 32)
    assert (D(x * 50).abs().max() > 1)  # linear output (LSGAN), not a sigmoid


def test_mask_free_generator_has_three_input_channels():
    cfg = get_config("tiny", "no_mask_scratch")
    G = build_generator(cfg.model)
    assert G.net.in_channels == 3
    assert G(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)


def test_unet_uses_concatenation_skips_and_width_depth_from_config():
    net = UNet(4, 3, base_channels=8, depth=3, max_channels=16)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in net.down.modules() if isinstance(c, nn.Conv2d)] == [8, 16, 16]
    # decoder convs take the concatenated (upsampled + skip) width: 16 → 16, then 16+16 → 8
    up_in = [c.in_channels for c in net.up.modules() if isinstance(c, nn.Conv2d)]
    assert up_in == [16, 32]
    assert net.head.in_channels == 8 * 2 + 4  # last skip + the input itself
    assert len(convs) == 3 + 2 + 1


def test_xavier_initialisation_bounds():
    net = UNet(4, 3, base_channels=8, depth=3)
    conv = net.down[1][0]
    fan_in = conv.in_channels * 16
    fan_out = conv.out_channels * 16
    bound = math.sqrt(6 / (fan_in + fan_out))
    w = conv.weight.detach()
    assert w.abs().max() <= bound + 1e-6
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.15)  # uniform(-b, b) has std b/√3


def test_odd_sizes_are_padded_and_cropped():
    net = UNet(3, 1, base_channels=4, depth=3, out_activation="none")
    assert net(torch.rand(1, 3, 30, 45)).shape == (1, 1, 30, 45)


def test_registry_builds_registered_architecture_and_explains_unknown():
    class Tiny(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.conv = nn.Conv2d(4, 3, 1)

        def forward(self, composite, mask):
            return torch.tanh(self.conv(torch.cat([composite, mask], 1)))

    register_architecture("test_tiny", Tiny)
    try:
        cfg = get_config("tiny", model__arch="test_tiny")
        assert isinstance(build_generator(cfg.model), Tiny)
    finally:
        ARCHITECTURES.pop("test_tiny")
    with pytest.raises(KeyError, match="unknown architecture 'unett'.*Did you mean unet"):
        ensure_architecture("unett")


def test_residual_generator_starts_as_the_identity_and_direct_does_not():
    x = torch.rand(2, 3, 32, 32) * 1.8 - 0.9
    m = torch.ones(2, 1, 32, 32)
    res = build_generator(get_config("tiny", model__output="residual").model)
    assert torch.allclose(res(x, m), x, atol=1e-5)  # zero-initialised last layer: O = tanh(atanh(I)) = I
    direct = build_generator(get_config("tiny", model__output="direct").model)
    assert not torch.allclose(direct(x, m), x, atol=1e-2)
    assert get_config("paper").model.output == "direct"  # the paper's parameterisation
