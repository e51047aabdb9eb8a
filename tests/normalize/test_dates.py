"""Tests for pantau.normalize.dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from pantau.normalize.dates import (
    add_working_days,
    excel_serial_to_date,
    is_working_day,
    parse_date,
    parse_date_detailed,
    parse_timestamp,
    working_days_between,
)
from pantau.reasons import REASONS

D = date(2024, 3, 14)

DATES: list[tuple[object, date | None, str | None]] = [
    (D, D, None),
    (datetime(2024, 3, 14, 23, 59), D, None),
    (pd.Timestamp("2024-03-14 10:00"), D, None),
    (np.datetime64("2024-03-14"), D, None),
    ("2024-03-14", D, None),
    ("2024/03/14", D, None),
    ("2024-03-14T09:15:00+07:00", D, None),
    ("20240314", D, None),
    ("14/03/2024", D, None),
    ("14-03-2024", D, None),
    ("14.03.2024", D, None),
    ("4/3/2024", date(2024, 3, 4), None),  # day first, always
    ("14/3/24", D, None),
    ("14 Maret 2024", D, None),
    ("14 maret 2024", D, None),
    ("14 Mar 2024", D, None),
    ("14-Mar-2024", D, None),
    ("Kamis, 14 Maret 2024", D, None),
    ("3 Mei 2024", date(2024, 5, 3), None),
    ("17 Agustus 2024", date(2024, 8, 17), None),
    ("17 Agt 2024", date(2024, 8, 17), None),
    ("17 Agu 2024", date(2024, 8, 17), None),
    ("1 Okt 2024", date(2024, 10, 1), None),
    ("10 Nop 2023", date(2023, 11, 10), None),
    ("10 Nov 2023", date(2023, 11, 10), None),
    ("10 Nopember 2023", date(2023, 11, 10), None),
    ("25 Des 2024", date(2024, 12, 25), None),
    ("5 Pebruari 2024", date(2024, 2, 5), None),
    ("March 14, 2024", D, None),
    (45365, D, None),
    (45365.75, D, None),
    ("45365", D, None),
    ("45365.0", D, None),
    (np.int64(45365), D, None),
    ("29 Februari 2024", date(2024, 2, 29), None),
    ("30 Februari 2024", None, "impossible_date"),
    ("29/02/2023", None, "impossible_date"),
    ("31/04/2024", None, "impossible_date"),
    ("0024-03-14", None, "impossible_date"),
    (60, None, "impossible_date"),  # Excel's phantom 29 Feb 1900
    (10000, None, "impossible_date"),  # 1927: outside the serial range
    (99999, None, "impossible_date"),
    ("14 Foo 2024", None, "unparseable_date"),
    ("2024", None, "unparseable_date"),  # a year alone is not a date; dateutil would invent one
    ("Maret 2024", None, "unparseable_date"),
    ("besok", None, "unparseable_date"),
    ("", None, "unparseable_date"),
    (None, None, "unparseable_date"),
    (float("nan"), None, "unparseable_date"),
    (np.datetime64("NaT"), None, "unparseable_date"),
    (True, None, "unparseable_date"),
    ([2024, 3, 14], None, "unparseable_date"),
]


@pytest.mark.parametrize(("value", "expected", "reason"), DATES)
def test_parse_date_detailed(value: object, expected: date | None, reason: str | None) -> None:
    assert parse_date_detailed(value) == (expected, reason)
    assert reason is None or reason in REASONS
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (60, None),  # 29 Feb 1900 never existed
        (61, date(1900, 3, 1)),
        (45365, D),
        (0, None),
    ],
)
def test_excel_serial_quirk(serial: int, expected: date | None) -> None:
    assert excel_serial_to_date(serial) == expected


WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))
WIT = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-20T09:15:00+07:00", datetime(2023, 11, 20, 9, 15, tzinfo=WIB)),
        ("2023-11-20T09:15:00+08:00", datetime(2023, 11, 20, 9, 15, tzinfo=WITA)),
        ("2023-11-20T02:15:00Z", datetime(2023, 11, 20, 2, 15, tzinfo=UTC)),
        ("2023-11-20T09:15:00", datetime(2023, 11, 20, 9, 15, tzinfo=WIB)),
        ("2023-11-20 09:15 WIB", datetime(2023, 11, 20, 9, 15, tzinfo=WIB)),
        ("2023-11-20 09:15 WITA", datetime(2023, 11, 20, 9, 15, tzinfo=WITA)),
        ("2023-11-20 09:15 WIT", datetime(2023, 11, 20, 9, 15, tzinfo=WIT)),
        ("2023-11-20 09:15 wita", datetime(2023, 11, 20, 9, 15, tzinfo=WITA)),
        ("20/11/2023 09:15", datetime(2023, 11, 20, 9, 15, tzinfo=WIB)),
        ("Senin, 20 Nopember 2023 09:15 WIT", datetime(2023, 11, 20, 9, 15, tzinfo=WIT)),
        ("2023-11-20", datetime(2023, 11, 20, tzinfo=WIB)),
        ("20 November 2023", datetime(2023, 11, 20, tzinfo=WIB)),
        (datetime(2023, 11, 20, 9, 15), datetime(2023, 11, 20, 9, 15, tzinfo=WIB)),
        (datetime(2023, 11, 20, 9, 15, tzinfo=UTC), datetime(2023, 11, 20, 9, 15, tzinfo=UTC)),
        (date(2023, 11, 20), datetime(2023, 11, 20, tzinfo=WIB)),
        (45365, datetime(2024, 3, 14, tzinfo=WIB)),
        ("nanti", None),
        ("09:15", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


def test_parse_timestamp_default_zone() -> None:
    parsed = parse_timestamp("2023-11-20 09:15", default_tz="Asia/Makassar")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2024, 3, 14), 0, date(2024, 3, 14)),
        (date(2024, 3, 14), 1, date(2024, 3, 15)),
        (date(2024, 3, 15), 1, date(2024, 3, 18)),  # Friday -> Monday
        (date(2024, 3, 16), 1, date(2024, 3, 18)),  # from a Saturday
        (date(2024, 4, 5), 1, date(2024, 4, 16)),  # Idul Fitri 2024 with cuti bersama 8-15 April
        (date(2024, 3, 8), 2, date(2024, 3, 14)),  # Nyepi 11 Mar + cuti bersama 12 Mar
        (date(2024, 3, 1), 14, date(2024, 3, 25)),
        (date(2024, 12, 20), 6, date(2025, 1, 2)),  # across the year end: 25, 26 Dec, 1 Jan
        (date(2024, 3, 18), -1, date(2024, 3, 15)),
        (date(2024, 3, 17), -1, date(2024, 3, 15)),  # from a Sunday
        (date(2024, 4, 16), -1, date(2024, 4, 5)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


def test_working_days_between_agrees_with_add() -> None:
    start = date(2024, 3, 1)
    for n in range(0, 40):
        due = add_working_days(start, n)
        assert working_days_between(start, due) == n
        assert working_days_between(due, start) == -n


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2024, 4, 5), date(2024, 4, 16), 1),
        (date(2024, 3, 16), date(2024, 3, 18), 1),
        (date(2024, 3, 16), date(2024, 3, 17), 0),
    ],
)
def test_working_days_between(a: date, b: date, expected: int) -> None:
    assert working_days_between(a, b) == expected


def test_is_working_day() -> None:
    assert is_working_day(date(2024, 3, 14))
    assert not is_working_day(date(2024, 3, 16))  # Saturday
    assert not is_working_day(date(2024, 4, 9))  # cuti bersama
    assert not is_working_day(date(2024, 8, 17))


def test_working_days_between_matches_a_day_by_day_count() -> None:
    a, b = date(2023, 12, 15), date(2025, 1, 10)
    expected = sum(is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
    assert working_days_between(a, b) == expected
