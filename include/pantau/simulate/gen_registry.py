"""The ASN registry (BKD ``pegawai``), generated vectorised so 6M persons fit in minutes.

Every person is a row of numpy arrays (codes into small vocabularies), never a Python object:
per-person loops over millions of rows would take hours. Strings only appear chunk by chunk,
when rows are written to a BKD database or to the truth Parquet file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pantau.simulate import names as nm
from pantau.simulate import reference as ref

REF_DATE = np.datetime64("2024-06-30")  # "today" for ages and ranks
STATUSES = np.array(["aktif", "pensiun", "berhenti", "meninggal"], dtype=object)
_STATUS_P = (0.86, 0.10, 0.02, 0.02)
GOLONGAN = np.array(ref.GOLONGAN_PNS + ref.GOLONGAN_PPPK, dtype=object)
_BACK_EDU = {  # starting rank index by back title (education): SMA II/a, D3 II/c, S1 III/a, S2 III/b
    "": 0, "A.Md.": 2, "A.Md.Kep.": 2, "M.Si.": 5, "M.M.": 5, "M.Kes.": 5, "Ph.D.": 7,
}


@dataclass(frozen=True)
class Bkd:
    code: str
    name: str
    provinces: tuple[str, ...]


@dataclass
class Registry:
    """The true persons. Index ``i`` of every array is person ``i``."""

    nip: np.ndarray  # int64, 18 digits
    name: np.ndarray  # int32 code into catalog.names
    front: np.ndarray  # int8 code into names.FRONT_TITLES
    back: np.ndarray  # int8 code into names.BACK_TITLES
    birth: np.ndarray  # datetime64[D]
    gender: np.ndarray  # int8 1 = male, 2 = female (as in the NIP)
    pppk: np.ndarray  # bool
    agency: np.ndarray  # int32 index into reference.all_agencies()
    jabatan: np.ndarray  # int16 code into jabatan_vocab
    unit: np.ndarray  # int32 code into unit_vocab
    golongan: np.ndarray  # int8 code into GOLONGAN
    status: np.ndarray  # int8 code into STATUSES
    updated_at: np.ndarray  # datetime64[s], naive WIB
    bkd: np.ndarray  # int8 index into bkds (current BKD)
    # transfers: persons who moved from another BKD; the old BKD still has a stale row
    tr_person: np.ndarray  # int64 person indices
    tr_old_agency: np.ndarray  # int32
    tr_old_bkd: np.ndarray  # int8
    tr_date: np.ndarray  # datetime64[s]: the move; the old row is older than this
    tr_old_updated_at: np.ndarray  # datetime64[s]
    catalog: nm.NameCatalog
    jabatan_vocab: np.ndarray
    unit_vocab: np.ndarray
    bkds: tuple[Bkd, ...]
    style: np.ndarray | None = None  # int8 index into names.STYLES (the naming culture a name was drawn from)

    @property
    def size(self) -> int:
        return len(self.nip)


def make_bkds(n: int) -> tuple[Bkd, ...]:
    """Split the provinces (in code order) into ``n`` BKDs of roughly equal ASN weight."""
    n = max(1, min(n, len(ref.PROVINCES)))
    total = sum(p.weight for p in ref.PROVINCES)
    groups: list[list[ref.Province]] = [[] for _ in range(n)]
    acc = 0.0
    for i, prov in enumerate(ref.PROVINCES):
        remaining = len(ref.PROVINCES) - i
        g = min(int(acc / total * n), n - 1)
        # Never leave a later BKD empty: force a move when provinces run out.
        empties_after = sum(1 for k in range(g + 1, n) if not groups[k])
        if remaining <= empties_after:
            g = next(k for k in range(g + 1, n) if not groups[k])
        groups[g].append(prov)
        acc += prov.weight
    out = []
    for i, grp in enumerate(groups):
        label = grp[0].name if len(grp) == 1 else f"{grp[0].name} - {grp[-1].name}"
        out.append(Bkd(f"bkd{i + 1:02d}", f"BKD Regional {ref.ROMAN_MONTHS[i % 12]}{'' if i < 12 else i} ({label})",
                       tuple(p.code for p in grp)))
    return tuple(out)


def _agency_tables(bkds: tuple[Bkd, ...]) -> dict[str, np.ndarray]:
    agencies = ref.all_agencies()
    prov_index = {p.code: i for i, p in enumerate(ref.PROVINCES)}
    bkd_of_prov = {code: bi for bi, b in enumerate(bkds) for code in b.provinces}
    type_index = {t.key: i for i, t in enumerate(ref.AGENCY_TYPES)}
    weight = np.array([a.weight for a in agencies])
    return {
        "p": weight / weight.sum(),
        "prov": np.array([prov_index[a.province_code] for a in agencies], dtype=np.int16),
        "bkd": np.array([bkd_of_prov[a.province_code] for a in agencies], dtype=np.int8),
        "type": np.array([type_index[a.type_key] for a in agencies], dtype=np.int16),
    }


def _vocabularies() -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Global jabatan and unit vocabularies plus, per agency type, the codes and weights to draw from."""
    jab_vocab: list[str] = []
    unit_vocab: list[str] = []
    jab_codes, jab_p, unit_codes = [], [], []
    for t in ref.AGENCY_TYPES:
        codes = []
        for j, _ in t.jabatan:
            if j not in jab_vocab:
                jab_vocab.append(j)
            codes.append(jab_vocab.index(j))
        w = np.array([p for _, p in t.jabatan], dtype=float)
        jab_codes.append(np.array(codes, dtype=np.int16))
        jab_p.append(w / w.sum())
        ucodes = []
        for u in t.units:
            # Numbered units (schools, health centres) expand to 1..30; each template keeps equal weight
            # by repeating the un-numbered ones, so that "SD Negeri 12" is not rarer than "Sekretariat".
            expanded = [u.replace("{n}", str(k)) for k in range(1, 31)] if "{n}" in u else [u] * 30
            for e in expanded:
                if e not in unit_vocab:
                    unit_vocab.append(e)
                ucodes.append(unit_vocab.index(e))
        unit_codes.append(np.array(ucodes, dtype=np.int32))
    return (np.array(jab_vocab, dtype=object), np.array(unit_vocab, dtype=object), jab_codes, jab_p, unit_codes)


def _ages_and_status(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    status = rng.choice(4, size=n, p=_STATUS_P).astype(np.int8)
    age = rng.triangular(21, 42, 59.9, size=n)
    retired = status == 1
    age[retired] = rng.uniform(58, 76, int(retired.sum()))
    dead = status == 3
    age[dead] = rng.uniform(30, 78, int(dead.sum()))
    return age, status


def _appointments(rng: np.random.Generator, birth: np.ndarray, pppk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Appointment (year, month-or-code) for the NIP: PNS after age 19, PPPK from 2019 with a code."""
    n = len(birth)
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    latest = np.full(n, 2024)
    year = np.minimum(by + rng.integers(19, 36, n), latest)
    month = rng.integers(1, 13, n)
    year_pppk = rng.integers(2019, 2025, n)
    code = np.array([int(c) for c in ref.PPPK_NIP_CODES])[rng.integers(0, len(ref.PPPK_NIP_CODES), n)]
    year = np.where(pppk, np.maximum(year_pppk, by + 19), year)
    month = np.where(pppk, code, month)
    return year, month


def _unique_nips(rng: np.random.Generator, birth: np.ndarray, year: np.ndarray, month: np.ndarray,
                 gender: np.ndarray) -> np.ndarray:
    """NIP = birth YYYYMMDD, appointment YYYYMM (or PPPK code), gender, sequence 001-999.

    Persons sharing the first 15 digits get consecutive sequence numbers from a random base, which
    makes every NIP unique without a per-person loop.
    """
    ymd = birth.astype("datetime64[D]").astype(str)  # 'YYYY-MM-DD'
    bnum = np.char.replace(ymd, "-", "").astype(np.int64)
    prefix = (bnum * 1_000_000 + year * 100 + month) * 10 + gender
    order = np.argsort(prefix, kind="stable")
    sp = prefix[order]
    starts = np.r_[True, sp[1:] != sp[:-1]]
    start_idx = np.maximum.accumulate(np.where(starts, np.arange(len(sp)), 0))
    rank = np.arange(len(sp)) - start_idx
    base = rng.integers(1, 60, len(sp))[start_idx]
    seq_sorted = base + rank
    if (seq_sorted > 999).any():
        raise RuntimeError("NIP sequence overflow: too many persons share birth date and appointment")
    seq = np.empty_like(seq_sorted)
    seq[order] = seq_sorted
    return prefix * 1000 + seq


def _golongan(rng: np.random.Generator, back: np.ndarray, year: np.ndarray, pppk: np.ndarray) -> np.ndarray:
    start = np.full(len(back), 4, dtype=np.int64)  # S1 -> III/a by default
    for title, idx in _BACK_EDU.items():
        start[back == nm.BACK_TITLES.index(title)] = idx
    service = np.clip(2024 - year, 0, None)
    gol = np.minimum(start + service // 4 + rng.integers(0, 2, len(back)), len(ref.GOLONGAN_PNS) - 1)
    gol = np.where(rng.random(len(back)) < 0.97, np.minimum(gol, 10), gol)  # IV/d and IV/e are rare
    pppk_gol = len(ref.GOLONGAN_PNS) + rng.choice(len(ref.GOLONGAN_PPPK), len(back), p=(0.1, 0.2, 0.5, 0.15, 0.05))
    return np.where(pppk, pppk_gol, gol).astype(np.int8)


def _styles(rng: np.random.Generator, prov: np.ndarray) -> np.ndarray:
    style = np.zeros(len(prov), dtype=np.int8)
    for pi, p in enumerate(ref.PROVINCES):
        mask = prov == pi
        k = int(mask.sum())
        if k:
            names_, shares = zip(*p.name_styles, strict=True)
            codes = np.array([nm.STYLES.index(s) for s in names_])
            sh = np.array(shares) / sum(shares)
            style[mask] = codes[rng.choice(len(codes), size=k, p=sh)]
    return style


def _jobs(rng: np.random.Generator, atype: np.ndarray, pppk: np.ndarray,
          vocab: tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray], list[np.ndarray]]
          ) -> tuple[np.ndarray, np.ndarray]:
    jab_vocab, _, jab_codes, jab_p, unit_codes = vocab
    n = len(atype)
    jabatan = np.zeros(n, dtype=np.int16)
    unit = np.zeros(n, dtype=np.int32)
    for ti in range(len(ref.AGENCY_TYPES)):
        mask = atype == ti
        k = int(mask.sum())
        if k:
            jabatan[mask] = jab_codes[ti][rng.choice(len(jab_p[ti]), size=k, p=jab_p[ti])]
            unit[mask] = unit_codes[ti][rng.integers(0, len(unit_codes[ti]), k)]
    # Structural posts (Kepala ..., Camat) are for PNS; PPPK holding one become plain functional staff.
    structural = np.array([j.startswith(("Kepala", "Camat", "Sekretaris", "Asisten", "Lurah")) for j in jab_vocab])
    fallback = int(np.where(jab_vocab == "Pengadministrasi Umum")[0][0])
    jabatan[pppk & structural[jabatan]] = fallback
    return jabatan, unit


def _transfers(rng: np.random.Generator, status: np.ndarray, bkd: np.ndarray, updated_at: np.ndarray,
               tables: dict[str, np.ndarray], rate: float, n_bkds: int) -> tuple[np.ndarray, ...]:
    """Pick persons who moved between BKDs and give each an old agency in another BKD."""
    active = np.flatnonzero(status == 0)
    m = int(round(rate * len(status)))
    m = min(m, len(active)) if n_bkds > 1 else 0
    person = np.sort(rng.choice(active, size=m, replace=False)) if m else np.zeros(0, dtype=np.int64)
    old_agency = rng.choice(len(tables["p"]), size=m, p=tables["p"]).astype(np.int32)
    for _ in range(200):  # resample the few old agencies that fell in the person's current BKD
        same = tables["bkd"][old_agency] == bkd[person]
        if not same.any():
            break
        old_agency[same] = rng.choice(len(tables["p"]), size=int(same.sum()), p=tables["p"])
    lo, hi = np.datetime64("2019-01-01T00:00:00"), np.datetime64("2024-11-01T00:00:00")
    span = int((hi - lo) / np.timedelta64(1, "s"))
    tr_date = lo + rng.integers(0, span, m).astype("timedelta64[s]")
    old_updated = tr_date - rng.integers(86400, 86400 * 700, m).astype("timedelta64[s]")
    updated_at[person] = np.maximum(updated_at[person], tr_date)
    return person.astype(np.int64), old_agency, tables["bkd"][old_agency], tr_date, old_updated


def build_registry(seed: int, size: int, n_bkds: int, transfer_rate: float, tick=lambda _: None) -> Registry:
    """Generate ``size`` persons. ``tick(k)`` advances a progress bar by k steps (10 in total)."""
    rng = np.random.default_rng([seed, 1])
    bkds = make_bkds(n_bkds)
    tables = _agency_tables(bkds)
    vocab = _vocabularies()
    agency = rng.choice(len(tables["p"]), size=size, p=tables["p"]).astype(np.int32)
    gender = rng.integers(1, 3, size, dtype=np.int8)
    tick(1)
    style = _styles(rng, tables["prov"][agency])
    name, catalog = nm.sample_diverse_names(rng, style, gender)
    tick(2)
    age, status = _ages_and_status(rng, size)
    birth = REF_DATE - (age * 365.25).astype("timedelta64[D]")
    pppk = (status == 0) & (age < 55) & (rng.random(size) < 0.19)
    year, month = _appointments(rng, birth, pppk)
    tick(1)
    nip = _unique_nips(rng, birth, year, month, gender)
    tick(2)
    senior = (age >= 45) | (rng.random(size) < 0.1)
    front, back = nm.sample_titles(rng, gender, senior)
    golongan = _golongan(rng, back, year, pppk)
    jabatan, unit = _jobs(rng, tables["type"][agency], pppk, vocab)
    tick(2)
    # Updates cluster in recent years (data clean-ups, promotions), never before the appointment.
    ref_ts = np.datetime64("2024-11-30T17:00:00")
    back_days = np.minimum(rng.exponential(420, size), 3000)
    updated_at = ref_ts - (back_days * 86400).astype("timedelta64[s]")
    bkd = tables["bkd"][agency]
    tr = _transfers(rng, status, bkd, updated_at, tables, transfer_rate, len(bkds))
    tick(2)
    return Registry(nip, name, front, back, birth, gender, pppk, agency, jabatan, unit, golongan, status,
                    updated_at, bkd, *tr, catalog=catalog, jabatan_vocab=vocab[0], unit_vocab=vocab[1], bkds=bkds,
                    style=style)


def shared_name_rate(reg: Registry) -> float:
    """Share of persons whose clean name is shared with someone else in the same agency."""
    if reg.size == 0:
        return 0.0
    key = reg.agency.astype(np.int64) * 1_000_000 + reg.name.astype(np.int64)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())
