"""Agency-type abbreviations as data: expansion, whole-government detection, overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pantau.exceptions import ConfigError
from pantau.reference.agency_types import AGENCY_TYPES_FILE, KINDS, load_agency_types, tokenize
from pantau.reference.regions import load_regions


@pytest.fixture(autouse=True)
def _shipped_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANTAU_REFERENCE_DIR", raising=False)


@pytest.mark.parametrize(("text", "key"), [
    ("Disdik Kab. Agam", "dinas pendidikan kabupaten agam"),
    ("Dinas Pendidikan Kab. Agam", "dinas pendidikan kabupaten agam"),
    ("DINAS DUKCAPIL KOTA PADANG", "dinas kependudukan dan pencatatan sipil kota padang"),
    ("Disdukcapil Kota Padang", "dinas kependudukan dan pencatatan sipil kota padang"),
    ("Badan Kesbangpol Prov Sumut", "badan kesatuan bangsa dan politik provinsi sumut"),
    ("Satpol-PP Kota Padang", "satuan polisi pamong praja kota padang"),
    ("Satuan Pol PP Kota Padang", "satuan polisi pamong praja kota padang"),
    ("Pemkab Agam", "pemerintah kabupaten agam"),
    ("Pemkot Padang", "pemerintah kota padang"),
    ("Pemprov Sumbar", "pemerintah provinsi sumbar"),
    ("Pemda Kab. Agam", "pemerintah daerah kabupaten agam"),
    ("Setda Kab. Agam", "sekretariat daerah kabupaten agam"),
    ("Setdakab Agam", "sekretariat daerah kabupaten agam"),
    ("Setwan Kota Padang", "sekretariat dewan perwakilan rakyat daerah kota padang"),
    ("Sekretariat DPRD Kota Padang", "sekretariat dewan perwakilan rakyat daerah kota padang"),
    ("RSUD Dr. Achmad Mochtar", "rumah sakit umum daerah dr achmad mochtar"),
    ("UPTD Puskesmas Lubuk Basung", "unit pelaksana teknis daerah pusat kesehatan masyarakat lubuk basung"),
    ("SDN3 Lubuk Basung", "sekolah dasar negeri 3 lubuk basung"),
    ("SD Negeri 3 Lubuk Basung", "sekolah dasar negeri 3 lubuk basung"),
    ("SMPN 1 Padang", "sekolah menengah pertama negeri 1 padang"),
    ("DP3A Kab. Agam", "dinas pemberdayaan perempuan dan perlindungan anak kabupaten agam"),
    ("Dinas PUPR Kota Padang", "dinas pekerjaan umum dan penataan ruang kota padang"),
    ("DPUPR Kota Padang", "dinas pekerjaan umum dan penataan ruang kota padang"),
    ("BPKAD Prov. Sumbar", "badan pengelolaan keuangan dan aset daerah provinsi sumbar"),
    ("BKPSDM Kab. Agam", "badan kepegawaian dan pengembangan sumber daya manusia kabupaten agam"),
    ("Kantor Camat Lubuk Basung", "kecamatan lubuk basung"),
    ("Kec. Lubuk Basung", "kecamatan lubuk basung"),
    ("Kota Adm. Jakarta Selatan", "kota administrasi jakarta selatan"),
    ("Propinsi Sumatera Barat", "provinsi sumatera barat"),
    ("Kemenag Kab. Agam", "kementerian agama kabupaten agam"),
    ("Dinas Pendidikan dan Kebudayaan", "dinas pendidikan dan kebudayaan"),
    ("Dinas Pendidikan, Pemuda & Olahraga", "dinas pendidikan pemuda olahraga"),
    ("Dínas Kesehatan Kab. Bone", "dinas kesehatan kabupaten bone"),
    ("", ""),
    (None, ""),
])
def test_expand(text: object, key: str) -> None:
    assert load_agency_types().expand(text) == key


@pytest.mark.parametrize(("text", "whole"), [
    ("Pemerintah Kabupaten Agam", True),
    ("PEMERINTAH KAB. AGAM", True),
    ("Pemkab Agam", True),
    ("Pemkot Padang", True),
    ("Pemerintah Kota Padang Panjang", True),
    ("Setda Kab. Agam", True),
    ("Setdakab Agam", True),
    ("Sekretariat Daerah Kabupaten Agam", True),
    ("Sekretariat Daerah Provinsi Jawa Barat", True),
    ("Pemprov Jabar", True),
    ("Pemda Kab. Agam", True),
    ("Kantor Bupati Agam", True),
    ("Kabupaten Agam", True),
    ("Kota Padang", True),
    ("Agam", True),
    ("Pemerintah Kabupaten Agam, Sumatera Barat", True),
    ("Pemerintah Daerah", True),
    ("Dinas Pendidikan Kab. Agam", False),
    ("Disdik Agam", False),
    ("RSUD Kota Padang", False),
    ("SDN 3 Agam", False),
    ("Puskesmas Lubuk Basung", False),
    ("Kecamatan Lubuk Basung Kab. Agam", False),
    ("Sekretariat DPRD Kab. Agam", False),
    ("Setwan Kota Padang", False),
    ("Inspektorat Kab. Agam", False),
    ("Bagian Umum Setda Kab. Agam", False),
    ("BKD Provinsi Sumatera Barat", False),
    ("", False),
    (None, False),
])
def test_is_whole_government(text: object, whole: bool) -> None:
    assert load_agency_types().is_whole_government(text) is whole


def test_every_abbreviation_the_code_used_to_hard_wire_is_in_the_table() -> None:
    """The Python dicts this table replaces (normalize/agencies.py, matching/agencies.py) expanded these."""
    types = load_agency_types()
    for abbreviation in ("pemkab", "pemkot", "pemprov", "pemda", "kab", "prov", "propinsi", "kec", "kel",
                         "disdikbud", "disdik", "dinkes", "dinsos", "dishub", "disdukcapil", "setda", "setwan",
                         "sekwan", "rsud", "bpkad", "bappeda", "bkpsdm", "pupr", "satpol pp", "kemenag",
                         "setdakab", "setdakot", "setdaprov", "diknas", "dukcapil", "kesbangpol", "dpupr",
                         "bkd", "distan", "kantor camat"):
        assert types.expand(abbreviation) != abbreviation, abbreviation
    table = load_regions()
    for short, province in {"sumut": "12", "sumbar": "13", "sumsel": "16", "babel": "19", "kepri": "21",
                            "dki": "31", "jabar": "32", "jateng": "33", "diy": "34", "jatim": "35", "ntb": "52",
                            "ntt": "53", "kalbar": "61", "kalteng": "62", "kalsel": "63", "kaltim": "64",
                            "kaltara": "65", "sulut": "71", "sulteng": "72", "sulsel": "73", "sultra": "74",
                            "sulbar": "76", "malut": "82", "pabar": "92", "pbd": "96"}.items():
        assert table.region_of_text(f"Prov. {short}") == province, short


def test_table_rows_are_well_formed() -> None:
    types = load_agency_types()
    assert len(types.entries) >= 150
    assert {e.kind for e in types.entries.values()} == set(KINDS)
    for key, entry in types.entries.items():
        assert entry.expansion == entry.expansion.lower().strip() and entry.expansion
        assert key == tuple(t.text for t in tokenize(entry.abbreviation, frozenset(key)))


def test_tokenize_keeps_offsets_and_phrases() -> None:
    text = "Dinas Pendidikan, Kab. Agam"
    tokens = tokenize(text)
    assert [text[t.start : t.end] for t in tokens] == ["Dinas", "Pendidikan", "Kab", "Agam"]
    assert [t.segment for t in tokens] == [0, 0, 1, 1]
    assert [t.text for t in tokenize("Sékolah")] == ["sekolah"]


def _write(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / AGENCY_TYPES_FILE).write_text("\n".join(["abbreviation,expansion,kind", *rows]) + "\n", encoding="utf-8")
    return folder


def test_override_folder_adds_and_replaces_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _write(tmp_path / "ref", ["Dispendukcapil,dinas kependudukan dan pencatatan sipil,unit",
                                       "disdik,dinas pendidikan dan kebudayaan,unit",
                                       "Pemkab Adm,pemerintah kabupaten administrasi,government"])
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(folder))
    types = load_agency_types()
    assert types.expand("Dispendukcapil Kab. Agam") == "dinas kependudukan dan pencatatan sipil kabupaten agam"
    assert types.expand("Disdik Agam") == "dinas pendidikan dan kebudayaan agam"
    assert types.is_whole_government("Pemkab Adm. Kepulauan Seribu")
    assert load_regions().region_of_text("Dispendukcapil Kab. Agam") == "13.06"
    monkeypatch.delenv("PANTAU_REFERENCE_DIR")
    assert load_agency_types().expand("Disdik Agam") == "dinas pendidikan agam"


@pytest.mark.parametrize(("rows", "line", "problem"), [
    (["disdik,dinas pendidikan,office"], 2, "kind 'office'"),
    (["disdik,,unit"], 2, "expansion of 'disdik' is empty"),
    (["...,dinas,unit"], 2, "no letters or digits"),
    (["disdik,dinas pendidikan,unit", "Disdik.,dinas pendidikan,unit"], 3, "already defined on line 2"),
])
def test_bad_file_gives_one_sentence_naming_file_row_and_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[str], line: int, problem: str,
) -> None:
    folder = _write(tmp_path / "ref", rows)
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(folder))
    with pytest.raises(ConfigError) as err:
        load_agency_types()
    message = str(err.value)
    assert message.startswith(f"{folder / AGENCY_TYPES_FILE} line {line}: ")
    assert problem in message
    assert "\n" not in message and not re.search(r"\.\s+[A-Z]", message)
