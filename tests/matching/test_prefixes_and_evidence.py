"""Person matching on real Indonesian naming conventions and on evidence beyond the name.

Registries and sources disagree on name prefixes (Balinese I/Ni and birth-order names, Bugis Andi,
Buton La/Wa Ode, Acehnese Teuku/Cut, Javanese Raden), and a whole regional government is a block of
thousands of persons where a name alone proves little. These tests pin the rules of
pantau.matching.evidence on small hand-made registries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pantau.matching.persons import RegistryIndex, match_persons
from pantau.normalize.names import split_name

AGENCY, REGION = "51.03.02", "51.03"


def _nip(birth: str, seq: int, male: bool, appointed: str = "200501") -> str:
    return f"{birth}{appointed}{1 if male else 2}{seq:03d}"


def _registry(people: list[tuple[str, bool]], agency: str = AGENCY, extra: int = 0,
              jabatan: list[str] | None = None) -> pd.DataFrame:
    """One agency of ``people`` (name, male) plus ``extra`` filler persons with distinct names."""
    rows = [(_nip("19800101", i + 1, male), name) for i, (name, male) in enumerate(people)]
    frame = pd.DataFrame(rows, columns=["nip", "nama"])
    if extra:
        births = pd.date_range("1960-01-01", periods=extra, freq="D").strftime("%Y%m%d")
        filler = pd.DataFrame({"nip": [_nip(b, 1 + i % 900, i % 2 == 0, "199001") for i, b in enumerate(births)],
                               "nama": [f"Pegawai {_word(i)}" for i in range(extra)]})
        frame = pd.concat([frame, filler], ignore_index=True)
    frame["name_key"] = [split_name(n).key for n in frame["nama"]]
    frame["kode_instansi"], frame["kode_wilayah"] = agency, REGION
    if jabatan is not None:
        frame["jabatan"] = jabatan + ["Pengadministrasi Umum"] * (len(frame) - len(jabatan))
    return frame


def _word(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "".join(letters[(i // 26**k) % 26] for k in range(4)) + "wati"


def _match(registry: pd.DataFrame, name: str, **kw: object) -> pd.Series:
    row = {"nip": None, "nip_raw": None, "nip_excel_damaged": False, "name_key": split_name(name).key,
           "kode_instansi": AGENCY, "kode_wilayah": REGION}
    row.update(kw)
    return match_persons(pd.DataFrame([row]), RegistryIndex.build(registry)).iloc[0]


def _nip_of(registry: pd.DataFrame, name: str) -> str:
    return str(registry.loc[registry["nama"].eq(name), "nip"].iloc[0])


BALI = [("I Wayan Sudarsana", True), ("I Made Sudarsana", True), ("Ni Wayan Suryani", False),
        ("Anak Agung Gede Oka", True), ("Ni Luh Putu Ariani", False), ("Ni Made Sriasih", False)]


@pytest.mark.parametrize(("written", "registered"), [
    ("Wayan Sudarsana", "I Wayan Sudarsana"),  # I dropped by the source
    ("I Wayan Sudarsana, S.Pd.", "I Wayan Sudarsana"),
    ("I Made Sudarsana", "I Made Sudarsana"),  # the brother: birth order decides
    ("Putu Ariani", "Ni Luh Putu Ariani"),  # Ni Luh dropped
    ("Agung Gede Oka", "Anak Agung Gede Oka"),
    ("A.A. Gede Oka", "Anak Agung Gede Oka"),
    ("I Wy. Sudarsana", "I Wayan Sudarsana"),  # Balinese offices abbreviate the birth-order name
    ("Ni Md. Sriasih", "Ni Made Sriasih"),
])
def test_dropped_prefix_is_tolerated_and_birth_order_decides(written: str, registered: str) -> None:
    registry = _registry(BALI)
    got = _match(registry, written)
    assert (got["person_match"], got["person_nip"]) == ("name_agency", _nip_of(registry, registered)), got.to_dict()


@pytest.mark.parametrize("written", ["Ni Wayan Sudarsana", "I Wayan Suryani"])
def test_gender_prefix_conflict_is_never_a_match(written: str) -> None:
    # "I Wayan X" and "Ni Wayan X" are a brother and a sister, not spelling variants: the folded
    # names differ by two letters (97/100 before), the prefix says male vs female.
    registry = _registry([(n, m) for n, m in BALI if n != "I Made Sudarsana"])
    got = _match(registry, written)
    assert got["person_match"] == "unmatched", got.to_dict()
    assert pd.isna(got["person_nip"])


def test_gender_from_prefix_against_the_nip_gender_digit() -> None:
    # The registry wrote the name without prefix, but its NIP (digit 15 = 1) says male.
    registry = _registry([("Made Sriasih", True)])
    assert _match(registry, "Ni Made Sriasih")["person_match"] == "unmatched"
    registry = _registry([("Made Sriasih", False)])
    assert _match(registry, "Ni Made Sriasih")["person_match"] == "name_agency"


@pytest.mark.parametrize(("written", "registered", "matched"), [
    ("T. Rizal", "Teuku Rizal", True),
    ("Teuku Rizal", "T. Rizal", True),
    ("A. Baso", "Andi Baso", True),
    ("Baso Daeng Nai", "Baso Dg. Nai", True),
    ("Baso Amir", "Baso Amir Daeng Nai", True),  # the daeng name left out
    ("Ahmad Yani bin Yusuf", "Ahmad Yani", True),  # a patronym added
    ("LD. Hamid", "La Ode Hamid", True),
    ("La Ode Ali", "Wa Ode Ali", False),
    ("Cut Rizal", "Teuku Rizal", False),
    ("Raden Ajeng Siti Hartati", "Raden Mas Siti Hartati", False),
    ("Rr. Siti Hartati", "Raden Roro Siti Hartati", True),
])
def test_abbreviated_and_conflicting_prefixes(written: str, registered: str, matched: bool) -> None:
    male = not registered.startswith(("Wa ", "Raden Roro", "Raden Ajeng"))
    registry = _registry([(registered, male), ("Yohanes Pattiasina", True)])
    got = _match(registry, written)
    assert (got["person_match"] == "name_agency") is matched, got.to_dict()
    if matched:
        assert got["person_nip"] == _nip_of(registry, registered)


def test_a_balinese_caste_title_is_not_a_commoner() -> None:
    # "Ni" marks a commoner woman; "I Gusti Ayu" a noblewoman: the same core name is another person.
    registry = _registry([("Ni Ketut Rusmini", False), ("Yohanes Pattiasina", True)])
    assert _match(registry, "Gusti Ayu Ketut Rusmini")["person_match"] != "name_agency"
    registry = _registry([("I Gusti Ayu Ketut Rusmini", False), ("Yohanes Pattiasina", True)])
    assert _match(registry, "Gusti Ayu Ketut Rusmini")["person_match"] == "name_agency"
    assert _match(registry, "Ketut Rusmini")["person_match"] == "name_agency"  # the title dropped


def test_prefix_stripped_names_compete_on_features() -> None:
    # Two persons whose names differ only by prefix: the written one picks the right one, clearly.
    registry = _registry([("I Wayan Sudarsana", True), ("Ni Wayan Sudarsana", False)])
    got = _match(registry, "Ni Wayan Sudarsana")
    assert (got["person_match"], got["person_nip"]) == ("name_agency", _nip_of(registry, "Ni Wayan Sudarsana"))


# --- whole-government blocks -------------------------------------------------------------------------


def test_name_alone_in_a_block_of_thousands_needs_a_near_exact_unique_name() -> None:
    registry = _registry([("Ketut Suardana", True), ("Made Wirawan", True)], extra=3000)
    assert len(registry) > 1000
    exact = _match(registry, "Ketut Suardana")
    assert exact["person_match"] == "name_agency"
    assert "3,002 persons" in exact["match_explanation"]
    # A variant good enough in a ten-person office (94/100) is not enough among thousands.
    small = _registry([("Ketut Suardana", True), ("Made Wirawan", True)])
    assert _match(small, "Ketut Suardhana")["person_match"] == "name_agency"
    close = _match(registry, "Ketut Suardhana")
    assert close["person_match"] == "review", close.to_dict()


def test_partial_nip_digits_corroborate_in_a_large_block() -> None:
    registry = _registry([("Ketut Suardana", True)], extra=3000)
    nip = _nip_of(registry, "Ketut Suardana")
    # 17 digits (one lost): no NIP, but the birth date in it agrees with the candidate.
    got = _match(registry, "Ketut Suardhana", nip_raw=nip[:-1])
    assert got["person_match"] == "name_agency", got.to_dict()
    assert "birth date in NIP digits agrees" in got["match_explanation"]
    # The same digits with another birth date contradict the candidate.
    other = _match(registry, "Ketut Suardana", nip_raw="19911231" + nip[8:-1])
    assert other["person_match"] != "name_agency", other.to_dict()


def test_non_asn_respondent_is_not_linked_on_a_name() -> None:
    registry = _registry([("Ahmad Syukri", True), ("Siti Maryam", False)])
    for jabatan, instansi in (("Kepala Desa", "Desa Sukamaju"), ("Tenaga Honorer", "Dinas Pendidikan"),
                              ("Anggota Tim Kampanye", None), (None, "Pemerintah Desa Lubuk Basung"),
                              ("Perbekel Mas", None), ("PPNPN", "Setda"), ("Lurah", "Pemerintah Kalurahan Sendangadi"),
                              ("Saksi Paslon", None), ("Keuchik", "Gampong Lamteh")):
        got = _match(registry, "Ahmad Syukri", jabatan=jabatan, instansi_raw=instansi)
        assert got["person_match"] == "unmatched", (jabatan, instansi, got.to_dict())
        assert "not an ASN position" in got["match_explanation"]
    # A national ID (NIK, 16 digits) where the NIP belongs: no NIP to give.
    got = _match(registry, "Ahmad Syukri", nip_raw="3502165112688060")
    assert got["person_match"] == "unmatched" and "NIK" in got["match_explanation"]
    # An ASN position with the same name links as before.
    assert _match(registry, "Ahmad Syukri", jabatan="Guru Ahli Pertama")["person_match"] == "name_agency"


def test_non_asn_with_a_registry_nip_still_links_by_nip() -> None:
    registry = _registry([("Ahmad Syukri", True)])
    nip = _nip_of(registry, "Ahmad Syukri")
    got = _match(registry, "Ahmad Syukri", nip=nip, nip_raw=nip, jabatan="Tenaga Honorer")
    assert (got["person_match"], got["person_nip"]) == ("exact_nip", nip)


def test_position_breaks_a_tie_between_namesakes() -> None:
    registry = _registry([("Budi Santoso", True), ("Budi Santoso", True)],
                         jabatan=["Guru Ahli Pertama", "Analis Keuangan"])
    got = _match(registry, "Budi Santoso", jabatan="Analis Keuangan")
    # A mild signal: it ranks, but two identical names stay a steward's call unless the margin holds.
    assert got["person_match"] in {"name_agency", "review"}
    if got["person_match"] == "name_agency":
        assert got["person_nip"] == registry["nip"].iloc[1]
    else:
        assert registry["nip"].iloc[1] in got["review_candidates"]


def test_work_unit_narrows_the_block() -> None:
    # Registry: one whole-government agency; units in unit_kerja. Two namesakes in different units.
    registry = _registry([("Budi Santoso", True), ("Budi Santoso", True), ("Siti Aminah", False)],
                         agency="13.06.00", extra=50)
    registry["unit_kerja"] = ["Dinas Pendidikan", "RSUD Lubuk Basung", "Dinas Pendidikan"] + ["Setda"] * 50
    reg = RegistryIndex.build(registry)
    query = pd.DataFrame([{"nip": None, "nip_raw": None, "nip_excel_damaged": False, "name_key": "budi santoso",
                           "kode_instansi": "13.06.00", "unit_kerja": "RSUD Lubuk Basung", "kode_wilayah": REGION},
                          {"nip": None, "nip_raw": None, "nip_excel_damaged": False, "name_key": "budi santoso",
                           "kode_instansi": "13.06.00", "unit_kerja": None, "kode_wilayah": REGION}])
    got = match_persons(query, reg)
    assert (got.loc[0, "person_match"], got.loc[0, "person_nip"]) == ("name_agency", registry["nip"].iloc[1])
    assert "work unit" in got.loc[0, "match_explanation"]
    assert got.loc[1, "person_match"] == "review"  # the whole agency: two namesakes


def test_evidence_scoring_is_vectorised_over_many_pairs() -> None:
    registry = _registry(BALI, extra=2000)
    reg = RegistryIndex.build(registry)
    names = ["Wayan Sudarsana", "Ni Wayan Suryani", "Putu Ariani"] * 300
    query = pd.DataFrame({"nip": None, "nip_raw": None, "nip_excel_damaged": False,
                          "name_key": [split_name(n).key for n in names], "kode_instansi": AGENCY,
                          "kode_wilayah": REGION})
    got = match_persons(query, reg)
    assert (got["person_match"] == "name_agency").all()
    assert np.array_equal(got["person_nip"].iloc[:3].to_numpy(),
                          [_nip_of(registry, "I Wayan Sudarsana"), _nip_of(registry, "Ni Wayan Suryani"),
                           _nip_of(registry, "Ni Luh Putu Ariani")])


def test_a_nip_read_back_from_a_float_cell_is_searched_within_32() -> None:
    # 199007082010042001 in a number cell comes back as the nearest float64, 199007082010041984:
    # digits 15-18 (gender, sequence) are float noise, no one-digit repair reaches it.
    registry = _registry([("Vina Hasanah", False), ("Yohanes Pattiasina", True)])
    registry.loc[0, "nip"] = "199007082010042001"
    got = _match(registry, "Vina Hasanah", nip="199007082010041984", nip_raw="199007082010041984")
    assert (got["person_match"], got["person_nip"]) == ("nip_prefix", "199007082010042001"), got.to_dict()


@pytest.mark.parametrize(("written", "registered"), [
    ("I.B. Putu Suardika", "Ida Bagus Putu Suardika"),
    ("I Gst. Ayu Ayu Sumiati", "I Gusti Ayu Ayu Sumiati"),
    ("I G.N. Rai", "I Gusti Ngurah Rai"),
    ("C. Siti Aini", "Cut Siti Aini"),
    ("Sharifah Rahmi", "Syarifah Rahmi"),
])
def test_more_abbreviated_prefixes(written: str, registered: str) -> None:
    male = not registered.startswith(("Cut", "Syarifah", "I Gusti Ayu"))
    registry = _registry([(registered, male), ("Yohanes Pattiasina", True)])
    got = _match(registry, written)
    assert (got["person_match"], got["person_nip"]) == ("name_agency", _nip_of(registry, registered)), got.to_dict()
