"""The paper's published numbers (Huang et al., TIP 2019: Tables I–IV and Sec. IV-C) as data.

Each table is a list of :class:`PaperRow`: the row's label as printed in the paper, the
method label our reproduction uses for the same row, and the paper's values keyed by our
column keys.  ``None`` marks a value the paper does not print for that row.

Column keys (the ``key`` of :data:`reports.specs.COLUMNS`):
``psnr`` (dB), ``mse`` ([0,1] images), ``lt1`` (regional temporal loss, ground-truth flow,
synthetic test split), ``lt2`` (regional temporal loss, estimated flow, real-world-style
composites), ``pl_realism`` / ``pl_temporal`` (Plackett-Luce scores of the user study).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PaperRow:
    paper_label: str  # the row name as printed in the paper
    method: str  # our method label in the bench results
    values: dict[str, float | None] = field(default_factory=dict)


TABLE_I: list[PaperRow] = [
    PaperRow("Cut-and-paste", "cut_and_paste",
             dict(psnr=18.19, mse=0.030, lt1=0.0006, lt2=0.027, pl_realism=-0.004, pl_temporal=2.176)),
    PaperRow("Zhu [1] (RealismCNN)", "realism_cnn",
             dict(psnr=18.27, mse=0.032, lt1=0.0822, lt2=0.098, pl_realism=-0.330, pl_temporal=-2.064)),
    PaperRow("Tsai [2] (DIH)", "dih",
             dict(psnr=18.42, mse=0.024, lt1=0.2325, lt2=0.029, pl_realism=-0.179, pl_temporal=-1.291)),
    PaperRow("Ours", "full",
             dict(psnr=22.45, mse=0.009, lt1=0.0247, lt2=0.026, pl_realism=0.551, pl_temporal=1.179)),
]

TABLE_II: list[PaperRow] = [
    PaperRow("MSCOCO (static pairs)", "static_data", dict(psnr=21.38, mse=0.011, lt1=0.051, lt2=0.027)),
    PaperRow("DAVIS (few scenes)", "few_scene_data", dict(psnr=17.11, mse=0.031, lt1=0.060, lt2=0.015)),
    PaperRow("Ours (w/o L_T)", "no_temporal", dict(psnr=23.29, mse=0.008, lt1=0.043, lt2=0.033)),
    PaperRow("Ours (w/o adv)", "no_adv", dict(psnr=22.13, mse=0.009, lt1=0.022, lt2=0.023)),
    PaperRow("Ours", "full", dict(psnr=22.45, mse=0.009, lt1=0.025, lt2=0.026)),
]

# Table III plus the regional-vs-global temporal loss comparison of Section IV-C.2, which
# the paper reports in the text (both models without the discriminator).
TABLE_III: list[PaperRow] = [
    PaperRow("VGG+color adjust [1] (RealismCNN)", "realism_cnn", dict(psnr=18.29, mse=0.029, lt1=0.083, lt2=0.097)),
    PaperRow("ResNet [53]", "resnet", dict(psnr=21.38, mse=0.011, lt1=0.020, lt2=0.026)),
    PaperRow("DIH [2]", "dih", dict(psnr=19.82, mse=0.014, lt1=0.014, lt2=0.022)),
    PaperRow("UNet [49] (regional L_T)", "no_adv", dict(psnr=22.13, mse=0.009, lt1=0.022, lt2=0.023)),
    PaperRow("UNet, global L_T (Sec. IV-C.2)", "global_temporal", dict(psnr=None, mse=None, lt1=0.038, lt2=0.025)),
]

TABLE_IV: list[PaperRow] = [
    PaperRow("All-Zero Mask", "full_mask_zeros", dict(psnr=17.72, mse=0.031)),
    PaperRow("All-One Mask", "full_mask_ones", dict(psnr=14.00, mse=0.048)),
    PaperRow("Training from Scratch", "no_mask_scratch", dict(psnr=20.04, mse=0.016)),
    PaperRow("Adversarial D", "full_mask_dmap", dict(psnr=19.87, mse=0.018)),
    PaperRow("Adversarial D (with finetuning)", "finetune_dmask_dmap", dict(psnr=20.21, mse=0.015)),
    PaperRow("Full Model with Mask", "full", dict(psnr=22.45, mse=0.009)),
]

TABLES: dict[str, list[PaperRow]] = {"I": TABLE_I, "II": TABLE_II, "III": TABLE_III, "IV": TABLE_IV}

# Pairwise user study, with vs without the discriminator (Sec. IV-C.3): fractions of 540 choices.
PAIRWISE_WITH_D = {"prefer_with_d": 0.53, "prefer_without_d": 0.38, "tie": 0.09, "raters": 36, "choices": 540}
# Ranking user study of Table I.
RANKING_STUDY = {"raters": 32, "rankings": 480, "methods": 4}


def paper_value(table: str, method: str, column: str) -> float | None:
    """The paper's value for ``method`` (our label) in ``column`` of table ``table``, or None."""
    for row in TABLES[table]:
        if row.method == method:
            return row.values.get(column)
    raise KeyError(f"table {table} has no row for method '{method}'")
