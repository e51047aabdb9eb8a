"""Published files open intact in a spreadsheet, run no formula, and carry no control characters."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pantau.publishing import files
from pantau.publishing.files import (
    clean_text,
    csv_bytes,
    for_people,
    neutralise_formula,
    parquet_bytes,
    tidy,
    xlsx_bytes,
    xlsx_from_people,
)

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


def _read_back(data: bytes) -> tuple[str, list[list[tuple[object, str]]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return sheet.title, [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_xlsx_cells_read_back_with_the_values_and_types_written() -> None:
    frame = pd.DataFrame({
        "nip": [NIP, "0012", " padded ", 'a & <b> "c"'],
        "count": [3, 0, -7, 2**40],
        "share": [1 / 3, float("nan"), -2.5, 1e-7],  # 16 significant digits, as openpyxl wrote them
        "flag": [True, False, None, True],
        "mixed": [np.int64(5), np.float64(1.5), np.bool_(False), pd.Timestamp("2024-07-16")],
        "empty": [None, pd.NA, float("nan"), None],
        "tanggal_sk": pd.to_datetime(["2024-07-16", None, None, None]),  # naive: a missing one is NaT
    })
    title, rows = _read_back(xlsx_from_people(frame, "a_sheet_name_longer_than_thirty_one_characters"))
    assert title == "a_sheet_name_longer_than_thirty"
    assert rows[0] == [(c, "s") for c in frame.columns]
    cells = [dict(zip(frame.columns, row, strict=True)) for row in rows[1:]]
    assert [c["nip"] for c in cells] == [(NIP, "s"), ("0012", "s"), (" padded ", "s"), ('a & <b> "c"', "s")]
    assert [c["count"] for c in cells] == [(3, "n"), (0, "n"), (-7, "n"), (2**40, "n")]
    assert [c["share"][0] for c in cells] == [1 / 3, None, -2.5, 1e-7]
    assert [c["flag"] for c in cells] == [(True, "b"), (False, "b"), (None, "n"), (True, "b")]
    assert [c["mixed"] for c in cells] == [(5, "n"), (1.5, "n"), (False, "b"), ("2024-07-16 00:00:00", "s")]
    assert all(c["empty"][0] is None for c in cells)
    assert [c["tanggal_sk"][0] for c in cells] == ["2024-07-16 00:00:00", None, None, None]  # as CSV: no "NaT"


@pytest.mark.parametrize("text", ["=1+1", "#N/A", "1e5", "+62812", "http://example.org/x", "TRUE", "2024-07-16"])
def test_xlsx_never_infers_a_formula_number_error_or_link_from_text(text: str) -> None:
    # xlsx_from_people writes what it is given; for_people neutralised formulas before. Still, a text
    # cell is a text cell (openpyxl made "=1+1" a formula and "#N/A" an error cell).
    data = xlsx_from_people(pd.DataFrame({"t": [text]}))
    assert _read_back(data)[1][1] == [(text, "s")]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in sheet and b"hyperlink" not in sheet.lower()
        assert not any("externalLink" in name or "sheet1.xml.rels" in name for name in archive.namelist())


def test_xlsx_writes_an_infinite_number_as_its_text_not_a_formula() -> None:
    data = xlsx_from_people(pd.DataFrame({"ratio": [float("inf"), -float("inf"), 2.0]}))
    assert [row[0] for row in _read_back(data)[1][1:]] == [("inf", "s"), ("-inf", "s"), (2, "n")]


def test_xlsx_cuts_text_at_the_excel_cell_limit() -> None:
    rows = _read_back(xlsx_from_people(pd.DataFrame({"uraian": ["ab" * 20000]})))[1]
    assert rows[1][0] == (("ab" * 20000)[:32767], "s")


def test_xlsx_document_dates_and_zip_entry_times_are_fixed() -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(_frame()))) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 31, 0, 0, 0)}
    assert "<dcterms:created" in core and core.count("2000-01-01T00:00:00Z") == 2


def test_cleaned_text_keeps_the_dtype_pandas_infers() -> None:
    # The release id is a digest of the Parquet bytes, which record each column's dtype: cleaning text
    # must leave it as pandas infers it for texts, or an unchanged re-run would publish a new release.
    from pantau.publishing.files import tidy

    tidied = tidy(pd.DataFrame({"nama": pd.Series(["Budi", None, "Ayu\u200f"], dtype=object)}))
    assert tidied["nama"].dtype == pd.Series(["Budi", None]).dtype
    assert tidied["nama"].tolist()[::2] == ["Budi", "Ayu"] and pd.isna(tidied["nama"][1])


def test_xlsx_rows_written_block_by_block_are_the_same_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rows become Python values ROW_BLOCK at a time; the blocks' edges change nothing in the file.
    frame = for_people(tidy(pd.DataFrame({"nip": [f"1972090319930510{i:02d}" for i in range(25)],
                                          "n": list(range(25)), "x": [None, 1.5, "a", True, float("nan")] * 5})))
    whole = xlsx_from_people(frame, "s")
    monkeypatch.setattr(files, "ROW_BLOCK", 7)
    assert xlsx_from_people(frame, "s") == whole
    monkeypatch.setattr(files, "ROW_BLOCK", 1)
    assert xlsx_from_people(frame, "s") == whole
