"""The case lifecycle: Bawaslu register -> forward/stop -> KASN/BKN recommendation -> BKD follow-up.

Each case's true timeline is drawn once; the sources are then *snapshots* of that timeline at the
phase cut-offs (what each agency's system shows when it is read). Per-case Python is fine here:
at most 100k cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
import numpy as np

from pantau.simulate import names as nm
from pantau.simulate import noise as nz
from pantau.simulate import reference as ref
from pantau.simulate.gen_registry import Registry
from pantau.simulate.gen_uraian import uraian

# Moments the agencies' systems are read (naive WIB). Phase 2 sees Pilkada 2024's later cases.
PHASE_CUTOFFS = {1: dt.datetime(2024, 12, 10, 0, 0), 2: dt.datetime(2025, 3, 1, 0, 0)}
FOLLOW_UP_WORKING_DAYS = 14
_KATEGORI_SET_SHARE = 0.35  # Bawaslu assigns a category code to about a third of its records
_STOP_SHARE = 0.15  # share of cases Bawaslu stops (dihentikan) instead of forwarding
_REPEAT_SHARE = 0.04  # cases whose terlapor already had a case


@lru_cache(maxsize=1)
def _holiday_set() -> frozenset[dt.date]:
    cal = holidays.country_holidays("ID", years=range(2019, 2027), categories=("public", "government"))
    return frozenset(cal.keys())


def add_working_days(start: dt.date, n: int) -> dt.date:
    """``n`` working days after ``start`` (weekends, national holidays and cuti bersama skipped)."""
    hol = _holiday_set()
    d = start
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5 and d not in hol:
            n -= 1
    return d


@dataclass
class Presented:
    """How one source writes a person: name with titles, NIP text, agency text, and the noise applied."""

    nama: str
    nip: str | None
    nip_clean: str | None  # the NIP digits the source *meant* (after typos: the wrong digits)
    instansi: str
    noise: list[str]


@dataclass
class Recommendation:
    tanggal: dt.date
    issuer: str  # KASN | BKN
    proven: bool
    sanction: str | None  # Sanction.code
    referensi_kind: str  # register | surat | none
    nomor: str = ""
    row: Presented | None = None
    malformed: str | None = None


@dataclass
class FollowUp:
    tanggal_sk: dt.date
    updated_at: dt.datetime
    timeliness: str  # on_time | late
    sanction: str
    lighter: bool
    no_rec_number: bool
    malformed: str | None
    nomor_sk: str
    keterangan: str | None
    id: int = 0


@dataclass
class Case:
    case_id: int
    person: int
    election: ref.Election
    agency: ref.Agency
    jenis: str
    registered: dt.datetime  # local time of the region
    category: str
    kategori_set: bool
    uraian: str
    outcome: str  # diteruskan | dihentikan
    decided: dt.datetime
    presented: Presented
    jabatan: str
    extra_field: bool
    malformed: str | None
    update_at: dt.datetime | None  # record edited between the phases
    true_nip: str = ""
    nomor_register: str = ""
    nomor_surat: str | None = None
    rec: Recommendation | None = None
    fu: FollowUp | None = None
    noise: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- presenting persons


def present(reg: Registry, person: int, agency: ref.Agency, rng: np.random.Generator, noise: nz.NoiseConfig,
            excel: bool) -> Presented:
    """Write a person the way a source types them, drawing every switch (so draws stay aligned)."""
    applied: list[str] = []
    nama = str(reg.catalog.names[reg.name[person]])
    depan, belakang = nm.FRONT_TITLES[reg.front[person]], nm.BACK_TITLES[reg.back[person]]
    hits = {n: noise.hit(rng, n) for n in ("title_variant", "spelling_variant", "name_uppercase", "instansi_variant")}
    if hits["title_variant"]:
        depan, belakang, _ = nz.title_variant(depan, belakang, int(reg.gender[person]), rng)
        applied.append("title_variant")
    if hits["spelling_variant"]:
        variant = nm.spelling_variant(nama, rng)
        if variant:
            nama = variant
            applied.append("spelling_variant")
    text = nm.full_name(nama, depan, belakang)
    if hits["name_uppercase"]:
        text = text.upper()
        applied.append("name_uppercase")
    instansi = agency.nama_instansi
    if hits["instansi_variant"] and agency.variants:
        instansi = agency.variants[int(rng.integers(0, len(agency.variants)))]
        applied.append("instansi_variant")
    nip_text, nip_clean = present_nip(str(reg.nip[person]), rng, noise, excel, applied)
    return Presented(text, nip_text, nip_clean, instansi, applied)


def present_nip(nip: str, rng: np.random.Generator, noise: nz.NoiseConfig, excel: bool,
                applied: list[str]) -> tuple[str | None, str | None]:
    names = ("nip_missing", "nip_typo", "nip_transposed", "nip_excel_sci", "nip_excel_float", "nip_excel_dot0",
             "nip_spaced", "nip_dotted")
    hits = {n: noise.hit(rng, n) for n in names}
    if hits["nip_missing"]:
        applied.append("nip_missing")
        return None, None
    if hits["nip_typo"]:
        nip = nz.nip_typo(nip, rng)
        applied.append("nip_typo")
    elif hits["nip_transposed"]:
        nip = nz.nip_transposed(nip, rng)
        applied.append("nip_transposed")
    if excel:
        for name, fn in (("nip_excel_sci", nz.nip_excel_sci), ("nip_excel_float", nz.nip_excel_float),
                         ("nip_excel_dot0", nz.nip_excel_dot0)):
            if hits[name]:
                applied.append(name)
                return fn(nip), nip
    if hits["nip_spaced"]:
        applied.append("nip_spaced")
        return nz.nip_spaced(nip), nip
    if hits["nip_dotted"]:
        applied.append("nip_dotted")
        return nz.nip_dotted(nip), nip
    return nip, nip


# --------------------------------------------------------------------------- drawing the timelines


def _draw_register_time(rng: np.random.Generator, election: ref.Election) -> dt.datetime:
    lo = dt.date.fromisoformat(election.register_start)
    hi = dt.date.fromisoformat(election.register_end)
    # Cases bunch up towards election day: a triangular draw peaking three quarters in.
    span = (hi - lo).days
    day = lo + dt.timedelta(days=int(rng.triangular(0, span * 0.75, span)))
    while day.weekday() >= 5 or day in _holiday_set():
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(int(rng.integers(8, 17)), int(rng.integers(0, 60)), int(rng.integers(0, 60))))


def _office_time(rng: np.random.Generator, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(int(rng.integers(8, 17)), int(rng.integers(0, 60)), int(rng.integers(0, 60))))


def _pick_persons(rng: np.random.Generator, reg: Registry, n: int) -> np.ndarray:
    active = np.flatnonzero(reg.status == 0)
    persons = rng.choice(active, size=n, replace=len(active) < n)
    repeat = rng.random(n) < _REPEAT_SHARE
    repeat[0] = False
    # Repeat offenders: the person of an earlier case, as happens across elections.
    earlier = (rng.random(n) * np.arange(n)).astype(np.int64)
    for i in np.flatnonzero(repeat):
        persons[i] = persons[earlier[i]]
    return persons


def _draw_recommendation(rng: np.random.Generator, nrng: np.random.Generator, case: Case, noise: nz.NoiseConfig,
                         reg: Registry) -> None:
    tanggal = case.decided.date() + dt.timedelta(days=int(rng.integers(3, 31)))
    issuer = "BKN" if tanggal >= dt.date.fromisoformat(ref.BKN_TAKEOVER) else "KASN"
    proven = bool(rng.random() < case.election.proven_rate)
    sanction = None
    if proven:
        sanction = ref.CATEGORY_BY_CODE[case.category].sanction
        if rng.random() < 0.2:  # the examiner weighs circumstances: one step either way
            sev = ref.SANCTION_BY_CODE[sanction].severity + (1 if rng.random() < 0.5 else -1)
            sanction = ref.SANCTIONS[min(max(sev, 1), 4) - 1].code if sanction != "PTDH" else sanction
    u = rng.random()
    ref_kind = "register" if u < 0.4 else ("surat" if u < 0.6 else "none")
    rec = Recommendation(tanggal, issuer, proven, sanction, ref_kind)
    rec.row = present(reg, case.person, case.agency, nrng, noise, excel=True)
    if noise.hit(nrng, "export_malformed_row"):
        rec.malformed = "empty_name" if nrng.random() < 0.5 else "impossible_date"
    case.rec = rec


def _draw_follow_up(rng: np.random.Generator, nrng: np.random.Generator, case: Case, noise: nz.NoiseConfig) -> None:
    rec = case.rec
    assert rec is not None and rec.sanction is not None
    followed = rng.random() < case.election.follow_up_rate
    lighter_hit = noise.hit(nrng, "followup_lighter")
    no_number = noise.hit(nrng, "followup_no_rec_number")
    malformed = "missing_field" if noise.hit(nrng, "followup_malformed") else None
    on_time = rng.random() < 0.6
    days = int(rng.integers(1, FOLLOW_UP_WORKING_DAYS + 1))
    late_days = int(rng.integers(1, 150))
    if not followed:
        return
    deadline = add_working_days(rec.tanggal, FOLLOW_UP_WORKING_DAYS)
    sk = add_working_days(rec.tanggal, days) if on_time else deadline + dt.timedelta(days=late_days)
    severity = ref.SANCTION_BY_CODE[rec.sanction].severity
    lighter = lighter_hit and severity > 1
    sanction = ref.SANCTIONS[severity - 2].code if lighter else rec.sanction
    updated = _office_time(rng, sk + dt.timedelta(days=int(rng.integers(0, 6))))
    nomor_sk = (f"800.1.6.4/{int(rng.integers(1, 999)):03d}/BKPSDM/{sk.year}" if rng.random() < 0.5
                else f"Kpts.{int(rng.integers(1, 2000))}/BKD/{sk.year}")
    ket = (None, "Tindak lanjut rekomendasi", f"Pelaksanaan sanksi atas rekomendasi {rec.issuer}")[int(rng.integers(0, 3))]
    case.fu = FollowUp(sk, updated, "on_time" if sk <= deadline else "late", sanction, lighter, no_number, malformed,
                       nomor_sk, ket)


def _draw_case(rng: np.random.Generator, nrng: np.random.Generator, i: int, person: int, reg: Registry,
               noise: nz.NoiseConfig, agencies: tuple[ref.Agency, ...]) -> Case:
    shares = np.array([e.share for e in ref.ELECTIONS])
    election = ref.ELECTIONS[int(rng.choice(len(shares), p=shares / shares.sum()))]
    agency = agencies[int(reg.agency[person])]
    cats = np.array([c.share for c in ref.VIOLATION_CATEGORIES])
    category = ref.VIOLATION_CATEGORIES[int(rng.choice(len(cats), p=cats / cats.sum()))].code
    jenis = "temuan" if rng.random() < 0.45 else "laporan"
    registered = _draw_register_time(rng, election)
    outcome = "dihentikan" if rng.random() < _STOP_SHARE else "diteruskan"
    decided = _office_time(rng, add_working_days(registered.date(), int(rng.integers(2, 12))))
    text = uraian(category, jenis, election.name, agency.region_name, _id_date(registered.date()), rng)
    presented = present(reg, person, agency, nrng, noise, excel=False)
    extra = noise.hit(nrng, "extra_field")
    malformed = _malformed_reason(nrng) if noise.hit(nrng, "bawaslu_malformed") else None
    update = noise.hit(nrng, "record_update")
    update_at = None
    if update and registered < PHASE_CUTOFFS[1]:
        span = (PHASE_CUTOFFS[2] - PHASE_CUTOFFS[1]).total_seconds()
        update_at = PHASE_CUTOFFS[1] + dt.timedelta(seconds=int(nrng.integers(3600, int(span) - 3600)))
    jabatan = str(reg.jabatan_vocab[reg.jabatan[person]])
    return Case(i, int(person), election, agency, jenis, registered, category,
                bool(rng.random() < _KATEGORI_SET_SHARE), text, outcome, decided, presented, jabatan, extra,
                malformed, update_at, str(reg.nip[person]))


def _malformed_reason(rng: np.random.Generator) -> str:
    return nz.REJECT_REASONS[int(rng.integers(0, len(nz.REJECT_REASONS)))]


def _id_date(d: dt.date) -> str:
    return f"{d.day} {ref.MONTHS_ID[d.month - 1]} {d.year}"


def build_cases(seed: int, reg: Registry, n_cases: int, noise: nz.NoiseConfig, tick=lambda _: None) -> list[Case]:
    rng = np.random.default_rng([seed, 2])
    agencies = ref.all_agencies()
    persons = _pick_persons(rng, reg, n_cases)
    cases = []
    for i in range(n_cases):
        # Noise draws come from a per-case generator: changing a noise rate (which changes how many
        # numbers a case's noise consumes) must not change the other cases' people, dates or categories.
        nrng = np.random.default_rng([seed, 4, i])
        case = _draw_case(rng, nrng, i, int(persons[i]), reg, noise, agencies)
        if case.outcome == "diteruskan":
            _draw_recommendation(rng, nrng, case, noise, reg)
            if case.rec is not None and case.rec.proven:
                _draw_follow_up(rng, nrng, case, noise)
        cases.append(case)
        tick(1)
    cases.sort(key=lambda c: (c.registered, c.case_id))
    _number(cases)
    return cases


def _bawaslu_office_code(p: ref.Province) -> str:
    words = p.name.replace("DKI ", "").replace("DI ", "").split()
    return "".join(w[0] for w in words).upper() if len(words) > 1 else p.name[:2].upper()


def _number(cases: list[Case]) -> None:
    """Register, letter and recommendation numbers run per office and year in date order."""
    counters: dict[tuple, int] = {}

    def nxt(key: tuple) -> int:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]

    for c in cases:
        a, year = c.agency, c.registered.year
        prov = ref.PROVINCE_BY_CODE[a.province_code]
        level = "Prov" if a.level == "prov" else ("Kota" if a.region_name.startswith("Kota") else "Kab")
        code = c.election.code if not (a.level == "prov" and c.election.code == "PB") else "PG"
        lp = "LP" if c.jenis == "laporan" else "TM"
        seq = nxt(("reg", a.kode_wilayah, year))
        c.nomor_register = f"{seq:03d}/Reg/{lp}/{code}/{level}/{a.kode_wilayah}/{ref.ROMAN_MONTHS[c.registered.month - 1]}/{year}"
        if c.outcome == "diteruskan":
            d = c.decided
            suffix = a.kode_wilayah.split(".")[1] if "." in a.kode_wilayah else "00"
            n = nxt(("surat", a.province_code, d.year))
            c.nomor_surat = f"{n:03d}/PM.00.02/K.{_bawaslu_office_code(prov)}-{suffix}/{d.month:02d}/{d.year}"
    recs = sorted((c for c in cases if c.rec is not None), key=lambda c: (c.rec.tanggal, c.case_id))  # type: ignore[union-attr]
    for c in recs:
        r = c.rec
        assert r is not None
        n = nxt(("rec", r.issuer, r.tanggal.year))
        r.nomor = (f"B-{n}/KASN/{r.tanggal.month:02d}/{r.tanggal.year}" if r.issuer == "KASN"
                   else f"R-{n}/BKN/DP.02/{r.tanggal.month:02d}/{r.tanggal.year}")
