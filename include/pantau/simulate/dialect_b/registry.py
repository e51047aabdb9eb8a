"""Dialect b's civil servants: who they are, where they work, and in which personnel database.

Each province runs its own personnel system (its own codes, spellings and habits); ``--bkds``
groups the nine provinces' systems into that many databases, and the Ministry of Religious
Affairs keeps its own (``kemenag``). Per-person work is one Python step with pre-drawn uniforms,
fine up to about a million persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pantau.simulate.dialect_b.agencies import (
    JOB_FEMALE_SHARE,
    JOB_PPPK_SHARE,
    Employer,
    Job,
    Unit,
    employers,
    jobs_for,
)
from pantau.simulate.dialect_b.people import GROUPS, PersonName, draw_name
from pantau.simulate.dialect_b.regions import PROVINCES
from pantau.simulate.dialect_b.titles import draw_titles

STATUSES = ("aktif", "pensiun", "berhenti", "meninggal")
_STATUS_P = (0.90, 0.065, 0.02, 0.015)
GOLONGAN_PNS = ("I/a", "I/b", "I/c", "I/d", "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d",
                "IV/a", "IV/b", "IV/c", "IV/d", "IV/e")
GOLONGAN_PPPK = ("V", "VII", "IX", "X", "XI")
_TMT_MONTHS = (1, 3, 4, 12, 2, 5, 6, 7, 8, 9, 10, 11)  # CPNS appointments cluster on a few months
_TMT_P = np.array((30, 20, 10, 15, 3, 3, 3, 3, 3, 4, 3, 3), dtype=float)
NAMESAKE_SHARE = 0.015  # persons given the exact name of a colleague of the same government
MUSLIM_SHARE = {"balinese": 0.0, "toraja": 0.05, "javanese": 0.88, "javanese_noble": 0.9, "common": 0.85,
                "bugis_buton": 0.98, "aceh_malay": 0.99}
HAJJ_SHARE = {"73": 0.22, "74": 0.15, "11": 0.14}  # among Muslims over 40, by province; 0.08 elsewhere


@dataclass(frozen=True)
class Database:
    code: str
    name: str
    provinces: tuple[str, ...]  # "kemenag" for the Ministry's system


@dataclass
class RegistryB:
    employers: tuple[Employer, ...]
    units: list[Unit]
    unit_employer: np.ndarray
    jobs: list[Job]
    databases: tuple[Database, ...]
    employer: np.ndarray
    unit: np.ndarray
    job: np.ndarray
    group: np.ndarray
    gender: np.ndarray
    names: list[PersonName]
    front: list[str]
    back: list[str]
    birth: np.ndarray  # datetime64[D]
    pppk: np.ndarray
    nip: np.ndarray  # int64
    golongan: list[str]
    status: np.ndarray
    updated_at: np.ndarray  # datetime64[s], naive local time of the database
    db: np.ndarray
    muslim: np.ndarray
    prefix_in_gelar: np.ndarray
    namesake: np.ndarray  # bool: given a colleague's exact name
    tr_person: np.ndarray
    tr_old_employer: np.ndarray
    tr_old_unit: np.ndarray
    tr_old_db: np.ndarray
    tr_date: np.ndarray
    tr_old_updated_at: np.ndarray

    @property
    def size(self) -> int:
        return len(self.nip)

    def nip_str(self, i: int) -> str:
        return str(int(self.nip[i]))

    def jabatan(self, i: int, unit: int | None = None) -> str:
        """The post as the registry writes it (``Kepala Dinas Kesehatan``: the unit's name filled in)."""
        return self.jobs[self.job[i]].jabatan.format(name=self.units[self.unit[i] if unit is None else unit].name)


def make_databases(n: int) -> tuple[Database, ...]:
    """The provinces' personnel systems grouped into ``n`` databases (in this order), plus the Ministry's."""
    n = max(1, min(n, len(PROVINCES)))
    weights = [sum(r.weight for r in p.regions) for p in PROVINCES]
    total = sum(weights)
    groups: list[list[str]] = [[] for _ in range(n)]
    acc = 0.0
    for i, p in enumerate(PROVINCES):
        g = min(int(acc / total * n), n - 1)
        empties_after = sum(1 for k in range(g + 1, n) if not groups[k])
        if len(PROVINCES) - i <= empties_after:
            g = next(k for k in range(g + 1, n) if not groups[k])
        groups[g].append(p.code)
        acc += weights[i]
    by_code = {p.code: p for p in PROVINCES}
    out = []
    for grp in groups:
        shorts = [by_code[c].short for c in grp]
        code = "_".join(s.lower() for s in shorts)
        name = (f"SIMPEG BKD Provinsi {by_code[grp[0]].name}" if len(grp) == 1
                else f"SIMPEG bersama {', '.join(shorts)}")
        out.append(Database(code, name, tuple(grp)))
    out.append(Database("kemenag", "SIMPEG Kementerian Agama", ("kemenag",)))
    return tuple(out)


def _db_of(emp: Employer, dbs: tuple[Database, ...]) -> int:
    if emp.kind == "kemenag":
        return len(dbs) - 1
    return next(i for i, d in enumerate(dbs) if emp.province.code in d.provinces)


def _golongan(back: str, front: str, tmt_year: int, pppk: bool, x: float) -> str:
    if pppk:
        if "M." in back:
            return "X"
        if back.startswith(("A.Md", "AMK")):
            return "VII"
        return "IX" if back else "V"
    if front.startswith(("dr.", "drg.")) or "M." in back:
        start = 9  # III/b
    elif back.startswith(("A.Md", "AMK")):
        start = 6  # II/c
    elif back:
        start = 8  # III/a
    else:
        start = 4  # II/a
    steps = max(0, 2024 - tmt_year) // 4 + (1 if x < 0.3 else 0)
    return GOLONGAN_PNS[min(start + steps, 14 if x > 0.03 else 16)]


def build_registry(seed: int, size: int, n_dbs: int, transfer_rate: float) -> RegistryB:
    rng = np.random.default_rng([seed, 0xB, 1])
    emps = employers()
    dbs = make_databases(n_dbs)
    units: list[Unit] = []
    unit_employer: list[int] = []
    unit_range: list[tuple[int, int]] = []
    for ei, e in enumerate(emps):
        unit_range.append((len(units), len(units) + len(e.units)))
        units.extend(e.units)
        unit_employer.extend([ei] * len(e.units))
    job_index: dict[tuple[str, str], int] = {}
    jobs: list[Job] = []
    unit_jobs: list[tuple[np.ndarray, np.ndarray]] = []
    for u, ei in zip(units, unit_employer, strict=True):
        religion = "hindu" if emps[ei].province.code == "51" and (emps[ei].kind != "kemenag" or
                                                                   u.kind == "kankemenag") else "islam"
        js = jobs_for(u.kind, religion)
        codes = []
        for j in js:
            key = (j.jabatan, j.kind)
            if key not in job_index:
                job_index[key] = len(jobs)
                jobs.append(j)
            codes.append(job_index[key])
        w = np.array([j.weight for j in js], dtype=float)
        unit_jobs.append((np.array(codes), w / w.sum()))

    ew = np.array([e.weight for e in emps], dtype=float)
    employer = np.sort(rng.choice(len(emps), size=size, p=ew / ew.sum())).astype(np.int32)
    unit = np.zeros(size, dtype=np.int32)
    for ei, (lo, hi) in enumerate(unit_range):
        idx = np.flatnonzero(employer == ei)
        if len(idx):
            uw = np.array([units[k].weight for k in range(lo, hi)], dtype=float)
            unit[idx] = lo + rng.choice(hi - lo, size=len(idx), p=uw / uw.sum())
    U = rng.random((size, 16))
    job = np.zeros(size, dtype=np.int32)
    for k in np.unique(unit):
        idx = np.flatnonzero(unit == k)
        codes, p = unit_jobs[k]
        job[idx] = codes[np.minimum(np.searchsorted(np.cumsum(p), U[idx, 0] * 0.99999), len(codes) - 1)]
    female_p = np.array([JOB_FEMALE_SHARE[j.kind] for j in jobs])[job]
    gender = np.where(U[:, 1] < female_p, 2, 1).astype(np.int8)
    group = np.zeros(size, dtype=np.int8)
    for p in PROVINCES:
        mask = np.array([emps[e].province.code == p.code for e in range(len(emps))])[employer]
        gnames, shares = zip(*p.name_mix, strict=True)
        cum = np.cumsum(np.array(shares) / sum(shares))
        pick = np.minimum(np.searchsorted(cum, U[mask, 2] * 0.99999), len(gnames) - 1)
        group[mask] = np.array([GROUPS.index(g) for g in gnames])[pick]

    # Age and status
    status = np.minimum(np.searchsorted(np.cumsum(_STATUS_P), U[:, 3] * 0.99999), 3).astype(np.int8)
    age = rng.triangular(22, 43, 59.5, size)
    retired = status == 1
    age[retired] = rng.uniform(58.5, 70, int(retired.sum()))
    ref = np.datetime64("2024-06-30")
    structural = np.array([j.structural for j in jobs])[job]
    # Heads of units, sections and districts are senior civil servants.
    senior = structural & (status == 0)
    age[senior] = rng.uniform(38, 58, int(senior.sum()))
    birth = ref - (age * 365.25).astype("timedelta64[D]")
    pppk_p = np.array([JOB_PPPK_SHARE[j.kind] for j in jobs])[job]
    pppk = (status == 0) & (age < 56) & ~structural & (U[:, 4] < pppk_p)

    names: list[PersonName] = []
    front: list[str] = []
    back: list[str] = []
    muslim = np.zeros(size, dtype=bool)
    prov_codes = [e.province.code for e in emps]
    name_u = rng.random((size, 8))
    for i in range(size):
        g = GROUPS[group[i]]
        pc = prov_codes[employer[i]]
        names.append(draw_name(name_u[i], g, int(gender[i]), pc))
        muslim[i] = U[i, 5] < MUSLIM_SHARE[g]
        hajj = bool(muslim[i] and age[i] > 40 and U[i, 6] < HAJJ_SHARE.get(pc, 0.08))
        f, b = draw_titles(U[i, 7:9], jobs[job[i]].kind, int(gender[i]), hajj)
        front.append(f)
        back.append(b)
    namesake = _namesakes(rng, employer, gender, group, names)

    # NIP: birth date, appointment (YYYYMM; PPPK: year + code 21), gender, sequence
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    tmt_year = np.minimum(by + rng.integers(20, 36, size), 2024)
    tmt_year = np.where(pppk, np.maximum(rng.integers(2021, 2025, size), by + 20), tmt_year)
    tmt_month = np.array(_TMT_MONTHS)[rng.choice(len(_TMT_MONTHS), size, p=_TMT_P / _TMT_P.sum())]
    tmt_code = np.where(pppk, 21, tmt_month)
    nip = _nips(rng, birth, tmt_year, tmt_code, gender)
    golongan = [_golongan(back[i], front[i], int(tmt_year[i]), bool(pppk[i]), float(U[i, 9])) for i in range(size)]

    base = np.datetime64("2024-11-30T16:00:00")
    back_days = np.minimum(rng.exponential(380, size), 2400)
    updated_at = base - (back_days * 86400).astype("timedelta64[s]")
    db = np.array([_db_of(e, dbs) for e in emps], dtype=np.int8)[employer]
    noble_share = np.array([e.province.noble_prefix_in_gelar for e in emps])[employer]
    has_prefix = np.array([bool(n.prefix) for n in names])
    prefix_in_gelar = has_prefix & (U[:, 10] < noble_share) & np.isin(group, [GROUPS.index("aceh_malay"),
                                                                              GROUPS.index("javanese_noble"),
                                                                              GROUPS.index("bugis_buton")])
    tr = _transfers(rng, status, employer, db, emps, unit_range, units, updated_at, transfer_rate, dbs)
    return RegistryB(emps, units, np.array(unit_employer, dtype=np.int32), jobs, dbs, employer, unit, job, group,
                     gender, names, front, back, birth, pppk, nip, golongan, status, updated_at, db, muslim,
                     prefix_in_gelar, namesake, *tr)


def _namesakes(rng: np.random.Generator, employer: np.ndarray, gender: np.ndarray, group: np.ndarray,
               names: list[PersonName]) -> np.ndarray:
    """Give some persons the exact name of a colleague of the same government (same gender and culture)."""
    flag = np.zeros(len(names), dtype=bool)
    starts = np.r_[0, np.flatnonzero(np.diff(employer)) + 1, len(employer)]  # employer is sorted
    for lo, hi in zip(starts[:-1], starts[1:], strict=True):
        n = hi - lo
        k = int(rng.binomial(n, NAMESAKE_SHARE)) if n > 20 else 0
        for i in (lo + rng.choice(n, size=k, replace=False) if k else []):
            same = np.flatnonzero((gender[lo:hi] == gender[i]) & (group[lo:hi] == group[i])) + lo
            same = same[same != i]
            if len(same):
                donor = int(same[int(rng.integers(0, len(same)))])
                names[i] = names[donor]
                flag[i] = flag[donor] = True
    return flag


def _nips(rng: np.random.Generator, birth: np.ndarray, year: np.ndarray, code: np.ndarray,
          gender: np.ndarray) -> np.ndarray:
    ymd = np.char.replace(birth.astype("datetime64[D]").astype(str), "-", "").astype(np.int64)
    prefix = (ymd * 1_000_000 + year * 100 + code) * 10 + gender
    order = np.argsort(prefix, kind="stable")
    sp = prefix[order]
    starts = np.r_[True, sp[1:] != sp[:-1]]
    start_idx = np.maximum.accumulate(np.where(starts, np.arange(len(sp)), 0))
    rank = np.arange(len(sp)) - start_idx
    seq_sorted = rng.integers(1, 40, len(sp))[start_idx] + rank
    if (seq_sorted > 999).any():
        raise RuntimeError("NIP sequence overflow")
    seq = np.empty_like(seq_sorted)
    seq[order] = seq_sorted
    return prefix * 1000 + seq


def _transfers(rng: np.random.Generator, status: np.ndarray, employer: np.ndarray, db: np.ndarray,
               emps: tuple[Employer, ...], unit_range: list[tuple[int, int]], units: list[Unit],
               updated_at: np.ndarray, rate: float, dbs: tuple[Database, ...]) -> tuple[np.ndarray, ...]:
    """Civil servants who moved from a regional government in another personnel system (mutasi)."""
    regional = np.array([e.kind != "kemenag" for e in emps])
    eligible = np.flatnonzero((status == 0) & regional[employer])
    m = min(int(round(rate * len(status))), len(eligible)) if len(dbs) > 2 else 0
    person = np.sort(rng.choice(eligible, size=m, replace=False)) if m else np.zeros(0, dtype=np.int64)
    candidates = np.flatnonzero(regional)
    emp_db = np.array([_db_of(e, dbs) for e in emps])
    old_emp = np.zeros(m, dtype=np.int32)
    old_unit = np.zeros(m, dtype=np.int32)
    for k, pi in enumerate(person):
        other = candidates[emp_db[candidates] != db[pi]]
        old_emp[k] = other[int(rng.integers(0, len(other)))]
        lo, hi = unit_range[old_emp[k]]
        old_unit[k] = lo + int(rng.integers(0, hi - lo))
    lo_t, hi_t = np.datetime64("2019-01-01T00:00:00"), np.datetime64("2024-10-31T00:00:00")
    span = int((hi_t - lo_t) / np.timedelta64(1, "s"))
    tr_date = lo_t + rng.integers(0, span, m).astype("timedelta64[s]")
    old_updated = tr_date - rng.integers(86400 * 20, 86400 * 900, m).astype("timedelta64[s]")
    updated_at[person] = np.maximum(updated_at[person], tr_date)
    return person.astype(np.int64), old_emp, old_unit, emp_db[old_emp].astype(np.int8), tr_date, old_updated


def shared_name_rate(reg: RegistryB) -> float:
    """Share of persons whose full name (titles aside) is shared with someone in the same agency (kode_instansi)."""
    if reg.size == 0:
        return 0.0
    seen: dict[tuple[str, str], int] = {}
    keys = [(reg.employers[e].kode_instansi, n.full.lower()) for e, n in zip(reg.employer, reg.names, strict=True)]
    for k in keys:
        seen[k] = seen.get(k, 0) + 1
    return float(np.mean([seen[k] > 1 for k in keys]))


def as_of_day(t: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(t)[:10])
