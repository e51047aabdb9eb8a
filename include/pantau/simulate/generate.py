"""Generate one deterministic simulated world (see docs/SIMULATOR.md for the layout)."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

import pantau
from pantau.simulate import names as nm
from pantau.simulate import noise as nz
from pantau.simulate import reference as ref
from pantau.simulate.gen_bawaslu import write_phases
from pantau.simulate.gen_bkd import TINDAK_LANJUT_PHASE1, bkd_url, write_bkd
from pantau.simulate.gen_cases import FOLLOW_UP_WORKING_DAYS, PHASE_CUTOFFS, Case, build_cases
from pantau.simulate.gen_exports import write_exports
from pantau.simulate.gen_registry import GOLONGAN, STATUSES, Registry, build_registry, shared_name_rate

DEFAULT_SEED = 20241127
DEFAULT_BKD_URL = "sqlite:///bkd/{code}.sqlite"
DIALECTS = ("a", "b")
# The name group of each of this dialect's naming styles (truth/persons.parquet "name_group"; dialect b
# uses the same group names where the cultures coincide, so accuracy per group compares across dialects).
NAME_GROUP_OF_STYLE = {"jawa": "javanese", "umum": "common", "sunda": "sundanese", "batak": "batak",
                       "minang": "minang", "bugis": "bugis_buton", "manado": "manado", "bali": "balinese",
                       "timur": "eastern"}


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = DEFAULT_SEED
    registry_size: int = 20_000
    cases: int = 500
    bkds: int = 4
    transfer_rate: float = 0.01
    bkd_url_template: str = DEFAULT_BKD_URL
    noise: nz.NoiseConfig = field(default_factory=nz.NoiseConfig)
    dialect: str = "a"  # a: the first world; b: the independent second dialect (docs/SIMULATOR.md "Dialect b")

    def validate(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, got {self.dialect!r}")
        if self.dialect == "b" and self.registry_size > 2_000_000:
            raise ValueError("dialect b generates up to 2,000,000 persons")
        if not 1 <= self.registry_size <= 10_000_000:
            raise ValueError("registry_size must be within 1..10,000,000")
        if not 1 <= self.cases <= 200_000:
            raise ValueError("cases must be within 1..200,000")
        if self.cases > self.registry_size:
            raise ValueError("cases must not exceed registry_size")
        if not 0.0 <= self.transfer_rate <= 0.5:
            raise ValueError("transfer_rate must be within 0..0.5")
        if "{code}" not in self.bkd_url_template:
            raise ValueError("bkd_url_template must contain {code}")
        for name, rate in self.noise.as_dict().items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"noise rate {name}={rate} outside [0, 1]")


def _bar(progress: bool, total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="", file=sys.stderr, disable=not progress, leave=False, dynamic_ncols=True)


# --------------------------------------------------------------------------- follow-ups


def _follow_up_rows(cases: list[Case], reg: Registry) -> tuple[dict[int, list[tuple]], dict[int, list[tuple]],
                                                                 list[dict[str, Any]]]:
    """tindak_lanjut rows per BKD (latest and phase 1) and their truth; ids run per BKD by time."""
    latest: dict[int, list[tuple]] = {}
    phase1: dict[int, list[tuple]] = {}
    truth: list[dict[str, Any]] = []
    with_fu = [c for c in cases if c.fu is not None and c.fu.updated_at <= PHASE_CUTOFFS[2]]
    with_fu.sort(key=lambda c: (c.fu.updated_at, c.case_id))  # type: ignore[union-attr]
    next_id: Counter[int] = Counter()
    for c in with_fu:
        fu, rec = c.fu, c.rec
        assert fu is not None and rec is not None
        b = int(reg.bkd[c.person])
        next_id[b] += 1
        fu.id = next_id[b]
        broken = fu.malformed is not None
        row = (fu.id, None if fu.no_rec_number else rec.nomor, c.true_nip, None if broken else fu.nomor_sk,
               None if broken else fu.tanggal_sk.isoformat(), ref.SANCTION_BY_CODE[fu.sanction].label,
               fu.keterangan, f"{fu.updated_at:%Y-%m-%d %H:%M:%S}")
        latest.setdefault(b, []).append(row)
        in_p1 = fu.updated_at <= PHASE_CUTOFFS[1]
        if in_p1:
            phase1.setdefault(b, []).append(row)
        noise = [n for n, on in (("followup_lighter", fu.lighter), ("followup_no_rec_number", fu.no_rec_number),
                                 ("followup_malformed", broken)) if on]
        truth.append({
            "bkd": reg.bkds[b].code, "id": fu.id, "case_id": c.case_id, "true_nip": c.true_nip,
            "nomor_rekomendasi": rec.nomor, "tanggal_rekomendasi": rec.tanggal.isoformat(),
            "tanggal_sk": fu.tanggal_sk.isoformat(), "timeliness": fu.timeliness,
            "recommended_sanction": rec.sanction, "sanction": fu.sanction, "lighter_than_recommended": fu.lighter,
            "in_phase1": in_p1, "noise": ";".join(noise) or None, "reject_reason": fu.malformed,
        })
    return latest, phase1, truth


# --------------------------------------------------------------------------- truth files


def _dict_col(codes: np.ndarray, vocab: list[str] | np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    arr = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=mask), pa.array(list(vocab), pa.string()))
    return arr.cast(pa.string())


def persons_table(reg: Registry) -> pa.Table:
    agencies = ref.all_agencies()
    n = reg.size
    bkd_prev = np.full(n, -1, dtype=np.int32)
    bkd_prev[reg.tr_person] = reg.tr_old_bkd
    ag_prev = np.full(n, -1, dtype=np.int32)
    ag_prev[reg.tr_person] = reg.tr_old_agency
    moved = np.zeros(n, dtype="datetime64[s]")
    moved[reg.tr_person] = reg.tr_date
    no_move = bkd_prev < 0
    bkd_codes = [b.code for b in reg.bkds]
    columns = {
        "nip": pa.array(reg.nip).cast(pa.string()),
        "nama": _dict_col(reg.name, reg.catalog.names),
        "gelar_depan": _dict_col(reg.front, list(nm.FRONT_TITLES)),
        "gelar_belakang": _dict_col(reg.back, list(nm.BACK_TITLES)),
        "tanggal_lahir": pa.array(reg.birth.astype("datetime64[D]")),
        "jenis_kelamin": _dict_col(reg.gender - 1, ["L", "P"]),
        "jenis_asn": _dict_col(reg.pppk.astype(np.int8), ["PNS", "PPPK"]),
        "golongan": _dict_col(reg.golongan, GOLONGAN),
        "kode_instansi": _dict_col(reg.agency, [a.kode_instansi for a in agencies]),
        "kode_wilayah": _dict_col(reg.agency, [a.kode_wilayah for a in agencies]),
        "status": _dict_col(reg.status, STATUSES),
        "bkd": _dict_col(reg.bkd, bkd_codes),
        "bkd_previous": _dict_col(np.maximum(bkd_prev, 0), bkd_codes, mask=no_move),
        "kode_instansi_previous": _dict_col(np.maximum(ag_prev, 0), [a.kode_instansi for a in agencies], mask=no_move),
        "transfer_date": pa.array(moved, mask=no_move),
    }
    if reg.style is not None:
        columns["name_group"] = _dict_col(reg.style, [NAME_GROUP_OF_STYLE[s] for s in nm.STYLES])
    return pa.table(columns)


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


def _rows_table(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    """Columns typed from their values; an all-null column (e.g. no malformed rows) becomes string."""
    arrays = {}
    for c in columns:
        arr = pa.array([r[c] for r in rows])
        arrays[c] = arr.cast(pa.string()) if pa.types.is_null(arr.type) else arr
    return pa.table(arrays)


# --------------------------------------------------------------------------- directories


def _domain(a: ref.Agency) -> str:
    prov = ref.PROVINCE_BY_CODE[a.province_code]
    if a.level == "prov":
        return f"{prov.short.lower().replace(' ', '')}prov.go.id"
    kind, name = a.region_name.split(" ", 1)
    slug = name.lower().replace(" ", "")
    return f"{slug}kab.go.id" if kind == "Kabupaten" else f"{slug}kota.go.id"


def contacts() -> dict[str, Any]:
    """Alert directory (§4.4). Addresses are fictional: they only ever reach the demo mail catcher."""
    agencies = [{"kode_instansi": a.kode_instansi, "nama_instansi": a.nama_instansi, "kode_wilayah": a.kode_wilayah,
                 "ppk_jabatan": a.ppk_jabatan, "ppk_email": f"ppk@{_domain(a)}",
                 "bkd_email": f"{'bkd' if a.level == 'prov' else 'bkpsdm'}@{_domain(a)}"} for a in ref.all_agencies()]
    return {"agencies": agencies, "escalation": [dict(e) for e in ref.ESCALATION_CONTACTS]}


def _dump(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _case_summary(cases: list[Case]) -> dict[str, Any]:
    """Lifecycle figures per election (as of phase 2), to compare with the published ones."""
    out: dict[str, Any] = {}
    cut = PHASE_CUTOFFS[2]
    for e in ref.ELECTIONS:
        cs = [c for c in cases if c.election.name == e.name and c.registered <= cut]
        fwd = [c for c in cs if c.outcome == "diteruskan" and c.decided <= cut]
        recs = [c for c in fwd if c.rec is not None and c.rec.tanggal < cut.date()]
        proven = [c for c in recs if c.rec.proven]  # type: ignore[union-attr]
        fu = [c for c in proven if c.fu is not None and c.fu.updated_at <= cut]
        out[e.name] = {"reported": len(cs), "forwarded": len(fwd), "recommended": len(recs), "proven": len(proven),
                       "followed_up": len(fu), "follow_up_rate": round(len(fu) / len(proven), 3) if proven else None}
    return out


def _registry_summary(reg: Registry, pegawai_rows: dict[str, int]) -> dict[str, Any]:
    status = np.bincount(reg.status, minlength=len(STATUSES))
    return {"persons": reg.size, "pppk_share": round(float(reg.pppk.mean()), 4),
            "status": {str(s): int(k) for s, k in zip(STATUSES, status, strict=True)},
            "transfers": len(reg.tr_person), "shared_name_rate_within_agency": round(shared_name_rate(reg), 4),
            "agencies": len(ref.all_agencies()), "pegawai_rows_per_bkd": pegawai_rows}


# --------------------------------------------------------------------------- entry point


def generate_world(out: Path, options: GenerateOptions, progress: bool = True) -> dict[str, Any]:
    """Write a world into ``out`` and return the manifest (also written as manifest.json)."""
    options.validate()
    if options.dialect == "b":
        from pantau.simulate.dialect_b.generate import generate_world_b

        return generate_world_b(out, options, progress)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "contacts.csv").unlink(missing_ok=True)  # a directory left by a dialect-b world here
    # A re-run into the same directory must not leave files of an earlier world (e.g. other months).
    for sub in ("exports", "bawaslu", "truth"):
        shutil.rmtree(out / sub, ignore_errors=True)
    with _bar(progress, 10, "registry") as bar:
        reg = build_registry(options.seed, options.registry_size, options.bkds, options.transfer_rate, bar.update)
    with _bar(progress, options.cases, "cases") as bar:
        cases = build_cases(options.seed, reg, options.cases, options.noise, bar.update)
    counts: dict[str, int] = {}
    case_truth, c = write_phases(cases, out)
    counts.update(c)
    rec_truth, file_truth, c = write_exports(cases, out, options.seed, options.noise)
    counts.update(c)
    latest, phase1, fu_truth = _follow_up_rows(cases, reg)
    bkd_entries, pegawai_rows = [], {}
    total_rows = reg.size + len(reg.tr_person)
    with _bar(progress, total_rows, "bkd databases") as bar:
        for bi, b in enumerate(reg.bkds):
            recorded, connect = bkd_url(options.bkd_url_template, b.code, out)
            n = write_bkd(reg, bi, connect, latest.get(bi, []), phase1.get(bi, []), bar.update)
            pegawai_rows[b.code] = n["pegawai"]
            counts.update({f"bkd/{b.code}:{t}": k for t, k in n.items()})
            bkd_entries.append({"code": b.code, "name": b.name, "url": recorded, "pegawai_table": "pegawai",
                                "tindak_lanjut_table": "tindak_lanjut",
                                "tindak_lanjut_phase1_table": TINDAK_LANJUT_PHASE1, "provinces": list(b.provinces)})
    _dump(bkd_entries, out / "bkd" / "bkds.json")
    _dump(contacts(), out / "contacts.json")
    # Truth columns shared with dialect b: every respondent here is a civil servant; recommendation dates.
    for row in case_truth:
        row["respondent"] = "asn"
    rec_dates = {c.case_id: c.rec.tanggal.isoformat() for c in cases if c.rec is not None}
    for row in rec_truth:
        row["tanggal_rekomendasi"] = rec_dates[row["case_id"]]
    _write_truth(out, reg, case_truth, rec_truth, file_truth, fu_truth)
    manifest = _manifest(options, reg, cases, counts, pegawai_rows)
    _dump(manifest, out / "manifest.json")
    return manifest


def _write_truth(out: Path, reg: Registry, case_truth: list[dict[str, Any]], rec_truth: list[dict[str, Any]],
                 file_truth: list[dict[str, Any]], fu_truth: list[dict[str, Any]]) -> None:
    t = out / "truth"
    _write_parquet(persons_table(reg), t / "persons.parquet")
    _write_parquet(_rows_table(case_truth, ["case_id", "nomor_register", "phase", "updated_at", "status", "true_nip",
                                            "true_kode_instansi", "true_category", "noise", "reject_reason",
                                            "respondent"]),
                   t / "cases.parquet")
    _write_parquet(_rows_table(rec_truth, ["file", "phase", "row_number", "no", "nomor_rekomendasi", "case_id",
                                           "true_nip", "nomor_register", "true_category", "proven", "sanction",
                                           "noise", "reject_reason", "tanggal_rekomendasi"]),
                   t / "recommendations.parquet")
    _write_parquet(_rows_table(file_truth, ["file", "phase", "format", "sha256", "updated_at", "header_row", "n_rows",
                                            "date_style", "delimiter", "encoding", "corrected", "noise"]),
                   t / "export_files.parquet")
    _write_parquet(_rows_table(fu_truth, ["bkd", "id", "case_id", "true_nip", "nomor_rekomendasi",
                                          "tanggal_rekomendasi", "tanggal_sk", "timeliness", "recommended_sanction",
                                          "sanction", "lighter_than_recommended", "in_phase1", "noise",
                                          "reject_reason"]), t / "follow_ups.parquet")


def _manifest(options: GenerateOptions, reg: Registry, cases: list[Case], counts: dict[str, int],
              pegawai_rows: dict[str, int]) -> dict[str, Any]:
    return {
        "generator": "pantau.simulate.generate",
        "pantau_version": pantau.__version__,
        "dialect": "a",
        "seed": options.seed,
        "options": {"registry_size": options.registry_size, "cases": options.cases, "bkds": options.bkds,
                    "transfer_rate": options.transfer_rate, "bkd_url_template": options.bkd_url_template,
                    "dialect": "a"},
        "noise": options.noise.as_dict(),
        "phases": {str(p): f"{t.isoformat()}+07:00" for p, t in PHASE_CUTOFFS.items()},
        "follow_up_working_days": FOLLOW_UP_WORKING_DAYS,
        "bkn_takeover": ref.BKN_TAKEOVER,
        "registry": _registry_summary(reg, pegawai_rows),
        "lifecycle": _case_summary(cases),
        "counts": dict(sorted(counts.items())),
    }
