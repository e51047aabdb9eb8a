"""Tests for pantau.normalize.spreadsheet.read_table."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest

from pantau.normalize.nip import parse_nip
from pantau.normalize.spreadsheet import EXPECTED_COLUMNS, canonical_header, read_table
from pantau.reasons import REASONS

HEADER = [
    "No",
    "Nomor Rekomendasi",
    "Tanggal Rekomendasi",
    "Nama",
    "NIP",
    "Jabatan",
    "Instansi",
    "Pejabat Pembina Kepegawaian",
    "Jenis Pelanggaran",
    "Rekomendasi Sanksi",
    "Referensi Bawaslu",
    "Terbukti",
]


def _xlsx(rows: list[list[object]], merges: tuple[str, ...] = ()) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Rekap"
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _data(
    no: int, nip: object = "196804111993031009", instansi: object = "Dinas Pendidikan Kab. Agam"
) -> list[object]:
    return [
        no,
        f"R-{no:03d}/KASN/3/2024",
        "14 Maret 2024",
        "Drs. H. Syafrizal, M.Si",
        nip,
        "Kepala Bidang",
        instansi,
        "Bupati Agam",
        "Media sosial",
        "Sanksi moral",
        None,
        "Ya",
    ]


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("N I P", "nip"),
        ("Nip.", "nip"),
        ("NIP.", "nip"),
        ("Tgl Rekomendasi", "tanggal_rekomendasi"),
        ("Tgl. Rekomendasi", "tanggal_rekomendasi"),
        ("Tanggal", "tanggal_rekomendasi"),
        ("No.", "no"),
        ("Nomor", "nomor_rekomendasi"),
        ("PPK", "pejabat_pembina_kepegawaian"),
        ("Ref. Bawaslu", "referensi_bawaslu"),
        ("  Nama  ", "nama"),
        ("Terbukti (Ya/Tidak)", "terbukti"),
    ],
)
def test_header_variants(header: str, canonical: str) -> None:
    hit = canonical_header(header)
    assert hit is not None and hit[0] == canonical


def test_every_expected_column_has_an_alias_for_its_printed_header() -> None:
    assert [canonical_header(h)[0] for h in HEADER] == list(EXPECTED_COLUMNS)  # type: ignore[index]


def test_xlsx_with_title_rows_merges_totals_and_damaged_nips() -> None:
    rows: list[list[object]] = [
        ["REKAPITULASI REKOMENDASI KASN"],
        ["Bulan Maret 2024"],
        [],
        HEADER,
        _data(1),
        _data(2, nip=1.98004112005011e17, instansi=None),  # merged with the row above
        _data(3, nip=198004112005011001),
        [4, "R-004", datetime(2024, 3, 14), "Siti", "19900101 202221 2 001"] + [None] * 7,
        [],
        ["Jumlah", None, None, None, None, None, None, None, None, None, None, 4],
    ]
    content = _xlsx(rows, merges=("A1:L1", "G5:G6"))
    read = read_table(content, "rekomendasi_2024-03.xlsx")

    assert read.header_row == 4
    assert read.sheet_name == "Rekap"
    assert read.columns["nip"] == "NIP"
    assert "G5:G6" in read.merged_ranges
    assert [r["row_number"] for r in read.rows] == [5, 6, 7, 8]
    assert read.rows[1]["instansi"] == "Dinas Pendidikan Kab. Agam"  # merge filled
    assert read.rows[0]["no"] == "1"  # int cell as digits
    assert read.rows[3]["tanggal_rekomendasi"] == "2024-03-14"  # datetime cell as ISO date
    assert all(isinstance(v, str) or v is None for r in read.rows for k, v in r.items() if k != "row_number")
    # A float NIP keeps a form parse_nip recognises as Excel damage; digits are never invented.
    assert parse_nip(read.rows[1]["nip"]).reason == "nip_excel_damaged"
    assert parse_nip(read.rows[2]["nip"]).excel_damaged  # openpyxl stored it as a float too
    assert [(n, code) for n, code, _ in read.skipped] == [
        (1, "title_row"),
        (2, "title_row"),
        (3, "blank_row"),
        (9, "blank_row"),
        (10, "total_row"),
    ]
    assert len(read.rows) + len(read.skipped) + 1 == len(rows)  # + the header row
    assert {code for _, code, _ in read.skipped} <= set(REASONS)


def test_xlsx_without_header_reports_every_row() -> None:
    read = read_table(_xlsx([["Laporan"], ["a", "b"], [], ["c"]]), "x.xlsx")
    assert read.header_row == 0 and read.problem == "header_not_found" and read.rows == []
    assert [(n, c) for n, c, _ in read.skipped] == [
        (1, "header_not_found"),
        (2, "header_not_found"),
        (4, "header_not_found"),
    ]


def test_xlsx_picks_the_sheet_with_the_header() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Catatan"])
    data = workbook.create_sheet("Data")
    data.append(HEADER)
    data.append(_data(1))
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_table(buffer.getvalue(), "x.xlsx")
    assert read.sheet_name == "Data" and len(read.rows) == 1


def _csv(lines: list[str], delimiter: str) -> str:
    return "\r\n".join(line.replace("|", delimiter) for line in lines) + "\r\n"


CSV_LINES = [
    "Rekap Rekomendasi",
    "No.|Nomor|Tgl Rekomendasi|Nama|N I P|Jabatan|Instansi|PPK|Jenis Pelanggaran|Rekomendasi Sanksi|Ref. Bawaslu|Terbukti",
    '1|R-1|14/03/2024|"Drs. H. Syafrizal, M.Si"|19680411 199303 1 009|Kabid|Disdik Kab. Agam|Bupati Agam|Medsos|Moral||Ya',
    "2|R-2|45365|José Hernández|1.98004E+17|Staf|Setda Kota Padang|Wali Kota Padang|Kampanye|Disiplin sedang||Tidak",
    "||||||||||||",
    "Total|||||||||||2",
]


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter", "expected_encoding"),
    [
        ("utf-8", b"", ";", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", ";", "utf-8-sig"),
        ("cp1252", b"", ";", "cp1252"),
        ("cp1252", b"", ",", "cp1252"),
        ("utf-8", b"\xef\xbb\xbf", ",", "utf-8-sig"),
        ("utf-16", b"", "\t", "utf-16"),
    ],
)
def test_csv_encodings_and_delimiters(
    encoding: str, bom: bytes, delimiter: str, expected_encoding: str
) -> None:
    content = bom + _csv(CSV_LINES, delimiter).encode(encoding)
    read = read_table(content, "rekomendasi.CSV")
    assert read.encoding == expected_encoding
    assert read.delimiter == delimiter
    assert read.header_row == 2
    assert read.columns["nip"] == "N I P"
    assert read.rows[0]["nama"] == "Drs. H. Syafrizal, M.Si"
    assert read.rows[1]["nama"] == "José Hernández"  # é survives cp1252
    assert read.rows[1]["tanggal_rekomendasi"] == "45365"
    assert read.rows[0]["referensi_bawaslu"] is None
    assert [(n, c) for n, c, _ in read.skipped] == [(1, "title_row"), (5, "blank_row"), (6, "total_row")]


def test_lone_number_is_a_total_only_at_the_bottom() -> None:
    lines = [
        "|".join(HEADER),
        "1|R-1|2024-03-14|Budi|196804111993031009|a|b|c|d|e|f|Ya",
        "7",
        "2|R-2|x|Ani|||||||",
        "9",
    ]
    read = read_table(_csv(lines, ";").encode(), "x.csv")
    assert [r["row_number"] for r in read.rows] == [2, 3, 4]
    assert [(n, c) for n, c, _ in read.skipped] == [(5, "total_row")]


def test_signing_block_below_the_records_is_layout_not_records() -> None:
    """Official letters end with place and date, office, "ttd", name and NIP, one cell per row."""
    lines = [
        "|".join(HEADER),
        "1|R-1|2024-03-14|Budi|196804111993031009|a|b|c|d|e|f|Ya",
        "2|R-2|x|Ani|||||||",
        "|||||||||Jakarta, 4 Januari 2025||",
        "|||||||||Direktur Pengawasan dan Pengendalian III||",
        "",
        "|||||||||ttd||",
        "|||||||||NIP 196508261990031002||",
    ]
    read = read_table(_csv(lines, ";").encode(), "x.csv")
    assert [r["row_number"] for r in read.rows] == [2, 3]
    assert [(n, c) for n, c, _ in read.skipped] == [(4, "signature_block"), (5, "signature_block"),
                                                     (6, "blank_row"), (7, "signature_block"),
                                                     (8, "signature_block")]
    assert "signature_block" in REASONS


def test_one_cell_rows_with_no_record_above_are_not_a_signature() -> None:
    lines = ["|".join(HEADER), "|Budi||||||||||", "|||R-3||||||||"]
    read = read_table(_csv(lines, ";").encode(), "x.csv")
    assert [r["row_number"] for r in read.rows] == [2, 3]


def test_repeated_header_and_unmapped_columns_are_reported() -> None:
    lines = [
        "|".join([*HEADER, "Keterangan"]),
        "1|R-1|2024-03-14|Budi|x|a|b|c|d|e|f|Ya|catatan",
        "|".join(HEADER),
    ]
    read = read_table(_csv(lines, ";").encode(), "x.csv")
    assert read.unmapped_columns == ("Keterangan",)
    assert read.rows[0]["_extra"] == {"Keterangan": "catatan"}
    assert [(n, c) for n, c, _ in read.skipped] == [(3, "repeated_header")]
    assert "repeated_header" in REASONS and "header_not_found" in REASONS and "title_row" in REASONS


def test_weak_alias_loses_to_strong_one() -> None:
    lines = ["Nomor;Nomor Rekomendasi;Nama;NIP", "1;R-9;Budi;x"]
    read = read_table(_csv(lines, ";").encode(), "x.csv")
    assert read.columns["nomor_rekomendasi"] == "Nomor Rekomendasi"
    assert read.rows[0]["nomor_rekomendasi"] == "R-9"
    assert read.unmapped_columns == ("Nomor",)


def test_unsupported_extension() -> None:
    with pytest.raises(ValueError, match="xlsx or .csv"):
        read_table(b"", "x.pdf")


# Headers seen on independent exports (issue 9): parenthesised, abbreviated, slashed, extra words.
@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Pejabat Pembina Kepegawaian (PPK)", "pejabat_pembina_kepegawaian"),
        ("NIP/NRP", "nip"),
        ("NIP Baru", "nip"),
        ("No. Rekomendasi", "nomor_rekomendasi"),
        ("No Rekom", "nomor_rekomendasi"),
        ("Tgl Rekom", "tanggal_rekomendasi"),
        ("Tgl. Rek.", "tanggal_rekomendasi"),
        ("Jenis Pelanggaran Netralitas", "jenis_pelanggaran"),
        ("Sanksi yang direkomendasikan", "rekomendasi_sanksi"),
        ("Ket. Terbukti", "terbukti"),
        ("Referensi (No. Register Bawaslu)", "referensi_bawaslu"),
        ("Nomor Rekomendasi KASN/BKN", "nomor_rekomendasi"),
        ("Nama Lengkap Terlapor", "nama"),
    ],
)
def test_real_world_header_spellings(header: str, canonical: str) -> None:
    hit = canonical_header(header)
    assert hit is not None and hit[0] == canonical


@pytest.mark.parametrize("header", ["Tanggal Lahir", "Keterangan", "No KTP", "Kode Wilayah", "Rekomendasi KASN"])
def test_unrelated_headers_stay_unrecognised(header: str) -> None:
    # A birth date must never be read as the recommendation date: only strong spellings extend.
    assert canonical_header(header) is None


def test_a_header_with_extra_words_loses_to_an_exact_one() -> None:
    lines = ["Nama Lengkap Terlapor;Nama;NIP;No Rekom;Tgl Rekom", "Budi S;Budi;x;R-1;2024-03-14"]
    read = read_table(_csv(lines, ";").encode(), "x.csv")
    assert read.columns["nama"] == "Nama" and read.unmapped_columns == ("Nama Lengkap Terlapor",)
    assert read.rows[0]["nomor_rekomendasi"] == "R-1"


def test_site_headers_file_adds_a_spelling(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pantau.reference import headers

    assert canonical_header("Nmr. Srt. Rekomendasi Netralitas") is None
    (tmp_path / "headers.csv").write_text(
        "table,column,spelling,strength,note\n"
        "recommendations,nomor_rekomendasi,Nmr. Srt. Rekomendasi Netralitas,strong,BKN regional office\n",
        encoding="utf-8")
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(tmp_path))
    headers.clear_cache()
    try:
        assert canonical_header("Nmr. Srt. Rekomendasi Netralitas") == ("nomor_rekomendasi", 2)
    finally:
        monkeypatch.delenv("PANTAU_REFERENCE_DIR")
        headers.clear_cache()
