"""Dates as the site shows them."""

from __future__ import annotations

from datetime import datetime

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def long_date(when: datetime) -> str:
    """ "19 March 2025": the day without a leading zero, as every page shows dates."""
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"
