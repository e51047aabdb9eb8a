"""Published files open intact in a spreadsheet, run no formula, and carry no control characters."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from pantau.publishing.files import clean_text, csv_bytes, neutralise_formula, parquet_bytes, xlsx_bytes

NIP = "197209031993052001"


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "nip": [NIP, None],
        "kode_wilayah": ["33.10", "13.06"],
        "nama": ['=HYPERLINK("http://x","klik")', "Ni\u200fLuh\x00 Putu\nAyu"],
        "instansi": ["@SUM(1+1)*cmd|' /C calc'!A0", "Dinas -"],
        "reported": [3, 0],
        "updated_at": pd.to_datetime(["2024-07-16T03:00:00Z", None], utc=True),
    })


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(text: str) -> None:
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("text", ["-12", "+62812", "Budi", "12.5", "Dinas -"])
def test_plain_text_and_numbers_are_left_alone(text: str) -> None:
    assert neutralise_formula(text) == text


def test_control_and_invisible_characters_are_removed() -> None:
    assert clean_text("Ni\u200fLuh\x00 Putu\nAyu\u202e") == "NiLuh Putu Ayu"
    assert clean_text("Budi") == "Budi"


def test_xlsx_keeps_nips_and_codes_as_text_and_neutralises_formulas() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(_frame(), "consolidated_cases"))).active
    rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    header = [v for v, _ in rows[0]]
    first = dict(zip(header, rows[1], strict=True))
    assert first["nip"] == (NIP, "s") and first["kode_wilayah"] == ("33.10", "s")
    assert first["nama"][0] == "'=HYPERLINK(\"http://x\",\"klik\")"
    assert first["instansi"][0].startswith("'@SUM")
    assert first["reported"] == (3, "n")
    assert first["updated_at"][0] == "2024-07-16T10:00:00+07:00"  # WIB, with its offset
    second = dict(zip(header, rows[2], strict=True))
    assert second["nama"][0] == "NiLuh Putu Ayu" and second["nip"][0] is None


def test_csv_has_a_bom_wib_timestamps_and_no_live_formula() -> None:
    data = csv_bytes(_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "2024-07-16T10:00:00+07:00" in text
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@")), line
    assert "\x00" not in text and "\u200f" not in text


def test_parquet_keeps_values_but_drops_control_characters() -> None:
    back = pd.read_parquet(io.BytesIO(parquet_bytes(_frame())))
    assert back.loc[0, "nama"] == '=HYPERLINK("http://x","klik")'  # analysts' files keep the text as sent
    assert back.loc[1, "nama"] == "NiLuh Putu Ayu"
    assert str(back["updated_at"].dt.tz) == "Asia/Jakarta"


def test_same_table_same_bytes() -> None:
    assert xlsx_bytes(_frame()) == xlsx_bytes(_frame())
    assert csv_bytes(_frame()) == csv_bytes(_frame())
