"""UNet G and D: shapes, concatenation skips, Xavier init, the architecture registry."""
import math

import pytest
import torch
import torch.nn as nn

from harmonizer.config import get_config
from harmonizer.models import (GeneratorSpec, UNet, build_discriminator, build_generator, get_generator,
                               list_generators, register_generator, unregister_generator)


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

    spec = register_generator(GeneratorSpec("test_tiny", Tiny))
    try:
        assert spec.module == __name__ and "test_tiny" in list_generators()
        assert "test_tiny" not in list_generators(trainable_only=True)  # no trainer: not a variant of its own
        cfg = get_config("tiny", model__arch="test_tiny")
        assert isinstance(build_generator(cfg.model), Tiny)
    finally:
        unregister_generator("test_tiny")
    with pytest.raises(KeyError, match="unknown architecture 'unett'.*Did you mean unet"):
        get_generator("unett")


def test_residual_generator_starts_as_the_identity_and_direct_does_not():
    x = torch.rand(2, 3, 32, 32) * 1.8 - 0.9
    m = torch.ones(2, 1, 32, 32)
    res = build_generator(get_config("tiny", model__output="residual").model)
    assert torch.allclose(res(x, m), x, atol=1e-5)  # zero-initialised last layer: O = tanh(atanh(I)) = I
    direct = build_generator(get_config("tiny", model__output="direct").model)
    assert not torch.allclose(direct(x, m), x, atol=1e-2)
    assert get_config("paper").model.output == "direct"  # the paper's parameterisation


# --- the shared residual/direct output (harmonizer.models.output) ---------------------------------------------

class _BiasNet(nn.Module):
    """A generator body whose correction is a 1×1 conv of the composite (its last and only layer)."""

    in_mask = True

    def __init__(self):
        super().__init__()
        self.head = nn.Conv2d(3, 3, 1)

    def forward(self, composite, mask):
        return self.head(composite)


def test_residual_output_follows_the_closed_form():
    from harmonizer.models import ResidualOutput

    body = _BiasNet()
    G = ResidualOutput(body, body.head)
    x = torch.linspace(-0.99, 0.99, 3 * 4 * 5).reshape(1, 3, 4, 5)
    m = torch.ones(1, 1, 4, 5)
    assert torch.allclose(G(x, m), x, atol=1e-6)  # zero last layer: tanh(atanh(I)) = I
    with torch.no_grad():
        body.head.bias.copy_(torch.tensor([0.5, -0.25, 0.0]))
    expected = torch.tensor([[math.tanh(math.atanh(v) + b) for v in row]
                             for row, b in zip(x[0].reshape(3, -1).tolist(), (0.5, -0.25, 0.0))]).reshape(1, 3, 4, 5)
    assert torch.allclose(G(x, m), expected, atol=1e-6)
    assert G.in_mask and sum(p.numel() for p in G.parameters()) == 12  # the wrapper adds no parameters


def test_residual_output_clamps_saturated_inputs():
    from harmonizer.models.output import INPUT_CLAMP, residual_tanh

    out = residual_tanh(torch.tensor([-1.0, 1.0, 0.3]), torch.zeros(3))
    assert torch.allclose(out, torch.tensor([-1 + INPUT_CLAMP, 1 - INPUT_CLAMP, 0.3]), atol=1e-6)
    assert torch.isfinite(out).all()


def test_residual_wrapper_refuses_bare_direct_weights():
    from harmonizer.models import ResidualOutput

    body = _BiasNet()
    G = ResidualOutput(body, body.head)
    with pytest.raises(RuntimeError, match="direct-output _BiasNet"):
        G.load_state_dict(_BiasNet().state_dict())
    other = _BiasNet()
    G.load_state_dict(ResidualOutput(other, other.head).state_dict())  # its own format loads


def test_with_output_and_bad_names():
    from harmonizer.models import ResidualOutput, with_output

    body = _BiasNet()
    assert with_output(body, "direct", body.head) is body
    assert isinstance(with_output(body, "residual", body.head), ResidualOutput)
    with pytest.raises(ValueError, match="direct, residual"):
        with_output(body, "residul", body.head)
    with pytest.raises(ValueError, match="last_layer"):
        ResidualOutput(body, nn.Conv2d(3, 3, 1))


def test_unet_generator_keys_and_residual_closed_form():
    """UNet checkpoints are unchanged: weights under ``net.`` in both modes, and the residual output is
    tanh(atanh(I) + raw UNet output) computed here by hand from the inner UNet."""
    direct = build_generator(get_config("tiny", model__output="direct").model)
    res = build_generator(get_config("tiny", model__output="residual").model)
    assert set(direct.state_dict()) == set(res.state_dict()) and all(k.startswith("net.") for k in res.state_dict())
    res.load_state_dict(direct.state_dict())  # a direct UNet's weights load into a residual one (same keys)
    torch.manual_seed(1)
    x = torch.rand(2, 3, 32, 32) * 1.8 - 0.9
    m = (torch.rand(2, 1, 32, 32) > 0.5).float()
    raw = res.net(torch.cat([x, 2 * m - 1], 1))
    assert torch.allclose(res(x, m), torch.tanh(0.5 * torch.log((1 + x) / (1 - x)) + raw), atol=1e-5)
