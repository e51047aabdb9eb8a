"""Tests for pantau.normalize.agencies."""

from __future__ import annotations

import re

import pytest

from pantau.normalize.agencies import agency_key, normalize_agency, normalize_region_code


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Dinas Pendidikan Kab. Agam", "Dinas Pendidikan Kabupaten Agam"),
        ("Disdik Kab Agam", "Dinas Pendidikan Kabupaten Agam"),
        ("DISDIK KAB. AGAM", "Dinas Pendidikan Kabupaten Agam"),
        ("Kab.Agam", "Kabupaten Agam"),
        ("Pemkab Agam", "Pemerintah Kabupaten Agam"),
        ("PEMKOT PADANG", "Pemerintah Kota Padang"),
        ("Pemprov Sumatera Barat", "Pemerintah Provinsi Sumatera Barat"),
        ("Dinkes Kota Padang", "Dinas Kesehatan Kota Padang"),
        ("Setda Kab. Tanah Datar", "Sekretariat Daerah Kabupaten Tanah Datar"),
        ("RSUD Kota Padang", "Rumah Sakit Umum Daerah Kota Padang"),
        ("BPKAD Prov. Sumbar", "Badan Pengelolaan Keuangan dan Aset Daerah Provinsi Sumbar"),
        ("Dinas PUPR Kab. Agam", "Dinas Pekerjaan Umum dan Penataan Ruang Kabupaten Agam"),
        ("Kantor Kec. Padang Utara", "Kantor Kecamatan Padang Utara"),
        ("Disdikbud Kab. Solok", "Dinas Pendidikan dan Kebudayaan Kabupaten Solok"),
        ("Satpol PP Kota Bukittinggi", "Satuan Polisi Pamong Praja Kota Bukittinggi"),
        ("Sekretariat DPRD Kab. Agam", "Sekretariat DPRD Kabupaten Agam"),
        ("SMAN 1 Padang", "SMAN 1 Padang"),
        ("  dinas   pendidikan  DAN kebudayaan ", "Dinas Pendidikan dan Kebudayaan"),
        ("Kabupaten Agam", "Kabupaten Agam"),  # "Kab" inside a word is not an abbreviation
        ("Kota Padang", "Kota Padang"),
        ("Kabag Umum", "Kabag Umum"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_normalize_agency(text: object, canonical: str) -> None:
    assert normalize_agency(text) == canonical


def test_agency_key_folds_spelling_variants() -> None:
    keys = {
        agency_key(t)
        for t in ("Dinas Pendidikan Kab. Agam", "Disdik Kab Agam", "DINAS PENDIDIKAN KABUPATEN AGAM")
    }
    assert keys == {"dinas pendidikan kabupaten agam"}
    assert agency_key("RSUD dr. Achmad Mochtar") == "rumah sakit umum daerah dr achmad mochtar"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("13", "13"),
        ("13.71", "13.71"),
        ("1371", "13.71"),
        (1371, "13.71"),
        (13, "13"),
        (13.71, "13.71"),
        (13.1, "13.10"),  # a spreadsheet dropped the trailing zero of 13.10
        ("13.71.01", "13.71.01"),
        ("137101", "13.71.01"),
        (" 13 71 ", "13.71"),
        ("96", "96"),  # Papua Barat Daya (2022)
        ("99", None),  # no such province
        ("20", None),
        ("1300", None),
        ("13.00", None),
        ("1", None),
        ("12345", None),
        ("13.7", "13.70"),
        ("13-71", None),
        ("abc", None),
        (None, None),
        (float("nan"), None),
        (True, None),
    ],
)
def test_normalize_region_code(code: object, expected: str | None) -> None:
    assert normalize_region_code(code) == expected


@pytest.mark.parametrize("text", ["Setda. Kota Surabaya", "PUPR Provinsi Jawa Tengah", "Kab.Agam  (Persero)",
                                  "Satpol-PP Kota Tanah-Datar", "  Dinas Kesehatan Kab. Gresik ;", "ÉCOLE Kab. Ñ",
                                  None, float("nan"), ""])
def test_agency_key_is_the_lowered_canonical_name(text: object) -> None:
    """agency_key skips re-casing for speed; it must still equal the canonical name, lowered and stripped."""
    assert agency_key(text) == re.sub(r"[^a-z0-9]+", " ", normalize_agency(text).lower()).strip()
