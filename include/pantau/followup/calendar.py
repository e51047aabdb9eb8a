"""Day counting under the follow-up policy: working days (the default) or calendar days.

Working days are Monday to Friday minus Indonesian national holidays and *cuti bersama*, taken from
the ``holidays`` package, country ``ID``, categories PUBLIC and GOVERNMENT (the latter holds cuti
bersama); the arithmetic lives in :mod:`pantau.normalize.dates`, this module only chooses the unit.
Dates are calendar dates in Asia/Jakarta (docs/DOMAIN.md §2.4): the run's as-of date is already a WIB
date when it reaches this module.
"""

from __future__ import annotations

from datetime import date, timedelta

from pantau.normalize.dates import add_working_days, is_working_day, working_days_between
from pantau.settings import FollowUpPolicy

__all__ = ["add_days", "days_between", "is_counted_day"]


def add_days(start: date, days: int, policy: FollowUpPolicy) -> date:
    """``days`` policy days after ``start`` (before it when negative); ``start`` itself is not counted."""
    return add_working_days(start, days) if policy.working_days else start + timedelta(days=days)


def days_between(a: date, b: date, policy: FollowUpPolicy) -> int:
    """Policy days in ``(a, b]``: the day after ``a`` is day 1 when it counts; negative when ``b < a``."""
    return working_days_between(a, b) if policy.working_days else (b - a).days


def is_counted_day(day: date, policy: FollowUpPolicy) -> bool:
    """True when ``day`` counts under the policy (every day with calendar days)."""
    return is_working_day(day) if policy.working_days else True
