"""Typed training configuration: one nested dataclass, named profiles and ablation variants.

``get_config(profile, variant, **overrides)`` is the only way configs are made; the
resolved config is saved as ``config.json`` in every run folder and read back with
:func:`config_from_dict`.

Profiles (docs/design.md):

* ``tiny``  — 32², a narrow UNet, seconds; used by the tests.  lr 2e-3.
* ``quick`` — 64², the default CPU reproduction; each training is capped by ``max_steps``
  so that ~11 trainings fit in about half an hour on 2 cores.  Chosen by measurement
  (benchmarks/RESULTS-quick-profile.md, 2,000-clip data, test split): batches of 8 pairs in
  fp32 on one thread (extra threads
  only add synchronisation on a shared 2-core machine), lr 2e-3 with a 20-step warm-up and
  cosine decay to 0.  A wider (32) or deeper (5-6 level) UNet, batch 16, β1 = 0.9 or a constant lr did not
  do better in the same wall time.  **800 steps, D of width 8** (real set's validation part,
  benchmarks/RESULTS-real-recipe.md, fourth round): 800 steps correct real people by +0.2–0.3 dB more
  than 400 (four seeds, two validation sets); D costs ~3/4 of a full training's time at width 16, and
  half its width keeps 800 steps within the reproduction's budget at the same gain.  Known failure, not
  fixed: 4 of the 13 full-model trainings of 600–1,200 steps in that round ended brightening every dark real
  person by ~10/255 (harmonious people changed to 30–35 dB instead of ~40) — none of the four 800-step ones
  with the paper's λ2 = 1e-2 (kept; λ2 = 3e-3 was no better: one of four).  The sixth round found it at 800
  steps with lr 1e-3 and as 400 steps of 16 pairs too, and without D (no_adv, 16 pairs): not D's doing but the
  data's — figures cut from their own scene's photo teach G to pull a foreground towards its scene; the quick
  reproduction's data now textures half the figures from another photo, which removed it in all three
  settings (``harmonizer.data.photo``).  (Before: 400 steps, D width 16.)
  The paper's 2e-4 does not even reach the identity on
  the background in a few hundred steps (the paper trains 45 epochs × 29,818 pairs ≈ 1.3 M steps).
  fp32, not bf16: bf16 autocast was ~3× faster on a CPU with native bf16 (AVX-512 BF16 / AMX) at the
  same PSNR, but on an AVX2-only CPU it is emulated and measured ~10-30× *slower* than fp32; fp32 gives
  the same numbers on every machine.  ``--set schedule.bf16=true`` where the CPU has native bf16.
  Reconstruction loss: ``log_l2`` with ε = 1e-2 (harmonizer.losses), not Eq. 2's plain L2 — chosen on the
  real set's validation part (benchmarks/RESULTS-real-recipe.md): with plain L2 a 400-step model changes
  harmonious and mildly recoloured people more than they were off (−0.5 dB foreground PSNR vs the input,
  harmonious people 28.7 dB); weighting each sample by its inverse MSE (the mean-PSNR objective) makes it
  change only what it can correct (+0.17 dB, interval excluding 0; harmonious people 42 dB), at the cost of a
  smaller synthetic gain (+0.14 vs +0.73 dB over cut-and-paste).  ``--set loss.reconstruction=l2`` gives
  the paper's loss back.  (The quick reproduction also trains on photo scenes, ``harmonizer.data.photo``:
  that is a data choice, made in reports.plan, not part of this config.)
* ``paper`` — 512², 45 epochs, batch of one pair (the paper's setting), for a GPU.

Variants (Tables II–IV of the paper; each is an override dict over ``full``, :data:`VARIANTS`):

====================  =================================================================
``full``              regional temporal loss + pixel-wise discriminator (the paper's model)
``no_temporal``       λ1 = 0: no temporal term, G still sees pairs (Table II "w/o L_T")
``no_adv``            no discriminator is built (Table II "w/o adv", Table III "UNet")
``global_temporal``   temporal loss over all valid pixels, no D (Sec. IV-C compares it with no_adv)
``static_data``       single frames, no temporal term (Table II "MSCOCO"; pass a static dataset)
``few_scene_data``    same training as ``full``; the caller passes a few-scene dataset ("DAVIS")
``no_mask_scratch``   G without the mask input, trained from scratch (Table IV)
``finetune_dmask``    start from a trained ``full`` run (``init_from``), G's mask input = D(I)
``resnet``, ``dih``   every trainable generator of the registry (``harmonizer.models``), with its
                      spec's ``trainer`` overrides (the baselines: no D, like no_adv)
====================  =================================================================

Adam's betas: the paper prints "β1 = 0.999".  With β1 = 0.999 the first moment averages
over ~1000 steps, which makes the alternating G/D game sluggish; the paper most likely
meant β2 (Adam's default 0.999).  We default to the usual GAN setting β = (0.5, 0.999)
(DCGAN/pix2pix with the same lr 2e-4) and expose both; ``optim.beta1=0.999`` reproduces the
printed value literally.
"""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field, fields
from typing import Any

from harmonizer.lr_schedule import LR_SCHEDULES
from harmonizer.models.layers import NORMS
from harmonizer.overrides import apply_overrides as _apply, parse_assignment

# the ablations of the paper's model, each a dict of overrides over "full" (section.field: value)
VARIANTS: dict[str, dict[str, Any]] = {
    "full": {},
    "no_temporal": {"loss.temporal": "none"},
    "no_adv": {"loss.adversarial": False},
    "global_temporal": {"loss.temporal": "global", "loss.adversarial": False},
    "static_data": {"data.temporal_pairs": False, "loss.temporal": "none"},
    "few_scene_data": {},  # the caller passes a few-scene dataset
    "no_mask_scratch": {"model.in_mask": False},
    "finetune_dmask": {"data.mask_source": "discriminator"},
}
TEMPORAL_MODES = ("regional", "global", "none")
BLENDS = ("mask", "none")  # mask: M·O + (1 − M)·I; none: the raw output (inference's blend, loss.blend)
RECONSTRUCTIONS = ("l2", "log_l2")  # loss.reconstruction: Eq. 2, or harmonizer.losses' mean-PSNR weighting
LOG_L2_FLOOR = 1e-4  # loss.log_l2_floor's default ε: an MSE of 40 dB
MASK_SOURCES = ("given", "discriminator")


@dataclass
class ModelConfig:
    arch: str = "unet"  # a generator of the registry (harmonizer.models.registry)
    in_mask: bool = True  # False: G sees the composite only (mask-free, trained from scratch)
    base_channels: int = 64  # width of the first UNet level; doubles per level up to max_channels
    depth: int = 7  # number of stride-2 levels (bottleneck is size / 2**depth)
    max_channels: int = 512
    norm: str = "instance"
    output: str = "direct"  # G: direct = tanh(UNet) (paper) | residual = tanh(atanh(I) + UNet), starts at identity
    d_base_channels: int = 64  # discriminator: the same UNet shape, its own width
    d_depth: int = 7
    options: dict = field(default_factory=dict)  # architecture-specific settings (baselines)


@dataclass
class LossConfig:
    temporal: str = "regional"  # regional (Eq. 2) | global (all valid pixels, 1/N) | none
    lambda_temporal: float = 2e-2  # λ1
    adversarial: bool = True  # False: no D is built, no λ2 term
    lambda_adv: float = 1e-2  # λ2
    reconstruction: str = "l2"  # l2 (Eq. 2) | log_l2 (per-sample inverse-MSE weights: mean PSNR; harmonizer.losses)
    log_l2_floor: float = LOG_L2_FLOOR  # log_l2's ε: a sample's weight stops growing below this MSE
    # the output the losses and D see: none = G's raw output (Eq. 2); mask = M·O + (1 − M)·I, what inference
    # returns by default (G's mask input: the given mask, or D's map) — then G is never taught the background
    blend: str = "none"


@dataclass
class OptimConfig:
    lr: float = 2e-4
    beta1: float = 0.5  # the paper prints 0.999; see the module docstring
    beta2: float = 0.999
    lr_schedule: str = "constant"  # constant | cosine (decay to final_lr_fraction·lr at the last step)
    warmup_steps: int = 0  # linear warm-up from lr/warmup_steps to lr (0: none)
    final_lr_fraction: float = 0.0  # cosine only: the lr of the last step as a fraction of lr
    ema_decay: float = 0.0  # > 0: validate and save an average of G's weights (harmonizer.ema); 0: the last step's


@dataclass
class DataConfig:
    size: int = 512  # frames are resized to size×size if the dataset differs
    batch_size: int = 1  # pairs per step (per process under DDP); the paper uses one pair
    temporal_pairs: bool = True  # False: single frames (static data), no temporal term
    mask_source: str = "given"  # given | discriminator (G's mask input = D(I), finetune_dmask)
    cache: bool = False  # keep decoded clips in memory (small datasets)
    num_workers: int = 0
    max_val_clips: int | None = None  # validate on the first n val clips (None: all)


@dataclass
class ScheduleConfig:
    epochs: int = 45
    max_steps: int | None = None  # stop after this many optimisation steps (None: epochs only)
    checkpoint_every: int = 0  # also write last.pt every n steps (0: only at epoch ends)
    log_every: int = 10
    bf16: bool = False  # bf16 autocast for the forward passes (losses in fp32)
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = None  # torch CPU threads during training (None: leave torch's setting)


@dataclass
class TrainConfig:
    profile: str = "paper"
    variant: str = "full"
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    @property
    def uses_temporal(self) -> bool:
        return self.loss.temporal != "none" and self.loss.lambda_temporal > 0 and self.data.temporal_pairs

    def validate(self) -> "TrainConfig":
        problems = []
        if self.profile not in PROFILES:
            problems.append(f"profile '{self.profile}' not in {PROFILES}")
        if self.variant not in variant_names():
            problems.append(f"variant '{self.variant}' not in {variant_names()}")
        if self.loss.temporal not in TEMPORAL_MODES:
            problems.append(f"loss.temporal '{self.loss.temporal}' not in {TEMPORAL_MODES}")
        if self.loss.reconstruction not in RECONSTRUCTIONS:
            problems.append(f"loss.reconstruction '{self.loss.reconstruction}' not in {RECONSTRUCTIONS}")
        if self.loss.blend not in BLENDS:
            problems.append(f"loss.blend '{self.loss.blend}' not in {BLENDS}")
        if not self.loss.log_l2_floor > 0:
            problems.append(f"loss.log_l2_floor must be > 0, got {self.loss.log_l2_floor}")
        if self.data.mask_source not in MASK_SOURCES:
            problems.append(f"data.mask_source '{self.data.mask_source}' not in {MASK_SOURCES}")
        if self.optim.lr_schedule not in LR_SCHEDULES:
            problems.append(f"optim.lr_schedule '{self.optim.lr_schedule}' not in {LR_SCHEDULES}")
        if not 0.0 <= self.optim.ema_decay < 1.0:
            problems.append(f"optim.ema_decay must be in [0, 1), got {self.optim.ema_decay}")
        if self.optim.warmup_steps < 0 or not 0.0 <= self.optim.final_lr_fraction <= 1.0:
            problems.append("optim.warmup_steps must be >= 0 and optim.final_lr_fraction in [0, 1]")
        if self.model.norm not in NORMS:
            problems.append(f"model.norm '{self.model.norm}' not in {NORMS}")
        if self.data.mask_source == "discriminator" and not self.loss.adversarial:
            problems.append("data.mask_source='discriminator' needs a discriminator (loss.adversarial=True)")
        if self.data.size % (2 ** max(self.model.depth, self.model.d_depth)) != 0:
            problems.append(f"data.size {self.data.size} must be a multiple of 2**depth")
        for name in ("base_channels", "depth", "d_base_channels", "d_depth", "max_channels"):
            if getattr(self.model, name) < 1:
                problems.append(f"model.{name} must be >= 1")
        if self.data.batch_size < 1 or self.schedule.epochs < 1:
            problems.append("data.batch_size and schedule.epochs must be >= 1")
        if problems:
            raise ValueError("invalid config: " + "; ".join(problems))
        return self


def _tiny() -> TrainConfig:
    return TrainConfig(
        profile="tiny",
        model=ModelConfig(base_channels=8, depth=3, max_channels=32, d_base_channels=8, d_depth=3, output="residual"),
        optim=OptimConfig(lr=2e-3),  # short schedules need a larger step than the paper's 2e-4
        data=DataConfig(size=32, batch_size=4, cache=True),
        # one thread: for 32² tensors extra threads only add synchronisation (10× slower on a busy CPU)
        schedule=ScheduleConfig(epochs=2, log_every=5, threads=1),
    )


def _quick() -> TrainConfig:
    return TrainConfig(
        profile="quick",
        model=ModelConfig(base_channels=16, depth=4, max_channels=128, d_base_channels=8, d_depth=4,
                          output="residual"),
        # measured choices: benchmarks/RESULTS-quick-profile.md (see the module docstring)
        optim=OptimConfig(lr=2e-3, lr_schedule="cosine", warmup_steps=20),
        # the real-video recipe (module docstring; benchmarks/RESULTS-real-recipe.md): loss, steps, D's width
        loss=LossConfig(reconstruction="log_l2", log_l2_floor=1e-2),
        data=DataConfig(size=64, batch_size=8, cache=True, max_val_clips=64),
        schedule=ScheduleConfig(epochs=50, max_steps=800, log_every=25, bf16=False, threads=1),
    )


# the named profiles: the one list of profile names of the suite (baselines and reports use it)
_PROFILES = {"tiny": _tiny, "quick": _quick, "paper": lambda: TrainConfig(profile="paper")}
PROFILES = tuple(_PROFILES)


def variant_names() -> list[str]:
    """harmonizer's ablations, then every trainable generator of the registry (its name is its variant)."""
    from harmonizer.models import list_generators

    return [*VARIANTS, *(n for n in list_generators(trainable_only=True) if n not in VARIANTS)]


def variant_overrides(variant: str) -> dict[str, Any]:
    """The overrides that make ``variant`` out of ``full``."""
    if variant in VARIANTS:
        return dict(VARIANTS[variant])
    from harmonizer.models import get_generator, list_generators

    if variant in list_generators(trainable_only=True):
        return {"model.arch": variant, **get_generator(variant).trainer}
    close = difflib.get_close_matches(variant, variant_names(), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown variant '{variant}'; known variants: {', '.join(variant_names())}.{hint}")


def apply_overrides(cfg: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """Set fields named ``section.field`` or ``section__field`` (or ``section={...}``, or a top-level name),
    each value checked against (and, from a string, parsed by) the field's type (:mod:`harmonizer.overrides`)."""
    return _apply(cfg, overrides)


def get_config(profile: str = "quick", variant: str = "full", **overrides: Any) -> TrainConfig:
    """The config of ``profile`` with ``variant``'s overrides, then ``overrides`` applied and validated."""
    if profile not in _PROFILES:
        raise ValueError(f"unknown profile '{profile}'; known profiles: {', '.join(PROFILES)}")
    cfg = _PROFILES[profile]()
    apply_overrides(cfg, variant_overrides(variant))
    cfg.variant = variant
    return apply_overrides(cfg, overrides).validate()


def parse_override(text: str) -> tuple[str, str]:
    """Split a CLI ``section.field=value``; the value stays a string, parsed by the field's type when applied."""
    return parse_assignment(text)


def config_to_dict(cfg: TrainConfig) -> dict:
    return dataclasses.asdict(cfg)


def config_from_dict(d: dict) -> TrainConfig:
    """Inverse of :func:`config_to_dict`; unknown keys are an error naming them."""
    d = dict(d)
    kwargs: dict[str, Any] = {}
    classes = {"model": ModelConfig, "loss": LossConfig, "optim": OptimConfig, "data": DataConfig,
               "schedule": ScheduleConfig}
    for section, cls in classes.items():
        sub = dict(d.pop(section, {}))
        names = {f.name for f in fields(cls)}
        unknown = set(sub) - names
        if unknown:
            raise KeyError(f"config section '{section}' has unknown fields {sorted(unknown)}")
        kwargs[section] = cls(**sub)
    unknown = set(d) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise KeyError(f"config has unknown fields {sorted(unknown)}")
    return TrainConfig(**d, **kwargs)
