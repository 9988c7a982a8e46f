"""Single-file outputs: a record beside the file says what the suite wrote (docs/safety.md).

A single-file output (a scores CSV, a video) lands in a folder of the user's, which the suite cannot mark the way
:mod:`harmonizer.outputs` marks its own folders.  Its writer keeps a record beside the main file instead,
``<main>.<tool>.json`` (``scores.csv.userstudy.json``, ``out.mp4.harmonize.json``), listing every file it wrote
with its size and sha256, the command, its settings and the sha256 of its input files::

    {"suite": "video-harmonization-suite", "command": "fit", "written": "2026-12-02T01:00:00.123456+00:00",
     "files": {"scores.csv": {"size": 812, "sha256": "9f2c..."}}, "settings": {"seed": 0, ...},
     "inputs": {"answers.csv": "51e0..."}}

The rules, one pair of calls for every writer:

* an existing file is replaced only when the record lists it unchanged (same size and sha256); a file the suite did
  not write, one changed since, or a foreign file where the record goes is refused before any work, in one line
  naming it, unless ``overwrite``;
* a file the earlier record lists that this run does not write again is removed when unchanged (a file of the same
  name that the user put there or edited never is);
* a writer whose output is a folder keeps the folder marker for its files, and its record lists none (``files`` is
  empty): one bookkeeping per file.

::

    earlier = claim_files(out, [out, pairs], tool="userstudy", inputs=[answers], overwrite=args.overwrite,
                          suffixes=(".csv",))
    ...do the work; write out and pairs through harmonizer.atomic...
    write_files_record(out, [out, pairs], earlier, tool="userstudy", command="fit",
                       settings=command_settings(args), inputs=[answers])
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from harmonizer.atomic import OutputError, write_json_atomic
from harmonizer.digest import file_digest
from harmonizer.outputs import SUITE, check_output_file

__all__ = ["record_path", "read_record", "claim_files", "write_files_record", "command_settings"]

_RECORD_KEYS = frozenset({"suite", "command", "written", "files", "settings", "inputs"})


def record_path(main: str | os.PathLike, tool: str) -> Path:
    """The record beside a single-file output: ``record_path("scores.csv", "userstudy")`` is
    ``scores.csv.userstudy.json``."""
    main = Path(main)
    return main.with_name(f"{main.name}.{tool}.json")


def read_record(path: str | os.PathLike) -> dict | None:
    """The record at ``path``, or ``None`` when there is none (or the file there is not one of the suite's)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    ours = isinstance(data, dict) and data.get("suite") == SUITE and isinstance(data.get("files"), dict)
    return data if ours else None


def _unchanged_file(path: Path, record: dict | None) -> bool:
    """Whether ``path`` is a file ``record`` lists, with the size and sha256 it had when the suite wrote it."""
    entry = (record or {}).get("files", {}).get(path.name)
    return (isinstance(entry, dict) and path.is_file() and path.stat().st_size == entry.get("size")
            and file_digest(path) == entry.get("sha256"))


def _beside(main: Path, paths: Iterable[str | os.PathLike]) -> list[Path]:
    """``paths`` as Paths, each in ``main``'s folder (a record names its files by their bare names)."""
    paths = [Path(p) for p in paths]
    for p in paths:
        if os.path.abspath(p.parent) != os.path.abspath(main.parent):
            raise ValueError(f"{p} is not beside {main}: a record lists only files in its own folder")
    return paths


def claim_files(main: str | os.PathLike, paths: Iterable[str | os.PathLike], *, tool: str, inputs: Iterable = (),
                overwrite: bool = False, suffixes: Iterable[str] | None = None, option: str = "--out") -> dict | None:
    """Refuse, before any work, to replace a file the suite did not write: each of ``paths`` (the files a command
    will write beside ``main``) that exists must be listed, unchanged, in ``main``'s ``tool`` record, and a file
    where that record goes must be one of the suite's records, unless ``overwrite``.  Each path is also checked
    by :func:`check_output_file` (``inputs``, ``suffixes``).  Returns the earlier record (None: none)."""
    main = Path(main)
    paths = _beside(main, paths)
    record_file = record_path(main, tool)
    for path in paths:
        check_output_file(path, inputs=inputs, suffixes=suffixes, option=option)
    check_output_file(record_file, inputs=inputs, option="the record")
    record = read_record(record_file)
    if overwrite:
        return record
    if record is None and record_file.exists():
        raise OutputError(f"{record_file} exists and is not a record this suite wrote; move it away, or pass "
                          f"--overwrite to replace it")
    for path in paths:
        if path.exists() and not _unchanged_file(path, record):
            why = ("was changed since this suite wrote it" if path.name in (record or {}).get("files", {})
                   else f"was not written by this suite (no entry in {record_file.name})")
            raise OutputError(f"{path} already exists and {why}; pass --overwrite to replace it, or choose another "
                              f"{option}")
    return record


def write_files_record(main: str | os.PathLike, written: Iterable[str | os.PathLike], earlier: dict | None, *,
                       tool: str, command: str, settings: dict, inputs: Iterable = (),
                       fields: dict | None = None) -> Path:
    """After the files ``written`` beside ``main`` are in place: remove the suite's own files of the ``earlier``
    record (:func:`claim_files`'s answer) that this run did not write again (unchanged ones only), then write the
    record (atomically) and return its path.  ``inputs``: files hashed into the record (a folder is named, not
    hashed; ``None`` items skipped); ``fields``: extra top-level entries (a writer's own description)."""
    clash = sorted(_RECORD_KEYS & set(fields or {}))
    if clash:
        raise ValueError(f"record fields {clash} are the record's own entries")
    main = Path(main)
    written = _beside(main, written)
    names = {p.name for p in written}
    for name in (earlier or {}).get("files", {}):
        stale = main.with_name(Path(name).name)  # a bare file name beside main, whatever the record says
        if stale.name not in names and _unchanged_file(stale, earlier):
            stale.unlink()  # e.g. scores_pairs.csv of an earlier pairwise fit, now a ranking fit
    record = {"suite": SUITE, "command": command, "written": datetime.now(timezone.utc).isoformat(),
              "files": {p.name: {"size": p.stat().st_size, "sha256": file_digest(p)} for p in written},
              "settings": settings,
              "inputs": {str(p): file_digest(p) if Path(p).is_file() else None for p in inputs if p is not None},
              **(fields or {})}
    return write_json_atomic(record_path(main, tool), record, indent=1, sort_keys=True)


def command_settings(args) -> dict:
    """An argparse namespace as a record's ``settings`` (paths as strings)."""
    return {k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
            for k, v in vars(args).items()}
