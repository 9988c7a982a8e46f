"""Profiles, variants and overrides of harmonizer.config."""
import json
import math

import pytest

from harmonizer.config import (PROFILES, config_from_dict, config_to_dict, get_config, parse_override, variant_names)
from harmonizer.models import get_generator, list_generators
from harmonizer.overrides import ConfigValueError, UnknownFieldError


def test_paper_profile_matches_the_paper():
    cfg = get_config("paper")
    assert (cfg.data.size, cfg.schedule.epochs, cfg.data.batch_size) == (512, 45, 1)
    assert (cfg.loss.lambda_temporal, cfg.loss.lambda_adv, cfg.optim.lr) == (2e-2, 1e-2, 2e-4)
    assert cfg.loss.temporal == "regional" and cfg.loss.adversarial
    assert get_config("paper", optim__beta1=0.999).optim.beta1 == 0.999  # the printed value, on request


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("variant", variant_names())
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
    for arch in list_generators(trainable_only=True):  # every trainable generator is a variant of its own
        c = get_config("tiny", arch)
        assert c.model.arch == arch and c.loss.adversarial == get_generator(arch).trainer.get("loss.adversarial", True)
    assert {"dih", "resnet"} <= set(list_generators(trainable_only=True))


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
    assert parse_override("schedule.bf16=true") == ("schedule.bf16", "true")  # parsed by the field's type
    assert get_config("tiny", **dict([parse_override("schedule.bf16=true")])).schedule.bf16 is True
    assert parse_override("model.arch=dih") == ("model.arch", "dih")


def test_set_values_are_parsed_by_the_fields_type():
    """Typed --set: each string is read as its dataclass field's declared type (issue 13, case 8)."""
    cfg = get_config("tiny", **{"optim.lr": "1e-3", "schedule.max_steps": "7", "schedule.bf16": "false",
                                "data.max_val_clips": "null", "model.options": '{"norm": "instance"}',
                                "seed": "3", "model.norm": '"batch"'})
    assert cfg.optim.lr == 1e-3 and isinstance(cfg.optim.lr, float)
    assert cfg.schedule.max_steps == 7 and cfg.schedule.bf16 is False and cfg.data.max_val_clips is None
    assert cfg.model.options == {"norm": "instance"} and cfg.seed == 3 and cfg.model.norm == "batch"
    assert get_config("tiny", optim__lr=1).optim.lr == 1.0  # an int widened to the float field
    bad = [("optim.lr", "abc", "optim.lr: expected a float, got 'abc'"),
           ("schedule.max_steps", "4.5", "schedule.max_steps: expected an integer, got '4.5'"),
           ("schedule.bf16", "maybe", "schedule.bf16: expected true or false, got 'maybe'"),
           ("model.options", "[1]", "model.options: expected a JSON object"),
           ("seed", 1.5, "seed: expected an integer, got 1.5")]
    for key, value, message in bad:
        with pytest.raises(ConfigValueError) as err:
            get_config("tiny", **{key: value})
        assert str(err.value).startswith(message), str(err.value)
    with pytest.raises(UnknownFieldError) as err:
        get_config("tiny", **{"optim.lrr": "1"})
    assert str(err.value) == "unknown config field 'optim.lrr'; did you mean optim.lr, optim.lr_schedule, optim.beta2?"
    with pytest.raises(UnknownFieldError, match="did you mean schedule.max_steps"):
        get_config("tiny", **{"schedule.max_step": "1"})


def test_set_through_the_cli_is_one_line_naming_the_field_exit_2(tmp_path, capsys):
    from harmonizer.__main__ import main
    from harmonizer.cli import run_cli

    argv = ["train", "--profile", "tiny", "--data", str(tmp_path), "--out", str(tmp_path / "r")]
    assert run_cli(main, argv + ["--set", "optim.lr=abc"]) == 2
    assert capsys.readouterr().err.strip() == "error: optim.lr: expected a float, got 'abc'"
    assert run_cli(main, argv + ["--set", "optim.lrr=1"]) == 2
    assert "did you mean optim.lr" in capsys.readouterr().err


def test_variants_are_override_dicts_applied_over_full():
    from harmonizer.config import VARIANTS, apply_overrides

    for name, overrides in VARIANTS.items():
        by_hand = apply_overrides(get_config("tiny"), overrides)
        by_hand.variant = name
        assert get_config("tiny", name) == by_hand.validate()


def test_lr_factor_closed_forms():
    from harmonizer.lr_schedule import lr_factor

    assert lr_factor(0, 100) == lr_factor(99, 100) == 1.0  # constant, no warm-up
    # linear warm-up over 4 steps: 1/4, 2/4, 3/4, then the schedule proper
    assert [lr_factor(s, 100, "constant", 4) for s in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    # cosine from 1 at the end of warm-up to final_fraction at the last step: (1 + cos(pi p)) / 2 scaled
    assert lr_factor(10, 110, "cosine", 10) == pytest.approx(1.0)
    assert lr_factor(60, 110, "cosine", 10) == pytest.approx(0.5)  # halfway: cos(pi/2) = 0
    assert lr_factor(35, 110, "cosine", 10) == pytest.approx((1 + 2 ** -0.5) / 2)  # quarter: cos(pi/4)
    assert lr_factor(110, 110, "cosine", 10, final_fraction=0.1) == pytest.approx(0.1)
    assert lr_factor(60, 110, "cosine", 10, final_fraction=0.1) == pytest.approx(0.55)
    with pytest.raises(ValueError, match="unknown lr schedule 'step'"):
        lr_factor(0, 10, "step")
    with pytest.raises(ValueError, match="optim.lr_schedule 'linear'"):
        get_config("tiny", optim__lr_schedule="linear")
    with pytest.raises(ValueError, match="final_lr_fraction"):
        get_config("tiny", optim__final_lr_fraction=1.5)


def test_train_sets_the_scheduled_lr_on_both_optimisers(tiny_dancing, tmp_path, monkeypatch):
    """The loop hands Adam lr·factor(step) before every step (the step itself is stubbed out)."""
    import harmonizer.train as train_module

    seen = []

    def fake_step(models, batch, config, autocast):
        seen.append((models.opt_G.param_groups[0]["lr"], models.opt_D.param_groups[0]["lr"]))
        return {"g_total": 0.0, "d_loss": 0.0}

    monkeypatch.setattr(train_module, "train_step", fake_step)
    cfg = get_config("tiny", "full", optim__lr=1e-2, optim__lr_schedule="cosine", optim__warmup_steps=2,
                     schedule__max_steps=6, schedule__epochs=10, data__batch_size=2, data__max_val_clips=1)
    train_module.train(cfg, tiny_dancing, tmp_path / "run", progress=False)
    # steps 0, 1 warm up (1/2, 2/2); steps 2..5 decay over 4 steps: p = 0, 1/4, 2/4, 3/4
    expected = [0.5, 1.0] + [(1 + math.cos(math.pi * k / 4)) / 2 for k in range(4)]
    assert [g for g, _ in seen] == pytest.approx([1e-2 * e for e in expected])
    assert [d for _, d in seen] == [g for g, _ in seen]


def test_lr_schedule_is_quick_only_paper_keeps_the_papers_constant_lr():
    paper, tiny, quick = get_config("paper"), get_config("tiny"), get_config("quick")
    for cfg in (paper, tiny):
        assert (cfg.optim.lr_schedule, cfg.optim.warmup_steps) == ("constant", 0)
    assert not paper.schedule.bf16 and paper.schedule.threads is None
    assert quick.optim.lr_schedule == "cosine" and quick.schedule.max_steps > quick.optim.warmup_steps


def test_quick_profile_trains_with_the_real_video_recipe_paper_keeps_eq2():
    """quick: log_l2 (ε = 1e-2) for every variant and trainable baseline; paper and tiny: Eq. 2's plain L2."""
    from harmonizer.config import variant_names

    assert get_config("paper").loss.reconstruction == "l2" and get_config("tiny").loss.reconstruction == "l2"
    for variant in variant_names():
        loss = get_config("quick", variant).loss
        assert (loss.reconstruction, loss.log_l2_floor) == ("log_l2", 1e-2), variant
    assert get_config("quick", **{"loss.reconstruction": "l2"}).loss.reconstruction == "l2"
    with pytest.raises(ValueError, match="log_l2_floor"):
        get_config("quick", **{"loss.log_l2_floor": 0.0})
