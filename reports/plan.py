"""Which datasets, trainings, scorings and studies each profile needs.

A :class:`ProfilePlan` is pure data (typed dataclasses, JSON-able through ``asdict``); the
step functions in :mod:`reports.steps` execute it and :mod:`reports.reproduce` turns it into
cached pipeline steps.  Method labels are the row keys of :mod:`reports.paper`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

PROFILES = ("tiny", "quick", "paper")


@dataclass(frozen=True)
class DatasetPlan:
    name: str  # step name suffix and folder
    style: str  # build_dataset style: dancing | static | few_scene
    clips: int
    size: int
    frames: int = 2
    seed: int = 0
    split_fractions: dict | None = None  # None: the paper's 29,818 / 1,000 / 2,520 proportions
    workers: int | None = None  # build processes (None: one per CPU); 1 avoids process start-up in tests
    options: dict = field(default_factory=dict)  # extra build_dataset options (e.g. scenes)


@dataclass(frozen=True)
class TrainPlan:
    name: str  # run label (== the method label in the tables)
    variant: str  # harmonizer.config variant, or baseline name for via="baseline"
    dataset: str  # DatasetPlan.name it trains on
    via: str = "harmonizer"  # harmonizer (harmonizer.train.train) | baseline (baselines.train.train_baseline)
    init_from: str | None = None  # TrainPlan.name whose best checkpoint initialises this run
    overrides: dict = field(default_factory=dict)  # harmonizer.config overrides (section.field)


@dataclass(frozen=True)
class MethodPlan:
    label: str  # the method label in bench results and tables
    method: str  # baselines.registry name
    run: str | None = None  # TrainPlan.name giving checkpoint=RUN_DIR
    options: dict = field(default_factory=dict)  # e.g. mask_mode


@dataclass(frozen=True)
class RealWorldPlan:
    foregrounds: int
    backgrounds: int
    frames: int
    size: int
    variants: int = 2  # colour-distorted copies per background (the paper: 2)
    seed: int = 0


@dataclass(frozen=True)
class StudyPlan:
    rankings: int  # simulated rankings per question (the paper: 480 over both questions)
    pairwise: int  # simulated pairwise choices (the paper: 540)
    seed: int = 0
    raters: int = 32  # the paper: 32 raters (ranking), 36 (pairwise)
    tie_rate: float = 0.09  # simulated pairwise ties: the paper's 9%
    ranking_methods: tuple[str, ...] = ("cut_and_paste", "realism_cnn", "dih", "full")
    pairwise_methods: tuple[str, str] = ("full", "no_adv")  # with D vs without D


@dataclass(frozen=True)
class ProfilePlan:
    profile: str
    datasets: tuple[DatasetPlan, ...]
    trainings: tuple[TrainPlan, ...]
    synthetic_methods: tuple[MethodPlan, ...]  # scored on the Dancing test split, gt flow (PSNR, MSE, L_T1)
    realworld_methods: tuple[str, ...]  # labels (of synthetic_methods) also scored on real-world-style composites
    realworld: RealWorldPlan
    study: StudyPlan
    max_test_clips: int | None  # cap on synthetic test clips scored (None: all)
    figure_clips: int = 2  # clips drawn in Fig. 4/5/7-like figures
    seed: int = 0
    description: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


# Trainings every profile needs (Tables I–IV); the rows of the tables name these labels.
def _trainings(o: dict, realism: dict) -> tuple[TrainPlan, ...]:
    """``o``: harmonizer.config overrides of every G training; ``realism``: RealismCNN's own
    (baselines.realism_config field names: steps, val_every, adjust__steps)."""
    return (
        TrainPlan("full", "full", "dancing", overrides=o),
        TrainPlan("no_temporal", "no_temporal", "dancing", overrides=o),
        TrainPlan("no_adv", "no_adv", "dancing", overrides=o),
        TrainPlan("global_temporal", "global_temporal", "dancing", overrides=o),
        TrainPlan("static_data", "static_data", "static", overrides=o),
        TrainPlan("few_scene_data", "few_scene_data", "few_scene", overrides=o),
        TrainPlan("resnet", "resnet", "dancing", via="baseline", overrides=o),
        TrainPlan("dih", "dih", "dancing", via="baseline", overrides=o),
        TrainPlan("realism_cnn", "realism_cnn", "dancing", via="baseline", overrides=realism),
        TrainPlan("no_mask_scratch", "no_mask_scratch", "dancing", overrides=o),
        TrainPlan("finetune_dmask", "finetune_dmask", "dancing", init_from="full", overrides=o),
    )


SYNTHETIC_METHODS: tuple[MethodPlan, ...] = (
    MethodPlan("cut_and_paste", "cut_and_paste"),
    MethodPlan("realism_cnn", "realism_cnn", "realism_cnn"),
    MethodPlan("dih", "dih", "dih"),
    MethodPlan("resnet", "resnet", "resnet"),
    MethodPlan("full", "gan", "full", {"mask_mode": "given"}),
    MethodPlan("no_temporal", "gan", "no_temporal", {"mask_mode": "given"}),
    MethodPlan("no_adv", "gan", "no_adv", {"mask_mode": "given"}),
    MethodPlan("global_temporal", "gan", "global_temporal", {"mask_mode": "given"}),
    MethodPlan("static_data", "gan", "static_data", {"mask_mode": "given"}),
    MethodPlan("few_scene_data", "gan", "few_scene_data", {"mask_mode": "given"}),
    # Table IV: no input mask
    MethodPlan("full_mask_zeros", "gan", "full", {"mask_mode": "zeros"}),
    MethodPlan("full_mask_ones", "gan", "full", {"mask_mode": "ones"}),
    MethodPlan("full_mask_dmap", "gan", "full", {"mask_mode": "discriminator"}),
    MethodPlan("no_mask_scratch", "gan", "no_mask_scratch", {"mask_mode": "given"}),
    MethodPlan("finetune_dmask_dmap", "gan", "finetune_dmask", {"mask_mode": "discriminator"}),
)
# Tables I–III need L_T2; Table IV rows are scored on the synthetic split only.
REALWORLD_METHODS = ("cut_and_paste", "realism_cnn", "dih", "resnet", "full", "no_temporal", "no_adv",
                     "global_temporal", "static_data", "few_scene_data")


def _datasets(clips: int, size: int, scenes: int, seed: int, fractions: dict | None,
              workers: int | None = None) -> tuple[DatasetPlan, ...]:
    common = dict(split_fractions=fractions, workers=workers)
    return (
        DatasetPlan("dancing", "dancing", clips, size, seed=seed, **common),
        DatasetPlan("static", "static", clips, size, seed=seed + 1, **common),
        DatasetPlan("few_scene", "few_scene", clips, size, seed=seed + 2, options={"scenes": scenes}, **common),
    )


def get_plan(profile: str, *, train_steps: int | None = None) -> ProfilePlan:
    """The plan of ``profile``: ``tiny`` (tests, ~a minute), ``quick`` (CPU, ≤ 30 min), ``paper`` (GPU).
    ``train_steps`` replaces the profile's ``schedule.max_steps`` of every G training (e.g. a longer
    quick run on an idle machine); RealismCNN keeps its own schedule."""
    plan = _profile_plan(profile)
    if train_steps is None:
        return plan
    if train_steps < 1:
        raise ValueError(f"train_steps must be >= 1, got {train_steps}")
    trainings = tuple(replace(t, overrides={**t.overrides, "schedule.max_steps": int(train_steps)})
                      if t.variant != "realism_cnn" else t for t in plan.trainings)
    return replace(plan, trainings=trainings,
                   description=f"{plan.description}; training steps overridden to {train_steps}")


def _profile_plan(profile: str) -> ProfilePlan:
    common = dict(synthetic_methods=SYNTHETIC_METHODS, realworld_methods=REALWORLD_METHODS)
    if profile == "tiny":
        return ProfilePlan(
            profile="tiny", datasets=_datasets(clips=20, size=32, scenes=2, seed=0,
                                                     fractions={"train": 0.7, "val": 0.1, "test": 0.2}, workers=1),
            trainings=_trainings({"schedule.max_steps": 2, "data.max_val_clips": 2},
                                 {"steps": 4, "val_every": 2, "adjust__steps": 3}),
            realworld=RealWorldPlan(foregrounds=1, backgrounds=1, frames=3, size=32, variants=1),
            study=StudyPlan(rankings=40, pairwise=40, raters=8), max_test_clips=4, figure_clips=1,
            description="32² procedural data, 20 clips per dataset, 2 training steps per model (smoke test)",
            **common)
    if profile == "quick":
        return ProfilePlan(
            # 2,000 clips: 400 steps × 8 pairs stay under 2 epochs; 120 test clips put the standard error of a
            # PSNR gain near 0.2 dB (benchmarks/RESULTS-quick-profile.md).  Trainings use harmonizer's quick
            # profile as it is (400 bf16 steps, cosine lr) — no step override.
            profile="quick", datasets=_datasets(clips=2000, size=64, scenes=4, seed=0,
                                                      fractions={"train": 0.8, "val": 0.05, "test": 0.15}),
            trainings=_trainings({}, {"steps": 200, "val_every": 100}),
            realworld=RealWorldPlan(foregrounds=3, backgrounds=3, frames=6, size=64, variants=2),
            study=StudyPlan(rankings=240, pairwise=540), max_test_clips=120, figure_clips=3,
            description="64² procedural data, 2,000 clips per dataset, 400 training steps per model (batch 8, bf16)",
            **common)
    if profile == "paper":
        return ProfilePlan(
            profile="paper", datasets=_datasets(clips=33338, size=512, scenes=70, seed=0, fractions=None),
            trainings=_trainings({}, {}),
            realworld=RealWorldPlan(foregrounds=30, backgrounds=16, frames=30, size=512, variants=2),
            study=StudyPlan(rankings=240, pairwise=540), max_test_clips=None, figure_clips=4,
            description="512² procedural data at the paper's dataset size (33,338 pairs), 45 epochs per model",
            **common)
    raise ValueError(f"unknown profile '{profile}'; known profiles: {', '.join(PROFILES)}")
