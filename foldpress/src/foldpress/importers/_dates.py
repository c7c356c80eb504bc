"""Dates as the old engines read them.

Pelican reads a date with ``dateutil.parser.parse`` (``2014-06-06 2:00``,
``2012/10/19 10:20``), Jekyll with Ruby's ``Time.parse`` (``2016-09-26 21:00 -0700``)
and Hugo with its list of Go layouts (``Mon, 02 Jan 2006 15:04:05 MST``); dateutil
reads every one of those forms. What foldpress reads itself is read as foldpress
does, so that a date means the same before and after the import.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from dateutil import parser

from foldpress.reader import to_datetime

# Front matter keys that hold a date besides ``date``: each is read by the build.
OTHER_DATE_KEYS = ("updated", "lastmod", "modified", "last_modified_at", "expirydate")


def old_date(value: object, tz: tzinfo) -> tuple[datetime, object]:
    """``value`` as an aware datetime in ``tz``, and what to write in the new front
    matter: ``value`` itself where foldpress reads it, else that datetime. Raises
    ValueError if the old engine could not read it either."""
    try:
        return to_datetime(value, tz), value
    except ValueError:
        if not isinstance(value, str):
            raise
    try:
        when = parser.parse(value)
    except (ValueError, OverflowError):
        raise ValueError(value) from None
    when = when.replace(tzinfo=tz) if when.tzinfo is None else when.astimezone(tz)
    return when, when


def other_dates(front: dict, tz: tzinfo) -> list[str]:
    """Rewrite ``front``'s other dates in a form foldpress reads; the keys of those the
    old engine could not read either, which are left out."""
    dropped = []
    for key in OTHER_DATE_KEYS:
        if key in front and front[key] not in (None, ""):
            try:
                front[key] = old_date(front[key], tz)[1]
            except ValueError:
                dropped.append(key)
                front.pop(key)
    return dropped
