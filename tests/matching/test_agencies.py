"""Agency resolution: regions from the Kemendagri table, agencies and work units from the registry."""

from __future__ import annotations

import pandas as pd
import pytest

from pantau.matching.agencies import AgencyIndex
from pantau.matching.persons import UNIT_SEPARATOR, RegistryIndex, match_persons
from pantau.normalize.names import split_name

# A registry in the "whole government" style: one agency per regional government, the office in
# unit_kerja. Kabupaten Agam (13.06), Kota Padang (13.71), Provinsi Sumatera Barat (13).
WHOLE = pd.DataFrame([
    ("198001012005011001", "Budi Santoso", "13.06.00", "Pemerintah Kabupaten Agam", "Dinas Pendidikan", "13.06"),
    ("198102022006042002", "Sri Wahyuni", "13.06.00", "Pemerintah Kabupaten Agam", "SDN 3 Lubuk Basung", "13.06"),
    ("198203032007011003", "Budi Santoso", "13.06.00", "Pemerintah Kabupaten Agam", "RSUD Lubuk Basung", "13.06"),
    ("198304042008042004", "Rina Marlina", "13.06.00", "Pemerintah Kabupaten Agam", "UPTD Puskesmas Biaro", "13.06"),
    ("198405052009011005", "Andi Baso", "13.06.00", "Pemerintah Kabupaten Agam", "Sekretariat Daerah", "13.06"),
    ("198506062010011006", "Agus Setiawan", "13.06.00", "Pemerintah Kabupaten Agam", "Kecamatan Lubuk Basung", "13.06"),
    ("198607072011011007", "Hendra Gunawan", "13.71.00", "Pemerintah Kota Padang", "Dinas Pendidikan", "13.71"),
    ("198708082012012008", "Yenni Marlina", "13.00.00", "Pemerintah Provinsi Sumatera Barat", "Dinas Pendidikan",
     "13"),
], columns=["nip", "nama", "kode_instansi", "nama_instansi", "unit_kerja", "kode_wilayah"])
WHOLE["name_key"] = [split_name(n).key for n in WHOLE["nama"]]

# The "one agency per office" style (as the project's own simulator writes it).
OFFICES = pd.DataFrame([
    ("198001012005011001", "Budi Santoso", "13.06.02", "Dinas Pendidikan Kabupaten Agam", "SD Negeri 3", "13.06"),
    ("198102022006042002", "Sri Wahyuni", "13.06.01", "Sekretariat Daerah Kabupaten Agam", "Bagian Umum", "13.06"),
    ("198203032007011003", "Joko Susilo", "13.06.04", "Rumah Sakit Umum Daerah Kabupaten Agam", "Instalasi Farmasi",
     "13.06"),
], columns=["nip", "nama", "kode_instansi", "nama_instansi", "unit_kerja", "kode_wilayah"])
OFFICES["name_key"] = [split_name(n).key for n in OFFICES["nama"]]


def _index(registry: pd.DataFrame, with_reg: bool = True) -> AgencyIndex:
    return AgencyIndex(registry, RegistryIndex.build(registry) if with_reg else None)


@pytest.mark.parametrize("with_reg", [True, False])
@pytest.mark.parametrize(("text", "hint", "agency", "units", "region", "scope"), [
    ("Dinas Pendidikan Kab. Agam", None, "13.06.00", {"Dinas Pendidikan", "SDN 3 Lubuk Basung"}, "13.06", "unit"),
    ("Disdik Agam", None, "13.06.00", {"Dinas Pendidikan", "SDN 3 Lubuk Basung"}, "13.06", "unit"),
    ("SDN 3 Lubuk Basung", "13.06", "13.06.00", {"SDN 3 Lubuk Basung"}, "13.06", "unit"),
    ("RSUD Lubuk Basung, Kabupaten Agam", None, "13.06.00", {"RSUD Lubuk Basung"}, "13.06", "unit"),
    ("Dinkes Kab. Agam", None, None, None, "13.06", "region"),  # no such office: the region decides
    ("Pemkab Agam", None, "13.06.00", None, "13.06", "government"),
    ("Kabupaten Agam", None, "13.06.00", None, "13.06", "government"),
    ("Setda Kab. Agam", None, "13.06.00", None, "13.06", "government"),  # anyone of that government
    ("Dinas Pendidikan", "13.71", "13.71.00", {"Dinas Pendidikan"}, "13.71", "unit"),
    ("Disdik Prov. Sumbar", None, "13.00.00", {"Dinas Pendidikan"}, "13", "unit"),
    ("Dinas Pendidikan", None, None, None, None, None),  # no region anywhere: nothing to block on
])
def test_units_in_unit_kerja_are_candidates(text: str, hint: str | None, agency: str | None, units: set[str] | None,
                                            region: str | None, scope: str | None, with_reg: bool) -> None:
    got = _index(WHOLE, with_reg).resolve_one(text, hint)
    assert (got.kode_instansi, got.kode_wilayah, got.scope) == (agency, region, scope), got
    assert (set(got.unit_kerja.split(UNIT_SEPARATOR)) if got.unit_kerja else None) == units


@pytest.mark.parametrize(("text", "agency", "scope"), [
    ("Disdik Kab. Agam", "13.06.02", "agency"),
    ("Setda Kab Agam", None, "government"),  # written for anyone of the government, not only its staff
    ("RSUD Agam", "13.06.04", "agency"),
    ("Pemkab Agam", None, "government"),  # the whole government: every agency of the region
    ("Instalasi Farmasi RSUD Kab. Agam", "13.06.04", "agency"),
])
def test_one_agency_per_office_registries(text: str, agency: str | None, scope: str) -> None:
    got = _index(OFFICES).resolve_one(text)
    assert (got.kode_instansi, got.kode_wilayah, got.scope) == (agency, "13.06", scope), got


def test_regions_come_from_the_table_not_from_agency_names() -> None:
    # One agency per region: nothing to learn a region name from, yet every spelling resolves.
    index = _index(WHOLE)
    assert index.region_of_text("Pemkot Padang") == "13.71"
    assert index.region_of_text("Kab Agam") == "13.06"
    assert index.region_of_ppk("Bupati Agam") == "13.06"
    assert index.region_of_ppk("Wali Kota Padang") == "13.71"
    assert index.region_of_ppk("Walikota Padang") == "13.71"
    assert index.region_of_ppk("Gubernur Sumatera Barat") == "13"
    assert index.regions_of_ppk(pd.Series(["Bupati Agam", None, "Pj. Bupati Agam"])).tolist()[::2] == ["13.06"] * 2
    assert index.agency_regions == {"13.06.00": ["13.06"], "13.71.00": ["13.71"], "13.00.00": ["13"]}


def test_registry_region_codes_in_other_shapes_are_read_against_the_table() -> None:
    registry = WHOLE.assign(kode_wilayah=WHOLE["kode_wilayah"].str.replace(".", "", regex=False))  # "1306"
    assert _index(registry).resolve_one("Disdik Kab. Agam").kode_instansi == "13.06.00"


def test_excel_damaged_nip_of_a_recommendation_is_found_through_the_ppk() -> None:
    # A 6-digit Excel mantissa is only searched inside the record's agency or region; the region
    # comes from the PPK title even when the agency text is vague.
    reg = RegistryIndex.build(WHOLE)
    index = AgencyIndex(WHOLE, reg)
    reg.use_regions(index.group_region)
    resolved = index.resolve(pd.Series(["Pemda"]), index.regions_of_ppk(pd.Series(["Bupati Agam"])), raw_hints=False)
    query = resolved.assign(nip=None, nip_raw="1.98405E+17", nip_excel_damaged=True, name_key="andi baso")
    got = match_persons(query, reg).iloc[0]
    assert (got["person_match"], got["person_nip"]) == ("nip_prefix", "198405052009011005")


def test_a_unit_without_the_person_widens_to_the_agency() -> None:
    # The case names the Dinas Pendidikan, the registry keeps Rina at a puskesmas: not in the unit's
    # group, found in the whole agency (a small one here, so the name decides).
    reg = RegistryIndex.build(WHOLE)
    index = AgencyIndex(WHOLE, reg)
    reg.use_regions(index.group_region)
    resolved = index.resolve(pd.Series(["Disdik Kab. Agam", "Disdik Kab. Agam"]), pd.Series([None, None]))
    query = resolved.assign(nip=None, nip_raw=None, nip_excel_damaged=False, name_key=["rina marlina", "sri wahyuni"])
    got = match_persons(query, reg)
    assert got["person_nip"].tolist() == ["198304042008042004", "198102022006042002"]
    assert "whole" in got.loc[0, "match_explanation"] or "agency" in got.loc[0, "match_explanation"]
    assert "work unit" in got.loc[1, "match_explanation"]


def _linked(registry: pd.DataFrame, rows: list[dict[str, object]]) -> pd.DataFrame:
    reg = RegistryIndex.build(registry)
    index = AgencyIndex(registry, reg)
    reg.use_regions(index.group_region)
    frame = pd.DataFrame(rows)
    resolved = index.resolve(frame["instansi"], frame["hint"], frame.get("jabatan"))
    query = resolved.assign(nip=None, nip_raw=None, nip_excel_damaged=False,
                            name_key=[split_name(n).key for n in frame["nama"]],
                            jabatan=frame.get("jabatan"))
    return match_persons(query, reg).join(resolved)


def test_a_national_agency_is_searched_in_the_region_named() -> None:
    # One kode_instansi for the whole Ministry of Religious Affairs, staff in every region: two
    # namesakes in two regions are told apart by the region the text names.
    registry = pd.DataFrame([
        ("198001012005011001", "Ahmad Fauzi", "KEMENAG", "Kementerian Agama", "MAN 1 Agam", "13.06"),
        ("198102022006011002", "Ahmad Fauzi", "KEMENAG", "Kementerian Agama", "MAN 2 Padang", "13.71"),
        ("198203032007012003", "Siti Aminah", "KEMENAG", "Kementerian Agama", "KUA Lubuk Basung", "13.06"),
    ], columns=["nip", "nama", "kode_instansi", "nama_instansi", "unit_kerja", "kode_wilayah"])
    registry["name_key"] = [split_name(n).key for n in registry["nama"]]
    got = _linked(registry, [{"nama": "Ahmad Fauzi", "instansi": "Kemenag Kab. Agam", "hint": None},
                             {"nama": "Ahmad Fauzi", "instansi": "Kantor Kemenag Kota Padang", "hint": None},
                             {"nama": "Ahmad Fauzi", "instansi": "Kementerian Agama", "hint": None},
                             {"nama": "Siti Aminah", "instansi": "Kemenag Kota Padang", "hint": None}])
    assert got["person_nip"].tolist()[:2] == ["198001012005011001", "198102022006011002"]
    assert got.loc[2, "person_match"] in {"review", "unmatched"}  # the whole country: two namesakes
    # Not among Padang's staff: the search widens to the Ministry's staff everywhere.
    assert got.loc[3, "person_nip"] == "198203032007012003"


def test_a_prefix_the_registry_files_as_a_title_still_counts() -> None:
    registry = pd.DataFrame([
        ("198001012005011001", "Rizal", "T.", "13.06.00", "Pemerintah Kabupaten Agam", "13.06"),
        ("198102022006042002", "Rizal", "Cut", "13.06.00", "Pemerintah Kabupaten Agam", "13.06"),
        ("198203032007011003", "Baso", "Dr. Andi", "13.06.00", "Pemerintah Kabupaten Agam", "13.06"),
    ], columns=["nip", "nama", "gelar_depan", "kode_instansi", "nama_instansi", "kode_wilayah"])
    registry["name_key"] = [split_name(n).key for n in registry["nama"]]
    got = _linked(registry, [{"nama": "Teuku Rizal", "instansi": "Pemkab Agam", "hint": None},
                             {"nama": "Cut Rizal", "instansi": "Pemkab Agam", "hint": None},
                             {"nama": "A. Baso", "instansi": "Pemkab Agam", "hint": None}])
    assert got["person_nip"].tolist() == ["198001012005011001", "198102022006042002", "198203032007011003"]


def test_the_position_names_the_work_unit() -> None:
    registry = WHOLE.assign(jabatan="Guru")
    got = _linked(registry, [{"nama": "Sri Wahyuni", "instansi": "Pemkab Agam", "hint": None,
                              "jabatan": "Guru SDN 3 Lubuk Basung"},
                             {"nama": "Sri Wahyuni", "instansi": "Pemkab Agam", "hint": None, "jabatan": "Guru"}])
    assert got.loc[0, "agency_scope"] == "unit" and got.loc[0, "unit_kerja"] == "SDN 3 Lubuk Basung"
    assert got.loc[1, "agency_scope"] == "government"
    assert (got["person_nip"] == "198102022006042002").all()


@pytest.mark.parametrize(("text", "office", "accepted"), [
    ("sekolah dasar negeri 2 ubud", "sekolah dasar negeri 2 ubud", True),
    ("sekolah dasar negeri 2", "sekolah dasar negeri 12", False),  # numbers must agree
    ("sekolah dasar negeri 2", "sekolah dasar negeri 3", False),
    ("sekolah menengah atas negeri 1", "sekolah menengah pertama negeri 1", False),  # SMA is not SMP
    ("dinas pendidikan", "dinas pendidikan pemuda dan olahraga", True),
    ("pusat kesehatan masyarakat tegalalang", "unit pelaksana teknis daerah pusat kesehatan masyarakat tegallalang i",
     True),
    ("sekretariat daerah", "bagian umum", False),
    ("instalasi farmasi rumah sakit umum daerah", "rumah sakit umum daerah", True),  # a part of the office
    ("kantor urusan agama kecamatan gurah", "kecamatan gurah", False),  # another office in the same place
])
def test_office_score(text: str, office: str, accepted: bool) -> None:
    from pantau.matching.agencies import AGENCY_ACCEPT, office_score

    assert (office_score(text, office) >= AGENCY_ACCEPT) is accepted


def test_registry_region_codes_of_another_numbering_are_read_from_agency_names() -> None:
    # This registry numbers Karimun 21.01 (the table: Bintan). Its agency names say Karimun, so
    # 21.01 is read as Karimun here, also for the national agency whose name names no region.
    registry = pd.DataFrame([
        ("198001012005011001", "Fitri Zaleha", "2101", "Pemerintah Kabupaten Karimun", "Sekretariat Daerah", "21.01"),
        ("198102022006012002", "Rudi Hartono", "KEMENAG", "Kementerian Agama", "KUA Meral", "21.01"),
        ("198203032007012003", "Rudi Hartono", "KEMENAG", "Kementerian Agama", "KUA Bintan Timur", "21.02"),
        ("198304042008012004", "Joko Susilo", "2102", "Pemerintah Kabupaten Bintan", "Sekretariat Daerah", "21.02"),
    ], columns=["nip", "nama", "kode_instansi", "nama_instansi", "unit_kerja", "kode_wilayah"])
    registry["name_key"] = [split_name(n).key for n in registry["nama"]]
    got = _linked(registry, [{"nama": "Fitri Zaleha", "instansi": "Setda Karimun", "hint": None},
                             {"nama": "Rudi Hartono", "instansi": "Kemenag Kab. Karimun", "hint": None}])
    assert got["person_nip"].tolist() == ["198001012005011001", "198102022006012002"]
    index = AgencyIndex(registry, RegistryIndex.build(registry))
    assert index.read_code("21.01") == "21.02" and index.read_code("21.02") == "21.01"


def test_a_provincial_school_is_found_from_its_town() -> None:
    # Provinces run the senior high schools: "SMAN 1 Banyuwangi" is the province's, not the regency's.
    registry = pd.DataFrame([
        ("198001012005012001", "Ratna Lestari", "3500", "Pemerintah Provinsi Jawa Timur", "SMA Negeri 1 Banyuwangi",
         "35"),
        ("198102022006012002", "Ratna Lestari", "3510", "Pemerintah Kabupaten Banyuwangi", "SMP Negeri 1 Banyuwangi",
         "35.10"),
        ("198203032007012003", "Dewi Sartika", "3500", "Pemerintah Provinsi Jawa Timur", "SMA Negeri 1 Jember", "35"),
        # Kediri is a kabupaten and a kota: this school is in neither Banyuwangi reading.
        ("198304042008012004", "Ratna Lestari", "3500", "Pemerintah Provinsi Jawa Timur", "SMA Negeri 1 Kediri", "35"),
    ], columns=["nip", "nama", "kode_instansi", "nama_instansi", "unit_kerja", "kode_wilayah"])
    registry["name_key"] = [split_name(n).key for n in registry["nama"]]
    got = _linked(registry, [{"nama": "Ratna Lestari", "instansi": "SMA N 1 Banyuwangi", "hint": None},
                             {"nama": "Ratna Lestari", "instansi": "SMPN 1 Banyuwangi", "hint": None}])
    assert got["unit_kerja"].tolist() == ["SMA Negeri 1 Banyuwangi", "SMP Negeri 1 Banyuwangi"]
    assert got["person_nip"].tolist() == ["198001012005012001", "198102022006012002"]


def test_a_national_agency_named_without_a_region_is_still_a_block() -> None:
    registry = pd.DataFrame([
        ("198001012005011001", "La Ode Rifai", "KEMENAG", "Kementerian Agama", "KUA Sorawolio", "74.72"),
        ("198102022006011002", "Ahmad Fauzi", "KEMENAG", "Kementerian Agama", "MAN 2 Padang", "13.71"),
        ("198203032007011003", "La Ode Rifai", "7472", "Pemerintah Kota Baubau", "Dinas Sosial", "74.72"),
    ], columns=["nip", "nama", "kode_instansi", "nama_instansi", "unit_kerja", "kode_wilayah"])
    registry["name_key"] = [split_name(n).key for n in registry["nama"]]
    got = _linked(registry, [{"nama": "LD. Rifai", "instansi": "Kementerian Agama", "hint": None}])
    assert (got.loc[0, "kode_instansi"], got.loc[0, "person_nip"]) == ("KEMENAG", "198001012005011001")


def test_a_ppk_region_is_the_tables_not_the_registrys_numbering() -> None:
    # This registry codes Lhokseumawe 11.74 and Langsa 11.73 (the table: the other way round). The
    # PPK "Wali Kota Lhokseumawe" names the table's 11.73: it must not be re-read as the registry's 11.73.
    registry = pd.DataFrame([
        ("198001012005012001", "Nurul Suryani", "Cut", "A1", "Pemerintah Kota Lhokseumawe", "11.74"),
        ("198102022006012002", "Nurul Suryani", None, "B2", "Pemerintah Kota Langsa", "11.73"),
    ], columns=["nip", "nama", "gelar_depan", "kode_instansi", "nama_instansi", "kode_wilayah"])
    registry["name_key"] = [split_name(n).key for n in registry["nama"]]
    reg = RegistryIndex.build(registry)
    index = AgencyIndex(registry, reg)
    reg.use_regions(index.group_region)
    resolved = index.resolve(pd.Series([None]), index.regions_of_ppk(pd.Series(["Pj. Wali Kota Lhokseumawe"])),
                             raw_hints=False)
    query = resolved.assign(nip=None, nip_raw=None, nip_excel_damaged=False, name_key="cut nurul suryani")
    assert match_persons(query, reg).loc[0, "person_nip"] == "198001012005012001"


def test_a_lurah_in_a_yogyakarta_kabupaten_heads_a_village() -> None:
    from pantau.matching.evidence import non_asn_reason

    assert non_asn_reason("Lurah Tepus Kelod", None, "34.03") is not None  # Gunungkidul: a kalurahan
    assert non_asn_reason("Lurah Kotabaru", None, "34.71") is None  # Kota Yogyakarta: a kelurahan, ASN
    assert non_asn_reason("Lurah Padang Pasir", None, "13.71") is None
