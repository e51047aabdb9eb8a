"""Bawaslu case records (§4.1) as the API shows them at each phase, plus their truth rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pantau.simulate import reference as ref
from pantau.simulate.gen_cases import PHASE_CUTOFFS, Case


def _iso(t: dt.datetime, offset: str) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S}{offset}"


def record_at(case: Case, cutoff: dt.datetime) -> tuple[dict[str, Any], list[str]] | None:
    """The record as of ``cutoff`` (None when not yet registered) and the noise applied to it."""
    if case.registered > cutoff:
        return None
    a = case.agency
    prov = ref.PROVINCE_BY_CODE[a.province_code]
    decided = case.decided <= cutoff
    status = case.outcome if decided else "diregistrasi"
    forwarded = decided and case.outcome == "diteruskan"
    updated = case.decided if decided else case.registered
    noise = list(case.presented.noise)
    kategori = case.category if case.kategori_set else None
    text = case.uraian
    if case.update_at is not None and case.update_at <= cutoff:
        # The edit Bawaslu makes between pulls: set the missing category, or extend the description.
        updated = max(updated, case.update_at)
        if kategori is None:
            kategori = case.category
        else:
            text += " Terlapor telah dimintai klarifikasi."
        noise.append("record_update")
    p = case.presented
    rec: dict[str, Any] = {
        "nomor_register": case.nomor_register,
        "jenis": case.jenis,
        "tanggal_register": case.registered.date().isoformat(),
        "pemilihan": case.election.name,
        "kode_wilayah": a.kode_wilayah,
        "provinsi": prov.name,
        "kabupaten_kota": None if a.level == "prov" else a.region_name,
        "terlapor": {"nama": p.nama, "nip": p.nip, "jabatan": case.jabatan, "instansi": p.instansi},
        "uraian": text,
        "kategori": kategori,
        "status": status,
        "tanggal_diteruskan": case.decided.date().isoformat() if forwarded else None,
        "nomor_surat_penerusan": case.nomor_surat if forwarded else None,
        "updated_at": _iso(updated, prov.offset),
    }
    if case.extra_field:
        rec["sumber_informasi"] = "Patroli siber" if case.jenis == "temuan" else "Masyarakat"
        noise.append("extra_field")
    if case.malformed:
        _break(rec, case)
        noise.append("bawaslu_malformed")
    return rec, noise


def _break(rec: dict[str, Any], case: Case) -> None:
    """Damage a record the way a buggy export does; the reason code goes to the truth."""
    reason = case.malformed
    if reason == "missing_field":
        del rec[("tanggal_register", "terlapor", "jenis", "nomor_register")[case.case_id % 4]]
    elif reason == "wrong_type":
        nip = rec["terlapor"]["nip"]
        digits = "".join(ch for ch in (nip or "") if ch.isdigit())
        if len(digits) == 18:
            rec["terlapor"]["nip"] = int(digits)  # a JSON number: precision is gone for most clients
        else:
            rec["tanggal_register"] = int(case.registered.strftime("%Y%m%d"))
    elif reason == "impossible_date":
        y = case.registered.year
        rec["tanggal_register"] = (f"{y}-02-30", f"{y}-04-31", f"{y}-13-01")[case.case_id % 3]
    elif reason == "empty_name":
        rec["terlapor"]["nama"] = ""


def write_phase_files(cases: Sequence[Any], out: Path,
                      render: Callable[[Any, dt.datetime, int], tuple[dict[str, Any], dict[str, Any]] | None]
                      ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Write bawaslu/cases_phase{N}.jsonl; ``render(case, cutoff, phase)`` gives (API record, truth row) or None.

    Shared by both simulator dialects: the files and phases are the contract, the records are each
    dialect's own.
    """
    truth: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    (out / "bawaslu").mkdir(parents=True, exist_ok=True)
    for phase, cutoff in PHASE_CUTOFFS.items():
        name = f"bawaslu/cases_phase{phase}.jsonl"
        n = 0
        with open(out / name, "w", encoding="utf-8", newline="\n") as fh:
            for case in cases:
                got = render(case, cutoff, phase)
                if got is None:
                    continue
                rec, row = got
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
                truth.append(row)
        counts[name] = n
    return truth, counts


def write_phases(cases: list[Case], out: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Write bawaslu/cases_phase{N}.jsonl; return truth rows and counts per file."""

    def render(case: Case, cutoff: dt.datetime, phase: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        got = record_at(case, cutoff)
        if got is None:
            return None
        rec, noise = got
        return rec, {
            "case_id": case.case_id, "nomor_register": case.nomor_register, "phase": phase,
            "updated_at": rec["updated_at"], "status": rec["status"],
            "true_nip": case.true_nip, "true_kode_instansi": case.agency.kode_instansi,
            "true_category": case.category, "noise": ";".join(noise) or None,
            "reject_reason": case.malformed,
        }

    return write_phase_files(cases, out, render)
