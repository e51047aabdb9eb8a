"""The Kemendagri region table: contents, code parsing, free-text and PPK lookups, overrides."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pantau.exceptions import ConfigError
from pantau.reference.regions import COLUMNS, REGIONS_FILE, load_regions, parse_region_code
from pantau.settings import reference_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _shipped_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANTAU_REFERENCE_DIR", raising=False)


# ---------------------------------------------------------------------- contents


def test_counts_after_the_2022_papua_split() -> None:
    table = load_regions()
    levels = Counter(r.level for r in table.regions.values())
    assert levels == {"provinsi": 38, "kabupaten": 416, "kota": 98}
    assert levels["kabupaten"] + levels["kota"] == 514
    with_local = {r.province_code for r in table.regions.values() if not r.is_province}
    assert with_local == {r.code for r in table.regions.values() if r.is_province}


def test_papua_provinces_carry_the_codes_used_since_2022() -> None:
    table = load_regions()
    names = {c: table.regions[c].name for c in ("91", "92", "93", "94", "95", "96")}
    assert names == {"91": "Papua", "92": "Papua Barat", "93": "Papua Selatan", "94": "Papua Tengah",
                     "95": "Papua Pegunungan", "96": "Papua Barat Daya"}
    assert table.get("93.01").name == "Merauke" and table.get("96.71").official_name == "Kota Sorong"


def test_codes_and_columns_are_consistent() -> None:
    for region in load_regions().regions.values():
        shape = r"[0-9]{2}" if region.is_province else r"[0-9]{2}\.[0-9]{2}"
        assert re.fullmatch(shape, region.code), region
        assert region.province_code == region.code[:2]
        assert region.official_name == f"{region.kind} {region.name}" or region.is_province
        assert region.kind.lower().startswith(region.level)
        assert region.timezone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


@pytest.mark.parametrize(("code", "official", "ppk", "tz"), [
    ("13", "Provinsi Sumatera Barat", "Gubernur Sumatera Barat", "Asia/Jakarta"),
    ("13.06", "Kabupaten Agam", "Bupati Agam", "Asia/Jakarta"),
    ("13.71", "Kota Padang", "Wali Kota Padang", "Asia/Jakarta"),
    ("31.74", "Kota Administrasi Jakarta Selatan", "Gubernur DKI Jakarta", "Asia/Jakarta"),
    ("31.01", "Kabupaten Administrasi Kepulauan Seribu", "Gubernur DKI Jakarta", "Asia/Jakarta"),
    ("73.71", "Kota Makassar", "Wali Kota Makassar", "Asia/Makassar"),
    ("94.04", "Kabupaten Mimika", "Bupati Mimika", "Asia/Jayapura"),
])
def test_official_names_ppk_and_timezone(code: str, official: str, ppk: str, tz: str) -> None:
    region = load_regions().get(code)
    assert (region.official_name, region.ppk_title, region.timezone) == (official, ppk, tz)
    assert load_regions().ppk_title(code) == ppk


def test_agrees_with_every_simulator_region() -> None:
    """The simulator's partial table must be a faithful subset: same codes, same names, same PPK."""
    from pantau.simulate.reference import PROVINCES, TZ_OFFSET, ppk_for

    table = load_regions()
    zone = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
    assert set(zone) == set(TZ_OFFSET)
    for province in PROVINCES:
        ours = table.get(province.code)
        assert ours is not None and ours.is_province and ours.name == province.name, province.code
        assert ours.timezone == zone[province.tz]
        assert table.region_of_text(f"Provinsi {province.name}") == province.code
        assert table.region_of_text(f"Prov {province.short}") == province.code
        for region in province.regions:
            ours = table.get(region.code)
            assert ours is not None and ours.province_code == province.code, region
            assert ours.kind.startswith(region.kind), region  # "Kota Administrasi" for DKI's "Kota"
            # The simulator may spell a name differently (Pangkalpinang, Palangka Raya): an alias then.
            assert region.name == ours.name or region.name in ours.aliases, region
            assert table.region_of_text(region.full_name) == region.code, region
            assert table.region_of_ppk(ppk_for(province, region)) == (
                province.code if province.admin_regions else region.code), region


def test_simulated_agency_texts_never_name_another_province() -> None:
    """Every spelling the simulator writes for an agency (``Disdik Kab. Agam``, ``Pemkot Padang``,
    ``Setda Prov. Sumatera Barat``) names its own province, or none when ambiguous; PPKs resolve exactly."""
    from pantau.simulate.reference import all_agencies

    table = load_regions()
    for agency in all_agencies():
        for text in (agency.nama_instansi, *agency.variants):
            assert table.province_of_text(text) in (agency.province_code, None), text
        ppk_region = agency.province_code if agency.kode_wilayah.startswith("31.") else agency.kode_wilayah
        assert table.region_of_ppk(agency.ppk_jabatan) == ppk_region, agency.ppk_jabatan


def test_loader_does_not_import_the_simulator() -> None:
    code = ("import sys; from pantau.reference.regions import load_regions; "
            "from pantau.reference.agency_types import load_agency_types; "
            "load_regions().region_of_text('Pemkab Agam'); load_agency_types().is_whole_government('Pemkab Agam'); "
            "print(sorted(m for m in sys.modules if m.startswith('pantau.simulate')))")
    env_path = f"{REPO / 'include'}:{REPO / 'plugins'}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------- codes


@pytest.mark.parametrize(("raw", "expected"), [
    ("13.06", "13.06"), ("1306", "13.06"), (13.06, "13.06"), (1306, "13.06"), (1306.0, "13.06"),
    (" 13.6 ", "13.06"),  # no 13.60 exists: the dropped digit was the leading zero
    (13.1, "13.10"), ("13.1", "13.10"),  # float damage of 13.10 (13.01 also exists: the float reading wins)
    ("13,71", "13.71"), ("'13.71", "13.71"), ("13.71.", "13.71"), (13, "13"), ("13", "13"), (13.0, "13"),
    ("99", None), ("13.99", None), ("13.06.01", None), ("abc", None), ("", None), (None, None),
    (float("nan"), None), (True, None), ("1.306", None),
])
def test_get_accepts_damaged_codes(raw: object, expected: str | None) -> None:
    region = load_regions().get(raw)
    assert (region.code if region else None) == expected


def test_containing_and_province_of_any_depth() -> None:
    table = load_regions()
    assert table.containing("13.06.01").code == "13.06"
    assert table.containing("13.06.01.2001").code == "13.06"
    assert table.containing("13.99").code == "13"
    assert table.province_of("13.06").name == "Sumatera Barat"
    assert table.province_of(1371).code == "13"
    assert table.province_of("99.01") is None
    assert parse_region_code("13.1") == ["13.10", "13.01"]


# ---------------------------------------------------------------------- free text


@pytest.mark.parametrize(("text", "region", "province"), [
    ("Dinas Pendidikan Kab. Agam", "13.06", "13"),
    ("Dinas Pendidikan Kabupaten Agam Provinsi Sumatera Barat", "13.06", "13"),
    ("RSUD Kota Padang", "13.71", "13"),
    ("Setda Prov Sumbar", "13", "13"),
    ("Pemkab Agam", "13.06", "13"),
    ("Disdik Agam", "13.06", "13"),
    ("DINAS PENDIDIKAN KAB.AGAM", "13.06", "13"),
    ("Disdik Agam Prov. Sumbar", "13.06", "13"),
    ("Kecamatan Agam Utara Kabupaten Agam", "13.06", "13"),
    ("SMAN 1 Padang Panjang", "13.74", "13"),
    ("Padang Pariaman", "13.05", "13"),
    ("Padang", "13.71", "13"),
    ("Kab. Lima Puluh Kota", "13.07", "13"),
    ("SMP Negeri 50 Kota Padang", "13.71", "13"),  # "50 Kota" alone is not Lima Puluh Kota
    ("Bandung", None, "32"),  # kabupaten and kota
    ("Dinas Pendidikan Bandung", None, "32"),
    ("Kota Bandung", "32.73", "32"),
    ("Kab. Bandung", "32.04", "32"),
    ("Pemkab Bandung Barat", "32.17", "32"),
    ("Jambi", None, "15"),  # province and kota
    ("Kota Jambi, Jambi", "15.71", "15"),
    ("Setda Provinsi Jambi, Jambi", "15", "15"),
    ("Gorontalo", None, "75"),  # province, kabupaten and kota
    ("Banjar", None, None),  # Kabupaten Banjar (Kalsel) and Kota Banjar (Jabar)
    ("Disdik Banjar, Kalimantan Selatan", "63.03", "63"),
    ("Kecamatan Batang Kapas, Kab. Pesisir Selatan", "13.01", "13"),
    ("Kota Padang, Kab. Agam", None, None),  # two regions named
    ("Yogyakarta", None, "34"),
    ("Pemkot Jogja", "34.71", "34"),
    ("Pemprov DIY", "34", "34"),
    ("Kota Adm. Jakarta Selatan", "31.74", "31"),
    ("Sudin Pendidikan Jaksel", "31.74", "31"),
    ("Pemprov DKI", "31", "31"),
    ("Kab. Kep. Seribu", "31.01", "31"),
    ("Dinas Pendidikan Kabupaten Pontianak", "61.02", "61"),  # Mempawah's old name
    ("Pontianak", "61.71", "61"),
    ("Kabupaten Toba Samosir", "12.12", "12"),
    ("Disdik Kab. Toli-Toli", "72.04", "72"),
    ("Kota Bau-Bau", "74.72", "74"),
    ("Kota Baubau", "74.72", "74"),
    ("DKK Semarang", "33.74", "33"),  # Dinas Kesehatan Kota
    ("Dinkes Kota Baru", "63.02", "63"),  # Kabupaten Kotabaru written in two words
    ("BKD Prov. Kep. Riau", "21", "21"),
    ("Pemprov Kepri", "21", "21"),
    ("Dinas Pendidikan Aceh Besar", "11.06", "11"),
    ("Sumatra Barat", "13", "13"),
    ("Pemkab Kukar", "64.02", "64"),
    ("Pemkot Palangka Raya", "62.71", "62"),
    ("Dinas Pendidikan Kota Medan", "12.71", "12"),
    ("Dinas Pendidikan Nasional", None, None),
    ("", None, None),
    (None, None, None),
])
def test_region_of_text(text: object, region: str | None, province: str | None) -> None:
    table = load_regions()
    assert table.region_of_text(text) == region
    assert table.province_of_text(text) == province


def test_find_in_text_spans_and_candidates() -> None:
    table = load_regions()
    text = "Dinas Pendidikan Kab. Agam"
    assert table.find_in_text(text) == [("13.06", 17, 26)]
    assert text[17:26] == "Kab. Agam"
    assert sorted(table.find_in_text("Bandung")) == [("32.04", 0, 7), ("32.73", 0, 7)]
    assert table.find_in_text("Disdik Padang Pariaman") == [("13.05", 7, 22)]  # not "Padang" too
    text = "Setda Prov Sumbar"
    (code, start, end), = table.find_in_text(text)
    assert code == "13" and text[start:end] == "Prov Sumbar"
    # A comma ends a name: "Padang, Panjang" is not Padang Panjang.
    assert [c for c, *_ in table.find_in_text("Kota Padang, Panjang Utara")] == ["13.71"]
    assert table.find_in_text("Pemerintah Daerah") == []


@pytest.mark.parametrize(("title", "region"), [
    ("Bupati Agam", "13.06"),
    ("BUPATI AGAM", "13.06"),
    ("Bupati Kabupaten Agam", "13.06"),
    ("Bupati Agam Provinsi Sumatera Barat", "13.06"),
    ("Walikota Padang", "13.71"),
    ("Wali Kota Padang", "13.71"),
    ("Gubernur Sumbar", "13"),
    ("Gubernur Sumatera Barat", "13"),
    ("Gubernur Provinsi Sumatera Barat", "13"),
    ("Pj. Bupati Agam", "13.06"),
    ("Pj Bupati Agam", "13.06"),
    ("Penjabat Wali Kota Padang", "13.71"),
    ("Plt. Bupati Bandung", "32.04"),
    ("Plt Walikota Bandung", "32.73"),
    ("Pelaksana Tugas Gubernur Jawa Barat", "32"),
    ("Plh. Bupati Lima Puluh Kota", "13.07"),
    ("Penjabat Gubernur DKI Jakarta", "31"),
    ("Gubernur Daerah Istimewa Yogyakarta", "34"),
    ("Wali Kota Administrasi Jakarta Selatan", "31.74"),
    ("Bupati Padang", None),  # no Kabupaten Padang: the office and the name disagree
    ("Gubernur Bandung", None),
    ("Kepala BKD Kabupaten Agam", None),  # not a head of regional government
    ("Bupati", None),
    ("", None),
    (None, None),
])
def test_region_of_ppk(title: object, region: str | None) -> None:
    assert load_regions().region_of_ppk(title) == region


# ---------------------------------------------------------------------- overrides and bad files


def _write(folder: Path, rows: list[str], header: str = ",".join(COLUMNS)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / REGIONS_FILE).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def test_override_folder_adds_and_replaces_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_regions()
    folder = _write(tmp_path / "ref", [
        # A new regency and an extra alias for an existing one (the whole row is restated).
        "13.13,kabupaten,Kabupaten,Contoh Baru,13,Kabupaten Contoh Baru,Cobar,Bupati Contoh Baru,Asia/Jakarta",
        "13.06,kabupaten,Kabupaten,Agam,13,Kabupaten Agam,Lubuk Basung,Bupati Agam,Asia/Jakarta",
    ])
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(folder))
    table = load_regions()
    assert len(table.regions) == len(shipped.regions) + 1
    assert table.region_of_text("Disdik Cobar") == "13.13"
    assert table.region_of_ppk("Bupati Contoh Baru") == "13.13"
    assert table.region_of_text("Puskesmas Lubuk Basung") == "13.06"
    assert table.get("13.06").aliases == ("Lubuk Basung",)
    monkeypatch.delenv("PANTAU_REFERENCE_DIR")
    assert load_regions().region_of_text("Disdik Cobar") is None


def test_override_folder_without_regions_file_keeps_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(tmp_path))
    assert len(load_regions().regions) == 552


def test_missing_override_folder_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="PANTAU_REFERENCE_DIR"):
        reference_dir()


GOOD = "13.13,kabupaten,Kabupaten,Contoh,13,Kabupaten Contoh,,Bupati Contoh,Asia/Jakarta"


@pytest.mark.parametrize(("rows", "header", "line", "problem"), [
    (["13.6,kabupaten,Kabupaten,Contoh,13,Kabupaten Contoh,,Bupati Contoh,Asia/Jakarta"], None, 2, "code '13.6'"),
    (["99.01,kabupaten,Kabupaten,Contoh,99,Kabupaten Contoh,,Bupati Contoh,Asia/Jakarta"], None, 2,
     "province 99"),
    (["13.13,kab,Kabupaten,Contoh,13,Kabupaten Contoh,,Bupati Contoh,Asia/Jakarta"], None, 2, "level 'kab'"),
    (["13.13,kabupaten,Kabupaten,Contoh,13,Kabupaten Contoh,,Bupati Contoh,WIB"], None, 2, "timezone 'WIB'"),
    (["13.13,kabupaten,Kabupaten,Contoh,14,Kabupaten Contoh,,Bupati Contoh,Asia/Jakarta"], None, 2,
     "province_code '14'"),
    (["13.13,kota,Kabupaten,Contoh,13,Kabupaten Contoh,,Bupati Contoh,Asia/Jakarta"], None, 2, "kind"),
    (["13.13,kabupaten,Kabupaten,Contoh,13,Kabupaten Contoh,,,Asia/Jakarta"], None, 2, "ppk_title is empty"),
    ([GOOD, GOOD], None, 3, "already defined on line 2"),
    ([GOOD + ",extra"], None, 2, "more cells"),
    ([GOOD], "code,level,kind,name,province_code,official_name,aliases,ppk,timezone", 1, "missing column(s) ppk_title"),
])
def test_bad_file_gives_one_sentence_naming_file_row_and_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[str], header: str | None, line: int, problem: str,
) -> None:
    folder = _write(tmp_path / "ref", rows, header or ",".join(COLUMNS))
    monkeypatch.setenv("PANTAU_REFERENCE_DIR", str(folder))
    with pytest.raises(ConfigError) as err:
        load_regions()
    message = str(err.value)
    assert message.startswith(f"{folder / REGIONS_FILE} line {line}: ")
    assert problem in message
    assert "\n" not in message and not re.search(r"\.\s+[A-Z]", message)  # one sentence
