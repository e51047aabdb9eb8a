"""Bawaslu cases: land pages in the raw zone, then stage them from raw (so replay is the same code)."""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from pantau.exceptions import SourceError
from pantau.normalize.agencies import normalize_agency, normalize_region_code
from pantau.normalize.dates import parse_date_detailed, parse_timestamp
from pantau.normalize.names import split_name
from pantau.normalize.nip import parse_nip
from pantau.pipeline.runs import (
    FUTURE_TOLERANCE_S,
    SourceCount,
    content_digest,
    lineage_key,
    manifest_horizon,
    previous_staged_key,
    put_staged,
    quarantine_frame,
    quarantine_row,
    run_horizon,
)
from pantau.reference.vocabularies import apply_vocabularies
from pantau.sources.bawaslu import BawasluClient
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)

SOURCE = "bawaslu"
WATERMARK_KEY = "state/bawaslu/watermark.json"
CURRENT_KEY = "staging/bawaslu_cases/_current.json"
MAX_SCANS = 5
REQUIRED = ("nomor_register", "jenis", "tanggal_register", "terlapor", "status", "updated_at")
#: The record fields of the API contract (docs/DOMAIN.md §4.1); any other key is reported, not read.
KNOWN_FIELDS = frozenset({*REQUIRED, "pemilihan", "kode_wilayah", "provinsi", "kabupaten_kota", "uraian", "kategori",
                          "tanggal_diteruskan", "nomor_surat_penerusan"})
KNOWN_TERLAPOR_FIELDS = frozenset({"nama", "nip", "jabatan", "instansi"})
#: Staged column -> controlled vocabulary (pantau.reference.vocabularies). The column holds the code
#: (null when the value maps to nothing), ``<column>_raw`` what Bawaslu sent, ``<column>_mapping`` how.
CASE_VOCABULARIES = {"jenis": "case_jenis", "kategori": "category", "status": "case_status"}

CASE_COLUMNS = [
    "nomor_register", "jenis", "jenis_raw", "jenis_mapping", "tanggal_register", "pemilihan", "kode_wilayah",
    "provinsi", "kabupaten_kota", "nama_raw", "nama", "gelar_depan", "gelar_belakang", "name_key", "nip_raw", "nip",
    "nip_valid", "nip_reason", "nip_excel_damaged", "jabatan", "instansi_raw", "instansi", "uraian", "kategori",
    "kategori_raw", "kategori_mapping", "status", "status_raw", "status_mapping", "tanggal_diteruskan",
    "nomor_surat_penerusan", "updated_at", "raw_key",
]
_DATE = pd.ArrowDtype(pa.date32())
#: Fixed dtypes: staged bytes then depend only on the data (replay compares them byte for byte).
CASE_DTYPES: dict[str, Any] = {
    **{c: "string[pyarrow]" for c in CASE_COLUMNS},
    "tanggal_register": _DATE, "tanggal_diteruskan": _DATE, "nip_valid": "bool", "nip_excel_damaged": "bool",
    "updated_at": "datetime64[ns, UTC]",
}


def raw_prefix(run_key: str) -> str:
    return f"raw/{SOURCE}/{run_key}/"


def land(client: BawasluClient, store: ObjectStore, run_key: str, per_page: int, *,
         run_started: datetime | None = None, future_tolerance_s: float = FUTURE_TOLERANCE_S) -> dict[str, Any]:
    """Pull every page changed since the watermark into the raw zone; returns the landing manifest.

    Offset paging drifts when data changes mid-scan (a record repeated or skipped). Repeats are
    harmless (deduplicated when staging); a skip shows up as fewer distinct records than the API's
    ``total``. The pages on either side of a repeat are fetched again first (a drifted window repeats one
    record of its neighbour and skips one); if the union still falls short, the scan is repeated until it
    covers the total, up to ``MAX_SCANS`` times.
    Records are told apart by their content, so two versions of a record sharing a register number and
    ``updated_at`` count as two (staging quarantines them); a record the source itself holds twice
    is accepted once two scans in a row page exactly the same records.

    ``run_started`` (the DAG run's start; now when not given) plus ``future_tolerance_s`` is the
    run's horizon, kept in the manifest: staging quarantines records dated after it and never moves
    the watermark past it.
    """
    state = store.get_json(WATERMARK_KEY) or {}
    watermark = state.get("updated_since")
    landing = uuid.uuid4().hex[:12]
    keys: list[str] = []
    seen: set[str] = set()
    total = 0
    previous_scan: list[str] | None = None
    stable = False
    for scan_no in range(1, MAX_SCANS + 1):
        this_scan: list[str] = []
        by_page: list[tuple[int, list[str]]] = []
        for page in client.scan(watermark, per_page):
            key = f"{raw_prefix(run_key)}{landing}/scan{scan_no}-page{page.number:05d}.json"
            store.put_once(key, page.body, "application/json")
            keys.append(key)
            total = page.total
            digests = [content_digest(r) for r in page.records]
            by_page.append((page.number, digests))
            this_scan += digests
        seen.update(this_scan)
        if len(seen) >= total:
            break
        # A drifted page shows as a record shared by two neighbouring pages, and the record it skipped sits
        # on one of the two: fetching just those pages again is a few requests, where a new scan costs as
        # many requests as there are pages (at national scale nearly every scan drifts somewhere).
        again = _drifted_pages(by_page)
        for number in again:
            page = client.fetch_page(watermark, number, per_page)
            key = f"{raw_prefix(run_key)}{landing}/scan{scan_no}-page{number:05d}-again.json"
            store.put_once(key, page.body, "application/json")
            keys.append(key)
            seen.update(content_digest(r) for r in page.records)
        if again and len(seen) >= total:
            log.info("scan %s drifted on %s pages; fetching them again completed the %s records", scan_no,
                     len(again), total)
            break
        if this_scan == previous_scan and len(this_scan) == total:
            # Two identical passes holding exactly `total` records: no drift, the source holds exact
            # copies of a record (collapsed when staging).
            stable = True
            break
        previous_scan = this_scan
        log.warning("scan %s saw %s distinct records of %s; paging drifted, scanning again", scan_no, len(seen), total)
    else:
        raise SourceError(
            f"Bawaslu API reported {total} records but {MAX_SCANS} scans found only {len(seen)} distinct ones; the "
            "data is changing faster than it can be paged. Nothing was staged; retry later."
        )
    # The records already staged at exactly the watermark come again (the pull is inclusive); they
    # travel with the raw data so staging and replay can skip them without reading mutable state.
    manifest = {"source": SOURCE, "landing": landing, "updated_since": watermark,
                "boundary": state.get("boundary", []), "pages": keys,
                "api_total": total, "landed_at": datetime.now(UTC).isoformat(),
                "run_started": (run_started or datetime.now(UTC)).isoformat(),
                "horizon": run_horizon(run_started, future_tolerance_s).isoformat(),
                "source_repeats_records": stable}
    store.put_json(f"{raw_prefix(run_key)}manifest.json", manifest)
    return manifest


def _drifted_pages(by_page: list[tuple[int, list[str]]]) -> list[int]:
    """Numbers of the pages next to a repeat between neighbouring pages (both pages of each pair, in order)."""
    out: set[int] = set()
    for (number, digests), (next_number, next_digests) in zip(by_page, by_page[1:], strict=False):
        if next_number == number + 1 and not set(digests).isdisjoint(next_digests):
            out.update((number, next_number))
    return sorted(out)


def _identity(record: Any) -> str:
    if isinstance(record, dict):
        return f"{record.get('nomor_register')}|{record.get('updated_at')}"
    return json.dumps(record, sort_keys=True, default=str)


def _boundary_entry(record: Any) -> str:
    """How a record at the watermark is remembered: its register number and updated_at as sent, and a
    digest of its content (so another version at the same instant is not mistaken for it)."""
    return f"{_identity(record)}|sha:{content_digest(record)}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _register_number(value: Any) -> str | None:
    """The register number as text. A JSON integer is exact; an integral float (``12.0``) is the same
    number written by a client that stores numbers as floats; anything else is not a register number."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float) and not isinstance(value, bool)


def _check_record(record: Any) -> tuple[str, str] | None:
    """The first reason this record cannot be staged, as (reason code, detail), or None.

    A value outside a controlled vocabulary (status, jenis, kategori) is not a reason: the record is
    staged with the value kept raw and the code null (see :data:`CASE_VOCABULARIES`).
    """
    if not isinstance(record, dict):
        return "wrong_type", f"record is a {type(record).__name__}, not an object"
    for key in REQUIRED:
        if record.get(key) in (None, ""):
            return "missing_field", f"missing {key}"
    terlapor = record["terlapor"]
    if not isinstance(terlapor, dict):
        return "wrong_type", "terlapor is not an object"
    if _register_number(record["nomor_register"]) is None:
        return "wrong_type", f"nomor_register is a {type(record['nomor_register']).__name__}, not text or a whole number"
    # A date written as a number (20231114) is ambiguous (day first? Excel serial?): not read.
    for key in ("tanggal_register", "updated_at"):
        if not isinstance(record[key], str):
            return "wrong_type", f"{key} is a {type(record[key]).__name__}, not text"
    for key in ("jenis", "status", "kategori"):
        if not _is_scalar(record.get(key)):
            return "wrong_type", f"{key} is a {type(record[key]).__name__}, not a single value"
    # A NIP sent as a JSON integer keeps all 18 digits; a float is Excel-style damage that parse_nip
    # flags (the record is kept either way). Only a non-number is the wrong type.
    if not _is_scalar(terlapor.get("nip")):
        return "wrong_type", f"terlapor.nip is a {type(terlapor.get('nip')).__name__}, not text or a number"
    if not _text(terlapor.get("nama")):
        return "empty_name", "terlapor.nama is empty"
    return None


def stage_record(record: dict[str, Any], raw_key: str) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    problem = _check_record(record)
    if problem:
        return None, problem
    registered, why = parse_date_detailed(record["tanggal_register"])
    if registered is None:
        return None, (why or "unparseable_date", f"tanggal_register {record['tanggal_register']!r}")
    forwarded: date | None = None
    if record.get("tanggal_diteruskan"):
        forwarded, why = parse_date_detailed(record["tanggal_diteruskan"])
        if forwarded is None:
            return None, (why or "unparseable_date", f"tanggal_diteruskan {record['tanggal_diteruskan']!r}")
    updated = parse_timestamp(record["updated_at"])
    if updated is None:
        return None, ("unparseable_date", f"updated_at {record['updated_at']!r}")
    terlapor = record["terlapor"]
    name = split_name(terlapor["nama"])
    nip = parse_nip(terlapor.get("nip"))
    return {
        "nomor_register": _register_number(record["nomor_register"]),
        # Vocabulary columns: the value as sent goes to <column>_raw; typed_cases maps it to a code.
        "jenis": None, "jenis_raw": _text(record["jenis"]), "jenis_mapping": None,
        "tanggal_register": registered,
        "pemilihan": _text(record.get("pemilihan")),
        "kode_wilayah": normalize_region_code(record.get("kode_wilayah")),
        "provinsi": _text(record.get("provinsi")),
        "kabupaten_kota": _text(record.get("kabupaten_kota")),
        "nama_raw": terlapor["nama"],
        "nama": name.core,
        "gelar_depan": " ".join(name.front_titles) or None,
        "gelar_belakang": ", ".join(name.back_titles) or None,
        "name_key": name.key,
        "nip_raw": nip.raw,
        "nip": nip.nip,
        "nip_valid": nip.valid,
        "nip_reason": nip.reason,
        "nip_excel_damaged": nip.excel_damaged,
        "jabatan": _text(terlapor.get("jabatan")),
        "instansi_raw": _text(terlapor.get("instansi")),
        "instansi": normalize_agency(terlapor.get("instansi") or ""),
        "uraian": _text(record.get("uraian")),
        "kategori": None, "kategori_raw": _text(record.get("kategori")), "kategori_mapping": None,
        "status": None, "status_raw": _text(record["status"]), "status_mapping": None,
        "tanggal_diteruskan": forwarded,
        "nomor_surat_penerusan": _text(record.get("nomor_surat_penerusan")),
        "updated_at": updated,
        "raw_key": raw_key,
    }, None


def _note_watermark(count: SourceCount, record: Any, horizon: datetime) -> None:
    """Track the newest readable updated_at of everything landed (staged or quarantined: both are
    handled, so neither needs to come again) and the records that carry it. A record dated after the
    run's horizon is left out: the watermark stays before it, so the next pull brings it again."""
    if not isinstance(record, dict):
        return
    moment = parse_timestamp(record.get("updated_at")) if isinstance(record.get("updated_at"), str) else None
    if moment is None or moment > horizon:
        return
    mark = count.watermark or {"updated_since": None, "boundary": []}
    newest = datetime.fromisoformat(mark["updated_since"]) if mark["updated_since"] else None
    if newest is None or moment > newest:
        mark = {"updated_since": moment.isoformat(), "boundary": []}
    if newest is None or moment >= newest:
        mark["boundary"] = sorted({*mark["boundary"], _boundary_entry(record)})
    count.watermark = mark


def stage_from_raw(store: ObjectStore, run_key: str) -> tuple[pd.DataFrame, pd.DataFrame, SourceCount]:
    """Turn one run's landed pages into (new staged rows, quarantine, counts). Pure over raw.

    Every distinct version is one record in. The same content again (a page repeat, a re-scan, the
    inclusive watermark, or a copy in the source) is collapsed. Two versions of one register number
    with the same ``updated_at`` but different content are both quarantined as ``duplicate_record``
    (nothing tells which is right; a version staged by an earlier run stays current). A record dated
    after the run's horizon is quarantined as ``future_timestamp`` and comes again next run.
    """
    manifest = store.get_json(f"{raw_prefix(run_key)}manifest.json")
    if manifest is None:
        raise SourceError(f"no landed Bawaslu pages for run {run_key}: run the landing step first")
    horizon = manifest_horizon(manifest)
    count = SourceCount(SOURCE)
    quarantined: list[dict[str, Any]] = []
    # What the previous run saw at its watermark: entries with a content digest (and, from watermarks
    # written before digests were kept, bare "register|updated_at" identities).
    boundary = set(manifest.get("boundary") or [])
    boundary_ids = {entry.rsplit("|sha:", 1)[0] for entry in boundary}
    seen: set[str] = set()
    # (register number, instant) -> [(row, record)]: the versions of one record at one time.
    versions: dict[tuple[str, datetime], list[tuple[dict[str, Any], Any]]] = {}
    unknown_fields: Counter[tuple[str, str]] = Counter()

    def reject(record: Any, code: str, detail: str) -> None:
        record_key = record.get("nomor_register") if isinstance(record, dict) else None
        quarantined.append(quarantine_row(SOURCE, run_key, _text(record_key), code, detail, record))
        count.by_reason[code] = count.by_reason.get(code, 0) + 1

    for key in manifest["pages"]:
        for record in json.loads(store.get_bytes(key))["data"]:
            digest = content_digest(record)
            _note_watermark(count, record, horizon)
            identity = _identity(record)
            if digest in seen or f"{identity}|sha:{digest}" in boundary or identity in boundary:
                # The same content again (drift, a re-scan, the inclusive watermark, or a copy the
                # source holds): one record, not two.
                count.duplicates_collapsed += 1
                continue
            seen.add(digest)
            count.records_in += 1
            unknown_fields.update(_unknown_fields(record))
            if identity in boundary_ids:
                reject(record, "duplicate_record", "same nomor_register and updated_at as a version an earlier run "
                       "already handled, with different content; that version stays current")
                continue
            row, problem = stage_record(record, key)
            if row is None:
                assert problem is not None
                reject(record, *problem)
                continue
            if row["updated_at"] > horizon:
                reject(record, "future_timestamp", f"updated_at {record['updated_at']!r} is after the run's horizon "
                       f"{horizon.isoformat()}")
                continue
            versions.setdefault((row["nomor_register"], row["updated_at"]), []).append((row, record))
    staged: dict[str, dict[str, Any]] = {}
    for (number, _), group in versions.items():
        if len(group) > 1:
            for _, record in group:
                reject(record, "duplicate_record", f"{len(group)} versions of {number} share updated_at "
                       f"{record['updated_at']!r} with different content; all are quarantined")
            continue
        row = group[0][0]
        previous = staged.get(number)
        if previous is None or row["updated_at"] >= previous["updated_at"]:
            staged[number] = row
        count.staged += 1
    count.quarantined = len(quarantined)
    count.check()
    for (where, key), records in sorted(unknown_fields.items()):
        count.note_unrecognised(where, key, records)
    new = typed_cases(pd.DataFrame(list(staged.values()), columns=CASE_COLUMNS))
    for column, name in CASE_VOCABULARIES.items():
        count.note_vocabulary(column, name, new[f"{column}_raw"], new[f"{column}_mapping"], new[column])
    return new, quarantine_frame(quarantined), count


def _unknown_fields(record: Any) -> list[tuple[str, str]]:
    """(where, key) of every field of a record the contract does not name (reported, never read)."""
    if not isinstance(record, dict):
        return []
    found = [("bawaslu record", str(k)) for k in record if k not in KNOWN_FIELDS]
    terlapor = record.get("terlapor")
    if isinstance(terlapor, dict):
        found += [("bawaslu record terlapor", str(k)) for k in terlapor if k not in KNOWN_TERLAPOR_FIELDS]
    return found


def typed_cases(frame: pd.DataFrame) -> pd.DataFrame:
    """The staged case table with its fixed dtypes (timestamps as UTC instants; the WIB/WITA/WIT
    offset each record was written in stays in the raw page) and its vocabulary columns mapped from
    the raw values (again on every merge, so a synonym added since applies to earlier cases too)."""
    frame = apply_vocabularies(frame, CASE_VOCABULARIES).reindex(columns=CASE_COLUMNS)
    frame = frame.assign(updated_at=pd.to_datetime(frame["updated_at"], utc=True))
    return frame.astype(CASE_DTYPES)


def merge_current(previous: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """The current state of every case: the newest version of each register number wins."""
    frame = new if previous is None or previous.empty else pd.concat([previous, new], ignore_index=True)
    frame = frame.sort_values(["nomor_register", "updated_at"], kind="stable")
    return typed_cases(frame.drop_duplicates("nomor_register", keep="last").reset_index(drop=True))


def publish_staging(store: ObjectStore, run_key: str, new: pd.DataFrame, quarantine: pd.DataFrame,
                    count: SourceCount | None = None) -> dict[str, Any]:
    """Write the merged current state and the quarantine; move the pointer; then the watermark."""
    # A retried task finds its own file current: it merges onto what the first attempt merged onto.
    previous_key = previous_staged_key(store, "bawaslu_cases", run_key)
    previous = store.get_parquet(previous_key) if previous_key else None
    current = merge_current(previous, new)
    key = put_staged(store, f"staging/bawaslu_cases/{run_key}.parquet", current)
    quarantine_key = put_staged(store, f"quarantine/{SOURCE}/{run_key}.parquet", quarantine)
    store.put_json(lineage_key("bawaslu_cases", run_key), {"previous": previous_key, "key": key,
                                                           "quarantine_key": quarantine_key})
    store.put_json(CURRENT_KEY, {"key": key, "run_key": run_key, "rows": len(current)})
    watermark = count.watermark if count is not None else None
    if watermark is None and not new.empty:
        # Inclusive on the next pull: records sharing the newest timestamp come again and dedupe.
        watermark = {"updated_since": max(new["updated_at"]).isoformat(), "boundary": []}
    if watermark:
        store.put_json(WATERMARK_KEY, {**watermark, "run_key": run_key})
    return {"staged_key": key, "quarantine_key": quarantine_key, "current_rows": len(current)}
