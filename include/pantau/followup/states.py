"""Deadlines and states of proven recommendations (docs/DOMAIN.md §2.3, §2.4).

One row per proven recommendation with a date, answered or not, so the digest can say "answered since
the last message" as well as "overdue". As of a day ``t`` (a WIB calendar date), with the dates of
:class:`Deadlines`:

========== ==================================================================================
answered   a follow-up decree exists (the consolidated row has ``follow_up_id``); wins over all
blocked    no decree, and BKN's block of the personnel data is recorded on or before ``t``
           (input column :data:`BLOCKED_COLUMN`; no source provides it yet, so it stays empty
           unless a caller sets it)
escalated  ``t`` is after the escalation date
overdue    ``t`` is after the due date, up to and including the escalation date
due        ``t`` is inside the reminder window: from ``reminder_from`` up to and including the
           due date (the due date is the last day to act)
upcoming   ``t`` is before ``reminder_from``
========== ==================================================================================

States compare calendar dates, so an as-of date on a weekend after a Friday due date is ``overdue``;
counts (the window, the escalation step, the cadence) are in policy days (working days by default).
The published ``overdue_recommendations`` dataset keeps its meaning: unanswered rows only, with the
coarse ``state`` (``upcoming`` = upcoming or due, ``overdue``, ``escalated``; blocked rows keep their
date-based value) beside the full ``follow_up_state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import pandas as pd

from pantau.followup.calendar import add_days
from pantau.normalize.dates import working_days_between
from pantau.settings import FollowUpPolicy

__all__ = ["BLOCKED_COLUMN", "COARSE_STATES", "DEADLINE_COLUMNS", "STATES", "STEPS", "Deadlines", "coarse_state",
           "deadlines", "follow_up_items", "overdue_recommendations", "state_on"]

#: Every follow-up state, in the order a recommendation passes through them (answered can come at any time).
STATES: tuple[str, ...] = ("upcoming", "due", "overdue", "escalated", "blocked", "answered")
#: The states in which a reminder goes out: each is a step of the reminder ladder, with its own cadence.
STEPS: tuple[str, ...] = ("due", "overdue", "escalated", "blocked")
#: The published dataset's ``state`` (docs/DOMAIN.md §5), kept as it was before the follow-up module.
COARSE_STATES: tuple[str, ...] = ("upcoming", "overdue", "escalated")
#: Input column: the date BKN recorded the block of the person's personnel data (Peraturan BKN 1/2023).
BLOCKED_COLUMN = "blocked_on"
#: Columns :func:`follow_up_items` adds to the consolidated columns, in this order.
DEADLINE_COLUMNS = ["due_date", "escalation_date", "as_of", "state", "days_overdue", "follow_up_state", "step",
                    "reminder_from", "working_days_overdue"]


@dataclass(frozen=True)
class Deadlines:
    """The dates of one recommendation under a policy; the recommendation date itself is not counted."""

    recommended_on: date
    reminder_from: date  # first day of the reminder window (``reminder_days_before`` before the due date)
    due_date: date  # the last day the PPK has
    escalation_date: date  # the last day before BKN/Kemendagri are told


@lru_cache(maxsize=65536)
def deadlines(recommended_on: date, policy: FollowUpPolicy) -> Deadlines:
    due = add_days(recommended_on, policy.follow_up_days, policy)
    # The window never opens before the day after the recommendation: a short window policy must not
    # remind about a recommendation before it was issued.
    reminder_from = max(add_days(due, -policy.reminder_days_before, policy), recommended_on + timedelta(days=1))
    return Deadlines(recommended_on, min(reminder_from, due), due, add_days(due, policy.escalation_days, policy))


def coarse_state(dates: Deadlines, as_of: date) -> str:
    """The published ``state`` (upcoming, overdue, escalated), from the dates alone."""
    if as_of > dates.escalation_date:
        return "escalated"
    return "overdue" if as_of > dates.due_date else "upcoming"


def state_on(dates: Deadlines, as_of: date, *, answered: bool = False, blocked_on: date | None = None) -> str:
    """The follow-up state as of ``as_of`` (see the module docstring for the definitions)."""
    if answered:
        return "answered"
    if blocked_on is not None and blocked_on <= as_of:
        return "blocked"
    state = coarse_state(dates, as_of)
    if state == "upcoming" and as_of >= dates.reminder_from:
        return "due"
    return state


def _dates(values: pd.Series) -> list[date | None]:
    converted = pd.to_datetime(values.astype(object), errors="coerce", format="mixed")
    return [None if pd.isna(v) else v.date() for v in converted]


def follow_up_items(consolidated: pd.DataFrame, as_of: date, policy: FollowUpPolicy) -> pd.DataFrame:
    """Every proven recommendation with a date, answered or not, with its deadlines and state.

    Adds :data:`DEADLINE_COLUMNS`: ``state`` is the coarse published state (empty for answered rows),
    ``days_overdue`` calendar days after the due date (0 before it), ``working_days_overdue`` working
    days after it (the first working day after the due date is 1, as in ``blocking_candidates``),
    ``step`` the reminder step (the state when it is one of :data:`STEPS`, else empty).
    A proven recommendation without a date has no deadline; it is not an item (the validation suites
    report the missing date).
    """
    proven = consolidated[consolidated["terbukti"].eq(True).fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    recommended = pd.Series(_dates(proven["tanggal_rekomendasi"]), index=proven.index, dtype=object)
    dated = recommended.notna().to_numpy(dtype=bool)
    proven, recommended = proven[dated].reset_index(drop=True), recommended[dated].reset_index(drop=True)
    blocked = _dates(proven[BLOCKED_COLUMN]) if BLOCKED_COLUMN in proven else [None] * len(proven)
    answered = proven["follow_up_id"].notna() if "follow_up_id" in proven else pd.Series(False, index=proven.index)
    rows = [deadlines(d, policy) for d in recommended]
    proven["due_date"] = [d.due_date for d in rows]
    proven["escalation_date"] = [d.escalation_date for d in rows]
    proven["as_of"] = as_of
    states = [state_on(d, as_of, answered=bool(a), blocked_on=b) for d, a, b in zip(rows, answered, blocked, strict=True)]
    proven["state"] = pd.Series([None if s == "answered" else coarse_state(d, as_of)
                                 for d, s in zip(rows, states, strict=True)], index=proven.index, dtype=object)
    proven["days_overdue"] = [max((as_of - d.due_date).days, 0) for d in rows]
    proven["follow_up_state"] = states
    proven["step"] = pd.Series([s if s in STEPS else None for s in states], index=proven.index, dtype=object)
    proven["reminder_from"] = [d.reminder_from for d in rows]
    proven["working_days_overdue"] = [max(working_days_between(d.due_date, as_of), 0) for d in rows]
    return proven.reset_index(drop=True)


def overdue_recommendations(consolidated: pd.DataFrame, as_of: date, policy: FollowUpPolicy) -> pd.DataFrame:
    """The published ``overdue_recommendations`` dataset: the unanswered follow-up items (docs/DOMAIN.md §5)."""
    items = follow_up_items(consolidated, as_of, policy)
    items = items[items["follow_up_state"].ne("answered").to_numpy(dtype=bool)]
    return items.sort_values(["registry_kode_instansi", "due_date", "nomor_rekomendasi"]).reset_index(drop=True)
