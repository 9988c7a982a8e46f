"""Typed overrides of nested config dataclasses: one parser for every ``--set`` of the suite.

``apply_overrides(cfg, {"optim.lr": "1e-3", "schedule__bf16": "true", "model": {"depth": 3}})``
sets fields by dotted path (``section.field``; ``section__field`` is the keyword spelling; a
dict sets several fields of a section).  Every value is checked against the field's declared
type, and strings (what a command line gives) are parsed by it:

=================  ===========================================================
``float``          ``1e-3``, ``2``                (ints are widened to floats)
``int``            ``400``
``bool``           ``true`` / ``false`` (also yes/no, on/off, 1/0)
``str``            as written (a JSON-quoted string is unquoted)
``dict``           a JSON object, e.g. ``{"norm": "instance"}``
``X | None``       ``none`` or ``null`` → None, anything else as ``X``
=================  ===========================================================

A wrong value is a :class:`ConfigValueError` naming the field (``optim.lr: expected a float,
got 'abc'``); an unknown key is an :class:`UnknownFieldError` with close matches.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import numbers
import types
import typing
from typing import Any, Mapping

from harmonizer.cli import UsageError

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class UnknownFieldError(KeyError, UsageError):
    """An override names no field of the config; the message lists close matches (exit 2 on a command line)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class ConfigValueError(UsageError):
    """An override's value does not fit the field's type; the message names the field (exit 2 on a command line)."""


def parse_assignment(text: str) -> tuple[str, str]:
    """``"section.field=value"`` → ``("section.field", "value")``; the value stays a string for
    :func:`apply_overrides` to parse by the field's type."""
    if "=" not in text:
        raise ConfigValueError(f"override '{text}' must look like section.field=value")
    key, raw = text.split("=", 1)
    return key.strip(), raw.strip()


def apply_overrides(cfg: Any, overrides: Mapping[str, Any], *, what: str = "config") -> Any:
    """Set every ``key: value`` of ``overrides`` on the dataclass ``cfg`` (in place; returns ``cfg``)."""
    for key, value in overrides.items():
        _set_path(cfg, key.replace("__", ".").split("."), value, what)
    return cfg


def _set_path(obj: Any, parts: list[str], value: Any, what: str, done: str = "") -> None:
    name, rest = parts[0], parts[1:]
    where = f"{done}.{name}" if done else name
    known = {f.name: f for f in dataclasses.fields(obj)}
    if name not in known:
        candidates = [f"{done}.{k}" if done else k for k in known]
        close = difflib.get_close_matches(where, candidates + _nested_names(obj, done), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(candidates))}"
        raise UnknownFieldError(f"unknown {what} field '{'.'.join([where, *rest])}'{hint}")
    current = getattr(obj, name)
    if dataclasses.is_dataclass(current):
        if rest:
            _set_path(current, rest, value, what, where)
        elif isinstance(value, Mapping):
            for sub, v in value.items():
                _set_path(current, sub.replace("__", ".").split("."), v, what, where)
        else:
            raise ConfigValueError(f"{where}: a section; set its fields ({where}.FIELD=VALUE) or pass a dict")
        return
    if rest:
        raise UnknownFieldError(f"unknown {what} field '{'.'.join([where, *rest])}'; {where} has no fields")
    hint = typing.get_type_hints(type(obj)).get(name, Any)
    setattr(obj, name, coerce(value, hint, where))


def _nested_names(obj: Any, done: str) -> list[str]:
    names = []
    for f in dataclasses.fields(obj):
        sub = getattr(obj, f.name)
        if dataclasses.is_dataclass(sub):
            prefix = f"{done}.{f.name}" if done else f.name
            names += [f"{prefix}.{g.name}" for g in dataclasses.fields(sub)]
    return names


def coerce(value: Any, hint: Any, where: str) -> Any:
    """``value`` as the type ``hint`` (parsed when it is a string); :class:`ConfigValueError` otherwise."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null")):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return coerce(value, inner[0], where)
        return value
    origin = typing.get_origin(hint) or hint
    if origin is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigValueError(f"{where}: expected true or false, got {value!r}")
    if origin in (int, float):
        return _number(value, origin, where)
    if origin is str:
        if isinstance(value, str):
            text = value.strip()
            if len(text) >= 2 and text[0] == text[-1] == '"':
                try:
                    return str(json.loads(text))
                except json.JSONDecodeError:
                    pass
            return value
        raise ConfigValueError(f"{where}: expected a string, got {value!r}")
    if origin is dict:
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, dict):
                return parsed
        raise ConfigValueError(f"{where}: expected a JSON object such as {{\"key\": 1}}, got {value!r}")
    return value


def _number(value: Any, kind: type, where: str) -> int | float:
    """An int (ints only) or a float (ints widened) from a number or its text."""
    ok = (numbers.Integral,) if kind is int else (numbers.Real,)  # NumPy scalars too
    if isinstance(value, ok) and not isinstance(value, bool):
        return kind(value)
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            pass
    raise ConfigValueError(f"{where}: expected {'an integer' if kind is int else 'a float'}, got {value!r}")
