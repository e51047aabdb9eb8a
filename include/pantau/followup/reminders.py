"""Which follow-up items need a (re-)reminder today: the cadence the digest applies (docs/DOMAIN.md §2.4).

The digest keeps a ledger of what it sent: for each recommendation number and step (a state of
:data:`pantau.followup.states.STEPS`), the as-of date of the last message that mentioned it. From that
ledger, :func:`reminders_due` decides:

- an item entering a step (no ledger entry for ``(recommendation, step)``) is reminded at once, so the
  move from due to overdue, to escalated or to blocked is news the same day;
- an item still in the same step is reminded again once ``reminder_every_days`` policy days (working
  days by default) have passed since the last reminder of that step, counted as in
  :func:`pantau.followup.calendar.days_between` (the day after the last one is day 1);
- an answered item the ledger knows under any step, and not yet as ``answered``, is reported once, so
  the digest can say "answered since the last message";
- upcoming items are never reminded.

Under working days nothing is due on a weekend, a holiday or a cuti bersama day: the items wait for
the next working day's run, whose count still includes them (``>=``), so a missed run delays a
reminder and never drops it. A ledger date after ``as_of`` (a re-run of an earlier day) never
triggers a repeat, so re-running a day sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from pantau.followup.calendar import add_days, days_between, is_counted_day
from pantau.followup.states import STEPS
from pantau.settings import FollowUpPolicy

__all__ = ["REMINDER_COLUMNS", "reminders_due"]

#: Columns :func:`reminders_due` adds to the item columns.
REMINDER_COLUMNS = ["reminder", "last_sent", "next_reminder"]


def reminders_due(items: pd.DataFrame, as_of: date, last_sent: Mapping[tuple[str, str], date],
                  policy: FollowUpPolicy) -> pd.DataFrame:
    """The rows of ``items`` (:func:`pantau.followup.states.follow_up_items`) that need a message today.

    ``last_sent`` maps ``(nomor_rekomendasi, step)`` to the date of the last message for that step
    (``step`` ``"answered"`` once the answer was reported). Returns the rows with ``step`` set to the
    step to record in the ledger after sending (``"answered"`` for answered rows), ``reminder`` =
    ``first``, ``repeat`` or ``answered``, ``last_sent`` (the previous date of that step, or empty) and
    ``next_reminder`` (the earliest day a repeat is due if this one is sent today; empty for answered).
    Rows without a recommendation number cannot be recorded in a ledger and are never returned.
    """
    out = items.iloc[:0].assign(**{c: pd.Series(dtype=object) for c in REMINDER_COLUMNS})
    if items.empty or not is_counted_day(as_of, policy):
        return out.reset_index(drop=True)
    known = {number for number, step in last_sent if step in STEPS}
    picked: list[int] = []
    steps: list[str] = []
    kinds: list[str] = []
    previous: list[date | None] = []
    for position, (number, state, step) in enumerate(zip(items["nomor_rekomendasi"], items["follow_up_state"],
                                                         items["step"], strict=True)):
        if number is None or pd.isna(number):
            continue
        if state == "answered":
            if number in known and (number, "answered") not in last_sent:
                picked.append(position), steps.append("answered"), kinds.append("answered"), previous.append(None)
            continue
        if step not in STEPS:
            continue
        last = last_sent.get((number, step))
        if last is None:
            kind = "first"
        elif days_between(last, as_of, policy) >= policy.reminder_every_days:
            kind = "repeat"
        else:
            continue
        picked.append(position), steps.append(step), kinds.append(kind), previous.append(last)
    if not picked:
        return out.reset_index(drop=True)
    due = items.iloc[picked].copy()
    due["step"] = steps
    due["reminder"] = kinds
    due["last_sent"] = previous
    following = add_days(as_of, policy.reminder_every_days, policy)
    due["next_reminder"] = [None if k == "answered" else following for k in kinds]
    return due.reset_index(drop=True)
