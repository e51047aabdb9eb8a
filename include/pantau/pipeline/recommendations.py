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
from pantau.normalize.spreadsheet import SheetRead, UnreadableSpreadsheet, read_table
from pantau.pipeline.runs import (
    SourceCount,
    content_digest,
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
#: What a recommendation says, as read from its row: two rows agreeing on these are the same version
#: (an exact copy), whatever file, row number or "No" they came with. Columns nobody reads are not part
#: of it (they stay in the raw file); mapped vocabulary codes are derived from the ``_raw`` columns.
CONTENT_COLUMNS = ["nomor_rekomendasi", "tanggal_rekomendasi", "nama_raw", "nip_raw", "jabatan", "instansi_raw",
                   "ppk", "jenis_pelanggaran_raw", "rekomendasi_sanksi_raw", "referensi_bawaslu", "terbukti_raw"]


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
    # The staged state this run's rows are judged against (a version already staged at the same
    # published_at): named here so staging and replay read the same immutable file, never the pointer.
    manifest: dict[str, Any] = {"source": SOURCE, "files": files, "landed_at": datetime.now(UTC).isoformat(),
                                "previous_staged": previous_staged_key(store, "recommendations", run_key)}
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


def _content(row: dict[str, Any]) -> str:
    """The digest of what a staged row says (see :data:`CONTENT_COLUMNS`)."""
    return content_digest([None if _missing(row.get(c)) else str(row.get(c)) for c in CONTENT_COLUMNS])


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _version(number: Any, published_at: Any) -> tuple[str, int | None]:
    """A recommendation's version: its number and the published_at of its export (as UTC nanoseconds)."""
    return str(number), None if _missing(published_at) else int(pd.Timestamp(published_at).value)


def _staged_versions(store: ObjectStore, key: str | None) -> dict[tuple[str, int | None], str]:
    """The content digest of every recommendation staged before this run, by version."""
    if not key:
        return {}
    frame = typed_recommendations(store.get_parquet(key))
    return {_version(row["nomor_rekomendasi"], row["published_at"]): _content(row)
            for row in frame.to_dict("records")}


_Found = dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]


def _is_new_version(versions: dict[tuple[str, int | None], _Found], staged_before: dict[tuple[str, int | None], str],
                    staged: dict[str, Any], raw: dict[str, Any], meta: dict[str, Any]) -> bool:
    """Note a staged row under its version; False when it is an exact copy of one already met in this
    run or staged by an earlier run (collapsed: not a record of its own)."""
    version = _version(staged["nomor_rekomendasi"], staged["published_at"])
    digest = _content(staged)
    seen = versions.setdefault(version, {})
    if digest in seen or staged_before.get(version) == digest:
        return False
    seen[digest] = (staged, raw, meta)
    return True


def _settle_versions(versions: dict[tuple[str, int | None], _Found], staged_before: set[tuple[str, int | None]],
                     reject: Any) -> list[dict[str, Any]]:
    """The rows to stage: each version met once in this run and not staged before with other content.
    The others are quarantined as ``duplicate_record``, each with its raw row."""
    rows: list[dict[str, Any]] = []
    for version, found in versions.items():
        if version in staged_before:
            for _, raw, meta in found.values():
                reject(meta, raw.get("row_number"), "duplicate_record",
                       f"{version[0]} was staged by an earlier run with the same published_at "
                       f"{meta['updated_at']!r} and different content; that version stays current", raw)
        elif len(found) > 1:
            for _, raw, meta in found.values():
                reject(meta, raw.get("row_number"), "duplicate_record",
                       f"{len(found)} versions of {version[0]} share published_at {meta['updated_at']!r} with "
                       "different content; all are quarantined", raw)
        else:
            rows += [staged for staged, _, _ in found.values()]
    return rows


def _read_export(store: ObjectStore, meta: dict[str, Any]) -> tuple[SheetRead | None, str | None]:
    """The landed file read, or None and the sentence saying why it cannot be (names the file and any bound)."""
    try:
        return read_table(store.get_bytes(meta["key"]), meta["name"]), None
    except UnreadableSpreadsheet as exc:
        return None, str(exc)
    except Exception as exc:  # not a crash either, but the type says it was not foreseen
        return None, f"cannot read {meta['name']!r} ({type(exc).__name__}: {exc})"


def stage_from_raw(store: ObjectStore, run_key: str) -> tuple[pd.DataFrame, pd.DataFrame, SourceCount]:
    """Turn one run's landed export files into (new staged rows, quarantine, counts). Pure over raw
    and the staged file the landing named.

    A recommendation's version is its number and its export's ``published_at``. The same content
    again (a row repeated in a file, or in another export at the same instant, or a version an earlier
    run staged) is collapsed and counted in ``duplicates_collapsed``. Two versions at the same instant
    with different content are all quarantined as ``duplicate_record`` (nothing tells which is right);
    one that differs from the version an earlier run staged is quarantined and the staged one stays.
    A later ``published_at`` is a correction: it supersedes (see :func:`merge_current`).
    """
    manifest = store.get_json(f"{raw_prefix(run_key)}manifest.json")
    if manifest is None:
        raise SourceError(f"no landed recommendation files for run {run_key}: run the landing step first")
    count = SourceCount(SOURCE)
    quarantined: list[dict[str, Any]] = []
    staged_before = _staged_versions(store, manifest.get("previous_staged"))
    # version -> content digest -> (staged row, raw row, file meta): the versions met in this run.
    versions: dict[tuple[str, int | None], _Found] = {}

    def reject(meta: dict[str, Any], row_no: int | None, code: str, detail: str, raw: Any) -> None:
        quarantined.append(quarantine_row(SOURCE, run_key, f"{meta['name']}#{row_no}", code, detail, raw))
        count.by_reason[code] = count.by_reason.get(code, 0) + 1

    for meta in manifest.get("refused", []):
        count.records_in += 1
        reject(meta, None, "unsafe_file_name", f"export {escaped(meta['name'])} not fetched: {meta['problem']}",
               meta["name"])
    for meta in manifest["files"]:
        count_before = count.records_in
        sheet, unreadable = _read_export(store, meta)
        if sheet is None:  # a file we cannot read at all is one quarantined record, not a crash
            count.records_in += 1
            reject(meta, None, "unreadable_file", unreadable or meta["name"], meta["key"])
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
            staged, problem = stage_row(row, meta)
            if staged is None:
                assert problem is not None
                count.records_in += 1
                reject(meta, row.get("row_number"), problem[0], problem[1], row)
            elif _is_new_version(versions, staged_before, staged, row, meta):
                count.records_in += 1
            else:
                count.duplicates_collapsed += 1
        log.info("%s: %s rows read", meta["name"], count.records_in - count_before)
    rows = _settle_versions(versions, set(staged_before), reject)
    count.staged = len(rows)
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
