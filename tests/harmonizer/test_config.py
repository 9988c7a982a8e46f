"""Profiles, variants and overrides of harmonizer.config."""
import json

import pytest

from harmonizer.config import (PROFILES, VARIANTS, config_from_dict, config_to_dict, get_config, parse_override)


def test_paper_profile_matches_the_paper():
    cfg = get_config("paper")
    assert (cfg.data.size, cfg.schedule.epochs, cfg.data.batch_size) == (512, 45, 1)
    assert (cfg.loss.lambda_temporal, cfg.loss.lambda_adv, cfg.optim.lr) == (2e-2, 1e-2, 2e-4)
    assert cfg.loss.temporal == "regional" and cfg.loss.adversarial
    assert get_config("paper", optim__beta1=0.999).optim.beta1 == 0.999  # the printed value, on request


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_profile_variant_round_trips_through_json(profile, variant):
    cfg = get_config(profile, variant)
    assert config_from_dict(json.loads(json.dumps(config_to_dict(cfg)))) == cfg


def test_variant_switches():
    assert get_config("tiny", "no_temporal").loss.temporal == "none"
    assert not get_config("tiny", "no_adv").loss.adversarial
    g = get_config("tiny", "global_temporal")
    assert g.loss.temporal == "global" and not g.loss.adversarial  # compared with no_adv (Sec. IV-C)
    s = get_config("tiny", "static_data")
    assert not s.data.temporal_pairs and not s.uses_temporal
    assert not get_config("tiny", "no_mask_scratch").model.in_mask
    assert get_config("tiny", "finetune_dmask").data.mask_source == "discriminator"
    assert get_config("tiny", "few_scene_data").loss == get_config("tiny", "full").loss
    for arch in ("resnet", "dih"):
        c = get_config("tiny", arch)
        assert c.model.arch == arch and not c.loss.adversarial


def test_overrides_in_three_spellings_and_errors():
    assert get_config("tiny", optim__lr=0.1).optim.lr == 0.1
    assert get_config("tiny", **{"optim.lr": 0.2}).optim.lr == 0.2
    assert get_config("tiny", optim={"lr": 0.3}).optim.lr == 0.3
    assert get_config("tiny", seed=5).seed == 5
    with pytest.raises(KeyError, match="optim.lrr"):
        get_config("tiny", optim__lrr=1)
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        get_config("huge")
    with pytest.raises(ValueError, match="unknown variant"):
        get_config("tiny", "no_everything")
    with pytest.raises(ValueError, match="multiple of 2"):
        get_config("tiny", data__size=36)
    with pytest.raises(ValueError, match="needs a discriminator"):
        get_config("tiny", "finetune_dmask", loss__adversarial=False)
    assert parse_override("schedule.bf16=true") == ("schedule.bf16", True)
    assert parse_override("model.arch=dih") == ("model.arch", "dih")
