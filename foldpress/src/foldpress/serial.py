"""The build cache's data format: MessagePack, which holds data and nothing that runs.

Plain values (str, bytes, int, float, bool, None, lists, dicts) are MessagePack's own.
Tuples, dates, datetimes, paths and the dataclasses of the data model are extension
types, so a value reads back as what was written, whatever its field's type says, and
new fields need nothing here. A dataclass is stored as its class's name and its
instance dictionary (cached properties included, as pickle does), and read back only
if the name is a dataclass of :mod:`foldpress.model` or :mod:`foldpress.errors`:
reading a cache makes no object of any other class and calls no code of its.

Paths under ``root`` are stored relative to it, so that a site's cache reads back the
same however the site's folder is spelled (``blog/``, ``.``, an absolute path).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path, PurePath
from typing import Any
from zoneinfo import ZoneInfo

import msgpack

_TUPLE, _DATE, _DATETIME, _PATH, _DATACLASS = 1, 2, 3, 4, 5


class FormatError(ValueError):
    """The data is not what :func:`dumps` writes."""


def dumps(value: object, root: Path | None = None) -> bytes:
    """``value`` as MessagePack; paths under ``root`` relative to it."""
    # "." is how Path spells the current folder; paths under it do not start with "./".
    prefix = None if root is None else "" if str(root) == "." else str(root) + "/"

    def encode(obj: object) -> msgpack.ExtType:
        if isinstance(obj, tuple):
            return msgpack.ExtType(_TUPLE, _pack(list(obj)))
        if isinstance(obj, dt.datetime):
            return msgpack.ExtType(_DATETIME, _pack(_datetime_parts(obj)))
        if isinstance(obj, dt.date):
            return msgpack.ExtType(_DATE, obj.isoformat().encode())
        if isinstance(obj, PurePath):
            text = str(obj)
            if prefix is not None and text.startswith(prefix) and (prefix or not obj.is_absolute()):
                return msgpack.ExtType(_PATH, _pack([True, text[len(prefix) :]]))
            return msgpack.ExtType(_PATH, _pack([False, text]))
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            name = type(obj).__name__
            if _dataclasses().get(name) is not type(obj):
                raise TypeError(f"not a data model class: {type(obj).__qualname__}")
            return msgpack.ExtType(_DATACLASS, _pack([name, vars(obj)]))
        raise TypeError(f"cannot store {type(obj).__name__} in the cache")

    def _pack(obj: object) -> bytes:
        return msgpack.packb(obj, default=encode, strict_types=True, use_bin_type=True)

    return _pack(value)


def loads(data: bytes, root: Path | None = None) -> Any:
    """What :func:`dumps` wrote; relative paths are joined onto ``root``.

    Raises FormatError for anything else, and never runs code that the data names.
    """
    classes = _dataclasses()

    def decode(code: int, payload: bytes) -> object:
        if code == _TUPLE:
            return tuple(_unpack(payload))
        if code == _DATETIME:
            return _datetime(*_unpack(payload))
        if code == _DATE:
            return dt.date.fromisoformat(payload.decode())
        if code == _PATH:
            inside, text = _unpack(payload)
            return root / text if inside and root is not None else Path(text)
        if code == _DATACLASS:
            name, state = _unpack(payload)
            cls = classes.get(name)
            if cls is None or not isinstance(state, dict):
                raise FormatError(f"not a data model class: {name!r}")
            obj = cls.__new__(cls)  # no __init__ or __post_init__, as pickle does
            obj.__dict__.update(state)
            return obj
        raise FormatError(f"unknown extension type {code}")

    def _unpack(payload: bytes) -> Any:
        return msgpack.unpackb(payload, ext_hook=decode, strict_map_key=False, raw=False)

    try:
        return _unpack(data)
    except FormatError:
        raise
    except Exception as error:  # msgpack's own errors, and bad values inside extensions
        raise FormatError(f"{type(error).__name__}: {error}") from None


def _datetime_parts(when: dt.datetime) -> list[object]:
    """A datetime as its wall-clock time and its zone: an IANA name where it has one
    (so that it reads back with that zone's rules), else its UTC offset in seconds."""
    tz = when.tzinfo
    if tz is None:
        zone: object = None
    elif isinstance(tz, ZoneInfo):
        zone = tz.key
    else:
        offset = when.utcoffset()
        zone = None if offset is None else offset.total_seconds()
    return [when.replace(tzinfo=None).isoformat(), zone, when.fold]


def _datetime(naive: str, zone: object, fold: int) -> dt.datetime:
    when = dt.datetime.fromisoformat(naive).replace(fold=fold)
    if isinstance(zone, str):
        return when.replace(tzinfo=ZoneInfo(zone))
    if isinstance(zone, float | int):
        return when.replace(tzinfo=dt.timezone(dt.timedelta(seconds=zone)))
    return when


_CLASSES: dict[str, Any] = {}


def _dataclasses() -> dict[str, Any]:
    """The data model's dataclasses by name: the only classes a cache may hold."""
    if not _CLASSES:
        from foldpress import errors, model

        for module in (model, errors):
            for name, cls in vars(module).items():
                is_model = isinstance(cls, type) and cls.__module__ == module.__name__
                if is_model and dataclasses.is_dataclass(cls):
                    _CLASSES[name] = cls
    return _CLASSES
