"""Real-world-style composite videos (the paper's Section IV test set for L_T2).

The paper takes 30 foreground videos (static camera, hand-made masks) and 16
background videos, makes two colour-distorted copies of every background with the
same random colour adjustments as the synthetic data (so 48 backgrounds), and pastes
every foreground on every background: 1,440 composites, scored with estimated flow.

:func:`build_composites` does this for any foreground (video, mask video) pairs and
background videos — video files or frame folders — after fitting every video to a
common size.  :func:`build_procedural` first makes procedural foreground and
background videos with ``harmonizer.data.clips`` (so the suite needs no downloads;
this is the real-world-style set the reproduction scores L_T2 on, with estimated
flow) and then calls it.

Output layout (read back by :class:`bench.datasets.CompositeReader`)::

    OUT/dataset.json                  every build argument, the source lists, the seed
    OUT/manifest.jsonl                one line per composite: id, foreground, background, variant, colour params
    OUT/<clip_id>/composite/000.png   (or composite.mkv / .mp4 with ``video_format``)
    OUT/<clip_id>/mask/000.png

Colour variant ``v`` of background ``i`` draws its adjustment from
``numpy.random.default_rng([seed, i, v])``, so adding videos never changes earlier ones.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from bench import video_io
from harmonizer.atomic import atomic_directory, write_json_atomic, write_jsonl_atomic
from harmonizer.overrides import apply_overrides


@dataclass
class RealWorldConfig:
    size: tuple[int, int] = (64, 64)  # (H, W) every video is fitted to
    frames: int | None = None  # frames per composite; None = the shorter of the fg and bg video
    variants: int = 2  # colour-distorted copies per background (the paper: 2, i.e. 3 versions in all)
    seed: int = 0
    fit: str = "crop"  # "crop": scale the shorter side then centre-crop; "resize": stretch
    video_format: str = "png"  # "png" frame folders, or a video container: "mkv" (lossless FFV1), "mp4" (lossy)
    fps: float = 10.0


def fit_frames(frames: np.ndarray, size: tuple[int, int], fit: str, *, nearest: bool = False) -> np.ndarray:
    """Fit ``T×H×W[×3]`` frames to ``size`` = (H, W) by centre-crop after scaling, or by stretching."""
    th, tw = size
    h, w = frames.shape[1:3]
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
    if fit == "resize":
        sh, sw = th, tw
    elif fit == "crop":
        scale = max(th / h, tw / w)
        sh, sw = max(th, round(h * scale)), max(tw, round(w * scale))
    else:
        raise ValueError(f"fit must be 'crop' or 'resize', got '{fit}'")
    out = []
    for f in frames:
        f = f if (h, w) == (sh, sw) else cv2.resize(f, (sw, sh), interpolation=interp)
        y0, x0 = (sh - th) // 2, (sw - tw) // 2
        out.append(f[y0:y0 + th, x0:x0 + tw])
    return np.stack(out)


def _load_foreground(video: Path, mask: Path, config: RealWorldConfig) -> tuple[np.ndarray, np.ndarray]:
    frames = video_io.read_frames(video, max_frames=config.frames)
    masks = video_io.read_frames(mask, gray=True, max_frames=config.frames)
    if frames.shape[0] != masks.shape[0]:
        raise video_io.VideoReadError(f"foreground {video}: {frames.shape[0]} frames but {masks.shape[0]} masks in {mask}")
    if frames.shape[1:3] != masks.shape[1:3]:
        raise video_io.VideoReadError(f"foreground {video} is {frames.shape[2]}×{frames.shape[1]}, "
                                      f"its mask {mask} is {masks.shape[2]}×{masks.shape[1]}")
    masks = video_io.masks_from_gray(fit_frames(masks, config.size, config.fit, nearest=True))
    return fit_frames(frames, config.size, config.fit), masks


def _write_clip(out: Path, clip_id: str, composite: np.ndarray, mask: np.ndarray, config: RealWorldConfig) -> None:
    with atomic_directory(out / clip_id) as tmp:
        if config.video_format == "png":
            video_io.write_frame_folder(tmp / "composite", composite)
            video_io.write_frame_folder(tmp / "mask", mask)
        else:
            video_io.write_video_file(tmp / f"composite.{config.video_format}", composite, fps=config.fps)
            # masks always lossless: a lossy mask would change which pixels count as foreground
            video_io.write_video_file(tmp / "mask.mkv", mask, fps=config.fps)


def build_composites(foreground_videos: list[tuple[str | os.PathLike, str | os.PathLike]],
                     background_videos: list[str | os.PathLike], out: str | os.PathLike,
                     config: RealWorldConfig | None = None, **overrides) -> Path:
    """Paste every foreground on every background and its colour variants; returns ``out``.

    ``foreground_videos`` are ``(video, mask)`` pairs and ``background_videos`` paths, each a video file or a frame
    folder.  ``overrides`` replace fields of ``config`` (``size``, ``frames``, ``variants``, ``seed``, ...).
    Composites already present are rewritten (the build is deterministic in ``seed``).  The fitted foreground videos
    are held in memory (``T×H×W×4`` bytes each); background videos are read one at a time.
    """
    config = apply_overrides(config or RealWorldConfig(), overrides, what="real-world build option")
    config.size = (int(config.size[0]), int(config.size[1]))
    if not foreground_videos or not background_videos:
        raise ValueError("need at least one foreground video and one background video")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    foregrounds = [_load_foreground(Path(v), Path(m), config) for v, m in foreground_videos]
    records = []
    total = len(foregrounds) * len(background_videos) * (1 + config.variants)
    progress = tqdm(total=total, desc="real-world composites", unit="video")
    for i, bg_path in enumerate(background_videos):
        background = fit_frames(video_io.read_frames(Path(bg_path), max_frames=config.frames), config.size, config.fit)
        for v in range(1 + config.variants):
            params: dict = {}
            variant = background
            if v > 0:  # variant 0 is the background as filmed
                params, adjust = color_adjustment(np.random.default_rng([config.seed, i, v]))
                variant = np.stack([adjust(f) for f in background])
            for j, (fg, mask) in enumerate(foregrounds):
                n = min(len(fg), len(variant))
                composite = np.where(mask[:n, ..., None], fg[:n], variant[:n])
                clip_id = f"fg{j:03d}_bg{i:03d}_v{v}"
                _write_clip(out, clip_id, composite, mask[:n], config)
                records.append({"id": clip_id, "foreground": _rel(foreground_videos[j][0], out),
                                "foreground_mask": _rel(foreground_videos[j][1], out), "background": _rel(bg_path, out),
                                "variant": v, "color_params": params, "seed": config.seed, "frames": int(n)})
                progress.update(1)
    progress.close()
    write_jsonl_atomic(out / "manifest.jsonl", records, sort_keys=True, default=_jsonable)
    info = {"kind": "realworld_composites", "config": asdict(config),
            "foregrounds": [[_rel(v, out), _rel(m, out)] for v, m in foreground_videos],
            "backgrounds": [_rel(b, out) for b in background_videos], "clips": len(records),
            "footage": "the caller's files (see foregrounds, backgrounds)"}
    write_json_atomic(out / "dataset.json", info, indent=2, sort_keys=True, default=_jsonable)
    return out


def build_procedural(out: str | os.PathLike, *, foregrounds: int = 3, backgrounds: int = 2, frames: int = 8,
                     config: RealWorldConfig | None = None, **overrides) -> Path:
    """Make procedural foreground videos (a figure moving in front of a static camera, with masks) and background
    videos (a scene under camera motion) with :mod:`harmonizer.data.clips`, write them under ``out/sources/``,
    then :func:`build_composites` them into ``out``.  Everything derives from ``config.seed``."""
    from harmonizer.data.clips import background_video, foreground_video
    from harmonizer.data.sources import get_source

    config = apply_overrides(config or RealWorldConfig(), overrides, what="real-world build option")
    config.frames = config.frames or frames
    out, side = Path(out), max(config.size)
    source = get_source("procedural", seed=config.seed)
    to_u8 = lambda x: (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)  # noqa: E731
    fg_pairs, bg_paths, params = [], [], {"foregrounds": [], "backgrounds": []}
    for j in tqdm(range(foregrounds), desc="procedural foreground videos", unit="video"):
        video, masks, p = foreground_video(source, j, frames=config.frames, size=side, seed=config.seed)
        d = out / "sources" / "foregrounds" / f"fg{j:03d}"
        fg_pairs.append((video_io.write_frame_folder(d / "frames", to_u8(video)),
                         video_io.write_frame_folder(d / "mask", masks)))
        params["foregrounds"].append(p)
    for i in tqdm(range(backgrounds), desc="procedural background videos", unit="video"):
        # scene indices after the foregrounds', so no background shows a foreground's own scene
        video, p = background_video(source, foregrounds + i, frames=config.frames, size=side, seed=config.seed)
        bg_paths.append(video_io.write_frame_folder(out / "sources" / "backgrounds" / f"bg{i:03d}", to_u8(video)))
        params["backgrounds"].append(p)
    result = build_composites(fg_pairs, bg_paths, out, config)
    info = json.loads((out / "dataset.json").read_text())
    info["footage"] = "procedural stand-ins (harmonizer.data.clips): no real pixels"
    info["source"] = {"name": "procedural", "options": source.options(), "foregrounds": foregrounds,
                      "backgrounds": backgrounds, "frames": config.frames, "seed": config.seed, "params": params}
    write_json_atomic(out / "dataset.json", info, indent=2, sort_keys=True, default=_jsonable)
    return result


def _rel(path: str | os.PathLike, root: Path) -> str:
    """``path`` relative to ``root`` when inside it (the procedural sources), so the folder can be moved."""
    path = Path(path)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _jsonable(value):
    """NumPy scalars and arrays in recorded parameters → plain JSON values."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def discover_foregrounds(folder: str | os.PathLike) -> list[tuple[Path, Path]]:
    """``(video, mask)`` pairs in ``folder``: sub-folders ``<name>/frames`` + ``<name>/mask`` (folders or videos),
    or video files ``<name>.<ext>`` beside ``<name>_mask.<ext>``."""
    folder = Path(folder)
    pairs = []
    for p in sorted(folder.iterdir()):
        if p.is_dir():
            video = next((c for c in (p / "frames", *(p / f"frames{s}" for s in video_io.VIDEO_SUFFIXES)) if c.exists()), None)
            mask = next((c for c in (p / "mask", *(p / f"mask{s}" for s in video_io.VIDEO_SUFFIXES)) if c.exists()), None)
            if video is None or mask is None:
                raise video_io.VideoReadError(f"foreground folder {p} needs 'frames' and 'mask' (folders or videos)")
            pairs.append((video, mask))
        elif video_io.is_video_file(p) and not p.stem.endswith("_mask"):
            mask = p.with_name(f"{p.stem}_mask{p.suffix}")
            if not mask.exists():
                raise video_io.VideoReadError(f"foreground video {p} has no mask video {mask}")
            pairs.append((p, mask))
    if not pairs:
        raise video_io.VideoReadError(f"no foreground videos in {folder}")
    return pairs


def discover_backgrounds(folder: str | os.PathLike) -> list[Path]:
    """Every video file or frame folder in ``folder``."""
    folder = Path(folder)
    found = [p for p in sorted(folder.iterdir()) if (p.is_dir() or video_io.is_video_file(p)) and not p.name.startswith(".")]
    if not found:
        raise video_io.VideoReadError(f"no background videos in {folder}")
    return found


def color_adjustment(rng: np.random.Generator, strength: float = 1.0):
    """``(params, fn)``: a random basic colour adjustment from :mod:`harmonizer.data.color` (the synthetic data's
    exposure / hue / saturation / temperature / tint / contrast / tone-curve draws, ``strength`` × as far from
    identity); ``fn`` maps a uint8 RGB frame to its adjusted uint8 copy, with the same parameters for every frame."""
    from harmonizer.data.color import apply_adjustment, random_adjustment

    params, _ = random_adjustment(rng, strength=strength)

    def adjust(frame: np.ndarray) -> np.ndarray:
        return (np.clip(apply_adjustment(frame.astype(np.float32) / 255.0, params), 0, 1) * 255 + 0.5).astype(np.uint8)

    return params, adjust


# --- from real footage (bench.media) --------------------------------------------------------------------------------

# the foregrounds' footage (bench.media stems): the first clip from the first, the others from the second
PEOPLE_FOOTAGE = ("carphone_pristine", "vtest")
BACKGROUND_ORDER = ("bikes", "tree", "coffee", "bigbuckbunny", "chelsea", "rocket", "Garden", "astronaut", "Storm",
                    "motorcycle_left", "GreenMeadow", "Dune", "Wood")  # real videos and stills, interleaved


def still_video(image: np.ndarray, frames: int, size: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A still photo under simulated camera motion: a window of 60 % of the shorter side pans linearly by up to a
    quarter of its side and zooms by up to 10 %, resampled to ``size`` = (H, W) every frame.  ``(video, params)``."""
    h, w = image.shape[:2]
    side = 0.6 * min(h, w)
    start = np.array([rng.uniform(side / 2, w - side / 2), rng.uniform(side / 2, h - side / 2)])
    shift = rng.uniform(-0.25, 0.25, 2) * side
    end = np.clip(start + shift, side / 2 * 1.1, [w - side / 2 * 1.1, h - side / 2 * 1.1])
    zoom = float(rng.uniform(0.9, 1.1))
    # shrink the photo once (area filter, no aliasing) so the window is about the output's width, then pan/zoom
    # with bilinear sampling at a scale near 1; pixel centres map to pixel centres: the output's centre maps to the window's
    pre = min(1.0, size[1] / side)
    small = cv2.resize(image, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA) if pre < 1 else image
    out = []
    for t in range(frames):
        a = t / max(frames - 1, 1)
        centre, s = ((1 - a) * start + a * end + 0.5) * pre - 0.5, side * (1 + a * (zoom - 1)) * pre
        k = s / size[1]  # photo pixels per output pixel (square pixels; height follows the aspect)
        matrix = np.array([[k, 0, centre[0] - k * (size[1] - 1) / 2],
                           [0, k, centre[1] - k * (size[0] - 1) / 2]])
        out.append(cv2.warpAffine(small, matrix, (size[1], size[0]), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REFLECT))
    return np.stack(out), {"start": start.tolist(), "end": end.tolist(), "window": side, "zoom": zoom}


def build_from_media(media: str | os.PathLike, out: str | os.PathLike, *, foregrounds: int = 3, backgrounds: int = 3,
                     frames: int = 8, config: RealWorldConfig | None = None, **overrides) -> Path:
    """The Section IV set from real footage: people from the fetched media (:func:`bench.masks.people_clips`: the
    carphone person first, then pedestrians of vtest.avi spread over the video) with their masks, pasted on real
    background videos and on still photos under simulated camera motion (:data:`BACKGROUND_ORDER`, as many as
    ``backgrounds``), each with ``config.variants`` colour-distorted copies.  Sources go to ``out/sources/``;
    ``dataset.json`` records ``footage`` (every source file with its package, version and sha256)."""
    from bench.masks import people_clips
    from bench.media import load_manifest, media_files

    config = apply_overrides(config or RealWorldConfig(), overrides, what="real-world build option")
    config.frames = config.frames or frames
    config.size = (int(config.size[0]), int(config.size[1]))
    out, media = Path(out), Path(media)
    clip = dict(length=config.frames, size=config.size)
    people = people_clips(media, PEOPLE_FOOTAGE[0], 1, **clip)
    if foregrounds > 1:
        people += people_clips(media, PEOPLE_FOOTAGE[1], foregrounds - 1, **clip)
    if len(people) < foregrounds:
        raise ValueError(f"{media}: only {len(people)} foreground clips of {config.frames} frames could be cut, "
                         f"{foregrounds} asked for")
    fg_pairs = []
    for j, person in enumerate(people):
        d = out / "sources" / "foregrounds" / f"fg{j:03d}-{Path(person['footage']).stem}-t{person['start']:03d}"
        fg_pairs.append((video_io.write_frame_folder(d / "frames", person["gt"]),
                         video_io.write_frame_folder(d / "mask", person["mask"])))
    available = {**media_files(media, "background_video"), **media_files(media, "still")}
    names = [n for n in BACKGROUND_ORDER if n in available][:backgrounds]
    if len(names) < backgrounds:
        raise ValueError(f"{media}: {len(names)} background videos and stills, {backgrounds} asked for")
    bg_paths, motion = [], {}
    side = max(config.size)
    for i, name in enumerate(tqdm(names, desc="real background videos", unit="video")):
        path = available[name]
        if video_io.is_video_file(path):
            video = video_io.read_frames(path, max_frames=config.frames)
        else:
            image = video_io.read_frame_folder(path.parent, names=[path.name])[0]
            video, motion[name] = still_video(image, config.frames, (side, side), np.random.default_rng([config.seed, i]))
        bg_paths.append(video_io.write_frame_folder(out / "sources" / "backgrounds" / f"bg{i:03d}-{name}",
                                                    fit_frames(video, (side, side), config.fit)))
    result = build_composites(fg_pairs, bg_paths, out, config)
    items = {Path(i["file"]).stem: i for i in load_manifest(media)["items"]}
    used = sorted({Path(p["footage"]).stem for p in people} | set(names))
    info = json.loads((out / "dataset.json").read_text())
    info["footage"] = {n: {k: items[n][k] for k in ("file", "package", "version", "sha256", "kind", "licence")}
                       for n in used}
    info["source"] = {"name": "media", "media": str(media), "foregrounds": [
        {"footage": p["footage"], "start": p["start"], "box": p["box"], "mask_method": p["mask_method"]}
        for p in people], "backgrounds": names, "still_motion": motion}
    write_json_atomic(out / "dataset.json", info, indent=2, sort_keys=True, default=_jsonable)
    return result
