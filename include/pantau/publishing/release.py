"""Releases: every dataset of a reconcile run under one prefix, and one pointer moved last.

A release is ``published/releases/<id>/`` (layout in docs/DOMAIN.md §5.1). Its id is the as-of date
and the first 12 hex digits of a digest over the data files' content, so

* a run whose data equals the current release's publishes nothing (``status: unchanged``);
* a retry of a run that crashed mid-release finds the same id and completes that release: the data
  files it finds must be byte-identical (``ObjectStore.put_once``), the descriptive files of a release
  without ``release.json`` were never published and are written again by the run that completes it;
* a release with ``release.json`` is never rewritten.

Order of writing: data files, descriptive files (Data Package, DCAT record, pages, access policies),
read every one back and compare its SHA-256, then ``release.json``, then the pointer
``published/current.json``, then the stable copy of the catalog page ``published/index.html``.
A reader who follows the pointer therefore only ever sees a complete, verified release; a crash at any
point leaves the pointer on the previous complete release.

Retention keeps the newest ``keep`` complete releases and never deletes the current release, the one
it names as previous, or one pinned in ``state/releases/pinned.json``; releases left incomplete by a
crash are removed. Validation report pages are kept while a kept release names them (and for the
newest ``keep`` validation runs).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import multiprocessing
import re
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pantau.publishing.files import csv_from_people, for_people, parquet_bytes, tidy, xlsx_from_people
from pantau.publishing.metadata import lineage
from pantau.storage import ObjectStore, sha256_hex

log = logging.getLogger(__name__)

POINTER_KEY = "published/current.json"
CURRENT_PAGE_KEY = "published/index.html"
RELEASES_PREFIX = "published/releases"
VALIDATION_PREFIX = "published/validation"
#: Releases an operator or another process (alerts link to extracts) needs kept: a JSON list of
#: ``{"release": id, "by": who, "reason": why}``.
PINNED_KEY = "state/releases/pinned.json"
#: Bumped when the bytes a given table is written as change (writers, file set): the digest then
#: changes, so a run after an upgrade publishes the new files instead of calling itself unchanged.
FORMAT_VERSION = "3"  # 3: XLSX written by XlsxWriter
WIB = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    access: str  # "public" (aggregates, no personal data) or "restricted" (national + per-PPK extracts)
    description: str
    key: tuple[str, ...]  # identifies a row across releases: what "changed since the previous release" compares


#: The datasets of every release (docs/DOMAIN.md §5, §5.2). Restricted ones carry names and NIPs.
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (
    DatasetSpec("consolidated_cases", "restricted",
                "One row per person per case, linking the Bawaslu case, the recommendation and the follow-up, "
                "with match method and confidence.", ("nomor_register", "nomor_rekomendasi", "follow_up_key")),
    DatasetSpec("overdue_recommendations", "restricted",
                "Proven recommendations without a follow-up decree, with due and escalation dates under the "
                "configured policy.", ("nomor_rekomendasi",)),
    DatasetSpec("review_queue", "restricted",
                "Uncertain person matches, ambiguous case links and conflicts for stewards, with the decisions "
                "already taken.", ("item_id",)),
    DatasetSpec("blocking_candidates", "restricted",
                "Recommendations past the escalation step: candidates for BKN to block the agency's personnel "
                "services.", ("nomor_rekomendasi",)),
    DatasetSpec("compliance_statistics", "public",
                "Reported, forwarded, recommended, proven and followed-up counts, follow-up rate and median "
                "working days to follow-up, nationally and by election, province, kab/kota and agency; cells "
                "describing fewer than k persons suppressed. No personal data.",
                ("level", "election", "province_code", "kabkota_code", "agency_code")),
    DatasetSpec("quarantine_summary", "public",
                "Records quarantined per source, stage and reason code. No record content.",
                ("source", "stage", "reason_code")),
)}

FORMATS = ("data.parquet", "data.csv", "data.xlsx")
#: The files written from a table's people-facing frame (the Parquet file is written from its tidy frame).
RENDERED = ("data.csv", "data.xlsx")
#: From this many rows to render in a release, its CSV and XLSX files are written by worker processes.
PARALLEL_ROWS = 50_000


@dataclass
class ReleaseResult:
    status: str  # "published", "completed" (an earlier attempt's release finished), "unchanged"
    release: str
    manifest_key: str
    manifest: dict[str, Any]
    deleted: list[str] = field(default_factory=list)
    deleted_pages: int = 0  # validation report pages retention removed (their index needs refreshing)
    #: Files copied from the previous release instead of written again (their table did not change).
    reused_files: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "release": self.release, "manifest": self.manifest_key,
                "deleted_releases": self.deleted, "reused_files": self.reused_files}


#: Builds the descriptive files of a release (relative path -> bytes) from the draft manifest and the
#: previous release's manifest (None for the first release).
Describe = Callable[[dict[str, Any], dict[str, Any] | None], dict[str, bytes]]


def _wib_now() -> str:
    return datetime.now(UTC).astimezone(WIB).isoformat(timespec="microseconds")


def table_schema(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Column names with Table Schema types, of a frame as the Parquet file holds it (after :func:`tidy`)."""
    out = []
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kind = "boolean"
        elif pd.api.types.is_integer_dtype(dtype):
            kind = "integer"
        elif pd.api.types.is_float_dtype(dtype):
            kind = "number"
        elif isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
            kind = "datetime"
        else:
            kind = "string"
        out.append({"name": str(name), "type": kind})
    return out


def _text_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns as text (dates, decimals, mixed cells), so Parquet, CSV and XLSX agree."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: None if v is None or v is pd.NA
                                          or (isinstance(v, float) and v != v) else str(v))
    return out


@dataclass
class _Table:
    relpath: str  # e.g. "restricted/national/consolidated_cases"
    frame: pd.DataFrame  # as the Parquet file holds it (tidy)
    people: pd.DataFrame  # as CSV and XLSX show it (for_people)
    parquet: bytes

    @property
    def sheet(self) -> str:
        """The XLSX sheet's name: the dataset's."""
        return self.relpath.rsplit("/", 1)[1]


def _render(people: pd.DataFrame, sheet: str) -> dict[str, bytes]:
    """A table's CSV and XLSX files (run in a worker process by :func:`_rendered`)."""
    return {"data.csv": csv_from_people(people), "data.xlsx": xlsx_from_people(people, sheet)}


def _rendered(tables: list[_Table], writers: int) -> Iterator[tuple[_Table, dict[str, bytes]]]:
    """Each table with its CSV and XLSX bytes, in the order they are done.

    XLSX is written cell by cell in Python, which makes it most of a release's time (106 of 179 s at
    6M x 100k, measured): from ``PARALLEL_ROWS`` rows, ``writers`` processes write tables side by side,
    at most two tables per writer waiting, so memory holds a few tables' files at a time. The bytes
    are the same whichever process writes them (tested).
    """
    rows = sum(len(t.people) for t in tables)
    if writers <= 1 or len(tables) < 2 or rows < PARALLEL_ROWS:
        for table in tables:
            yield table, _render(table.people, table.sheet)
        return
    # forkserver: workers start from a clean process, not a copy of this one (threads, open sockets).
    context = multiprocessing.get_context("forkserver")
    pending = iter(sorted(tables, key=lambda t: -len(t.people)))  # the largest first: no long tail
    running: dict[Future[dict[str, bytes]], _Table] = {}
    try:
        with ProcessPoolExecutor(max_workers=writers, mp_context=context) as pool:
            while True:
                for table in itertools.islice(pending, max(2 * writers - len(running), 0)):
                    running[pool.submit(_render, table.people, table.sheet)] = table
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    files = future.result()
                    yield running.pop(future), files
    except BrokenProcessPool as exc:  # a writer died (killed, out of memory): the rest is written here
        rest = [*running.values(), *pending]
        log.warning("a file-writing process stopped (%s); writing the release's remaining %d table(s) in the "
                    "task's own process", exc, len(rest))
        for table in rest:
            yield table, _render(table.people, table.sheet)


def _table(relpath: str, tidied: pd.DataFrame, people: pd.DataFrame) -> _Table:
    return _Table(relpath, tidied, people, parquet_bytes(tidied, tidied=True))


def _tables(datasets: Mapping[str, pd.DataFrame],
            extracts: Mapping[str, Mapping[str, pd.DataFrame]]) -> dict[str, _Table]:
    """Every table of the release. Cells are prepared once per dataset; an extract is a subset of its
    dataset's rows (by index label), so its files show exactly what the national file shows."""
    tables: dict[str, _Table] = {}
    prepared: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for name, frame in datasets.items():
        if not frame.index.is_unique:
            raise ValueError(f"dataset {name} has a repeated index label; extracts are chosen by index")
        where = "public" if DATASETS[name].access == "public" else "restricted/national"
        tidied = tidy(_text_objects(frame))
        prepared[name] = (tidied, for_people(tidied))
        tables[f"{where}/{name}"] = _table(f"{where}/{name}", *prepared[name])
    for slug, frames in sorted(extracts.items()):
        for name, frame in frames.items():
            if DATASETS[name].access != "restricted":
                raise ValueError(f"dataset {name} is public; per-PPK extracts are for restricted datasets only")
            if name not in prepared:
                raise ValueError(f"the extract for {slug} holds {name}, which the release does not publish")
            tidied, people = prepared[name]
            tables[f"restricted/ppk/{slug}/{name}"] = _table(f"restricted/ppk/{slug}/{name}",
                                                             tidied.loc[frame.index], people.loc[frame.index])
    return tables


def content_digest(tables: Mapping[str, _Table]) -> str:
    """SHA-256 over every table's path and Parquet bytes (CSV and XLSX are written from the same frame)."""
    digest = hashlib.sha256(f"pantau-release-format {FORMAT_VERSION}\n".encode())
    for relpath in sorted(tables):
        digest.update(f"{relpath}\n{sha256_hex(tables[relpath].parquet)}\n".encode())
    return digest.hexdigest()


def release_id(as_of: date, digest: str) -> str:
    return f"{as_of.isoformat()}-{digest[:12]}"


def release_prefix(release: str) -> str:
    return f"{RELEASES_PREFIX}/{release}"


def current_pointer(store: ObjectStore) -> dict[str, Any] | None:
    return store.get_json(POINTER_KEY)


def current_manifest(store: ObjectStore) -> dict[str, Any] | None:
    pointer = current_pointer(store)
    return store.get_json(pointer["manifest"]) if pointer else None


def dataset_key(manifest: Mapping[str, Any], name: str, fmt: str = "data.parquet", extract: str | None = None) -> str:
    """Object key of one dataset file of a release (national/public, or a PPK extract)."""
    entry = manifest["datasets"][name]
    files = entry["extracts"][extract]["files"] if extract else entry["files"]
    return files[fmt]["key"]


def read_dataset(store: ObjectStore, name: str, manifest: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A dataset of the current release (or of ``manifest``), as the national/public Parquet file holds it."""
    manifest = manifest or current_manifest(store)
    if manifest is None:
        raise FileNotFoundError(f"nothing is published yet, so there is no {name} to read: run pantau_reconcile "
                                "first (its reconcile_and_publish task writes the first release)")
    if name not in manifest["datasets"]:
        raise FileNotFoundError(f"release {manifest['release']} has no dataset {name}")
    return store.get_parquet(dataset_key(manifest, name))


def _verify(store: ObjectStore, written: Mapping[str, dict[str, Any]], prefix: str,
            md5s: Mapping[str, str] | None = None) -> None:
    """Check every file as the server holds it; a mismatch stops the release before its manifest or the
    pointer exists. One listing of the release gives each object's size and ETag, which for a single-part
    upload is the MD5 of the bytes stored; an object without such an ETag (multipart uploads, some
    encryption modes) or without a known MD5 is read back and its SHA-256 compared."""
    listed = {o.object_name: o for o in store.client.list_objects(store.bucket, prefix=f"{prefix}/", recursive=True)}
    for key, entry in written.items():
        found = listed.get(key)
        if found is None:
            raise OSError(f"object {key} is missing right after it was written; the pointer stays on the previous "
                          "release, re-run the task")
        etag = _md5_etag(found.etag)
        md5 = (md5s or {}).get(key)
        if md5 is not None and etag is not None:
            intact = etag == md5 and found.size == entry["bytes"]
        else:
            intact = sha256_hex(store.get_bytes(key)) == entry["sha256"]
        if not intact:
            raise OSError(f"object {key} does not hold what was written (expected sha256 {entry['sha256'][:12]}…, "
                          f"{entry['bytes']} bytes); the pointer stays on the previous release, re-run the task")


def _entry(key: str, body: bytes) -> dict[str, Any]:
    return {"key": key, "sha256": sha256_hex(body), "bytes": len(body)}


def publish_release(store: ObjectStore, datasets: Mapping[str, pd.DataFrame], *,
                    extracts: Mapping[str, Mapping[str, pd.DataFrame]], unassigned: Mapping[str, int],
                    as_of: date, facts: Mapping[str, Any], describe: Describe | None = None,
                    compare: Callable[[pd.DataFrame | None, pd.DataFrame, list[str]], dict[str, int]] | None = None,
                    keep: int = 10, writers: int = 1) -> ReleaseResult:
    """Write one release of ``datasets`` (+ per-PPK ``extracts``), verify it, then move the pointer.

    ``writers`` processes write the CSV and XLSX files of a large release (:func:`_rendered`).

    ``facts`` go into the manifest as they are (run id and key, code version, policy, disclosure,
    sources, validation, access). ``compare`` counts rows added/removed/changed against the previous
    release; ``describe`` builds the descriptive files. Returns what happened; raises (leaving the
    pointer where it was) if any object cannot be written or read back identical.
    """
    unknown = sorted(set(datasets) - set(DATASETS))
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; a release holds {sorted(DATASETS)}")
    tables = _tables(datasets, extracts)
    digest = content_digest(tables)
    pointer = current_pointer(store)
    previous = store.get_json(pointer["manifest"]) if pointer else None
    if previous is not None and previous.get("content_digest") == digest:
        sync_current_page(store, previous)
        return ReleaseResult("unchanged", previous["release"], pointer["manifest"], previous,  # type: ignore[index]
                             *apply_retention(store, keep))
    rid = release_id(as_of, digest)
    base = release_prefix(rid)
    manifest_key = f"{base}/release.json"
    existing = store.get_json(manifest_key)
    if existing is not None:
        # Complete already (a retry after the pointer failed to move, or content equal to an earlier
        # release of the same day): check it is intact and make it current.
        _verify(store, {e["key"]: e for e in _all_files(existing)}, base)
        _move_pointer(store, existing, manifest_key)
        return ReleaseResult("completed", rid, manifest_key, existing, *apply_retention(store, keep))

    manifest = _draft(rid, as_of, digest, facts, previous, datasets, extracts, unassigned, tables, compare, store)
    written: dict[str, dict[str, Any]] = {}
    md5s: dict[str, str] = {}
    # An earlier attempt at this release may have written some files: those must hold the same bytes.
    present = set(store.list(f"{base}/"))

    def write(key: str, body: bytes, data: bool) -> None:
        if data and key in present:
            store.put_once(key, body, _content_type(key))
        else:  # descriptive files of a release without release.json were never published
            store.put_bytes(key, body, _content_type(key))
        written[key] = _entry(key, body)
        md5s[key] = hashlib.md5(body, usedforsecurity=False).hexdigest()

    earlier = _earlier_files(store, previous)
    reused = 0
    to_render: list[_Table] = []
    for relpath, table in tables.items():
        write(f"{base}/{relpath}/data.parquet", table.parquet, data=True)
        before = earlier.get(relpath)
        if before is None or before["data.parquet"][0]["sha256"] != sha256_hex(table.parquet):
            to_render.append(table)
            continue
        # Same table, same format version: the CSV and XLSX are the previous release's bytes, copied
        # on the server instead of written again (XLSX is most of a release's time).
        for filename in RENDERED:
            key = f"{base}/{relpath}/{filename}"
            entry, etag = before[filename]
            if key not in present:
                store.copy(entry["key"], key)
            written[key] = {**entry, "key": key}
            if etag:
                md5s[key] = etag
            reused += 1
    for table, files in _rendered(to_render, writers):
        for filename, body in files.items():
            write(f"{base}/{table.relpath}/{filename}", body, data=True)
    _attach_files(manifest, written, base)
    manifest["created_at"] = _wib_now()
    documents = describe(manifest, previous) if describe else {}
    manifest["documents"] = {}
    for relpath, body in sorted(documents.items()):
        write(f"{base}/{relpath}", body, data=False)
        manifest["documents"][relpath] = written[f"{base}/{relpath}"]
    _verify(store, written, base, md5s)
    manifest["lineage"] = lineage(manifest)  # inputs (validated sources) -> every file just verified
    store.put_once(manifest_key, _json_bytes(manifest), "application/json")
    _move_pointer(store, manifest, manifest_key)
    return ReleaseResult("published", rid, manifest_key, manifest, *apply_retention(store, keep), reused_files=reused)


def _earlier_files(store: ObjectStore, previous: Mapping[str, Any] | None) -> dict[str, dict[str, tuple[dict[str, Any], str | None]]]:
    """The previous release's files by table path (``restricted/ppk/<slug>/<dataset>``) and file name, each
    with its ETag when that is the MD5 of its bytes; nothing when that release has another format version
    (its CSV and XLSX of an unchanged table may differ from what this version writes)."""
    if previous is None or previous.get("format_version") != FORMAT_VERSION:
        return {}
    prefix = release_prefix(previous["release"])
    etags = {o.object_name: _md5_etag(o.etag)
             for o in store.client.list_objects(store.bucket, prefix=f"{prefix}/", recursive=True)}
    tables: dict[str, dict[str, tuple[dict[str, Any], str | None]]] = {}
    for dataset in previous.get("datasets", {}).values():
        for table in [dataset, *dataset.get("extracts", {}).values()]:
            files = table.get("files") or {}
            if all(f in files and files[f]["key"] in etags for f in FORMATS):
                tables[table["path"]] = {f: (files[f], etags[files[f]["key"]]) for f in FORMATS}
    return tables


def _md5_etag(etag: str | None) -> str | None:
    """An object's ETag when it is the MD5 of its bytes (a single-part upload or copy), else None."""
    text = (etag or "").strip('"').lower()
    return text if re.fullmatch(r"[0-9a-f]{32}", text) else None


def _draft(rid: str, as_of: date, digest: str, facts: Mapping[str, Any], previous: dict[str, Any] | None,
           datasets: Mapping[str, pd.DataFrame], extracts: Mapping[str, Mapping[str, pd.DataFrame]],
           unassigned: Mapping[str, int], tables: Mapping[str, _Table],
           compare: Callable[[pd.DataFrame | None, pd.DataFrame, list[str]], dict[str, int]] | None,
           store: ObjectStore) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for name, frame in datasets.items():
        spec = DATASETS[name]
        where = "public" if spec.access == "public" else "restricted/national"
        table = tables[f"{where}/{name}"]
        entry: dict[str, Any] = {"access": spec.access, "description": spec.description, "rows": len(frame),
                                 "key": list(spec.key), "schema": table_schema(table.frame), "path": f"{where}/{name}"}
        if spec.access == "restricted":
            entry["extracts"] = {slug: {"rows": len(frames[name]), "path": f"restricted/ppk/{slug}/{name}"}
                                 for slug, frames in sorted(extracts.items()) if name in frames}
            entry["unassigned_rows"] = int(unassigned.get(name, 0))
        if compare is not None:
            old = None
            if previous is not None and name in previous.get("datasets", {}):
                old = store.get_parquet(dataset_key(previous, name))
            entry["changes"] = compare(old, table.frame, [c for c in spec.key if c in table.frame.columns])
        entries[name] = entry
    return {
        "release": rid, "as_of": as_of.isoformat(), "content_digest": digest, "format_version": FORMAT_VERSION,
        "previous_release": previous["release"] if previous else None,
        **dict(facts), "datasets": entries,
    }


def _attach_files(manifest: dict[str, Any], written: Mapping[str, dict[str, Any]], base: str) -> None:
    for entry in manifest["datasets"].values():
        entry["files"] = {f: written[f"{base}/{entry['path']}/{f}"] for f in FORMATS}
        for extract in entry.get("extracts", {}).values():
            extract["files"] = {f: written[f"{base}/{extract['path']}/{f}"] for f in FORMATS}


def _all_files(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = []
    for entry in manifest["datasets"].values():
        files += entry["files"].values()
        for extract in entry.get("extracts", {}).values():
            files += extract["files"].values()
    files += manifest.get("documents", {}).values()
    return files


def _move_pointer(store: ObjectStore, manifest: Mapping[str, Any], manifest_key: str) -> None:
    store.put_json(POINTER_KEY, {"release": manifest["release"], "manifest": manifest_key,
                                 "content_digest": manifest["content_digest"], "as_of": manifest["as_of"],
                                 "moved_at": _wib_now()})
    sync_current_page(store, manifest)


def sync_current_page(store: ObjectStore, manifest: Mapping[str, Any]) -> None:
    """Make ``published/index.html`` the current release's stable page (it is a copy, not the pointer)."""
    page = manifest.get("documents", {}).get("current.html")
    if page is None:
        return
    if store.exists(CURRENT_PAGE_KEY) and sha256_hex(store.get_bytes(CURRENT_PAGE_KEY)) == page["sha256"]:
        return
    store.put_bytes(CURRENT_PAGE_KEY, store.get_bytes(page["key"]), "text/html; charset=utf-8")


def _json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()


def _content_type(name: str) -> str:
    return {
        "parquet": "application/vnd.apache.parquet", "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json": "application/json", "jsonld": "application/ld+json", "html": "text/html; charset=utf-8",
    }.get(name.rsplit(".", 1)[-1], "application/octet-stream")


# -- retention --------------------------------------------------------------------------------------

def list_releases(store: ObjectStore) -> dict[str, dict[str, Any] | None]:
    """Every release folder in the bucket -> its manifest (None when incomplete)."""
    ids = sorted({key[len(RELEASES_PREFIX) + 1:].split("/", 1)[0] for key in store.list(f"{RELEASES_PREFIX}/")})
    return {rid: store.get_json(f"{release_prefix(rid)}/release.json") for rid in ids}


def pinned_releases(store: ObjectStore) -> set[str]:
    pins = store.get_json(PINNED_KEY, default=[])
    return {str(p["release"]) if isinstance(p, dict) else str(p) for p in pins}


def apply_retention(store: ObjectStore, keep: int) -> tuple[list[str], int]:
    """Delete releases beyond the newest ``keep`` complete ones (never the current, its previous, a pinned
    one) and every incomplete release; then validation pages no kept release names. Returns the deleted
    release ids and the number of validation pages deleted."""
    if keep < 1:
        raise ValueError(f"release retention must keep at least 1 release, got {keep} (PANTAU_RELEASES_KEEP)")
    releases = list_releases(store)
    pointer = current_pointer(store)
    current = pointer["release"] if pointer else None
    protected = {current} | pinned_releases(store)
    if current and releases.get(current):
        protected.add(releases[current].get("previous_release"))  # type: ignore[union-attr]
    complete = sorted((m for m in releases.values() if m), key=lambda m: (m.get("created_at", ""), m["release"]),
                      reverse=True)
    kept = {m["release"] for m in complete[:keep]} | (protected & set(releases))
    deleted = []
    for rid in sorted(set(releases) - kept):
        prefix = release_prefix(rid)
        if releases[rid] is not None:  # the manifest goes first: a half-deleted release reads as incomplete
            store.delete(f"{prefix}/release.json")
        for key in list(store.list(f"{prefix}/")):
            store.delete(key)
        deleted.append(rid)
    pages = _validation_retention(store, [m for rid, m in releases.items() if rid in kept and m], keep)
    return deleted, pages


def _validation_retention(store: ObjectStore, kept: list[dict[str, Any]], keep: int) -> int:
    named = {str(v.get("report")) for m in kept for v in (m.get("validation") or {}).values() if isinstance(v, dict)}
    runs: dict[str, list[tuple[datetime, str]]] = {}
    for obj in store.client.list_objects(store.bucket, prefix=f"{VALIDATION_PREFIX}/", recursive=True):
        key = obj.object_name or ""
        parts = key[len(VALIDATION_PREFIX) + 1:].split("/")
        if len(parts) < 2:  # the index page
            continue
        runs.setdefault(parts[0], []).append((obj.last_modified or datetime.min.replace(tzinfo=UTC), key))
    newest = sorted(runs, key=lambda r: max(t for t, _ in runs[r]), reverse=True)[:keep]
    deleted = 0
    for run, objects in runs.items():
        if run in newest or any(key in named for _, key in objects):
            continue
        for _, key in objects:
            store.delete(key)
            deleted += 1
    return deleted


def bucket_bytes(store: ObjectStore, prefix: str = "published/") -> int:
    """Total size of the objects under ``prefix`` (for run summaries and the retention tests)."""
    return sum(o.size or 0 for o in store.client.list_objects(store.bucket, prefix=prefix, recursive=True))
