"""Deadlines and states at their boundaries, hand-computed around Idul Fitri 2024 (docs/DOMAIN.md §2.4)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pantau.followup import (
    DEADLINE_COLUMNS,
    STATES,
    blocking_candidates,
    deadlines,
    follow_up_items,
    overdue_recommendations,
    state_on,
)
from pantau.settings import FollowUpPolicy

POLICY = FollowUpPolicy()  # 14 + 14 working days, window 3 working days, cadence 5


def test_deadlines_across_lebaran_by_hand() -> None:
    # Monday 1 April 2024: 2-5 April count 4, 8-15 April are Lebaran and cuti bersama, 16-19 April reach 8,
    # 22-26 April 13, Monday 29 April is day 14. Escalation: 30 April 1, 1 May (Labour Day) no, 2-3 May 3,
    # 6-8 May 6, 9-10 May (Ascension, cuti bersama) no, 13-17 May 11, 20-22 May 14.
    dates = deadlines(date(2024, 4, 1), POLICY)
    assert dates.due_date == date(2024, 4, 29)
    assert dates.escalation_date == date(2024, 5, 22)
    assert dates.reminder_from == date(2024, 4, 24)  # 26, 25, 24 April are the 3 working days before
    # Friday 8 March 2024: Nyepi (11 March) and its cuti bersama (12 March), Good Friday (29 March) skipped.
    dates = deadlines(date(2024, 3, 8), POLICY)
    assert (dates.reminder_from, dates.due_date, dates.escalation_date) == (
        date(2024, 3, 27), date(2024, 4, 2), date(2024, 4, 30))
    # The window before a due date right after Lebaran reaches back over it: 16 April due, 5, 4, 3 April.
    dates = deadlines(date(2024, 3, 18), POLICY)
    assert (dates.reminder_from, dates.due_date, dates.escalation_date) == (
        date(2024, 4, 3), date(2024, 4, 16), date(2024, 5, 7))


def test_calendar_days_policy() -> None:
    dates = deadlines(date(2024, 4, 1), FollowUpPolicy(working_days=False))
    assert (dates.reminder_from, dates.due_date, dates.escalation_date) == (
        date(2024, 4, 12), date(2024, 4, 15), date(2024, 4, 29))


@pytest.mark.parametrize(("as_of", "state"), [
    (date(2024, 4, 23), "upcoming"),   # the day before the window opens
    (date(2024, 4, 24), "due"),        # the window's first day
    (date(2024, 4, 29), "due"),        # the due date itself is the last day to act
    (date(2024, 4, 30), "overdue"),    # the day after
    (date(2024, 5, 22), "overdue"),    # the escalation date itself
    (date(2024, 5, 23), "escalated"),  # the day after (a holiday: states compare dates)
])
def test_state_boundaries(as_of: date, state: str) -> None:
    assert state_on(deadlines(date(2024, 4, 1), POLICY), as_of) == state


def test_weekend_as_of_after_a_friday_due_date_is_overdue() -> None:
    # Tuesday 7 May 2024: 8 May 1, 9-10 May off, 13-17 May 6, 20-22 May 9, 23-24 May off, 27-31 May 14.
    dates = deadlines(date(2024, 5, 7), POLICY)
    assert dates.due_date == date(2024, 5, 31)
    assert state_on(dates, date(2024, 6, 1)) == "overdue"  # Saturday
    assert state_on(dates, date(2024, 5, 31)) == "due"


def test_answered_and_blocked_win() -> None:
    dates = deadlines(date(2024, 4, 1), POLICY)
    assert state_on(dates, date(2024, 6, 3), answered=True, blocked_on=date(2024, 5, 30)) == "answered"
    assert state_on(dates, date(2024, 6, 3), blocked_on=date(2024, 5, 30)) == "blocked"
    assert state_on(dates, date(2024, 5, 29), blocked_on=date(2024, 5, 30)) == "escalated"  # not yet recorded


def _consolidated() -> pd.DataFrame:
    rows = [
        ("R-1", True, date(2024, 4, 1), None, None),             # due on 29 April
        ("R-2", True, date(2024, 4, 1), "BKD#7", None),          # answered
        ("R-3", True, date(2024, 3, 1), None, "2024-05-06"),     # escalated, then blocked
        ("R-4", True, date(2024, 3, 1), None, None),             # escalated
        ("R-5", False, date(2024, 3, 1), None, None),            # not proven: no follow-up owed
        ("R-6", True, None, None, None),                         # no date: no deadline
        ("R-7", True, date(2024, 4, 22), None, None),            # upcoming
    ]
    return pd.DataFrame([{"nomor_rekomendasi": n, "terbukti": t, "tanggal_rekomendasi": d, "follow_up_id": f,
                          "blocked_on": b, "registry_kode_instansi": "33.10.01", "nip": f"nip-{n}"}
                         for n, t, d, f, b in rows])


def test_items_hold_answered_rows_and_the_published_dataset_does_not() -> None:
    as_of = date(2024, 5, 7)
    items = follow_up_items(_consolidated(), as_of, POLICY)
    by_number = items.set_index("nomor_rekomendasi")
    assert by_number["follow_up_state"].to_dict() == {"R-1": "overdue", "R-2": "answered", "R-3": "blocked",
                                                       "R-4": "escalated", "R-7": "upcoming"}
    assert set(items["follow_up_state"]) <= set(STATES)
    assert by_number["step"].to_dict() == {"R-1": "overdue", "R-2": None, "R-3": "blocked", "R-4": "escalated",
                                           "R-7": None}
    # The coarse published state keeps its three values; answered rows have none.
    assert by_number["state"].to_dict() == {"R-1": "overdue", "R-2": None, "R-3": "escalated", "R-4": "escalated",
                                            "R-7": "upcoming"}
    # 30 April, 2, 3, 6, 7 May: five working days after 29 April; eight calendar days.
    assert by_number.loc["R-1", "working_days_overdue"] == 5 and by_number.loc["R-1", "days_overdue"] == 8
    assert by_number.loc["R-7", "working_days_overdue"] == 0 and by_number.loc["R-7", "days_overdue"] == 0

    published = overdue_recommendations(_consolidated(), as_of, POLICY)
    assert sorted(published["nomor_rekomendasi"]) == ["R-1", "R-3", "R-4", "R-7"]
    assert list(published.columns[-len(DEADLINE_COLUMNS):]) == DEADLINE_COLUMNS
    assert published["follow_up_id"].isna().all() and published["terbukti"].eq(True).all()


def test_dates_read_back_from_parquet_or_text_give_the_same_items() -> None:
    as_of = date(2024, 5, 7)
    direct = follow_up_items(_consolidated(), as_of, POLICY)
    texts = _consolidated().assign(tanggal_rekomendasi=lambda f: pd.to_datetime(f["tanggal_rekomendasi"]))
    again = follow_up_items(texts, as_of, POLICY)
    for column in ("due_date", "escalation_date", "follow_up_state", "working_days_overdue"):
        assert again[column].tolist() == direct[column].tolist(), column


def test_a_recorded_block_is_no_longer_a_blocking_candidate() -> None:
    as_of = date(2024, 5, 7)
    published = overdue_recommendations(_consolidated(), as_of, POLICY)
    assert blocking_candidates(published, as_of)["nomor_rekomendasi"].tolist() == ["R-4"]
    # Without the follow-up state (an older dataset) every escalated row stays a candidate.
    assert sorted(blocking_candidates(published.drop(columns="follow_up_state"), as_of)["nomor_rekomendasi"]) == [
        "R-3", "R-4"]


def test_unknown_proven_flags_are_not_items() -> None:
    # Parquet gives the proven flag as a nullable boolean; an unknown flag owes no follow-up yet.
    consolidated = _consolidated().assign(terbukti=lambda f: pd.array([True, True, True, True, False, None, pd.NA],
                                                                      dtype="boolean"))
    items = follow_up_items(consolidated, date(2024, 5, 7), POLICY)
    assert sorted(items["nomor_rekomendasi"]) == ["R-1", "R-2", "R-3", "R-4"]
