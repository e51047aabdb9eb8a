"""Airflow-free normalisation of the values Pantau's sources send: NIPs, names, dates, agencies,
and recommendation spreadsheets. Every function here is pure and never raises on bad data:
problems come back as reason codes from :mod:`pantau.reasons`.
"""

from pantau.normalize.agencies import agency_key, normalize_agency, normalize_region_code
from pantau.normalize.dates import (
    add_working_days,
    excel_serial_to_date,
    is_working_day,
    parse_date,
    parse_date_detailed,
    parse_timestamp,
    working_days_between,
)
from pantau.normalize.names import NameParts, name_key_series, split_name
from pantau.normalize.nip import NipResult, nip_repair_candidates, normalize_nip_series, parse_nip
from pantau.normalize.spreadsheet import EXPECTED_COLUMNS, SheetRead, read_table

__all__ = [
    "EXPECTED_COLUMNS",
    "NameParts",
    "NipResult",
    "SheetRead",
    "add_working_days",
    "agency_key",
    "excel_serial_to_date",
    "is_working_day",
    "name_key_series",
    "nip_repair_candidates",
    "normalize_agency",
    "normalize_nip_series",
    "normalize_region_code",
    "parse_date",
    "parse_date_detailed",
    "parse_nip",
    "parse_timestamp",
    "read_table",
    "split_name",
    "working_days_between",
]
