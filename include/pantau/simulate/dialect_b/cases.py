"""Dialect b's case histories: report -> Bawaslu decision (forwarding letters in batches) -> KASN/BKN
recommendation -> BKD decree, for civil servants and for respondents who are no civil servants at all.

Each case's true timeline is drawn once; the sources are snapshots of it at the phase cut-offs
(the same phases as the first world, so the same servers and truth readers work).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pantau.simulate.dialect_b import wording as wd
from pantau.simulate.dialect_b.agencies import Employer, Unit
from pantau.simulate.dialect_b.people import GROUPS, PersonName, draw_outsider
from pantau.simulate.dialect_b.regions import PROVINCE_BY_CODE, Province, Region
from pantau.simulate.dialect_b.registry import RegistryB
from pantau.simulate.dialect_b.writing import write_person
from pantau.simulate.gen_cases import PHASE_CUTOFFS, add_working_days

MISSING = object()  # a key left out of the JSON record altogether
FOLLOW_UP_WORKING_DAYS = 14
BKN_FROM = dt.date(2024, 9, 1)  # KASN dissolved: BKN issues the recommendations from here on
NON_ASN_SHARE = 0.08
_REPEAT_SHARE = 0.03


@dataclass(frozen=True)
class Election:
    key: str
    label: str  # the API's "pemilihan" as this Bawaslu writes it
    start: str
    end: str
    share: float
    proven_rate: float
    follow_up_rate: float


ELECTIONS = (
    Election("pilkada2020", "Pemilihan Serentak 2020", "2020-02-03", "2020-12-18", 0.22, 0.80, 0.88),
    Election("pemilu2024", "Pemilu 2024", "2023-07-17", "2024-03-08", 0.33, 0.62, 0.55),
    Election("pilkada2024", "Pemilihan Serentak 2024", "2024-05-13", "2024-12-20", 0.45, 0.72, 0.50),
)


@dataclass
class Written:
    """One source's record of the respondent."""

    nama: str
    nip: Any  # str | int | None | MISSING
    instansi: str
    jabatan: str
    tags: list[str]
    nip_meant: str | None = None  # the digits the writer meant (after a typo: the wrong ones)


@dataclass
class Rec:
    tanggal: dt.date
    issuer: str
    proven: bool
    sanction: str | None
    ref_kind: str  # register | surat | none
    ppk: str
    row: Written
    generic_label: bool
    malformed: str | None
    delay: int  # days from the forwarding letter to the recommendation
    nomor: str = ""


@dataclass
class Decree:
    tanggal_sk: dt.date
    updated_at: dt.datetime
    timeliness: str
    sanction: str
    lighter: bool
    number_form: str  # exact | empty | reformatted
    jenis_sanksi: str
    jenis_kind: str  # level | level_short | concrete
    nomor_sk: str
    keterangan: str | None
    nip_spaced: bool
    malformed: str | None
    id: int = 0


@dataclass
class Case:
    case_id: int
    respondent: str  # asn | non_asn
    person: int  # registry index, -1 for non-ASN
    office_code: str  # kode_wilayah of the Bawaslu office
    office_level: str  # Kab | Kota | Prov
    province: Province
    region: Region | None
    election: Election
    jenis: str
    registered: dt.datetime
    category: str
    kategori_set: bool
    uraian: str
    outcome: str
    decided: dt.datetime
    written: Written
    extra_field: bool
    malformed: str | None
    update_kind: str | None
    update_at: dt.datetime | None
    true_nip: str | None
    true_kode_instansi: str | None
    employer: Employer
    tags: list[str] = field(default_factory=list)
    nomor_register: str = ""
    letter: int = -1
    nomor_surat: str | None = None
    forwarded_on: dt.datetime | None = None
    rec: Rec | None = None
    decree: Decree | None = None


# --------------------------------------------------------------------------- helpers

def _day_time(rng: np.random.Generator, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(int(rng.integers(8, 16)), int(rng.integers(0, 60)), int(rng.integers(0, 60))))


def _working(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def id_date(d: dt.date) -> str:
    return f"{d.day} {wd.MONTHS_ID[d.month - 1]} {d.year}"


def _damage_digits(nip: str, x: float, y: float, transposed: bool) -> str:
    if transposed:
        i = int(x * 16)
        for k in range(17):
            j = (i + k) % 17
            if nip[j] != nip[j + 1]:
                return nip[:j] + nip[j + 1] + nip[j] + nip[j + 2:]
        return nip
    i = int(x * 18) % 18
    d = str((int(nip[i]) + 1 + int(y * 9)) % 10)
    return nip[:i] + d + nip[i + 1:]


def spaced(nip: str) -> str:
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def bawaslu_nip(u: np.ndarray, nip: str) -> tuple[Any, str | None, list[str]]:
    """The NIP as a Bawaslu officer enters it: often missing, sometimes a JSON number (exact), spaced, dotted."""
    if u[0] < 0.17:
        kind = u[1]
        return (None if kind < 0.53 else MISSING if kind < 0.76 else "" if kind < 0.88 else "-"), None, ["nip_missing"]
    tags: list[str] = []
    if u[2] < 0.02:
        nip = _damage_digits(nip, u[3], u[4], False)
        tags.append("nip_typo")
    elif u[2] < 0.03:
        nip = _damage_digits(nip, u[3], u[4], True)
        tags.append("nip_transposed")
    f = u[5]
    if f < 0.15:
        return int(nip), nip, tags + ["nip_number"]
    if f < 0.40:
        return spaced(nip), nip, tags + ["nip_spaced"]
    if f < 0.44:
        return f"{nip[:8]}.{nip[8:14]}.{nip[14]}.{nip[15:]}", nip, tags + ["nip_dotted"]
    if f < 0.46:
        return f"NIP. {spaced(nip)}", nip, tags + ["nip_prefixed"]
    return nip, nip, tags


# --------------------------------------------------------------------------- offices and eligibility

def _town_region(emp: Employer, unit: Unit) -> Region | None:
    """Provincial schools sit in a town: a report about their teachers goes to that town's Bawaslu."""
    if emp.kind != "prov" or unit.kind not in ("sma", "smk", "slb"):
        return emp.region
    for r in emp.province.regions:
        if unit.name.endswith(f" {r.name}"):
            return r
    return None


def _office(emp: Employer, unit: Unit) -> tuple[str, str, Region | None]:
    region = _town_region(emp, unit)
    if region is None:
        return emp.province.code, "Prov", None
    return region.code, ("Kota" if region.kind == "Kota" else "Kab"), region


def _held(election: Election, province: Province, region: Region | None) -> bool:
    if election.key != "pilkada2020":
        return True
    return region.pilkada_2020 if region is not None else province.governor_election_2020


# --------------------------------------------------------------------------- writing a respondent

def _unit_text(u: float, emp: Employer, unit: Unit) -> str:
    return unit.written[min(int(u * len(unit.written)), len(unit.written) - 1)]


def _gov_text(u: float, emp: Employer) -> str:
    return emp.written[min(int(u * len(emp.written)), len(emp.written) - 1)]


def _spoken_post(u: float, reg: RegistryB, person: int) -> str:
    job = reg.jobs[reg.job[person]]
    unit = reg.units[reg.unit[person]]
    if not job.spoken:
        return reg.jabatan(person)
    text = job.spoken[min(int(u * len(job.spoken)), len(job.spoken) - 1)]
    return text.format(unit=unit.short, district=unit.district or reg.employers[reg.employer[person]].place)


def write_asn(u: np.ndarray, reg: RegistryB, person: int, source: str) -> Written:
    emp = reg.employers[reg.employer[person]]
    unit = reg.units[reg.unit[person]]
    name = reg.names[person]
    gender = int(reg.gender[person])
    nama, tags = write_person(u[:24], name, GROUPS[reg.group[person]], gender, reg.front[person], reg.back[person],
                              emp.province.code, bool(reg.muslim[person]), source)
    x = u[24]
    if source == "bawaslu":
        if x < 0.50:
            instansi, tag = _unit_text(u[25], emp, unit), "instansi_unit"
        elif x < 0.82:
            instansi, tag = _gov_text(u[25], emp), "instansi_government"
        elif x < 0.88:
            instansi, tag = f"{_unit_text(u[25], emp, unit)}, {_gov_text(u[26], emp)}", "instansi_unit"
        else:
            instansi, tag = "", "instansi_empty"
        jabatan = _spoken_post(u[27], reg, person) if u[28] < 0.75 else reg.jabatan(person)
    else:
        if x < 0.45:
            instansi, tag = _gov_text(u[25], emp), "instansi_government"
        elif x < 0.80:
            instansi, tag = f"{unit.name} {emp.place_full}" if emp.kind != "kemenag" else unit.name, "instansi_unit"
        elif x < 0.95:
            instansi, tag = _unit_text(u[25], emp, unit), "instansi_unit"
        else:
            instansi, tag = "", "instansi_empty"
        jabatan = reg.jabatan(person) if u[28] < 0.6 else _spoken_post(u[27], reg, person)
    return Written(nama, None, instansi, jabatan, tags + [tag])


_VILLAGE_SUFFIX = ("", " Kaja", " Kelod", " Baru", " Timur", " Barat", " Utara", " Selatan", " Tengah")


def _village(u: float, region: Region, province: Province) -> tuple[str, str]:
    district = region.districts[min(int(u * len(region.districts)), len(region.districts) - 1)]
    village = f"{district}{_VILLAGE_SUFFIX[int(u * 97) % len(_VILLAGE_SUFFIX)]}"
    return district, village


def _village_head(province: Province, region: Region, village: str) -> tuple[str, str]:
    """(post, village government) as the region names them: Perbekel in Bali, Keuchik in Aceh, Lurah in DIY."""
    if province.code == "51":
        return f"Perbekel Desa {village}", f"Pemerintah Desa {village}"
    if province.code == "11":
        return f"Keuchik Gampong {village}", f"Gampong {village}"
    if province.code == "34":
        return f"Lurah {village}", f"Pemerintah Kalurahan {village}"
    if province.code == "14" and region.name == "Siak":
        return f"Penghulu Kampung {village}", f"Kampung {village}"
    return f"Kepala Desa {village}", f"Pemerintah Desa {village}"


def write_outsider(rng: np.random.Generator, u: np.ndarray, reg: RegistryB, region: Region | None,
                   province: Province, office_emp: Employer) -> tuple[Written, str]:
    """A respondent who is no civil servant: village head or staff, honorary worker, campaign-team member."""
    r = region or province.regions[int(u[0] * len(province.regions)) % len(province.regions)]
    gname, shares = zip(*province.name_mix, strict=True)
    cum = np.cumsum(np.array(shares) / sum(shares))
    group = gname[min(int(np.searchsorted(cum, u[1])), len(gname) - 1)]
    kind = u[2]
    gender = 1 if u[3] < (0.85 if kind < 0.55 else 0.55) else 2
    tags = ["non_asn"]
    # A third share the exact name of a civil servant of the same government (same gender).
    ei = reg.employers.index(office_emp)
    lo, hi = np.searchsorted(reg.employer, ei), np.searchsorted(reg.employer, ei, side="right")
    colleagues = lo + np.flatnonzero(reg.gender[lo:hi] == gender)
    if len(colleagues) and u[4] < 0.33:
        donor = int(colleagues[int(u[5] * len(colleagues)) % len(colleagues)])
        name: PersonName = reg.names[donor]
        group = GROUPS[reg.group[donor]]
        tags.append("non_asn_namesake")
    else:
        name = draw_outsider(rng.random(8), group, gender, province.code)
    district, village = _village(u[6], r, province)
    if r.kind == "Kota" and kind < 0.55:  # cities have kelurahan run by civil servants, not villages
        kind = 0.55 + kind / 0.55 * 0.27
    if kind < 0.40:
        post, inst = _village_head(province, r, village)
        instansi = (inst, f"Desa {village} Kec. {district}", f"Kantor Desa {village}", "")[int(u[7] * 4) % 4]
        tags.append("village_head")
    elif kind < 0.55:
        post = (f"Sekretaris Desa {village}", f"Kaur Keuangan Desa {village}", f"Kepala Dusun di Desa {village}",
                f"Perangkat Desa {village}")[int(u[7] * 4) % 4]
        instansi = (f"Pemerintah Desa {village}", f"Desa {village}", "")[int(u[8] * 3) % 3]
        tags.append("village_staff")
    elif kind < 0.82:
        emp = office_emp
        unit = emp.units[int(u[7] * len(emp.units)) % len(emp.units)]
        post = (f"Tenaga Honorer {unit.short}", f"THL {unit.short}", "Tenaga Kontrak", f"Guru Honorer {unit.short}",
                "PPNPN")[int(u[8] * 5) % 5]
        instansi = (_unit_text(u[9], emp, unit), _gov_text(u[9], emp), "")[int(u[10] * 3) % 3]
        tags.append("honorary")
    else:
        post = ("Anggota Tim Kampanye", "Relawan Paslon", "Koordinator Tim Pemenangan Kecamatan",
                "Saksi Paslon")[int(u[7] * 4) % 4]
        instansi = (f"Tim Pemenangan Paslon Nomor Urut {1 + int(u[8] * 3)}", "Tim Kampanye", "")[int(u[9] * 3) % 3]
        tags.append("campaign_team")
    text = name.full
    if u[11] < 0.1:
        text = text.upper()
    nip_kind = u[12]
    nip: Any
    if nip_kind < 0.5:
        nip = None
    elif nip_kind < 0.65:
        nip = MISSING
    elif nip_kind < 0.80:
        nip = "-"
    elif nip_kind < 0.88:
        nip = ""
    else:  # the officer typed the KTP number (NIK): region code, birth date (+40 for women), sequence
        bday = dt.date(1965, 1, 1) + dt.timedelta(days=int(u[13] * 12000))
        dd = bday.day + (40 if gender == 2 else 0)
        nip = f"{r.code.replace('.', '')}{int(u[14] * 20) + 1:02d}{dd:02d}{bday.month:02d}{bday.year % 100:02d}" \
              f"{int(u[15] * 9000) + 1:04d}"
        tags.append("nik_as_nip")
    return Written(text, nip, instansi, post, tags), group


# --------------------------------------------------------------------------- drawing cases

def _register_time(rng: np.random.Generator, e: Election) -> dt.datetime:
    lo, hi = dt.date.fromisoformat(e.start), dt.date.fromisoformat(e.end)
    span = (hi - lo).days
    day = _working(lo + dt.timedelta(days=int(rng.triangular(0, span * 0.72, span))))
    return _day_time(rng, day)


def _eligible(reg: RegistryB) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[tuple[str, str, Region | None]]]:
    """Persons who can be respondents in each election, their weights, and each person's Bawaslu office."""
    offices = [_office(reg.employers[reg.employer[i]], reg.units[reg.unit[i]]) for i in range(reg.size)]
    cache: dict[tuple[str, str], bool] = {}
    tmt_year = (reg.nip // 1_000_000) % 10_000  # NIP digits 9-12: year of appointment
    structural = np.array([j.structural for j in reg.jobs])[reg.job]
    kemenag = np.array([e.kind == "kemenag" for e in reg.employers])[reg.employer]
    weight = np.where(structural, 3.0, 1.0) * np.where(kemenag, 0.7, 1.0)
    active = reg.status == 0
    out, weights = {}, {}
    for e in ELECTIONS:
        year = int(e.end[:4])
        held = np.zeros(reg.size, dtype=bool)
        for i, (code, _lvl, region) in enumerate(offices):
            key = (e.key, code)
            if key not in cache:
                cache[key] = _held(e, PROVINCE_BY_CODE[code[:2]], region)
            held[i] = cache[key]
        ok = active & held & (tmt_year <= year - (1 if e.key == "pilkada2020" else 0))
        idx = np.flatnonzero(ok)
        out[e.key] = idx
        weights[e.key] = weight[idx] / weight[idx].sum() if len(idx) else weight[idx]
    return out, weights, offices


def build_cases(seed: int, reg: RegistryB, n_cases: int) -> list[Case]:
    rng = np.random.default_rng([seed, 0xB, 2])
    eligible, weights, offices = _eligible(reg)
    shares = np.array([e.share for e in ELECTIONS])
    pools = {k: set(v.tolist()) for k, v in eligible.items()}
    cases: list[Case] = []
    people_so_far: list[int] = []
    for i in range(n_cases):
        nrng = np.random.default_rng([seed, 0xB, 3, i])  # per-case: phenomena never shift other cases
        u = nrng.random(64)
        election = ELECTIONS[int(rng.choice(len(shares), p=shares / shares.sum()))]
        respondent = "non_asn" if rng.random() < NON_ASN_SHARE else "asn"
        jenis = "temuan" if rng.random() < 0.42 else "laporan"
        cats = np.array(wd.CATEGORY_SHARE)
        category = wd.CATEGORIES[int(rng.choice(len(cats), p=cats / cats.sum()))]
        registered = _register_time(rng, election)
        decided_day = add_working_days(registered.date(), int(rng.integers(3, 15)))
        decided = _day_time(rng, decided_day)
        tags: list[str] = []
        if respondent == "asn":
            pool = eligible[election.key]
            if people_so_far and rng.random() < _REPEAT_SHARE:
                person = people_so_far[int(rng.integers(0, len(people_so_far)))]
                if person not in pools[election.key]:
                    person = int(rng.choice(pool, p=weights[election.key]))
            else:
                person = int(rng.choice(pool, p=weights[election.key]))
            people_so_far.append(person)
            code, level, region = offices[person]
            emp = reg.employers[reg.employer[person]]
            province = emp.province
            written = write_asn(u, reg, person, "bawaslu")
            w_nip, meant, nip_tags = bawaslu_nip(u[30:36], reg.nip_str(person))
            written.nip, written.nip_meant = w_nip, meant
            written.tags += nip_tags
            outcome = "diteruskan" if rng.random() < 0.83 else "dihentikan"
            true_nip, true_kode = reg.nip_str(person), emp.kode_instansi
            post = written.jabatan
        else:
            person = -1
            candidates = [e for e in reg.employers if e.kind in ("kab", "kota") and _held(election, e.province, e.region)]
            w = np.array([e.weight for e in candidates])
            emp = candidates[int(rng.choice(len(candidates), p=w / w.sum()))]
            province, region = emp.province, emp.region
            code, level = region.code, ("Kota" if region.kind == "Kota" else "Kab")
            written, _group = write_outsider(nrng, u[36:52], reg, region, province, emp)
            outcome = "diteruskan" if rng.random() < 0.55 else "dihentikan"
            true_nip, true_kode = None, None
            post = written.jabatan
            if "campaign_team" in written.tags:
                category = "TIM_KAMPANYE"
        place = region.name if region else province.name
        text = wd.uraian(u[52:58], category, election.key, place, post, id_date(registered.date()))
        kategori_set = bool(u[58] < 0.06)
        extra = bool(u[59] < 0.03)
        malformed = None
        if u[60] < 0.006:
            malformed = ("missing_field", "impossible_date", "empty_name")[int(u[61] * 3) % 3]
        update_kind, update_at = None, None
        if u[62] < 0.06 and registered < PHASE_CUTOFFS[1]:
            if written.nip is None and respondent == "asn":
                update_kind = "nip_filled"
            else:
                update_kind = "kategori_set" if not kategori_set else "uraian_extended"
            span = (PHASE_CUTOFFS[2] - PHASE_CUTOFFS[1]).total_seconds()
            update_at = PHASE_CUTOFFS[1] + dt.timedelta(seconds=int(3600 + u[63] * (span - 7200)))
        case = Case(i, respondent, person, code, level, province, region, election, jenis, registered, category,
                    kategori_set, text, outcome, decided, written, extra, malformed, update_kind, update_at, true_nip,
                    true_kode, emp, tags)
        if respondent == "asn" and outcome == "diteruskan":
            _draw_recommendation(rng, nrng, case, reg)
        cases.append(case)
    cases.sort(key=lambda c: (c.registered, c.case_id))
    _letters(rng, cases)
    for c in cases:
        if c.rec is not None:
            _shift_recommendation(c)
            if c.rec.proven:
                _draw_decree(rng, np.random.default_rng([seed, 0xB, 5, c.case_id]), c)
    _number(cases)
    return cases


def _draw_recommendation(rng: np.random.Generator, nrng: np.random.Generator, case: Case, reg: RegistryB) -> None:
    delay = int(rng.integers(7, 61 if case.election.key == "pilkada2020" else 46))
    proven = bool(rng.random() < case.election.proven_rate)
    usual, alt = wd.USUAL_SANCTION[case.category]
    sanction = (usual if rng.random() < 0.75 else alt) if proven else None
    u = rng.random()
    ref_kind = "register" if u < 0.35 else ("surat" if u < 0.65 else "none")
    v = nrng.random(40)
    row = write_asn(v, reg, case.person, "export")
    malformed = None
    if v[36] < 0.005:
        malformed = "empty_name" if v[37] < 0.5 else "impossible_date"
    tanggal = case.decided.date() + dt.timedelta(days=delay)  # re-anchored on the letter date later
    case.rec = Rec(tanggal, "", proven, sanction, ref_kind, "", row, bool(v[38] < 0.03), malformed, delay)


def _letters(rng: np.random.Generator, cases: list[Case]) -> None:
    """Forwarding letters: an office often forwards several cases decided within days in one letter."""
    fwd = sorted((c for c in cases if c.outcome == "diteruskan"), key=lambda c: (c.office_code, c.decided, c.case_id))
    letter = -1
    prev: Case | None = None
    size = 0
    for c in fwd:
        join = (prev is not None and prev.office_code == c.office_code and size < 4
                and (c.decided - prev.decided).days <= 6 and rng.random() < 0.45)
        if join:
            size += 1
        else:
            letter += 1
            size = 1
        c.letter = letter
        prev = c
    by_letter: dict[int, list[Case]] = {}
    for c in fwd:
        by_letter.setdefault(c.letter, []).append(c)
    for group in by_letter.values():
        sent = max(c.decided for c in group)
        for c in group:
            c.forwarded_on = sent
            if len(group) > 1:
                c.tags.append("shared_letter")


def _shift_recommendation(c: Case) -> None:
    rec = c.rec
    assert rec is not None and c.forwarded_on is not None
    rec.tanggal = _working(c.forwarded_on.date() + dt.timedelta(days=rec.delay))
    rec.issuer = "BKN" if rec.tanggal >= BKN_FROM else "KASN"
    rec.ppk = c.employer.ppk(rec.tanggal.isoformat())


def _draw_decree(rng: np.random.Generator, nrng: np.random.Generator, c: Case) -> None:
    rec = c.rec
    assert rec is not None and rec.sanction is not None
    if rng.random() >= c.election.follow_up_rate:
        return
    u = nrng.random(16)
    deadline = add_working_days(rec.tanggal, FOLLOW_UP_WORKING_DAYS)
    if u[0] < 0.45:
        sk = add_working_days(rec.tanggal, 2 + int(u[1] * (FOLLOW_UP_WORKING_DAYS - 2)))
    else:
        sk = deadline + dt.timedelta(days=1 + int(u[1] * 200))
    updated = _day_time(nrng, sk + dt.timedelta(days=int(u[2] * 21)))
    sev = wd.SEVERITY[rec.sanction]
    lighter = bool(u[3] < 0.10 and sev > 1)
    sanction = wd.SANCTIONS[sev - 2] if lighter else rec.sanction
    if u[4] < 0.45:
        opts, kind = wd.DECREE_LEVEL[sanction], "level_short"
    elif u[4] < 0.70:
        opts, kind = wd.DECREE_LEVEL[sanction][2:] or wd.DECREE_LEVEL[sanction], "level"
    else:
        opts, kind = wd.DECREE_CONCRETE[sanction], "concrete"
    jenis = opts[int(u[5] * len(opts)) % len(opts)]
    form = "exact" if u[6] < 0.72 else ("empty" if u[6] < 0.82 else "reformatted")
    nomor_sk = (f"862.3/{int(u[7] * 900) + 10}/BKPSDM/{sk.year}" if u[8] < 0.4 else
                f"Kep.{int(u[7] * 2000) + 1}/BKD/{wd.ROMAN[sk.month - 1]}/{sk.year}" if u[8] < 0.7 else
                f"188.45/{int(u[7] * 1500) + 1}/HK/{sk.year}")
    note = wd.DECREE_NOTES[int(u[9] * len(wd.DECREE_NOTES)) % len(wd.DECREE_NOTES)]
    malformed = "missing_field" if u[10] < 0.005 else None
    c.decree = Decree(sk, updated, "on_time" if sk <= deadline else "late", sanction, lighter, form, jenis, kind,
                      nomor_sk, note, bool(u[11] < 0.05), malformed)


def reformat_number(nomor: str, x: float) -> str:
    """A recommendation number as a BKD clerk re-types it."""
    if x < 0.25:
        return nomor.replace("/", " / ")
    if x < 0.5:
        return f"Nomor: {nomor}"
    if x < 0.75:
        return nomor.lower()
    parts = nomor.split("/")
    # R-123/KASN/10/2020 -> 123/KASN/X/2020 (no letter prefix, Roman month)
    out = []
    for p in parts:
        if p.isdigit() and len(p) == 2 and 1 <= int(p) <= 12:
            out.append(wd.ROMAN[int(p) - 1])
        else:
            out.append(p.split("-", 1)[1] if p[:2] in ("R-", "B-") else p)
    return "/".join(out)


def _number(cases: list[Case]) -> None:
    """Register numbers per office and year; letters per office; recommendation numbers per issuer and year."""
    counters: dict[tuple, int] = {}

    def nxt(key: tuple) -> int:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]

    for c in cases:
        year = c.registered.year
        lp = "LP" if c.jenis == "laporan" else "TM"
        code = "PL" if c.election.key == "pemilu2024" else ("PG" if c.office_level == "Prov" else "PB")
        pad = 3 if int(c.office_code.replace(".", "")) % 3 else 2  # offices pad their counters differently
        seq = nxt(("reg", c.office_code, year))
        c.nomor_register = (f"{seq:0{pad}d}/Reg/{lp}/{code}/{c.office_level}/{c.office_code}/"
                            f"{wd.ROMAN[c.registered.month - 1]}/{year}")
    letters: dict[int, str] = {}
    for c in sorted((c for c in cases if c.letter >= 0), key=lambda c: (c.forwarded_on, c.letter)):
        if c.letter not in letters:
            d = c.forwarded_on
            assert d is not None
            n = nxt(("surat", c.office_code, d.year))
            kk = c.office_code.split(".")[1] if "." in c.office_code else ""
            office = f"K.{c.province.bawaslu_office}-{kk}" if kk else f"K.{c.province.bawaslu_office}"
            letters[c.letter] = f"{n:03d}/{office}/PM.06.02/{wd.ROMAN[d.month - 1]}/{d.year}"
        c.nomor_surat = letters[c.letter]
    recs = sorted((c for c in cases if c.rec is not None), key=lambda c: (c.rec.tanggal, c.case_id))  # type: ignore[union-attr]
    for c in recs:
        r = c.rec
        assert r is not None
        n = nxt(("rec", r.issuer, r.tanggal.year))
        r.nomor = (f"R-{n}/KASN/{r.tanggal.month:02d}/{r.tanggal.year}" if r.issuer == "KASN"
                   else f"{n}/B-KP.06.03/SD/D/{r.tanggal.year}")
