"""Photo scenes: Dancing scenes made of real-photo pixels, without any object mask (source ``photo``).

A scene is two square crops of one real photo: the background, and the texture that fills the silhouette of
a procedural figure (:func:`harmonizer.data.procedural.figure`, its mask only) pasted on it.  The ground truth is
harmonious in the way that can be inferred from the scene — foreground and background come from the same camera,
white balance, exposure and tone rendering of one real photograph — while the figure's own colours are real
surface colours, not a procedural palette.  ``scene_light=True`` also applies the procedural scenes' random shared
illumination (:func:`harmonizer.data.procedural.illumination`) to the whole scene; off by default: the photo's own
light is real, and the extra cast made the model correct real people less (validation +0.48 dB with it, +0.62 and
+0.63 dB for two seeds without; paired +0.14 [+0.08, +0.21] dB, benchmarks/RESULTS-real-recipe.md).
``skin=True`` paints the figure's head, forearms and hands in the procedural figure's skin colours (the rest of
the silhouette stays photo texture), a colour reference real people carry; off by default: it changed nothing
on the real set's validation sets (−0.10 … +0.12 dB for two seeds, faces included; sixth round).
``texture_photo`` (the photo source's ``texture_elsewhere``: the quick reproduction takes another photo's texture
for half its figures): a figure always cut from its own scene's photo resembles its scene, and some trainings
(a slightly different lr, batch or length) learned to pull every foreground towards its scene's statistics —
dark real people brightened and blue-shifted by 5–15/255, harmonious people changed to 29–33 dB foreground PSNR
in 3 of 3 such settings, 41–44 dB with half the textures from elsewhere, at 0.0–0.1 dB less validation gain
(sixth round).

Why (benchmarks/RESULTS-real-recipe.md, third round): a model trained on procedural figures learns the
procedural palette's priors and corrects little on real people (+0.17 dB foreground PSNR on the real set's
validation part); the same training on photo scenes corrects more (+0.62 dB).  The texture is a crop of the
*same* photo taken elsewhere, not the pixels under the silhouette: recolouring a photo's own region teaches the
model to copy the surroundings' statistics onto the foreground, which hurts real objects (docs/media.md).

Crops: the background window is 30–90 % of the photo's shorter side, the texture window 15–50 % (finer
texture, like clothing seen from afar), each placed uniformly and mirrored with probability ½, resampled with
area averaging.  Measured on the real set's validation part: a texture window as large as the background's
(30–90 %) brings back the copy-the-surroundings failure (−0.46 dB), a smaller one (5–25 %) helps less (+0.31 dB;
both against +0.48 dB for 15–50 %, all with ``scene_light``).
All draws come from the generator passed in.
"""
from __future__ import annotations

import cv2
import numpy as np

from .procedural import Scene, apply_illumination, figure_parts, illumination

BACKGROUND_WINDOW = (0.3, 0.9)  # crop side as a fraction of the photo's shorter side
TEXTURE_WINDOW = (0.15, 0.5)


def photo_crop(rng: np.random.Generator, photo: np.ndarray, size: tuple[int, int],
               window: tuple[float, float]) -> tuple[np.ndarray, dict]:
    """A square window of ``photo`` (side drawn in ``window`` × its shorter side), resampled to ``size`` = (H, W)
    and mirrored with probability ½.  ``(crop, params)`` with params ``x``, ``y``, ``side``, ``mirror``."""
    h, w = photo.shape[:2]
    side = max(1, int(round(rng.uniform(*window) * min(h, w))))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    mirror = bool(rng.random() < 0.5)
    crop = cv2.resize(photo[y:y + side, x:x + side], (size[1], size[0]), interpolation=cv2.INTER_AREA)
    if mirror:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop, np.float32), {"x": x, "y": y, "side": side, "mirror": mirror}


def photo_scene(rng: np.random.Generator, photo: np.ndarray, size: int | tuple[int, int], *, detail: float = 1.0,
                min_area: float = 0.1, scene_light: bool = False, skin: bool = False,
                texture_photo: np.ndarray | None = None) -> Scene:
    """One photo scene from ``photo`` (H×W×3 float32 in [0, 1]); see the module docstring.  ``texture_photo``:
    crop the figure's texture from this photo instead of ``photo``."""
    h, w = (size, size) if isinstance(size, int) else size
    background, bg_crop = photo_crop(rng, photo, (h, w), BACKGROUND_WINDOW)
    texture, tex_crop = photo_crop(rng, photo if texture_photo is None else texture_photo, (h, w), TEXTURE_WINDOW)
    layer, mask, skin_map, fig_meta = figure_parts(rng, h, w, detail=detail, min_area=min_area)
    image = np.where(mask[..., None], texture, background)
    if skin:  # the figure's head and hands in the procedural skin palette, the rest photo texture
        image = np.where(skin_map[..., None], layer, image)
    meta = {"background_crop": bg_crop, "texture_crop": tex_crop, **fig_meta}
    if scene_light:
        meta["illumination"] = light = illumination(rng)
        image = apply_illumination(image, light)
    return Scene(image=np.ascontiguousarray(image, np.float32), mask=mask, meta=meta)
