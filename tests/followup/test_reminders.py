"""Reminder cadence in working days across Idul Fitri 2024 and cuti bersama, against hand-computed dates."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pantau.followup import follow_up_items, reminders_due
from pantau.settings import FollowUpPolicy

POLICY = FollowUpPolicy()  # cadence: every 5 working days


def _consolidated(**rows: tuple[date, str | None]) -> pd.DataFrame:
    return pd.DataFrame([{"nomor_rekomendasi": n, "terbukti": True, "tanggal_rekomendasi": d, "follow_up_id": f,
                          "registry_kode_instansi": "33.10.01"} for n, (d, f) in rows.items()])


def _run_daily(consolidated: pd.DataFrame, first: date, last: date, policy: FollowUpPolicy = POLICY,
               ledger: dict[tuple[str, str], date] | None = None) -> list[tuple[date, str, str, str]]:
    """Run every calendar day like the DAG would, recording each message in the ledger as the digest will."""
    ledger = {} if ledger is None else ledger
    sent = []
    day = first
    while day <= last:
        due = reminders_due(follow_up_items(consolidated, day, policy), day, ledger, policy)
        for row in due.itertuples():
            ledger[(row.nomor_rekomendasi, row.step)] = day
            sent.append((day, row.nomor_rekomendasi, row.step, row.reminder))
        day += timedelta(days=1)
    return sent


def test_overdue_cadence_across_lebaran_and_the_escalation_step_by_hand() -> None:
    # Recommended Friday 8 March 2024: due Tuesday 2 April, escalation date Tuesday 30 April (test_states).
    sent = _run_daily(_consolidated(R1=(date(2024, 3, 8), None)), date(2024, 3, 25), date(2024, 5, 28))
    assert sent == [
        (date(2024, 3, 27), "R1", "due", "first"),          # window opens 3 working days before 2 April
        (date(2024, 4, 3), "R1", "overdue", "first"),       # the day after the due date: a new step
        # 4, 5, 16, 17, 18 April: 8-12 and 15 April (Lebaran, cuti bersama) do not count.
        (date(2024, 4, 18), "R1", "overdue", "repeat"),
        (date(2024, 4, 25), "R1", "overdue", "repeat"),     # 19, 22, 23, 24, 25 April
        # Escalated from Wednesday 1 May, Labour Day: nothing goes out on a holiday; Thursday 2 May.
        (date(2024, 5, 2), "R1", "escalated", "first"),
        # After 2 May: 3 (1), 6 (2), 7 (3), 8 (4), 9-10 May off (Ascension, cuti bersama), 13 (5).
        (date(2024, 5, 13), "R1", "escalated", "repeat"),
        (date(2024, 5, 20), "R1", "escalated", "repeat"),   # 14, 15, 16, 17, 20 May
        # 21, 22, 23-24 May off (Vesak, cuti bersama), 27, 28, 29: the next is after the last run.
    ]


def test_calendar_days_policy_counts_and_sends_on_every_day() -> None:
    policy = FollowUpPolicy(working_days=False)
    # Calendar days: due 22 March (8 + 14), escalation date 5 April (+ 14), escalated from Saturday 6 April.
    sent = _run_daily(_consolidated(R1=(date(2024, 3, 8), None)), date(2024, 4, 1), date(2024, 4, 12), policy,
                      ledger={("R1", "overdue"): date(2024, 3, 30)})
    assert sent == [(date(2024, 4, 4), "R1", "overdue", "repeat"),      # 5 calendar days after 30 March
                    (date(2024, 4, 6), "R1", "escalated", "first"),     # a Saturday counts
                    (date(2024, 4, 11), "R1", "escalated", "repeat")]   # Idul Fitri counts too


def test_weekend_and_holiday_runs_send_nothing_and_the_next_working_day_catches_up() -> None:
    items = follow_up_items(_consolidated(R1=(date(2024, 3, 8), None)), date(2024, 4, 13), POLICY)
    assert reminders_due(items, date(2024, 4, 13), {}, POLICY).empty  # Saturday in the Lebaran break
    monday = date(2024, 4, 15)  # cuti bersama
    assert reminders_due(follow_up_items(_consolidated(R1=(date(2024, 3, 8), None)), monday, POLICY), monday, {},
                         POLICY).empty
    tuesday = date(2024, 4, 16)
    due = reminders_due(follow_up_items(_consolidated(R1=(date(2024, 3, 8), None)), tuesday, POLICY), tuesday, {},
                        POLICY)
    assert due[["step", "reminder"]].values.tolist() == [["overdue", "first"]]
    assert due.loc[0, "next_reminder"] == date(2024, 4, 23)  # 17, 18, 19, 22, 23 April


def test_rerunning_a_day_or_an_earlier_day_sends_nothing_twice() -> None:
    consolidated = _consolidated(R1=(date(2024, 3, 8), None))
    day = date(2024, 4, 18)
    ledger = {("R1", "overdue"): day}
    assert reminders_due(follow_up_items(consolidated, day, POLICY), day, ledger, POLICY).empty
    earlier = date(2024, 4, 16)
    assert reminders_due(follow_up_items(consolidated, earlier, POLICY), earlier, ledger, POLICY).empty


def test_answered_items_are_reported_once_then_never_again() -> None:
    consolidated = _consolidated(R1=(date(2024, 3, 8), "BKD#1"), R2=(date(2024, 3, 8), "BKD#2"))
    day = date(2024, 4, 18)
    items = follow_up_items(consolidated, day, POLICY)
    ledger = {("R1", "overdue"): date(2024, 4, 3)}  # R2 was never reminded: its answer is no news
    due = reminders_due(items, day, ledger, POLICY)
    assert due[["nomor_rekomendasi", "step", "reminder"]].values.tolist() == [["R1", "answered", "answered"]]
    assert due.loc[0, "next_reminder"] is None
    ledger[("R1", "answered")] = day
    assert reminders_due(items, day + timedelta(days=1), ledger, POLICY).empty


def test_upcoming_items_and_items_without_a_number_are_not_reminded() -> None:
    consolidated = pd.concat([_consolidated(R1=(date(2024, 4, 1), None)),
                              _consolidated(R2=(date(2024, 3, 8), None)).assign(nomor_rekomendasi=None)])
    day = date(2024, 4, 16)  # R1 is due 29 April: upcoming
    assert reminders_due(follow_up_items(consolidated, day, POLICY), day, {}, POLICY).empty
