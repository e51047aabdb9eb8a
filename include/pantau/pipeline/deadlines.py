"""Follow-up deadlines under the configured policy (working days skip weekends, holidays, cuti bersama)."""

from __future__ import annotations

from datetime import date, timedelta

from pantau.normalize.dates import add_working_days
from pantau.settings import FollowUpPolicy


def add_days(start: date, days: int, policy: FollowUpPolicy) -> date:
    return add_working_days(start, days) if policy.working_days else start + timedelta(days=days)


def follow_up_due(recommended_on: date, policy: FollowUpPolicy) -> date:
    return add_days(recommended_on, policy.follow_up_days, policy)


def escalation_due(recommended_on: date, policy: FollowUpPolicy) -> date:
    return add_days(follow_up_due(recommended_on, policy), policy.escalation_days, policy)
