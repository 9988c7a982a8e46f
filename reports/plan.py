"""Which datasets, trainings, scorings and studies each profile needs.

A :class:`ProfilePlan` is pure data (typed dataclasses, JSON-able through ``asdict``); the
step functions in :mod:`reports.steps` execute it and :mod:`reports.reproduce` turns it into
cached pipeline steps.  Method labels are the row keys of :mod:`reports.paper`.

What each scoring set scores is derived from the table and claim specs (:mod:`reports.specs`):
its methods are the rows of every table with a column on it (and the methods of its claims), its
metrics the metrics of those columns and claims.  :func:`check_specs` runs when the plan is made and
names any column or claim whose metric cannot be scored where it says (docs/reproduce.md).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from harmonizer.config import PROFILES
from harmonizer.models import list_generators
from reports import specs


class SpecError(ValueError):
    """A table column or claim asks for a number the plan does not score."""


@dataclass(frozen=True)
class ScoringSet:
    """Where and how one set of clips is scored: which data step, which bench reader, which flow."""
    name: str  # the ``source`` of table columns and claims
    data_step: str  # the step whose ``data_dir`` holds the clips
    reader: str  # bench.datasets.open_dataset kind
    split: str | None  # the split scored (None: the reader's whole set)
    flow: str  # bench flow estimator the temporal metrics use
    has_gt: bool  # whether the clips have a ground truth (image metrics need it)
    capped: bool  # whether the profile's max_test_clips applies
    extra_metrics: tuple[str, ...] = ()  # scored for summary.csv although no table shows them
    description: str = ""
    part: str | None = None  # sub-folder of the data step's data_dir scored (the real set's parts)
    needs: str | None = None  # ProfilePlan field that must be set for the set to exist (e.g. "realset")


# The global temporal loss is scored beside L_T for the summaries (no table column shows it).
SCORING_SETS: dict[str, ScoringSet] = {s.name: s for s in (
    ScoringSet("synthetic", "data_dancing", "dancing", "test", "gt", True, True, ("lt_global",),
               "synthetic Dancing test split, ground-truth flow"),
    ScoringSet("realworld", "data_realworld", "composites", None, "dis", False, False, ("lt_global",),
               "real-world-style composite videos, DIS flow"),
    # the ground-truth real set (bench.realset): only the REPORT parts are scored (validation chose the recipe);
    # DIS flow estimated on the ground truth (bench.runner); every method with the blend="mask" default all
    # methods share (baselines.base)
    ScoringSet("realset_report", "data_realset", "composites", None, "dis", True, False, (),
               "real set with ground truth, report part: real people recoloured inside their masks, the untouched "
               "footage as ground truth", part="report", needs="realset"),
    ScoringSet("realset_untouched", "data_realset", "composites", None, "dis", True, False, (),
               "real set, report-untouched part: the same footage untouched (input = ground truth)",
               part="report-untouched", needs="realset"),
)}


@dataclass(frozen=True)
class ScoringPlan:
    """One scoring set as a profile runs it: the methods and metrics derived from the specs."""
    set: ScoringSet
    methods: tuple[str, ...]
    metrics: tuple[str, ...]
    max_clips: int | None


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
    source: str = "procedural"  # or "photo": photo scenes from the fetched media's training photos (--media)


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
    source: str = "procedural"  # "media": bench.realworld.build_from_media on the fetched footage (--media)


@dataclass(frozen=True)
class RealSetPlan:
    """The ground-truth real set (bench.realset.build_realset) built from the fetched media."""
    size: int = 64
    frames: int = 4
    clips: int = 12  # vtest people clips per part
    carphone_clips: int = 4  # carphone clips (report part only)
    seed: int = 0


@dataclass(frozen=True)
class StudyPlan:
    rankings: int  # simulated rankings per question (the paper: 480 over both questions)
    pairwise: int  # simulated pairwise choices (the paper: 540)
    seed: int = 0
    raters: int = 32  # the paper: 32 raters (ranking), 36 (pairwise)
    tie_rate: float = 0.09  # simulated pairwise ties: the paper's 9%
    n_boot: int = 2000  # rater-bootstrap refits (score intervals and the claims' paired differences)
    ranking_methods: tuple[str, ...] = ("cut_and_paste", "realism_cnn", "dih", "full")
    pairwise_methods: tuple[str, str] = ("full", "no_adv")  # with D vs without D
    # real-world clips in the browser study kit (reports.study_kit; None: all): a rater answers 2 questions per clip
    kit_clips: int | None = None


@dataclass(frozen=True)
class ProfilePlan:
    profile: str
    datasets: tuple[DatasetPlan, ...]
    trainings: tuple[TrainPlan, ...]
    methods: tuple[MethodPlan, ...]  # how to build every method label a table or claim may show
    realworld: RealWorldPlan
    study: StudyPlan
    max_test_clips: int | None  # cap on synthetic test clips scored (None: all)
    figure_clips: int = 2  # clips drawn in Fig. 4/5/7-like figures
    seed: int = 0
    seeds: int = 1  # trainings per model (seeds seed, seed+1, ...); intervals then resample seeds, then clips
    description: str = ""
    scoring: tuple[ScoringPlan, ...] = ()  # derived from the specs by get_plan
    realset: RealSetPlan | None = None  # None: no ground-truth real set (tiny)
    tables: tuple[str, ...] = ()  # ids of the tables this profile renders (derived by get_plan)

    @property
    def needs_media(self) -> bool:
        """Whether a step reads the fetched media folder (real-world composites, the real set, photo scenes)."""
        return (self.realworld.source == "media" or self.realset is not None
                or any(d.source == "photo" for d in self.datasets))

    def method(self, label: str) -> MethodPlan:
        return next(m for m in self.methods if m.label == label)

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
        # every trainable generator of harmonizer's registry (dih, resnet, ...), trained by baselines.train
        *(TrainPlan(name, name, "dancing", via="baseline", overrides=o)
          for name in list_generators(trainable_only=True)),
        TrainPlan("realism_cnn", "realism_cnn", "dancing", via="baseline", overrides=realism),
        TrainPlan("no_mask_scratch", "no_mask_scratch", "dancing", overrides=o),
        TrainPlan("finetune_dmask", "finetune_dmask", "dancing", init_from="full", overrides=o),
    )


METHODS: tuple[MethodPlan, ...] = (
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
    # mask-free at test time like the other Table IV rows: G reads no mask, and the background blend uses its own
    # D's map — with mask_mode "given" the blend would hand it the true mask (docs/interfaces.md)
    MethodPlan("no_mask_scratch", "gan", "no_mask_scratch", {"mask_mode": "discriminator"}),
    MethodPlan("finetune_dmask_dmap", "gan", "finetune_dmask", {"mask_mode": "discriminator"}),
)


def _datasets(clips: int, size: int, scenes: int, seed: int, fractions: dict | None,
              workers: int | None = None, disharmony: dict | None = None,
              source: str = "procedural", source_options: dict | None = None) -> tuple[DatasetPlan, ...]:
    """``disharmony``: build_dataset colour options shared by the three datasets (e.g. strength_range);
    ``source``: their scenes, procedural or photo; ``source_options``: that source's options (e.g. the photo
    source's texture_elsewhere)."""
    common = dict(split_fractions=fractions, workers=workers, source=source)
    d = {**(disharmony or {}), **(source_options or {})}
    return (
        DatasetPlan("dancing", "dancing", clips, size, seed=seed, options=d, **common),
        DatasetPlan("static", "static", clips, size, seed=seed + 1, options=d, **common),
        DatasetPlan("few_scene", "few_scene", clips, size, seed=seed + 2, options={"scenes": scenes, **d}, **common),
    )


def get_plan(profile: str, *, train_steps: int | None = None, seeds: int = 1,
             tables: dict | None = None, claims: tuple | None = None) -> ProfilePlan:
    """The plan of ``profile``: ``tiny`` (tests, ~a minute), ``quick`` (CPU, ≤ 30 min), ``paper`` (GPU).
    ``train_steps`` replaces the profile's ``schedule.max_steps`` of every G training (e.g. a longer
    quick run on an idle machine); RealismCNN keeps its own schedule.  ``seeds`` trains every model that
    many times.  The scoring sets' methods and metrics come from ``tables``/``claims`` (default: the
    paper's, :mod:`reports.specs`), checked by :func:`check_specs`."""
    plan = _profile_plan(profile)
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1, got {seeds}")
    if seeds > 1:
        plan = replace(plan, seeds=int(seeds), description=f"{plan.description}; {seeds} trainings per model")
    if train_steps is not None:
        if train_steps < 1:
            raise ValueError(f"train_steps must be >= 1, got {train_steps}")
        trainings = tuple(replace(t, overrides={**t.overrides, "schedule.max_steps": int(train_steps)})
                          if t.variant != "realism_cnn" else t for t in plan.trainings)
        plan = replace(plan, trainings=trainings,
                       description=f"{plan.description}; training steps overridden to {train_steps}")
    tables = specs.TABLES if tables is None else tables
    claims = specs.CLAIMS if claims is None else claims
    # a set that needs a part of the plan this profile lacks (tiny: no real set) is not scored, and the tables
    # and claims on it are not rendered
    absent = {s.name for s in SCORING_SETS.values() if s.needs and getattr(plan, s.needs) is None}
    kept = {k: t for k, t in tables.items() if not any(c.source in absent for c in t.columns)}
    claims = tuple(c for c in claims if c.table in kept or c.table not in tables)  # unknown: check_specs says so
    tables = kept
    scoring = tuple(ScoringPlan(s, tuple(specs.methods_needed(s.name, tables, claims)),
                                tuple(dict.fromkeys((*specs.metrics_needed(s.name, tables, claims),
                                                     *s.extra_metrics))),
                                plan.max_test_clips if s.capped else None)
                    for s in SCORING_SETS.values() if s.name not in absent)
    plan = replace(plan, scoring=tuple(s for s in scoring if s.methods), tables=tuple(tables))
    check_specs(plan, tables, claims)
    return plan


def check_specs(plan: ProfilePlan, tables: dict, claims: tuple) -> None:
    """Every table column and claim must name a number the plan scores: a known source, a metric bench
    has and can compute there (no ground-truth metric on a set without ground truth), a metric the
    scoring step computes, and methods the plan can build.  The error names the column or claim."""
    from bench.metrics.registry import METRICS

    scoring = {s.set.name: s for s in plan.scoring}
    labels = {m.label for m in plan.methods}

    def check(where: str, column: specs.ColumnSpec, methods) -> None:
        src, metric = column.source, column.metric
        if src in specs.STUDY_METRICS:
            if metric != specs.STUDY_METRICS[src]:
                raise SpecError(f"{where}: the study source '{src}' gives '{specs.STUDY_METRICS[src]}', "
                                f"not '{metric}'")
        elif src not in SCORING_SETS:
            raise SpecError(f"{where}: unknown source '{src}' (scoring sets: {', '.join(SCORING_SETS)}; "
                            f"studies: {', '.join(specs.STUDY_METRICS)})")
        elif metric not in METRICS:
            raise SpecError(f"{where}: metric '{metric}' is not scored — bench has no such metric "
                            f"(known: {', '.join(METRICS)})")
        elif "gt" in METRICS[metric].needs and not SCORING_SETS[src].has_gt:
            raise SpecError(f"{where}: metric '{metric}' is not scored on '{src}': it needs a ground truth, "
                            f"which {SCORING_SETS[src].description or src} does not have")
        elif src not in scoring or metric not in scoring[src].metrics:
            raise SpecError(f"{where}: metric '{metric}' is not scored on '{src}' by this plan")
        unknown = [m for m in methods if m not in labels]
        if unknown:
            raise SpecError(f"{where}: method(s) {unknown} are not in the plan's methods")

    for table in tables.values():
        for column in table.columns:
            check(f"table {table.id}, column {column.header} ({column.key})", column, table.methods())
    for claim in claims:
        if claim.column not in specs.COLUMNS:
            raise SpecError(f"claim {claim.id} ({claim.text!r}): unknown column '{claim.column}'")
        if claim.table not in tables:
            raise SpecError(f"claim {claim.id} ({claim.text!r}): unknown table '{claim.table}'")
        if claim.direction not in specs.DIRECTIONS:
            raise SpecError(f"claim {claim.id}: direction '{claim.direction}' is not one of {specs.DIRECTIONS}")
        check(f"claim {claim.id} ({claim.text!r})", specs.COLUMNS[claim.column],
              (claim.subject, *claim.compared_with(tables)))


def _profile_plan(profile: str) -> ProfilePlan:
    common = dict(methods=METHODS)
    if profile == "tiny":
        return ProfilePlan(
            profile="tiny", datasets=_datasets(clips=20, size=32, scenes=2, seed=0,
                                                     fractions={"train": 0.7, "val": 0.1, "test": 0.2}, workers=1),
            trainings=_trainings({"schedule.max_steps": 2, "data.max_val_clips": 2},
                                 {"steps": 4, "val_every": 2, "adjust__steps": 3}),
            realworld=RealWorldPlan(foregrounds=1, backgrounds=1, frames=3, size=32, variants=1),
            study=StudyPlan(rankings=40, pairwise=40, raters=8, n_boot=200), max_test_clips=4, figure_clips=1,
            description="32² procedural data, 20 clips per dataset, 2 training steps per model (smoke test); "
                        "real-world set: procedural stand-ins, no ground-truth real set (no media needed)",
            **common)
    if profile == "quick":
        return ProfilePlan(
            # 2,000 clips: 800 steps × 8 pairs are 4 epochs; 120 test clips put the standard error of a
            # PSNR gain near 0.2 dB (benchmarks/RESULTS-quick-profile.md).  Trainings use harmonizer's quick
            # profile as it is (800 fp32 steps, cosine lr, D of width 8) — no step override.
            # Data recipe (chosen on the real set's validation part, never its report part;
            # benchmarks/RESULTS-real-recipe.md): photo scenes (harmonizer.data source "photo": background and
            # figure texture cropped from one of the media's 19 training photos, the photo's own light) instead of
            # procedural scenes, and each train/val clip's colour-change strength drawn uniformly in [0, 1] (the
            # test split keeps strength 1, harmonizer.data.clips.ClipConfig); with the quick profile's log_l2 loss
            # (harmonizer.config, 800 steps) the full model then corrects real people by +0.85 / +0.48 dB
            # foreground PSNR on the two validation sets (400 steps: +0.59 / +0.21; procedural scenes: +0.17 on
            # the first) and passes harmonious footage nearly unchanged.  Half the figures are textured from
            # another photo (texture_elsewhere 0.5, sixth round): with the figure always cut from its own scene's
            # photo, trainings with a slightly different lr, batch or length learned to copy the scene onto the
            # figure and brightened dark real people (harmonious people 29-33 dB, 3 of 3 such settings; 41-44 dB
            # with it), at a cost of 0.0-0.1 dB of validation gain (three training seeds).
            profile="quick", datasets=_datasets(clips=2000, size=64, scenes=4, seed=0,
                                                      fractions={"train": 0.8, "val": 0.05, "test": 0.15},
                                                      disharmony={"strength_range": (0.0, 1.0)}, source="photo",
                                                      source_options={"texture_elsewhere": 0.5}),
            trainings=_trainings({}, {"steps": 200, "val_every": 100}),
            realworld=RealWorldPlan(foregrounds=3, backgrounds=3, frames=6, size=64, variants=2, source="media"),
            realset=RealSetPlan(),  # 64², 4 frames: 48 recoloured + 16 untouched report clips
            study=StudyPlan(rankings=240, pairwise=540), max_test_clips=120, figure_clips=3,
            description="64² photo-scene data (19 real photos, procedural figure silhouettes textured from "
                        "another photo half the time), 2,000 clips per "
                        "dataset (colour-change strength uniform in [0, 1] per training clip, 1 on the test split), "
                        "800 training steps per model (batch 8, fp32; D of width 8; "
                        "reconstruction loss log_l2, ε = 1e-2, instead of Eq. 2's plain L2 — the real-video recipe)",
            **common)
    if profile == "paper":
        return ProfilePlan(
            profile="paper", datasets=_datasets(clips=33338, size=512, scenes=70, seed=0, fractions=None),
            trainings=_trainings({}, {}),
            realworld=RealWorldPlan(foregrounds=30, backgrounds=16, frames=30, size=512, variants=2, source="media"),
            realset=RealSetPlan(),  # the real set at the size its recipe was chosen at (64²)
            study=StudyPlan(rankings=240, pairwise=540, kit_clips=30), max_test_clips=None, figure_clips=4,
            description="512² procedural data at the paper's dataset size (33,338 pairs), 45 epochs per model",
            **common)
    raise ValueError(f"unknown profile '{profile}'; known profiles: {', '.join(PROFILES)}")
