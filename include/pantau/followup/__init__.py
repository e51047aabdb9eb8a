"""Follow-up of proven recommendations: deadlines, states, reminder cadence, blocking candidates.

The policy is configuration (:class:`pantau.settings.FollowUpPolicy`, docs/DOMAIN.md §2.4): every count
in working days (Asia/Jakarta; national holidays and cuti bersama excluded) unless the site chooses
calendar days. :mod:`.states` defines the states, :mod:`.reminders` the cadence the digest applies,
:mod:`.blocking` the list BKN and Kemendagri decide on.
"""

from pantau.followup.blocking import BLOCKING_COLUMNS, blocking_candidates
from pantau.followup.calendar import add_days, days_between, is_counted_day
from pantau.followup.reminders import REMINDER_COLUMNS, reminders_due
from pantau.followup.states import (
    BLOCKED_COLUMN,
    COARSE_STATES,
    DEADLINE_COLUMNS,
    STATES,
    STEPS,
    Deadlines,
    coarse_state,
    deadlines,
    follow_up_items,
    overdue_recommendations,
    state_on,
)

__all__ = ["BLOCKED_COLUMN", "BLOCKING_COLUMNS", "COARSE_STATES", "DEADLINE_COLUMNS", "REMINDER_COLUMNS", "STATES",
           "STEPS", "Deadlines", "add_days", "blocking_candidates", "coarse_state", "days_between", "deadlines",
           "follow_up_items", "is_counted_day", "overdue_recommendations", "reminders_due", "state_on"]
