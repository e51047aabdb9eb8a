"""Read dates and timestamps as Indonesian sources write them, and count working days.

Sources write ``2024-03-14``, ``14/03/2024`` (always day first), ``14 Maret 2024`` or Excel serial
numbers, sometimes with a weekday in front (``Kamis, 14 Maret 2024``). Timestamps carry an offset
or a zone word (WIB +07:00, WITA +08:00, WIT +09:00); naive ones are Asia/Jakarta (docs/DOMAIN.md §2.4).

Working days skip weekends, national holidays and *cuti bersama*: the ``holidays`` package,
country ``ID``, categories PUBLIC and GOVERNMENT.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from dateutil import parser as dateutil_parser

__all__ = [
    "add_working_days",
    "excel_serial_to_date",
    "is_working_day",
    "parse_date",
    "parse_date_detailed",
    "parse_timestamp",
    "working_days_between",
]

JAKARTA = ZoneInfo("Asia/Jakarta")
ZONE_WORDS: dict[str, tzinfo] = {
    "WIB": JAKARTA,
    "WITA": ZoneInfo("Asia/Makassar"),
    "WIT": ZoneInfo("Asia/Jayapura"),
}

# Excel serials accepted as dates. Narrow on purpose: a bare number is far more often a count, a
# row number or a damaged NIP than a date, so only the span of plausible records counts.
SERIAL_MIN_YEAR = 1990
SERIAL_MAX_YEAR = 2035
# Dates written as text outside this span are typos (year 2204, 0024), not history.
TEXT_MIN_YEAR = 1900
TEXT_MAX_YEAR = 2100
_EXCEL_EPOCH = date(1899, 12, 30)
# Excel's 1900 date system counts a 29 February 1900 that never existed (a Lotus 1-2-3 bug it
# kept), so serial 60 is no day and serials 1-59 are one day off from the simple formula.
_EXCEL_FAKE_LEAP_DAY = 60

MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agust": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip
_ENGLISH_MONTH = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_WEEKDAY_PREFIX = re.compile(
    r"^(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s*,?\s*",
    re.IGNORECASE,
)
_ISO = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[T ].*)?")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_DAY_FIRST = re.compile(
    r"([0-9]{1,2})\s*[-/.]\s*([0-9]{1,2})\s*[-/.]\s*([0-9]{4}|[0-9]{2})(?:\s+[0-9]{1,2}[:.][0-9]{2}.*)?"
)
_MONTH_NAME = re.compile(
    r"([0-9]{1,2})[\s\-/.]*([A-Za-z]+)\.?[\s\-/.,]*([0-9]{4}|[0-9]{2})(?:\s+[0-9]{1,2}[:.][0-9]{2}.*)?"
)
_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_CLOCK = re.compile(r"[0-9]{1,2}:[0-9]{2}")
_DAY_NUMBER = re.compile(r"(?<![0-9])[0-9]{1,2}(?![0-9])")
_YEAR4 = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
_ZONE_SUFFIX = re.compile(r"\s*\b(WIB|WITA|WIT)\s*$", re.IGNORECASE)


def excel_serial_to_date(serial: float) -> date | None:
    """Convert an Excel 1900-system serial to a date; ``None`` for serial 60 or below 1.

    The time-of-day fraction is dropped.
    """
    day = math.floor(serial)
    if day < 1 or day == _EXCEL_FAKE_LEAP_DAY:
        return None
    if day < _EXCEL_FAKE_LEAP_DAY:
        day += 1
    try:
        return _EXCEL_EPOCH + timedelta(days=day)
    except OverflowError:
        return None


def _two_digit_year(year: int) -> int:
    # Records are from 1990 onward; "24" is 2024 and "98" is 1998.
    return year + (2000 if year < 70 else 1900)


def _build(year: int, month: int, day: int) -> tuple[date | None, str | None]:
    if not TEXT_MIN_YEAR <= year <= TEXT_MAX_YEAR:
        return None, "impossible_date"
    try:
        return date(year, month, day), None
    except ValueError:
        return None, "impossible_date"


def _from_serial(serial: float) -> tuple[date | None, str | None]:
    if math.isnan(serial) or math.isinf(serial):
        return None, "unparseable_date"
    converted = excel_serial_to_date(serial)
    if converted is None or not SERIAL_MIN_YEAR <= converted.year <= SERIAL_MAX_YEAR:
        return None, "impossible_date"
    return converted, None


def _from_text(text: str) -> tuple[date | None, str | None]:
    text = _WEEKDAY_PREFIX.sub("", text.strip())
    if not text:
        return None, "unparseable_date"
    if m := _ISO.fullmatch(text):
        return _build(int(m[1]), int(m[2]), int(m[3]))
    if m := _COMPACT.fullmatch(text):
        return _build(int(m[1]), int(m[2]), int(m[3]))
    if m := _DAY_FIRST.fullmatch(text):
        year = int(m[3]) if len(m[3]) == 4 else _two_digit_year(int(m[3]))
        return _build(year, int(m[2]), int(m[1]))
    if m := _MONTH_NAME.fullmatch(text):
        month = MONTHS.get(m[2].lower())
        if month is None:
            return None, "unparseable_date"
        year = int(m[3]) if len(m[3]) == 4 else _two_digit_year(int(m[3]))
        return _build(year, month, int(m[1]))
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text))
    return _from_dateutil(text)


def _translate_months(text: str) -> str:
    return re.sub(
        r"[A-Za-z]+",
        lambda m: _ENGLISH_MONTH[MONTHS[m[0].lower()]] if m[0].lower() in MONTHS else m[0],
        text,
    )


def _from_dateutil(text: str) -> tuple[date | None, str | None]:
    # Last resort for forms like "March 14, 2024". dateutil fills missing parts from today's
    # date, which would invent data, so it only sees text with a day, a month name and a year.
    has_month = any(word.lower() in MONTHS for word in re.findall(r"[A-Za-z]+", text))
    if not has_month or not _YEAR4.search(text) or not _DAY_NUMBER.search(text):
        return None, "unparseable_date"
    try:
        parsed = dateutil_parser.parse(_translate_months(text), dayfirst=True)
    except (ValueError, OverflowError):
        return None, "unparseable_date"
    return _build(parsed.year, parsed.month, parsed.day)


def parse_date_detailed(value: object) -> tuple[date | None, str | None]:
    """Parse a date; return ``(date, None)`` or ``(None, reason_code)``. Never raises.

    Reason codes: ``unparseable_date`` (no accepted form, or empty), ``impossible_date`` (a day
    that does not exist such as 30 Februari, or out of the plausible range).
    """
    if value is None:
        return None, "unparseable_date"
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None, "unparseable_date"
        return parse_date_detailed(value.astype("datetime64[us]").item())
    if isinstance(value, bool | np.bool_):
        return None, "unparseable_date"
    if isinstance(value, int | float | np.integer | np.floating):
        return _from_serial(float(value))
    if isinstance(value, str):
        return _from_text(value)
    return None, "unparseable_date"


def parse_date(value: object) -> date | None:
    """Parse a date in any accepted form; ``None`` when it cannot be read. Never raises."""
    return parse_date_detailed(value)[0]


def _aware(moment: datetime, zone: tzinfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_timestamp(value: object, default_tz: str = "Asia/Jakarta") -> datetime | None:
    """Parse a timestamp into a timezone-aware ``datetime``; ``None`` when unreadable.

    An explicit offset wins; otherwise a ``WIB``/``WITA``/``WIT`` suffix; otherwise ``default_tz``.
    A bare date means midnight in that zone.
    """
    zone: tzinfo = ZoneInfo(default_tz)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _aware(value, zone)
    if isinstance(value, date):
        return datetime.combine(value, time(), zone)
    if not isinstance(value, str):
        day = parse_date(value)
        return None if day is None else datetime.combine(day, time(), zone)
    text = value.strip()
    if m := _ZONE_SUFFIX.search(text):
        zone = ZONE_WORDS[m[1].upper()]
        text = text[: m.start()]
    try:
        return _aware(datetime.fromisoformat(text), zone)
    except ValueError:
        pass
    if not _CLOCK.search(text):
        day, _reason = _from_text(text)
        return None if day is None else datetime.combine(day, time(), zone)
    if not _YEAR4.search(text):
        return None
    try:
        return _aware(
            dateutil_parser.parse(_translate_months(_WEEKDAY_PREFIX.sub("", text)), dayfirst=True), zone
        )
    except (ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------------------------
# Working days
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _holidays_for_year(year: int) -> tuple[date, ...]:
    calendar = holidays.country_holidays("ID", years=year, categories=("public", "government"))
    return tuple(sorted(calendar))


@lru_cache(maxsize=64)
def _busday_calendar(first_year: int, last_year: int) -> np.busdaycalendar:
    days = [d for y in range(first_year, last_year + 1) for d in _holidays_for_year(y)]
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(days, dtype="datetime64[D]"))


def _calendar_for(a: date, b: date) -> np.busdaycalendar:
    low, high = min(a, b), max(a, b)
    return _busday_calendar(low.year, high.year)


def is_working_day(day: date) -> bool:
    """True for Monday-Friday days that are neither a national holiday nor cuti bersama."""
    return day.weekday() < 5 and day not in _holidays_for_year(day.year)


def add_working_days(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (before it when ``n`` is negative).

    ``start`` itself is not counted, so a recommendation dated on a Friday with ``n = 1`` is due
    the next working day; ``n = 0`` returns ``start`` unchanged.
    """
    if n == 0:
        return start
    # Enough calendar years to hold |n| working days even with long holiday stretches.
    span = timedelta(days=abs(n) * 2 + 30)
    far = start + span if n > 0 else start - span
    cal = _calendar_for(start, far)
    # busday_offset first rolls a non-working start onto a working day and counts from there,
    # which would count that day; start one step closer to compensate.
    offset = n if is_working_day(start) else n - 1 if n > 0 else n + 1
    roll = "forward" if n > 0 else "backward"
    result = np.busday_offset(np.datetime64(start, "D"), offset, roll=roll, busdaycal=cal)
    return date.fromisoformat(str(result))


def working_days_between(a: date, b: date) -> int:
    """Working days in the interval ``(a, b]``; negative when ``b`` is before ``a``.

    Consistent with :func:`add_working_days`: for a working day ``b``,
    ``add_working_days(a, working_days_between(a, b)) == b``.
    """
    if a == b:
        return 0
    cal = _calendar_for(a, b)
    one = np.timedelta64(1, "D")
    if b > a:
        return int(np.busday_count(np.datetime64(a, "D") + one, np.datetime64(b, "D") + one, busdaycal=cal))
    return -int(np.busday_count(np.datetime64(b, "D") + one, np.datetime64(a, "D") + one, busdaycal=cal))
