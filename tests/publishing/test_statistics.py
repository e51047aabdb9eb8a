"""Compliance statistics, disclosure control and blocking candidates (pantau.publishing.statistics)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pantau.exceptions import ConfigError
from pantau.normalize.dates import add_working_days, working_days_between
from pantau.publishing.statistics import (
    ALL_ELECTIONS,
    BLOCKING_COLUMNS,
    COLUMNS,
    KEY,
    UNKNOWN_ELECTION,
    blocking_candidates,
    compliance_statistics,
)
from pantau.settings import DisclosureSettings

COUNT_COLUMNS = ["reported", "forwarded", "recommended", "proven", "followed_up"]
ELECTIONS = ["Pilkada 2020", "Pemilu 2024", "Pilkada 2024"]
# Real codes of the region table (kabupaten, kota, province level), one the table does not know, none.
REGION_CODES = ["33.10", "33.01", "33.71", "33", "13.06", "13.71", "13", "11.06", "11.71", "99.01", None]
AGENCIES = [("33.10.01", "Dinas Pendidikan Kabupaten Klaten"), ("33.10.02", "RSUD Klaten"),
            ("33.71.01", "Dinas Kesehatan Kota Magelang"), ("13.06.22", "Kecamatan Agam Selatan"),
            ("13.00.02", "Dinas Pendidikan Provinsi Sumatera Barat"), ("11.71.09", "Dinas Pertanian Kota Banda Aceh"),
            (None, None)]


def _row(**values: object) -> dict[str, object]:
    """A consolidated row with every column the statistics read (missing = not known)."""
    base: dict[str, object] = {
        "nomor_register": None, "pemilihan": None, "case_kode_wilayah": None, "case_status": None,
        "case_nama": None, "nomor_rekomendasi": None, "tanggal_rekomendasi": None, "rec_nama": None,
        "terbukti": None, "nip": None, "person_match": "unmatched", "follow_up_id": None, "follow_up_key": None,
        "follow_up_nip": None, "tanggal_sk": None, "registry_nama": None, "registry_kode_instansi": None,
        "registry_nama_instansi": None, "registry_kode_wilayah": None,
    }
    base.update(values)
    return base


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["terbukti"] = frame["terbukti"].astype("boolean")
    return frame


def _world(seed: int, n: int) -> pd.DataFrame:
    """A random consolidated frame: persons with several cases, unmatched names, gaps in every column."""
    rng = np.random.default_rng(seed)
    persons = max(2, int(n * rng.uniform(0.5, 0.9)))
    rows = []
    for i in range(n):
        person = int(rng.integers(persons))
        matched = person % 5 != 0
        region = REGION_CODES[int(rng.integers(len(REGION_CODES)))]
        agency, agency_name = AGENCIES[int(rng.integers(len(AGENCIES)))]
        case = rng.random() < 0.9
        recommended = rng.random() < 0.8
        proven = rng.choice([True, False, None], p=[0.7, 0.2, 0.1]) if recommended else None
        decree = bool(recommended and proven and rng.random() < 0.6) or rng.random() < 0.02
        rec_date = date(2020, 3, 2) + timedelta(days=int(rng.integers(1500)))
        name = f"Nama Orang {person}"
        rows.append(_row(
            nomor_register=f"{i}/Reg/LP/PB/Kab/{region}/XI/2024" if case else None,
            pemilihan=(ELECTIONS[int(rng.integers(3))] if rng.random() < 0.95 else None) if case else None,
            case_kode_wilayah=region if case and rng.random() < 0.8 else None,
            case_status=rng.choice(["diteruskan", "dihentikan", "diregistrasi"]) if case else None,
            case_nama=(f"Drs. {name}, M.Si." if rng.random() < 0.5 else name) if case else None,
            nomor_rekomendasi=f"B-{i}/KASN/2024" if recommended else None,
            tanggal_rekomendasi=rec_date if recommended else None,
            rec_nama=name if recommended else None, terbukti=proven,
            nip=f"19800101200501{person:04d}" if matched else None,
            person_match="exact_nip" if matched else "unmatched",
            follow_up_id=str(i) if decree else None, follow_up_key=f"bkd01#{i}" if decree else None,
            tanggal_sk=(rec_date + timedelta(days=int(rng.integers(5, 120)))).isoformat() if decree else None,
            registry_kode_instansi=agency if matched else None,
            registry_nama_instansi=agency_name if matched else None,
            registry_kode_wilayah=region if matched else None,
        ))
    return _frame(rows)


def _key(row: pd.Series) -> tuple[object, ...]:
    return tuple(None if pd.isna(row[c]) else row[c] for c in KEY)


def _relations(table: pd.DataFrame) -> list[tuple[tuple, list[tuple]]]:
    """Totals and their parts, worked out here from the codes alone (not by the module under test)."""
    keys = [_key(r) for _, r in table.iterrows()]
    by_level: dict[str, list[tuple]] = {}
    for key in keys:
        by_level.setdefault(key[0], []).append(key)
    out = []
    elections = sorted({k[1] for k in keys})
    for election in elections:
        top = ("national", ALL_ELECTIONS, None, None, None) if election == ALL_ELECTIONS else (
            "election", election, None, None, None)
        for level in ("province", "agency"):
            parts = [k for k in by_level.get(level, []) if k[1] == election]
            if parts:
                out.append((top, parts))
        for province in [k for k in by_level.get("province", []) if k[1] == election]:
            parts = [k for k in by_level.get("kabkota", []) if k[1] == election and k[2] == province[2]]
            if parts:
                out.append((province, parts))
    places: dict[tuple, list[tuple]] = {}
    for key in keys:
        if key[1] != ALL_ELECTIONS:
            place = ("national",) if key[0] == "election" else (key[0], *key[2:])
            places.setdefault(place, []).append(key)
    for place, parts in places.items():
        total = ("national", ALL_ELECTIONS, None, None, None) if place == ("national",) else (
            place[0], ALL_ELECTIONS, *place[1:])
        out.append((total, parts))
    return out


def _indexed(table: pd.DataFrame) -> dict[tuple, pd.Series]:
    return {_key(r): r for _, r in table.iterrows()}


def _determined(relations: list[tuple[tuple, list[tuple]]], hidden: set[tuple]) -> set[tuple]:
    """Hidden cells whose value the published cells fix exactly through any combination of the relations."""
    order = sorted(hidden, key=str)
    if not order:
        return set()
    position = {k: i for i, k in enumerate(order)}
    rows = []
    for total, parts in relations:
        row = np.zeros(len(order))
        for cell, sign in [(total, 1.0), *[(p, -1.0) for p in parts]]:
            if cell in position:
                row[position[cell]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]  # basis of the null space: a cell is fixed iff every null vector is 0 there
    return {k for k, i in position.items() if null.shape[0] == 0 or np.all(np.abs(null[:, i]) < 1e-9)}


# --------------------------------------------------------------------------- disclosure control


@pytest.mark.parametrize("seed", range(12))
def test_public_cells_describe_at_least_k_persons_and_hidden_cells_cannot_be_subtracted(seed: int) -> None:
    world = _world(seed, n=int(np.random.default_rng(seed).integers(40, 400)))
    k = [2, 3, 3, 5][seed % 4]
    full = _indexed(compliance_statistics(world, k=None))
    public_table = compliance_statistics(world, k=k)
    public = _indexed(public_table)
    assert public.keys() == full.keys()  # suppression hides values, never cells
    relations = _relations(public_table)
    for total, parts in relations:  # the relations are real: every total is the sum of its parts
        for column in COUNT_COLUMNS:
            assert full[total][column] == sum(full[p][column] for p in parts), (total, column)
    hidden = {key for key, row in public.items() if row["suppressed"]}
    for key, row in public.items():
        if row["suppressed"]:
            assert all(pd.isna(row[c]) for c in ["persons", *COUNT_COLUMNS, "follow_up_rate"])
            assert isinstance(row["suppression_note"], str) and row["suppression_note"]
        else:
            assert full[key]["persons"] >= k, key
            assert [row[c] for c in COUNT_COLUMNS] == [full[key][c] for c in COUNT_COLUMNS]
    for total, parts in relations:
        members = [total, *parts]
        assert sum(m in hidden for m in members) != 1, (total, [m for m in members if m in hidden])


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_cell_is_fixed_by_combining_the_published_totals(seed: int) -> None:
    world = _world(seed, n=int(np.random.default_rng(seed).integers(40, 400)))
    table = compliance_statistics(world, k=3)
    hidden = {_key(r) for _, r in table.iterrows() if r["suppressed"]}
    assert _determined(_relations(table), hidden) == set()


def test_the_derivability_check_catches_a_lone_hidden_part() -> None:
    relations = [(("t",), [("a",), ("b",), ("c",)])]
    assert _determined(relations, {("a",)}) == {("a",)}
    assert _determined(relations, {("a",), ("b",)}) == set()
    relations.append((("u",), [("a",), ("d",)]))
    assert _determined(relations, {("a",), ("b",), ("d",)}) == set()
    # "a" is alone in t, and once "a" is known "d" follows from u: a chain, not a single subtraction
    assert _determined(relations, {("a",), ("d",)}) == {("a",), ("d",)}
    # two hidden members in every relation, yet (t + u - v) / 2 gives "a": what one subtraction cannot see
    triangle = [(("t",), [("a",), ("b",)]), (("u",), [("a",), ("c",)]), (("v",), [("b",), ("c",)])]
    assert _determined(triangle, {("a",), ("b",), ("c",)}) == {("a",), ("b",), ("c",)}


def test_a_single_small_cell_brings_a_second_one_down_with_it() -> None:
    rows = [_row(nomor_register=f"{i}", pemilihan="Pilkada 2020", case_kode_wilayah=code, nip=f"nip{i}",
                 person_match="exact_nip") for i, code in enumerate(["33.10"] * 5 + ["33.01"] * 4 + ["33.71"])]
    table = compliance_statistics(_frame(rows), k=3)
    kab = table[(table["level"] == "kabkota") & (table["election"] == ALL_ELECTIONS)].set_index("kabkota_code")
    assert kab.loc["33.71", "suppressed"] and "3" in kab.loc["33.71", "suppression_note"]
    # Magelang (1 person) alone would be Jawa Tengah minus the others: the smallest visible sibling goes too.
    assert kab.loc["33.01", "suppressed"] and not kab.loc["33.10", "suppressed"]
    assert kab.loc["33.10", "persons"] == 5
    assert kab.loc["33.01", "suppression_note"] != kab.loc["33.71", "suppression_note"]


def test_k_none_publishes_every_value_and_k_below_one_is_refused() -> None:
    world = _world(3, 120)
    table = compliance_statistics(world, k=None)
    assert not table["suppressed"].any() and table["suppression_note"].isna().all()
    assert (table["persons"] >= 1).all()
    with pytest.raises(ValueError, match="at least 1"):
        compliance_statistics(world, k=0)


def test_disclosure_k_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANTAU_DISCLOSURE_K", raising=False)
    assert DisclosureSettings.from_env().k == 3
    monkeypatch.setenv("PANTAU_DISCLOSURE_K", "10")
    assert DisclosureSettings.from_env().k == 10
    for bad in ("0", "-2"):
        monkeypatch.setenv("PANTAU_DISCLOSURE_K", bad)
        with pytest.raises(ConfigError, match="PANTAU_DISCLOSURE_K must be at least 1"):
            DisclosureSettings.from_env()
    monkeypatch.setenv("PANTAU_DISCLOSURE_K", "three")
    with pytest.raises(ConfigError, match="integer"):
        DisclosureSettings.from_env()


# --------------------------------------------------------------------------- counting


def test_columns_levels_and_text_codes() -> None:
    rows = [_row(nomor_register="1", pemilihan="Pemilu 2024", case_kode_wilayah="33.10", nip="a",
                 person_match="exact_nip", registry_kode_instansi="33.10.01",
                 registry_nama_instansi="Dinas Pendidikan Kabupaten Klaten"),
            _row(nomor_register="2", pemilihan="Pemilu 2024", case_kode_wilayah="3310", nip="b",
                 person_match="exact_nip", registry_kode_instansi="33.10.01",
                 registry_nama_instansi="Disdik Klaten"),
            _row(nomor_register="3", pemilihan="Pemilu 2024", registry_kode_wilayah="33.10", nip="c",
                 person_match="exact_nip", registry_kode_instansi="33.10.01",
                 registry_nama_instansi="Dinas Pendidikan Kabupaten Klaten")]
    table = compliance_statistics(_frame(rows), k=None)
    assert list(table.columns) == COLUMNS
    assert list(table["level"].unique()) == ["national", "election", "province", "kabkota", "agency"]
    kab = table[table["level"] == "kabkota"]
    assert set(kab["kabkota_code"]) == {"33.10"} and set(kab["province_code"]) == {"33"}
    assert set(kab["kabkota_name"]) == {"Kabupaten Klaten"} and set(kab["province_name"]) == {"Provinsi Jawa Tengah"}
    assert kab["persons"].tolist() == [3, 3]  # SEMUA and Pemilu 2024
    agency = table[table["level"] == "agency"]
    assert set(agency["agency_name"]) == {"Dinas Pendidikan Kabupaten Klaten"}  # the name most rows give
    national = table[table["level"] == "national"].iloc[0]
    assert national["election"] == ALL_ELECTIONS and pd.isna(national["province_code"])
    assert table["province_code"].dropna().map(type).eq(str).all()
    assert not table.duplicated(KEY).any()


def test_region_comes_from_the_case_before_the_registry_and_gaps_are_cells_of_their_own() -> None:
    rows = [_row(nomor_register="1", pemilihan="Pilkada 2024", case_kode_wilayah="13.06",
                 registry_kode_wilayah="33.10", nip="a", person_match="exact_nip"),
            _row(nomor_register="2", pemilihan="Pilkada 2024", registry_kode_wilayah="13", nip="b",
                 person_match="exact_nip"),
            _row(nomor_register="3", nip="c", person_match="exact_nip")]
    table = compliance_statistics(_frame(rows), k=None)
    semua = table[table["election"] == ALL_ELECTIONS]
    province = semua[semua["level"] == "province"]
    assert province["province_code"].fillna("-").tolist() == ["13", "-"]
    assert province["province_name"].tolist() == ["Provinsi Sumatera Barat", "Wilayah tidak diketahui"]
    kab = semua[semua["level"] == "kabkota"]
    assert kab["kabkota_code"].fillna("-").tolist() == ["13.06", "-"]
    assert kab["kabkota_name"].tolist()[1].startswith("Tingkat provinsi")
    elections = table[table["level"] == "election"]["election"].tolist()
    assert elections == ["Pilkada 2024", UNKNOWN_ELECTION]


def test_counts_rate_persons_and_working_days() -> None:
    april = date(2024, 4, 1)  # docs/DOMAIN.md §2.4: due 29 April 2024 = 14 working days after 1 April
    rows = [
        # one matched person, two cases, both proven, one followed up after 14 working days
        _row(nomor_register="1", pemilihan="Pemilu 2024", case_status="diteruskan", nomor_rekomendasi="R1",
             tanggal_rekomendasi=april, terbukti=True, nip="n1", person_match="exact_nip", follow_up_id="9",
             tanggal_sk="2024-04-29"),
        _row(nomor_register="2", pemilihan="Pemilu 2024", case_status="diteruskan", nomor_rekomendasi="R2",
             tanggal_rekomendasi=april, terbukti=True, nip="n1", person_match="exact_nip"),
        # an unmatched person written with and without titles: one person
        _row(nomor_register="3", pemilihan="Pemilu 2024", case_status="dihentikan", case_nama="Drs. Budi Santoso"),
        _row(nomor_register="4", pemilihan="Pemilu 2024", case_status="diteruskan", case_nama="Budi Santoso, M.Si.",
             nomor_rekomendasi="R4", tanggal_rekomendasi=april, terbukti=False, follow_up_id="10",
             tanggal_sk="2024-04-02"),
        # a decree for a recommendation of unknown outcome is not a follow-up of a proven one
        _row(nomor_register="5", pemilihan="Pemilu 2024", nomor_rekomendasi="R5",
             tanggal_rekomendasi=april, terbukti=None, nip="n3", person_match="exact_nip", follow_up_id="11",
             tanggal_sk="2024-04-10"),
    ]
    national = compliance_statistics(_frame(rows), k=None).iloc[0]
    assert national["level"] == "national"
    assert national["persons"] == 3
    assert (national["reported"], national["forwarded"], national["recommended"]) == (5, 3, 4)
    assert (national["proven"], national["followed_up"]) == (2, 1)
    assert national["follow_up_rate"] == 0.5
    assert national["median_working_days_to_follow_up"] == 14 == working_days_between(april, date(2024, 4, 29))


# --------------------------------------------------------------------------- official figures


def _official(election: str, reported: int, proven: int, followed_up: int, not_proven: int = 0) -> list[dict]:
    """Rows reproducing one published tally, spread over regions and agencies like real data."""
    regions = ["33.10", "13.06", "11.71", "32.73", "35.78", "13"]
    rows = []
    for i in range(reported):
        is_proven = i < proven
        recommended = is_proven or i < proven + not_proven
        rows.append(_row(
            nomor_register=f"{election}/{i}", pemilihan=election, case_status="diteruskan",
            case_kode_wilayah=regions[i % len(regions)], nip=f"{election}-{i}", person_match="exact_nip",
            nomor_rekomendasi=f"R/{election}/{i}" if recommended else None,
            tanggal_rekomendasi=date(2020, 9, 1) if recommended else None,
            terbukti=True if is_proven else (False if recommended else None),
            follow_up_id=f"{i}" if i < followed_up else None,
            tanggal_sk="2020-10-01" if i < followed_up else None))
    return rows


def test_official_figures_are_reproduced() -> None:
    """The follow-up rates KASN and Bawaslu published, as quoted in press reports (docs/DOMAIN.md §2.6).

    Pilkada 2020 at 31 July 2020: 456 reported, 344 recommendations (all proven), 189 followed up, 54.9 %.
    Pilkada 2020 final: 2,034 reported, 1,596 proven, 1,413 followed up, 88.5 %; the 200 recommendations
    that found no violation are this test's own addition, to show they do not enter the rate.
    Pemilu 2024: 403 reported, 183 proven, 97 sanctioned, 53 %.
    """
    tallies = [("Pilkada 2020 (31 Juli)", 456, 344, 189, 0, 54.9), ("Pilkada 2020", 2034, 1596, 1413, 200, 88.5),
               ("Pemilu 2024", 403, 183, 97, 0, 53.0)]
    rows = [r for name, rep, prov, fol, not_prov, _ in tallies for r in _official(name, rep, prov, fol, not_prov)]
    for k in (None, 3):
        table = compliance_statistics(_frame(rows), k=k)
        elections = table[table["level"] == "election"].set_index("election")
        for name, reported, proven, followed, _, rate in tallies:
            cell = elections.loc[name]
            assert not cell["suppressed"]
            assert (cell["reported"], cell["proven"], cell["followed_up"]) == (reported, proven, followed)
            assert round(float(cell["follow_up_rate"]) * 100, 1) == rate
        national = table[table["level"] == "national"].iloc[0]
        assert national["followed_up"] == 189 + 1413 + 97 and national["proven"] == 344 + 1596 + 183


# --------------------------------------------------------------------------- blocking candidates


def _overdue(as_of: date) -> pd.DataFrame:
    rows = []
    for i, (state, rec) in enumerate([("escalated", date(2024, 4, 1)), ("overdue", date(2024, 12, 2)),
                                      ("upcoming", date(2024, 12, 20)), ("escalated", date(2024, 3, 1)),
                                      ("escalated", date(2024, 3, 1))]):
        due = add_working_days(rec, 14)
        rows.append({"nomor_rekomendasi": f"R-{i}", "tanggal_rekomendasi": rec, "state": state,
                     "due_date": due.isoformat(), "escalation_date": add_working_days(due, 14).isoformat(),
                     "registry_nama": None if i == 4 else f"Registry {i}", "rec_nama": f"Rekomendasi {i}",
                     "nip": f"nip-{i}", "registry_kode_instansi": "33.10.01" if i != 3 else "13.06.22",
                     "registry_nama_instansi": "Dinas", "ppk": "Bupati Klaten", "rekomendasi_sanksi": "MORAL_TERBUKA",
                     "registry_kode_wilayah": "33.10", "case_kode_wilayah": "33.10", "pemilihan": "Pemilu 2024",
                     "nomor_register": f"{i}/Reg", "as_of": as_of})
    return pd.DataFrame(rows)


def test_blocking_candidates_are_the_escalated_rows_with_working_days() -> None:
    as_of = date(2025, 1, 6)
    table = blocking_candidates(_overdue(as_of), as_of)
    assert list(table.columns) == BLOCKING_COLUMNS
    assert table["nomor_rekomendasi"].tolist() == ["R-3", "R-4", "R-0"]  # escalation date, then agency
    assert table["nama"].tolist() == ["Registry 3", "Rekomendasi 4", "Registry 0"]
    first = table.iloc[2]
    assert first["due_date"] == date(2024, 4, 29) and first["escalation_date"] == date(2024, 5, 22)
    assert first["working_days_past_due"] == working_days_between(date(2024, 4, 29), as_of)
    assert first["working_days_past_escalation"] == working_days_between(date(2024, 5, 22), as_of)
    assert table["nip"].map(type).eq(str).all() and (table["as_of"] == as_of).all()


def test_working_days_count_after_the_date_up_to_and_including_as_of() -> None:
    frame = _overdue(date(2024, 6, 1)).iloc[[0]].assign(due_date="2024-05-31", escalation_date="2024-05-31")
    monday = date(2024, 6, 3)  # Friday 31 May 2024 is the last day; Monday 3 June the first working day after
    assert blocking_candidates(frame, monday)["working_days_past_due"].tolist() == [1]
    assert blocking_candidates(frame, date(2024, 6, 1))["working_days_past_escalation"].tolist() == [0]
    assert blocking_candidates(frame, date(2024, 5, 31))["working_days_past_due"].tolist() == [0]


def test_blocking_candidates_of_nothing_keep_their_columns() -> None:
    empty = blocking_candidates(_overdue(date(2025, 1, 6)).iloc[:0], date(2025, 1, 6))
    assert empty.empty and list(empty.columns) == BLOCKING_COLUMNS
    no_escalation = _overdue(date(2025, 1, 6)).assign(state="overdue")
    assert blocking_candidates(no_escalation, date(2025, 1, 6)).empty


def test_blocking_candidates_are_sorted_stably() -> None:
    frame = _overdue(date(2025, 1, 6))
    once = blocking_candidates(frame, date(2025, 1, 6))
    shuffled = blocking_candidates(frame.sample(frac=1, random_state=7), date(2025, 1, 6))
    pd.testing.assert_frame_equal(once, shuffled)


# --------------------------------------------------------------------------- scale


def test_fifty_thousand_rows_well_under_five_seconds() -> None:
    world = _world(11, 2_000)
    big = pd.concat([world.assign(nomor_register=world["nomor_register"] + f"#{i}",
                                  nip=world["nip"].where(world["nip"].isna(), world["nip"] + f"{i % 7}"))
                     for i in range(25)], ignore_index=True)
    assert len(big) == 50_000
    started = time.perf_counter()
    table = compliance_statistics(big, k=3)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, f"{elapsed:.2f} s"
    assert table.loc[0, "reported"] == big["nomor_register"].notna().sum()
