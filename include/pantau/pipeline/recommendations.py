"""Recommendation exports: fetch new or changed files into raw, parse them, stage recommendations."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from pantau.exceptions import SourceError
from pantau.normalize.agencies import normalize_agency
from pantau.normalize.dates import parse_date_detailed, parse_timestamp
from pantau.normalize.names import split_name
from pantau.normalize.nip import parse_nip
from pantau.normalize.spreadsheet import UnreadableSpreadsheet, read_table
from pantau.pipeline.runs import (
    SourceCount,
    lineage_key,
    previous_staged_key,
    put_staged,
    quarantine_frame,
    quarantine_row,
)
from pantau.reference.vocabularies import apply_vocabularies
from pantau.sources.recommendations import RecommendationsClient, escaped, export_name_problem
from pantau.storage import ObjectStore, sha256_hex

log = logging.getLogger(__name__)

SOURCE = "recommendations"
LEDGER_KEY = "state/recommendations/files.json"
CURRENT_KEY = "staging/recommendations/_current.json"

#: Staged column -> controlled vocabulary (pantau.reference.vocabularies). The column holds the code
#: (``terbukti``: a boolean; null when the value maps to nothing or says nothing), ``<column>_raw`` the
#: cell as written, ``<column>_mapping`` how it was mapped. An unknown category stays null here: the
#: linked Bawaslu case decides it when cases and recommendations are reconciled.
REC_VOCABULARIES = {"jenis_pelanggaran": "category", "rekomendasi_sanksi": "sanction", "terbukti": "proven"}

REC_COLUMNS = [
    "nomor_rekomendasi", "tanggal_rekomendasi", "nama_raw", "nama", "gelar_depan", "gelar_belakang", "name_key",
    "nip_raw", "nip", "nip_valid", "nip_reason", "nip_excel_damaged", "jabatan", "instansi_raw", "instansi",
    "ppk", "jenis_pelanggaran", "jenis_pelanggaran_raw", "jenis_pelanggaran_mapping", "rekomendasi_sanksi",
    "rekomendasi_sanksi_raw", "rekomendasi_sanksi_mapping", "referensi_bawaslu", "terbukti", "terbukti_raw",
    "terbukti_mapping", "source_file", "source_sha256", "source_row", "published_at",
]
#: Fixed dtypes: staged bytes then depend only on the data (replay compares them byte for byte).
REC_DTYPES: dict[str, Any] = {
    **{c: "string[pyarrow]" for c in REC_COLUMNS},
    "tanggal_rekomendasi": pd.ArrowDtype(pa.date32()), "nip_valid": "bool", "nip_excel_damaged": "bool",
    "terbukti": "boolean", "source_row": "int64", "published_at": "datetime64[ns, UTC]",
}
LAYOUT_CODES = {"blank_row", "title_row", "repeated_header", "total_row", "signature_block"}


def raw_prefix(run_key: str) -> str:
    return f"raw/{SOURCE}/{run_key}/"


def land(client: RecommendationsClient, store: ObjectStore, run_key: str) -> dict[str, Any]:
    """Fetch the files whose sha256 is new since the last run; keep the index and each file in raw."""
    index_body = client.index_bytes()
    store.put_once(f"{raw_prefix(run_key)}index.json", index_body, "application/json")
    ledger: dict[str, str] = store.get_json(LEDGER_KEY) or {}
    files: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for entry in client.parse_index(index_body):
        if ledger.get(entry.name) == entry.sha256:
            continue
        problem = export_name_problem(entry.name)
        if problem is not None:
            # Never requested; staging quarantines it as one record, and the rest of the listing goes on.
            log.warning("recommendation export %s not fetched: %s", escaped(entry.name), problem)
            refused.append({"name": entry.name, "sha256": entry.sha256, "updated_at": entry.updated_at,
                            "problem": problem})
            continue
        body = client.fetch_verified(entry.name, entry.sha256)
        actual = sha256_hex(body)
        key = f"{raw_prefix(run_key)}files/{actual[:16]}/{entry.name}"
        store.put_once(key, body)
        files.append({"name": entry.name, "sha256": actual, "updated_at": entry.updated_at, "key": key})
    manifest: dict[str, Any] = {"source": SOURCE, "files": files, "landed_at": datetime.now(UTC).isoformat()}
    if refused:
        manifest["refused"] = refused
    store.put_json(f"{raw_prefix(run_key)}manifest.json", manifest)
    return manifest


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _is_note_row(row: dict[str, Any]) -> bool:
    """A corrected re-publication ends with "Keterangan: revisi data ...": a note, not a record."""
    fields = ("nomor_rekomendasi", "nama", "nip", "tanggal_rekomendasi")
    if any(_text(row.get(f)) for f in fields):
        return False
    return any(str(v).strip().lower().startswith(("keterangan", "catatan")) for k, v in row.items()
               if k != "_extra" and v is not None)


def stage_row(row: dict[str, Any], meta: dict[str, Any]) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    number = _text(row.get("nomor_rekomendasi"))
    if not number:
        return None, ("missing_field", "Nomor Rekomendasi is empty")
    if not _text(row.get("nama")):
        return None, ("empty_name", "Nama is empty")
    issued, why = parse_date_detailed(row.get("tanggal_rekomendasi"))
    if issued is None:
        return None, (why or "unparseable_date", f"Tanggal Rekomendasi {row.get('tanggal_rekomendasi')!r}")
    name = split_name(row["nama"])
    nip = parse_nip(row.get("nip"))
    return {
        "nomor_rekomendasi": number,
        "tanggal_rekomendasi": issued,
        "nama_raw": row["nama"],
        "nama": name.core,
        "gelar_depan": " ".join(name.front_titles) or None,
        "gelar_belakang": ", ".join(name.back_titles) or None,
        "name_key": name.key,
        "nip_raw": nip.raw,
        "nip": nip.nip,
        "nip_valid": nip.valid,
        "nip_reason": nip.reason,
        "nip_excel_damaged": nip.excel_damaged,
        "jabatan": _text(row.get("jabatan")),
        "instansi_raw": _text(row.get("instansi")),
        "instansi": normalize_agency(row.get("instansi") or ""),
        "ppk": _text(row.get("pejabat_pembina_kepegawaian")),
        # Vocabulary columns: the cell as written goes to <column>_raw; typed_recommendations maps it.
        "jenis_pelanggaran": None, "jenis_pelanggaran_raw": _text(row.get("jenis_pelanggaran")),
        "jenis_pelanggaran_mapping": None,
        "rekomendasi_sanksi": None, "rekomendasi_sanksi_raw": _text(row.get("rekomendasi_sanksi")),
        "rekomendasi_sanksi_mapping": None,
        "referensi_bawaslu": _text(row.get("referensi_bawaslu")),
        "terbukti": None, "terbukti_raw": _text(row.get("terbukti")), "terbukti_mapping": None,
        "source_file": meta["name"],
        "source_sha256": meta["sha256"],
        "source_row": int(row.get("row_number", 0)),
        "published_at": parse_timestamp(meta["updated_at"]),
    }, None


def stage_from_raw(store: ObjectStore, run_key: str) -> tuple[pd.DataFrame, pd.DataFrame, SourceCount]:
    manifest = store.get_json(f"{raw_prefix(run_key)}manifest.json")
    if manifest is None:
        raise SourceError(f"no landed recommendation files for run {run_key}: run the landing step first")
    count = SourceCount(SOURCE)
    rows: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []

    def reject(meta: dict[str, Any], row_no: int | None, code: str, detail: str, raw: Any) -> None:
        quarantined.append(quarantine_row(SOURCE, run_key, f"{meta['name']}#{row_no}", code, detail, raw))
        count.by_reason[code] = count.by_reason.get(code, 0) + 1

    for meta in manifest.get("refused", []):
        count.records_in += 1
        reject(meta, None, "unsafe_file_name", f"export {escaped(meta['name'])} not fetched: {meta['problem']}",
               meta["name"])
    for meta in manifest["files"]:
        count_before = count.records_in
        try:
            sheet = read_table(store.get_bytes(meta["key"]), meta["name"])
        except UnreadableSpreadsheet as exc:  # a file we cannot read at all is one quarantined record
            count.records_in += 1
            reject(meta, None, "unreadable_file", str(exc), meta["key"])
            continue
        except Exception as exc:  # not a crash either, but the type says it was not foreseen
            count.records_in += 1
            reject(meta, None, "unreadable_file", f"cannot read {meta['name']!r} ({type(exc).__name__}: {exc})",
                   meta["key"])
            continue
        # Columns nobody reads are reported with the number of rows that filled them; the cells stay
        # in the raw file.
        filled = Counter(header for row in sheet.rows for header in (row.get("_extra") or {}))
        for header in sheet.unmapped_columns:
            count.note_unrecognised(meta["name"], header, filled.get(header, 0))
        for header in sorted(set(filled) - set(sheet.unmapped_columns)):
            # Cells filled under an empty header cell: read_table names them by column number.
            count.note_unrecognised(meta["name"], f"(no header, column {header})", filled[header])
        for row_no, code, raw_values in sheet.skipped:
            if code in LAYOUT_CODES:
                count.layout_rows[code] = count.layout_rows.get(code, 0) + 1
                continue
            count.records_in += 1
            reject(meta, row_no, code, f"row {row_no} of {meta['name']}", list(raw_values))
        for row in sheet.rows:
            if _is_note_row(row):
                count.layout_rows["note_row"] = count.layout_rows.get("note_row", 0) + 1
                continue
            count.records_in += 1
            staged, problem = stage_row(row, meta)
            if staged is None:
                assert problem is not None
                reject(meta, row.get("row_number"), problem[0], problem[1], row)
            else:
                rows.append(staged)
                count.staged += 1
        log.info("%s: %s rows read", meta["name"], count.records_in - count_before)
    count.quarantined = len(quarantined)
    count.check()
    new = typed_recommendations(pd.DataFrame(rows, columns=REC_COLUMNS))
    for column, name in REC_VOCABULARIES.items():
        count.note_vocabulary(column, name, new[f"{column}_raw"], new[f"{column}_mapping"], new[column])
    return new, quarantine_frame(quarantined), count


def typed_recommendations(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed dtypes, and the vocabulary columns mapped from the raw cells (again on every merge, so a
    synonym added since applies to earlier recommendations too)."""
    frame = apply_vocabularies(frame, REC_VOCABULARIES).reindex(columns=REC_COLUMNS)
    frame = frame.assign(published_at=pd.to_datetime(frame["published_at"], utc=True))
    return frame.astype(REC_DTYPES)


def merge_current(previous: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """A corrected re-publication supersedes the earlier version of the same recommendation."""
    frame = new if previous is None or previous.empty else pd.concat([previous, new], ignore_index=True)
    frame = frame.sort_values(["nomor_rekomendasi", "published_at", "source_row"], kind="stable")
    return typed_recommendations(frame.drop_duplicates("nomor_rekomendasi", keep="last").reset_index(drop=True))


def publish_staging(store: ObjectStore, run_key: str, manifest_files: list[dict[str, Any]], new: pd.DataFrame,
                    quarantine: pd.DataFrame) -> dict[str, Any]:
    # A retried task finds its own file current: it merges onto what the first attempt merged onto.
    previous_key = previous_staged_key(store, "recommendations", run_key)
    previous = store.get_parquet(previous_key) if previous_key else None
    current = merge_current(previous, new)
    key = put_staged(store, f"staging/recommendations/{run_key}.parquet", current)
    quarantine_key = put_staged(store, f"quarantine/{SOURCE}/{run_key}.parquet", quarantine)
    store.put_json(lineage_key("recommendations", run_key), {"previous": previous_key, "key": key,
                                                             "quarantine_key": quarantine_key})
    store.put_json(CURRENT_KEY, {"key": key, "run_key": run_key, "rows": len(current)})
    ledger: dict[str, str] = store.get_json(LEDGER_KEY) or {}
    ledger.update({f["name"]: f["sha256"] for f in manifest_files})
    store.put_json(LEDGER_KEY, ledger)
    return {"staged_key": key, "quarantine_key": quarantine_key, "current_rows": len(current)}
