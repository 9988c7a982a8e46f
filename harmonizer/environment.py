"""What produced a result: package versions, the platform and the git revision of the code.

One place for every manifest of the suite (bench runs, reproductions): :func:`package_versions`,
:func:`git_revision` and :func:`environment`, which combines them.
"""
from __future__ import annotations

import importlib.metadata
import platform
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "choix", "ptlflow", "opencv-python",
                    "video-harmonization-suite")


def package_versions(packages=DEFAULT_PACKAGES) -> dict[str, str | None]:
    """``{"python": "3.x.y", package: version or None (not installed), ...}``."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_revision(root: str | Path = REPOSITORY) -> dict:
    """``{"revision": commit or None, "dirty": tracked files changed (None when git is unavailable)}``."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return {"revision": rev or None, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}


def environment(packages=DEFAULT_PACKAGES) -> dict:
    """``{"versions": package_versions(packages), "git": git_revision(), "platform": platform.platform()}``."""
    return {"versions": package_versions(packages), "git": git_revision(), "platform": platform.platform()}
