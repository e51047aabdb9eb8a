"""Dialect b's Bawaslu case API records (same contract and files as the first world, its own values)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pantau.simulate.dialect_b import wording as wd
from pantau.simulate.dialect_b.cases import MISSING, Case, spaced
from pantau.simulate.gen_bawaslu import write_phase_files


def _iso(t: dt.datetime, offset: str) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%S}{offset}"


def record_at(c: Case, cutoff: dt.datetime) -> tuple[dict[str, Any], list[str], str] | None:
    """The record as of ``cutoff`` (None before registration), its tags and its canonical status."""
    if c.registered > cutoff:
        return None
    decided_at = c.forwarded_on if c.outcome == "diteruskan" else c.decided
    assert decided_at is not None
    decided = decided_at <= cutoff
    status = c.outcome if decided else "diregistrasi"
    forwarded = decided and c.outcome == "diteruskan"
    updated = decided_at if decided else c.registered
    w = c.written
    tags = list(w.tags) + list(c.tags if forwarded else [t for t in c.tags if t != "shared_letter"])
    kategori = c.category if c.kategori_set else None
    if kategori:
        tags.append("kategori_set")
    text, nip = c.uraian, w.nip
    if c.update_at is not None and c.update_at <= cutoff:
        updated = max(updated, c.update_at)
        if c.update_kind == "kategori_set":
            kategori = c.category
        elif c.update_kind == "uraian_extended":
            text = f"{text} {wd.UPDATE_SENTENCES[c.case_id % len(wd.UPDATE_SENTENCES)]}"
        elif c.update_kind == "nip_filled" and c.true_nip:
            nip = spaced(c.true_nip)
            tags = [t for t in tags if t != "nip_missing"] + ["nip_filled_later"]
        tags.append("record_update")
    terlapor: dict[str, Any] = {"nama": w.nama, "nip": nip, "jabatan": w.jabatan, "instansi": w.instansi}
    if nip is MISSING:
        del terlapor["nip"]
    region = c.region
    rec: dict[str, Any] = {
        "nomor_register": c.nomor_register,
        "jenis": wd.JENIS[c.jenis],
        "tanggal_register": c.registered.date().isoformat(),
        "pemilihan": c.election.label,
        "kode_wilayah": c.office_code,
        "provinsi": c.province.name,
        "kabupaten_kota": region.full_name if region is not None else None,
        "terlapor": terlapor,
        "uraian": text,
        "kategori": kategori,
        "status": wd.STATUS[status],
        "tanggal_diteruskan": c.forwarded_on.date().isoformat() if forwarded and c.forwarded_on else None,
        "nomor_surat_penerusan": c.nomor_surat if forwarded else None,
        "updated_at": _iso(updated, c.province.offset),
    }
    if c.extra_field:
        rec["lampiran"] = [f"bukti_{c.case_id}_{k}.jpg" for k in range(1 + c.case_id % 3)]
        tags.append("extra_field")
    if c.malformed:
        _break(rec, c)
        tags.append("bawaslu_malformed")
    return rec, tags, status


def _break(rec: dict[str, Any], c: Case) -> None:
    if c.malformed == "missing_field":
        del rec[("tanggal_register", "terlapor", "jenis", "nomor_register")[c.case_id % 4]]
    elif c.malformed == "impossible_date":
        y = c.registered.year
        rec["tanggal_register"] = (f"{y}-02-30", f"{y}-04-31", f"{y}-11-31")[c.case_id % 3]
    elif c.malformed == "empty_name":
        rec["terlapor"]["nama"] = ""


def write_phases(cases: list[Case], out: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The API's state at each phase, in the first dialect's file layout (the contract), with this dialect's records."""

    def render(c: Case, cutoff: dt.datetime, phase: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        got = record_at(c, cutoff)
        if got is None:
            return None
        rec, tags, status = got
        return rec, {
            "case_id": c.case_id, "nomor_register": c.nomor_register, "phase": phase,
            "updated_at": rec["updated_at"], "status": status, "true_nip": c.true_nip,
            "true_kode_instansi": c.true_kode_instansi, "true_category": c.category,
            "noise": ";".join(dict.fromkeys(tags)) or None, "reject_reason": c.malformed,
            "respondent": c.respondent,
        }

    return write_phase_files(cases, out, render)
