"""The iHarmony4 image layout (bcmi/Image-Harmonization-Dataset-iHarmony4), one image a one-frame clip::

    SUBSET/composite_images/<name>_<fg>_<k>.jpg     composites (k-th colour transfer of foreground fg)
    SUBSET/masks/<name>_<fg>.png                     foreground masks
    SUBSET/real_images/<name>.jpg                    ground truth
    SUBSET/SUBSET_test.txt, SUBSET_train.txt         composite file names, one a line
    ROOT/IHD_test.txt, IHD_train.txt                 (DoveNet) "SUBSET/composite_images/<file>" lines

``root`` is a subset folder (its single ``*_<split>.txt`` list, as the iharm loaders glob it) or the iHarmony4
root holding ``IHD_<split>.txt``.  Names follow ``evaluation.py``: the mask drops the last ``_k``, the real image the
last ``_fg_k`` (both with the iHarmony4 suffixes).  Clip id: the list entry without its suffix (``SUBSET/…``
under the root list).  Frames are read and resized with the protocol's :class:`~bench.readers.peer_io.Reading`.
"""
from __future__ import annotations

import os
from pathlib import Path

from bench.datasets import ClipError, VideoSample, _Reader
from bench.readers.hyoutube import _sample
from bench.readers.peer_io import Reading


def _name_parts(composite: str) -> list[str]:
    parts = Path(composite).stem.split("_")
    if len(parts) < 3:
        raise ValueError(f"composite name {composite!r} is not <name>_<fg>_<k>")
    return parts


def real_name(composite: str) -> str:
    """``a0002_1_4.jpg`` → ``a0002.jpg`` (``evaluation.py``'s ``real_name``: drop ``_<fg>_<k>``)."""
    return "_".join(_name_parts(composite)[:-2]) + ".jpg"


def mask_name(composite: str) -> str:
    """``a0002_1_4.jpg`` → ``a0002_1.png`` (``evaluation.py``'s ``mask_name``: drop ``_<k>``)."""
    return "_".join(_name_parts(composite)[:-1]) + ".png"


def is_iharmony4(root: str | os.PathLike) -> bool:
    """A subset folder (``composite_images/`` and ``masks/``) or a root with ``IHD_*.txt``."""
    root = Path(root)
    return ((root / "composite_images").is_dir() and (root / "masks").is_dir()) or any(root.glob("IHD_*.txt"))


class IHarmony4Reader(_Reader):
    """iHarmony4 composites of one split, each a one-frame clip (``gt`` = its real image)."""

    kind = "iharmony4"

    def __init__(self, root: str | os.PathLike, reading: Reading, split: str = "test", *, name: str | None = None):
        self.root, self.reading, self.split = Path(root), reading, split
        self.name = name or f"{self.root.name}:{split}"
        ihd = self.root / f"IHD_{split}.txt"
        if ihd.is_file():
            list_path = ihd
            entries = [line.strip().replace("\\", "/") for line in ihd.read_text().splitlines() if line.strip()]
        else:
            lists = sorted(p for p in self.root.glob("*.txt") if p.stem.endswith(split))
            if len(lists) != 1:
                found = ", ".join(p.name for p in lists) or "none"
                raise ClipError(f"{self.root} is not an iHarmony4 folder: expected one *_{split}.txt list "
                                f"(or IHD_{split}.txt), found {found}")
            list_path = lists[0]
            entries = [f"composite_images/{line.strip()}" for line in list_path.read_text().splitlines() if line.strip()]
        self._entries: dict[str, str] = {}
        for entry in entries:
            parts = entry.split("/")
            if "composite_images" not in parts:
                raise ClipError(f"{list_path}: entry {entry!r} is not under composite_images/")
            subset = "/".join(parts[: parts.index("composite_images")])
            clip_id = f"{subset}/{Path(entry).stem}" if subset else Path(entry).stem
            self._entries[clip_id] = entry
        if not self._entries:
            raise ClipError(f"{list_path}: no images listed")

    def clip_ids(self) -> list[str]:
        return list(self._entries)

    def _load(self, clip_id: str) -> VideoSample:
        if clip_id not in self._entries:
            raise ClipError(f"{self.name}: clip {clip_id} is not in the list file")
        comp = self.root / self._entries[clip_id]
        subset_dir = comp.parent.parent
        real = subset_dir / "real_images" / real_name(comp.name)
        mask = subset_dir / "masks" / mask_name(comp.name)
        for label, path in (("composite", comp), ("real image", real), ("mask", mask)):
            if not path.is_file():
                raise ClipError(f"{self.name}: clip {clip_id}: {label} {path} does not exist")
        return _sample(clip_id, self.reading, [comp], [real], [mask], {"frames": [comp.stem]})
