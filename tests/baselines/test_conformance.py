"""One conformance test over the whole registry: every method obeys the shared interface.

Trainable methods use the session's tiny trained runs (conftest.py).  Checked for each:
output shape and dtype, values in [0, 1], determinism, statelessness, the background
untouched wherever ``keeps_background`` is promised, and clear errors on bad input.
The background option every method shares (``blend``): by default the input comes back bit for bit
outside a hard mask; with ``blend="none"`` a network's method returns the generator's output as the
generator itself gives it when called directly.
"""
from __future__ import annotations

import pytest
import torch

from baselines import get_method, list_methods
from baselines.base import Method
from harmonizer.data.format import list_clips, read_clip

from harmonizer.infer import load_run
from harmonizer.models import list_generators

RUN_FIXTURES = {"realism_cnn": "realism_run", "gan": "gan_run"}  # + every trainable generator: generator_run
NETWORK_OUTPUT = {"gan", *list_generators(trainable_only=True)}  # methods whose raw output is a generator's


def test_registry_lists_every_method():
    generators = list_generators(trainable_only=True)
    assert {"dih", "resnet"} <= set(generators)
    assert list_methods() == sorted({"cut_and_paste", "realism_cnn", "gan", *generators})


def test_unknown_method_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown method 'dihh'.*Did you mean dih"):
        get_method("dihh")


def _run(name, request):
    if name in list_generators(trainable_only=True):
        return request.getfixturevalue("generator_runs")(name)
    return request.getfixturevalue(RUN_FIXTURES[name]) if name in RUN_FIXTURES else None


def _build(name, request, **options):
    run = _run(name, request)
    return get_method(name, **options) if run is None else get_method(name, checkpoint=run, **options)


def _clip(data_dir, split, index):
    _, cid = list_clips(data_dir, split)[index]
    clip = read_clip(data_dir, split, cid)
    frames = torch.from_numpy(clip.composite).permute(0, 3, 1, 2).float() / 255
    return frames, torch.from_numpy(clip.mask).float().unsqueeze(1)


@pytest.mark.parametrize("name", list_methods())
def test_method_conformance(name, request, tiny_data):
    assert name in list_methods()
    method = _build(name, request)
    assert isinstance(method, Method)
    frames, masks = _clip(tiny_data, "test", 0)
    other_frames, other_masks = _clip(tiny_data, "test", 1)
    frames_before = frames.clone()

    out = method.harmonize(frames, masks)
    assert out.shape == frames.shape and out.dtype == torch.float32
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert torch.equal(frames, frames_before)  # the input is not modified in place

    method.harmonize(other_frames, other_masks)  # another clip in between: no state carried over
    assert torch.equal(method.harmonize(frames, masks), out)

    if getattr(method, "keeps_background", False):
        background = (masks == 0).expand_as(frames)
        assert torch.equal(out[background], frames[background])

    with pytest.raises(ValueError, match="differ"):
        method.harmonize(frames, masks[:1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        method.harmonize(frames * 2.0, masks)
    with pytest.raises(ValueError, match="T×3×H×W"):
        method.harmonize(frames[:, :2], masks)


def test_a_dih_run_is_not_accepted_as_resnet(dih_run):
    from harmonizer.runs import CheckpointError

    with pytest.raises(CheckpointError, match="resnet"):
        get_method("resnet", checkpoint=dih_run)


@pytest.mark.parametrize("name", list_methods())
def test_every_method_returns_the_input_background_by_default(name, request, tiny_data):
    method = _build(name, request)  # no blend option: the shared default
    assert method.blend == "mask" and method.settings["blend"] == "mask" and method.keeps_background
    frames, masks = _clip(tiny_data, "test", 0)
    assert set(masks.unique().tolist()) == {0.0, 1.0}  # a hard mask, with a background to keep
    out = method.harmonize(frames, masks)
    background = (masks == 0).expand_as(frames)
    assert torch.equal(out[background], frames[background])


@pytest.mark.parametrize("name", list_methods())
def test_blend_none_returns_the_raw_output(name, request, tiny_data):
    frames, masks = _clip(tiny_data, "test", 0)
    method = _build(name, request, blend="none")
    assert method.blend == "none" and method.settings["blend"] == "none"
    out = method.harmonize(frames, masks)
    blended = _build(name, request).harmonize(frames, masks)
    if name not in NETWORK_OUTPUT:  # the option cannot change these outputs, and their settings say so
        assert torch.equal(out, blended) and method.keeps_background
        assert "either blend" in method.settings["blend_region"]
        return
    assert not method.keeps_background and method.settings["blend_region"] == "none"
    G, _, _ = load_run(_run(name, request))  # the independent reference: the generator called directly
    with torch.no_grad():
        raw = ((G(frames * 2 - 1, masks if getattr(G, "in_mask", True) else None) + 1) / 2).clamp(0, 1)
    torch.testing.assert_close(out, raw, rtol=0, atol=1e-6)
    background, foreground = (masks == 0).expand_as(frames), (masks == 1).expand_as(frames)
    assert not torch.equal(raw[background], frames[background])  # the network does change the background
    torch.testing.assert_close(blended[foreground], raw[foreground], rtol=0, atol=1e-6)  # M·G + (1 − M)·I
    assert torch.equal(blended[background], frames[background])


@pytest.mark.parametrize("name", list_methods())
def test_blend_is_checked_and_the_old_option_names_its_replacement(name):
    options = {"checkpoint": "no-such-run"} if name in NETWORK_OUTPUT | set(RUN_FIXTURES) else {}
    with pytest.raises(ValueError, match=f"{name}: unknown blend 'paste'; choose one of mask, none"):
        get_method(name, blend="paste", **options)  # refused before any run is read
    with pytest.raises(TypeError, match="paste_background was replaced by blend='mask'"):
        get_method(name, paste_background=True, **options)


def test_check_clip_is_harmonizers_with_masks_required():
    """baselines.base.check_clip delegates to harmonizer.infer.check_clip: the same errors, plus masks required."""
    from baselines.base import check_clip
    from harmonizer.infer import check_clip as harmonizer_check_clip

    frames, masks = torch.rand(2, 3, 8, 8), torch.ones(2, 1, 8, 8)
    check_clip(frames, masks)
    bad_cases = [(frames[:, :2], masks, "T×3×H×W"), (frames, masks[:1], "differ"), (frames * 3, masks, r"\[0, 1\]"),
                 (frames, masks * float("nan"), "masks must lie"), (frames, masks[:, :, :4], "differ")]
    for f, m, pattern in bad_cases:
        for check in (check_clip, harmonizer_check_clip):
            with pytest.raises(ValueError, match=pattern) as err:
                check(f, m, where="clip_7")
            assert "clip_7" in str(err.value)
    with pytest.raises(TypeError, match="needs masks"):
        check_clip(frames, None, where="cut_and_paste")
    check_clip(frames, None, masks_required=False)


def test_gan_without_masks_in_a_mask_free_mode(gan_run, tiny_data):
    frames, masks = _clip(tiny_data, "test", 0)
    with pytest.raises(TypeError, match="needs masks"):
        get_method("gan", checkpoint=gan_run).harmonize(frames, None)
    out = get_method("gan", checkpoint=gan_run, mask_mode="zeros").harmonize(frames, None)
    assert out.shape == frames.shape
