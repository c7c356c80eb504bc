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


def _prefix(root: Path | None) -> str | None:
    # "." is how Path spells the current folder; paths under it do not start with "./".
    return None if root is None else "" if str(root) == "." else str(root) + "/"


def dumps(value: object, root: Path | None = None) -> bytes:
    """``value`` as MessagePack; paths under ``root`` relative to it."""
    prefix = _prefix(root)

    def encode(obj: object) -> msgpack.ExtType:
        if isinstance(obj, tuple):
            return msgpack.ExtType(_TUPLE, _pack(list(obj)))
        if isinstance(obj, dt.datetime):
            return msgpack.ExtType(_DATETIME, _datetime_bytes(obj))
        if isinstance(obj, dt.date):
            return msgpack.ExtType(_DATE, obj.isoformat().encode())
        if isinstance(obj, PurePath):
            text = str(obj)
            if prefix is not None and text.startswith(prefix) and (prefix or not obj.is_absolute()):
                return msgpack.ExtType(_PATH, b"r" + text[len(prefix) :].encode())
            return msgpack.ExtType(_PATH, b"a" + text.encode())
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
    prefix = _prefix(root)

    def decode(code: int, payload: bytes) -> object:
        if code == _TUPLE:
            return tuple(_unpack(payload))
        if code == _DATETIME:
            return _datetime(payload.decode())
        if code == _DATE:
            return dt.date.fromisoformat(payload.decode())
        if code == _PATH:
            text = payload[1:].decode()
            return Path(prefix + text if payload[:1] == b"r" and prefix is not None else text)
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


def _datetime_bytes(when: dt.datetime) -> bytes:
    """A datetime as ``WALL-CLOCK TIME|FOLD|ZONE``: the zone an IANA name where it has
    one (so that it reads back with that zone's rules), else ``@`` and its UTC offset in
    seconds, else nothing."""
    tz = when.tzinfo
    offset = when.utcoffset()
    if isinstance(tz, ZoneInfo):
        zone = tz.key
    else:
        zone = "" if offset is None else f"@{offset.total_seconds()!r}"
    return f"{when.replace(tzinfo=None).isoformat()}|{when.fold}|{zone}".encode()


def _datetime(text: str) -> dt.datetime:
    naive, fold, zone = text.split("|")
    when = dt.datetime.fromisoformat(naive).replace(fold=int(fold))
    if zone.startswith("@"):
        return when.replace(tzinfo=dt.timezone(dt.timedelta(seconds=float(zone[1:]))))
    return when.replace(tzinfo=ZoneInfo(zone)) if zone else when


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
