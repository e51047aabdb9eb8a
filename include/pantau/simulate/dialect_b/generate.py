"""Write one dialect-b world: same layout and truth files as the first dialect (docs/SIMULATOR.md)."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from tqdm import tqdm

import pantau
from pantau.simulate import noise as nz
from pantau.simulate.dialect_b.bawaslu import write_phases
from pantau.simulate.dialect_b.bkd import decree_rows, write_databases
from pantau.simulate.dialect_b.cases import BKN_FROM, ELECTIONS, FOLLOW_UP_WORKING_DAYS, Case, build_cases
from pantau.simulate.dialect_b.contacts import contacts_csv
from pantau.simulate.dialect_b.exports import write_exports
from pantau.simulate.dialect_b.people import GROUPS
from pantau.simulate.dialect_b.registry import STATUSES, RegistryB, build_registry, shared_name_rate
from pantau.simulate.gen_cases import PHASE_CUTOFFS

MAX_REGISTRY = 2_000_000  # per-person Python steps: beyond this, generation takes too long to be useful

CASE_TRUTH = ["case_id", "nomor_register", "phase", "updated_at", "status", "true_nip", "true_kode_instansi",
              "true_category", "noise", "reject_reason", "respondent"]
REC_TRUTH = ["file", "phase", "row_number", "no", "nomor_rekomendasi", "case_id", "true_nip", "nomor_register",
             "true_category", "proven", "sanction", "noise", "reject_reason", "tanggal_rekomendasi"]
FILE_TRUTH = ["file", "phase", "format", "sha256", "updated_at", "header_row", "n_rows", "date_style", "delimiter",
              "encoding", "corrected", "noise"]
FU_TRUTH = ["bkd", "id", "case_id", "true_nip", "nomor_rekomendasi", "tanggal_rekomendasi", "tanggal_sk", "timeliness",
            "recommended_sanction", "sanction", "lighter_than_recommended", "in_phase1", "noise", "reject_reason"]


def _bar(progress: bool, total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, unit="", file=sys.stderr, disable=not progress, leave=False, dynamic_ncols=True)


def persons_table(reg: RegistryB) -> pa.Table:
    n = reg.size
    moved = np.zeros(n, dtype=bool)
    moved[reg.tr_person] = True
    prev_db: list[str | None] = [None] * n
    prev_kode: list[str | None] = [None] * n
    when = np.zeros(n, dtype="datetime64[s]")
    for k, p in enumerate(reg.tr_person):
        prev_db[p] = reg.databases[reg.tr_old_db[k]].code
        prev_kode[p] = reg.employers[reg.tr_old_employer[k]].kode_instansi
        when[p] = reg.tr_date[k]
    emps = reg.employers
    return pa.table({
        "nip": pa.array([reg.nip_str(i) for i in range(n)], pa.string()),
        "nama": pa.array([nm.full for nm in reg.names], pa.string()),
        "gelar_depan": pa.array(reg.front, pa.string()),
        "gelar_belakang": pa.array(reg.back, pa.string()),
        "tanggal_lahir": pa.array(reg.birth.astype("datetime64[D]")),
        "jenis_kelamin": pa.array(np.where(reg.gender == 1, "L", "P").tolist(), pa.string()),
        "jenis_asn": pa.array(np.where(reg.pppk, "PPPK", "PNS").tolist(), pa.string()),
        "golongan": pa.array(reg.golongan, pa.string()),
        "kode_instansi": pa.array([emps[e].kode_instansi for e in reg.employer], pa.string()),
        "kode_wilayah": pa.array([emps[e].kode_wilayah for e in reg.employer], pa.string()),
        "status": pa.array([STATUSES[s] for s in reg.status], pa.string()),
        "bkd": pa.array([reg.databases[d].code for d in reg.db], pa.string()),
        "bkd_previous": pa.array(prev_db, pa.string()),
        "kode_instansi_previous": pa.array(prev_kode, pa.string()),
        "transfer_date": pa.array(when, mask=~moved),
        "name_group": pa.array([GROUPS[g] for g in reg.group], pa.string()),
        "unit_kerja": pa.array([reg.units[u].name for u in reg.unit], pa.string()),
        "namesake": pa.array(reg.namesake.tolist(), pa.bool_()),
    })


def _lifecycle(cases: list[Case]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cut = PHASE_CUTOFFS[2]
    for e in ELECTIONS:
        cs = [c for c in cases if c.election.key == e.key and c.registered <= cut]
        fwd = [c for c in cs if c.outcome == "diteruskan" and c.forwarded_on and c.forwarded_on <= cut]
        recs = [c for c in fwd if c.rec is not None and c.rec.tanggal < cut.date()]
        proven = [c for c in recs if c.rec.proven]  # type: ignore[union-attr]
        fu = [c for c in proven if c.decree is not None and c.decree.updated_at <= cut]
        out[e.label] = {"reported": len(cs), "non_asn_respondents": sum(c.respondent == "non_asn" for c in cs),
                        "forwarded": len(fwd), "recommended": len(recs), "proven": len(proven),
                        "followed_up": len(fu), "follow_up_rate": round(len(fu) / len(proven), 3) if proven else None}
    return out


def _registry_summary(reg: RegistryB, pegawai_rows: dict[str, int]) -> dict[str, Any]:
    status = Counter(STATUSES[s] for s in reg.status)
    groups = Counter(GROUPS[g] for g in reg.group)
    return {"persons": reg.size, "pppk_share": round(float(reg.pppk.mean()), 4) if reg.size else 0.0,
            "status": {s: int(status.get(s, 0)) for s in STATUSES}, "transfers": len(reg.tr_person),
            "shared_name_rate_within_agency": round(shared_name_rate(reg), 4),
            "namesake_share": round(float(reg.namesake.mean()), 4) if reg.size else 0.0,
            "name_groups": dict(sorted(groups.items())), "agencies": len({e.kode_instansi for e in reg.employers}),
            "units": len(reg.units), "pegawai_rows_per_bkd": pegawai_rows}


def _dump(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def generate_world_b(out: Path, options: Any, progress: bool = True) -> dict[str, Any]:
    """Write a dialect-b world into ``out`` (options: :class:`pantau.simulate.generate.GenerateOptions`)."""
    from pantau.simulate.generate import _rows_table, _write_parquet

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("exports", "bawaslu", "truth", "prepared"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "contacts.json").unlink(missing_ok=True)  # a directory left by a first-dialect world here
    with _bar(progress, 2, "registry (dialect b)") as bar:
        reg = build_registry(options.seed, options.registry_size, options.bkds, options.transfer_rate)
        bar.update(1)
        cases = build_cases(options.seed, reg, options.cases)
        bar.update(1)
    counts: dict[str, int] = {}
    case_truth, c = write_phases(cases, out)
    counts.update(c)
    rec_truth, file_truth, c = write_exports(cases, out, options.seed)
    counts.update(c)
    latest, phase1, fu_truth = decree_rows(cases, reg, options.seed)
    with _bar(progress, reg.size + len(reg.tr_person), "bkd databases (dialect b)") as bar:
        entries, pegawai_rows, c = write_databases(reg, out, options.bkd_url_template, latest, phase1, bar.update)
    counts.update(c)
    _dump(entries, out / "bkd" / "bkds.json")
    (out / "contacts.csv").write_bytes(contacts_csv())
    t = out / "truth"
    _write_parquet(persons_table(reg), t / "persons.parquet")
    _write_parquet(_rows_table(case_truth, CASE_TRUTH), t / "cases.parquet")
    _write_parquet(_rows_table(rec_truth, REC_TRUTH), t / "recommendations.parquet")
    _write_parquet(_rows_table(file_truth, FILE_TRUTH), t / "export_files.parquet")
    _write_parquet(_rows_table(fu_truth, FU_TRUTH) if fu_truth else pa.table({k: pa.array([], pa.string())
                                                                              for k in FU_TRUTH}),
                   t / "follow_ups.parquet")
    manifest = {
        "generator": "pantau.simulate.dialect_b",
        "pantau_version": pantau.__version__,
        "dialect": "b",
        "seed": options.seed,
        "options": {"registry_size": options.registry_size, "cases": options.cases, "bkds": options.bkds,
                    "transfer_rate": options.transfer_rate, "bkd_url_template": options.bkd_url_template,
                    "dialect": "b"},
        # Dialect b's data phenomena are its own (docs/SIMULATOR.md "Dialect b"); only the HTTP faults are switches.
        "noise": {k: v for k, v in options.noise.as_dict().items() if k in nz.HTTP_FAULTS},
        "phases": {str(p): f"{t.isoformat()}+07:00" for p, t in PHASE_CUTOFFS.items()},
        "follow_up_working_days": FOLLOW_UP_WORKING_DAYS,
        "bkn_takeover": BKN_FROM.isoformat(),
        "registry": _registry_summary(reg, pegawai_rows),
        "lifecycle": _lifecycle(cases),
        "counts": dict(sorted(counts.items())),
    }
    _dump(manifest, out / "manifest.json")
    return manifest
