"""The working-day calendar the follow-up policy counts in, checked around Idul Fitri 2024."""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from pantau.exceptions import ConfigError
from pantau.followup import add_days, days_between, is_counted_day
from pantau.settings import FollowUpPolicy

WORKING = FollowUpPolicy()
CALENDAR = FollowUpPolicy(working_days=False)
# Idul Fitri 1445 H: 10-11 April 2024 are national holidays; 8, 9, 12 and 15 April 2024 are cuti bersama
# (SKB Menteri Agama, Menteri Ketenagakerjaan dan Menteri PANRB No. 855/2023, 3/2023, 4/2023 on the 2024
# national holidays and cuti bersama).
LEBARAN_HOLIDAYS = [date(2024, 4, 10), date(2024, 4, 11)]
LEBARAN_CUTI_BERSAMA = [date(2024, 4, 8), date(2024, 4, 9), date(2024, 4, 12), date(2024, 4, 15)]


def test_the_pinned_library_files_lebaran_2024_as_public_and_cuti_bersama_as_government() -> None:
    public = holidays.country_holidays("ID", years=2024, categories=("public",))
    government = holidays.country_holidays("ID", years=2024, categories=("government",))
    assert all(d in public for d in LEBARAN_HOLIDAYS)
    assert all(d in government and d not in public for d in LEBARAN_CUTI_BERSAMA)


def test_no_day_of_lebaran_2024_counts_but_calendar_days_do() -> None:
    for day in LEBARAN_HOLIDAYS + LEBARAN_CUTI_BERSAMA:
        assert not is_counted_day(day, WORKING), day
        assert is_counted_day(day, CALENDAR), day
    assert not is_counted_day(date(2024, 4, 13), WORKING)  # Saturday
    assert is_counted_day(date(2024, 4, 16), WORKING)  # first working day after the break


def test_counting_across_lebaran_by_hand() -> None:
    # Friday 5 April 2024, then nothing counts until Tuesday 16 April.
    assert add_days(date(2024, 4, 5), 1, WORKING) == date(2024, 4, 16)
    assert add_days(date(2024, 4, 16), -1, WORKING) == date(2024, 4, 5)
    assert days_between(date(2024, 4, 5), date(2024, 4, 16), WORKING) == 1
    assert days_between(date(2024, 4, 5), date(2024, 4, 16), CALENDAR) == 11
    assert add_days(date(2024, 4, 5), 1, CALENDAR) == date(2024, 4, 6)


def test_policy_reads_the_cadence_and_refuses_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_REMINDER_EVERY_DAYS", "7")
    monkeypatch.setenv("PANTAU_DEADLINE_CALENDAR", "Calendar")
    policy = FollowUpPolicy.from_env()
    assert policy.reminder_every_days == 7 and not policy.working_days
    monkeypatch.setenv("PANTAU_DEADLINE_CALENDAR", "workdays")
    with pytest.raises(ConfigError, match="PANTAU_DEADLINE_CALENDAR must be 'working' or 'calendar'"):
        FollowUpPolicy.from_env()
    monkeypatch.setenv("PANTAU_DEADLINE_CALENDAR", "working")
    monkeypatch.setenv("PANTAU_REMINDER_EVERY_DAYS", "0")
    with pytest.raises(ConfigError, match="PANTAU_REMINDER_EVERY_DAYS must be at least 1"):
        FollowUpPolicy.from_env()
