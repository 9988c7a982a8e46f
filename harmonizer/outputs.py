"""Output folders: the suite deletes or replaces only what it wrote (docs/safety.md).

Every folder a command writes carries a marker file, ``.vhs-output.json``, naming the kind of output and the
entries (top-level files and folders) the suite wrote there, each file with its size and modification time::

    {"suite": "video-harmonization-suite", "kind": "bench-results", "open": false,
     "entries": {"results.csv": [1234, 1733071200123456789], "parts": null}}

The rules, one helper for every writer:

* a missing or empty folder is created and marked; a non-empty folder without a marker is refused
  (:class:`OutputError`, one line naming the folder and what to do);
* a marked folder of another kind is refused; a marked folder of the same kind is resumed (``resume=True``)
  or, for one-shot outputs, refused unless ``overwrite=True``;
* ``overwrite`` removes only the entries the marker lists (recursing into sub-folders with their own marker);
  anything else in the folder — a file the user put there, or a suite file changed since it was written — is
  foreign and stays;
* while a writer works the marker is ``open`` and lists the foreign entries instead; :mod:`harmonizer.atomic`
  refuses to replace a foreign entry, so a user's ``README.md`` in a report folder is never overwritten;
* an output equal to, inside, or containing one of the command's inputs is refused.

::

    with output_dir(out, kind="bench-results", inputs=[data_dir], resume=True):
        ...write files into out...

    with fresh_output_dir(out, kind="harmonize", inputs=[video], overwrite=args.overwrite) as tmp:
        ...write the whole output into tmp...     # then it replaces the suite's entries of ``out``

    check_output_file(path, inputs=[...], overwrite=False, suffixes=(".csv",))   # a single file's name

A single-file output (a scores CSV, a video) sits in a folder the suite cannot mark; what its writer owns there is
kept in a record beside the file instead: :mod:`harmonizer.output_files`.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from harmonizer.atomic import MARKER, OutputError, swap_directory, temp_sibling, write_json_atomic

__all__ = ["MARKER", "OutputError", "read_marker", "foreign_entries", "owned_entries", "check_separate",
           "claim_dir", "finish_dir", "mark_dir", "output_dir", "fresh_output_dir", "remove_owned", "check_output_dir",
           "check_output_file"]

SUITE = "video-harmonization-suite"
_TEMP_PREFIX = ".tmp-"  # harmonizer.atomic's temporaries: always the suite's


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of ``folder``, or ``None`` when it has none (or an unreadable one)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("suite") == SUITE else None


def _names(folder: Path) -> set[str]:
    """Top-level entries, without the marker and the suite's own temporaries."""
    if not folder.is_dir():
        return set()
    return {n for n in os.listdir(folder) if n != MARKER and not n.startswith(_TEMP_PREFIX)}


def _signature(path: Path):
    """``[size, mtime_ns]`` of a file, ``None`` for a folder (a folder the suite made is the suite's)."""
    st = path.lstat()
    return None if path.is_dir() and not path.is_symlink() else [st.st_size, st.st_mtime_ns]


def _owned_names(folder: Path, marker: dict | None) -> set[str]:
    names = _names(folder)
    if marker is None:
        return set()
    if marker.get("open"):
        return names - set(marker.get("foreign", []))
    entries = marker.get("entries", {})
    return {n for n in names if n in entries and _signature(folder / n) == entries[n]}


def owned_entries(folder: str | os.PathLike) -> list[Path]:
    """Entries of ``folder`` the suite wrote (and that are unchanged since), in name order."""
    folder = Path(folder)
    return [folder / n for n in sorted(_owned_names(folder, read_marker(folder)))]


def foreign_entries(folder: str | os.PathLike) -> list[Path]:
    """Entries of ``folder`` the suite did not write (all of them when it has no marker), in name order."""
    folder = Path(folder)
    marker = read_marker(folder)
    return [folder / n for n in sorted(_names(folder) - _owned_names(folder, marker))]


def _resolved(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(os.path.expanduser(path))).resolve()


def check_separate(out: str | os.PathLike, inputs: Iterable[str | os.PathLike | None] = ()) -> None:
    """Refuse an output that is, lies inside, or contains one of ``inputs`` (``None`` items are skipped)."""
    o = _resolved(out)
    for item in inputs:
        if item is None:
            continue
        i = _resolved(item)
        if o == i:
            raise OutputError(f"output {out} is the input {item}; choose another output")
        if i in o.parents:
            raise OutputError(f"output {out} lies inside the input {item}; choose an output outside it")
        if o in i.parents:
            raise OutputError(f"output {out} contains the input {item}; choose an output that does not")


def _write_marker(folder: Path, kind: str, *, open_: bool, foreign: set[str] = frozenset()) -> None:
    data = {"suite": SUITE, "kind": kind, "open": open_}
    if open_:
        data["foreign"] = sorted(foreign)
    else:
        data["entries"] = {n: _signature(folder / n) for n in sorted(_names(folder) - set(foreign))}
    write_json_atomic(folder / MARKER, data, indent=1, sort_keys=True)


def remove_owned(folder: str | os.PathLike) -> list[Path]:
    """Delete the entries of ``folder`` the suite wrote (and its temporaries); a sub-folder with its own marker
    is emptied the same way and removed only when nothing foreign is left in it.  Returns what was kept."""
    folder = Path(folder)
    marker = read_marker(folder)
    kept = [folder / n for n in sorted(_names(folder) - _owned_names(folder, marker))]
    if not folder.is_dir():
        return kept
    doomed = [folder / n for n in _owned_names(folder, marker)]
    doomed += [folder / n for n in os.listdir(folder) if n.startswith(_TEMP_PREFIX)]
    for path in doomed:
        if path.is_dir() and not path.is_symlink():
            if read_marker(path) is not None:
                inner = remove_owned(path)
                if inner:
                    kept.extend(inner)
                    continue
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return kept


def _refuse_unmarked(folder: Path, legacy: Iterable[str]) -> None:
    names = _names(folder)
    if names and not any((folder / n).exists() for n in legacy):
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise OutputError(f"{folder} is not empty ({shown}) and was not written by this suite (no {MARKER}); "
                          f"choose a new or empty folder")


def _check_target(folder: Path, kind: str, inputs: Iterable, *, replace_ok: bool, legacy: Iterable[str] = (),
                  adopt: bool = False) -> dict | None:
    """The refusals every writer shares (module docstring); returns the folder's marker (None: unmarked)."""
    check_separate(folder, inputs)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder; choose a folder name")
    marker = read_marker(folder)
    if marker is None:
        if not adopt:
            _refuse_unmarked(folder, legacy)
    elif marker.get("kind") != kind:
        raise OutputError(f"{folder} holds a '{marker.get('kind')}' output, not a '{kind}' one; choose another folder")
    elif not replace_ok and _owned_names(folder, marker):
        raise OutputError(f"{folder} holds an earlier '{kind}' output; pass --overwrite to replace it "
                          f"(only files the suite wrote are replaced)")
    return marker


def claim_dir(folder: str | os.PathLike, *, kind: str, inputs: Iterable = (), overwrite: bool = False,
              resume: bool = False, legacy: Iterable[str] = (), adopt: bool = False) -> Path:
    """Open ``folder`` for writing a ``kind`` output (rules in the module docstring) and mark it ``open``.

    ``resume``: a marked folder of this kind is continued.  ``overwrite``: the suite's entries are removed first.
    ``legacy``: names whose presence marks a folder written before markers existed (adopted as the suite's);
    ``adopt``: the caller knows an unmarked folder is the suite's (e.g. a pipeline step with a stamp).
    Call :func:`finish_dir` when done (or use :func:`output_dir`)."""
    folder = Path(folder)
    marker = _check_target(folder, kind, inputs, replace_ok=resume or overwrite, legacy=legacy, adopt=adopt)
    # empty, or a legacy suite folder: everything in it is the suite's
    foreign = set() if marker is None else _names(folder) - _owned_names(folder, marker)
    if overwrite:
        remove_owned(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_marker(folder, kind, open_=True, foreign=foreign)
    return folder


def finish_dir(folder: str | os.PathLike) -> None:
    """Close ``folder``'s marker: every entry but the foreign ones is recorded as the suite's."""
    folder = Path(folder)
    marker = read_marker(folder)
    if marker is not None and marker.get("open"):
        _write_marker(folder, marker["kind"], open_=False, foreign=set(marker.get("foreign", [])))


def mark_dir(folder: str | os.PathLike, **claim_options) -> Path:
    """Check and mark ``folder`` like :func:`claim_dir` (``resume`` implied) without tracking the writer's files:
    for a folder several processes write at once (each of its sub-folders may be claimed on its own)."""
    folder = claim_dir(folder, resume=True, **claim_options)
    finish_dir(folder)
    return folder


@contextmanager
def output_dir(folder: str | os.PathLike, **claim_options) -> Iterator[Path]:
    """:func:`claim_dir`, yield the folder, then :func:`finish_dir` — also when the block raises, so what an
    interrupted writer left is known to be the suite's when the run is resumed or overwritten."""
    folder = claim_dir(folder, **claim_options)
    try:
        yield folder
    finally:
        finish_dir(folder)


@contextmanager
def fresh_output_dir(folder: str | os.PathLike, *, kind: str, inputs: Iterable = (),
                     overwrite: bool = False) -> Iterator[Path]:
    """A one-shot folder output written whole: yields an empty temporary folder; on success its entries replace
    the suite's entries of ``folder`` (one rename when nothing foreign is there), foreign entries stay; on
    failure ``folder`` is untouched."""
    folder = Path(folder)
    _check_target(folder, kind, inputs, replace_ok=overwrite)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(folder, suffix="")
    tmp.mkdir()
    try:
        yield tmp
        _write_marker(tmp, kind, open_=False)
        foreign = foreign_entries(folder)
        clash = [p for p in foreign if (tmp / p.name).exists()]
        if clash:
            raise OutputError(f"{clash[0]} was not written by this suite; move it away to write this output")
        if not foreign:
            swap_directory(tmp, folder)  # one rename: readers see the old output or the new one
        else:  # keep the user's entries: replace the suite's entries one by one
            remove_owned(folder)
            for name in sorted(os.listdir(tmp)):
                os.replace(tmp / name, folder / name)
            _write_marker(folder, kind, open_=False, foreign={p.name for p in foreign})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_output_dir(folder: str | os.PathLike, *, kind: str, inputs: Iterable = (), overwrite: bool = False) -> Path:
    """The refusals of :func:`fresh_output_dir` without writing anything: call it before the work of a one-shot
    folder output, so a refused folder costs nothing."""
    folder = Path(folder)
    _check_target(folder, kind, inputs, replace_ok=overwrite)
    return folder


def check_output_file(path: str | os.PathLike, *, inputs: Iterable = (), overwrite: bool = True,
                      suffixes: Iterable[str] | None = None, option: str = "--out") -> Path:
    """Refuse a single-file output that is a folder, one of ``inputs``, has a suffix not in ``suffixes``, or
    (``overwrite=False``) already exists."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option} {path} is a folder; give a file name")
    check_separate(path, inputs)
    suffixes = tuple(s.lower() for s in suffixes) if suffixes is not None else None
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(f"{option} {path}: the suffix '{path.suffix}' is not one this output can be written as "
                          f"({', '.join(suffixes)})")
    if path.exists() and not overwrite:
        raise OutputError(f"{option} {path} already exists; pass --overwrite to replace it or choose another name")
    return path
