"""BKD databases: registry (pegawai) and follow-ups (tindak_lanjut), incremental and chunked.

Memory is bounded by the chunk size, not by the registry: every raw chunk is staged on its own,
its rows are spilled to local files by a hash of the record key (NIP or follow-up id), and each
hash bucket is then merged with the same bucket of the previous current state. A 6M-person
registry therefore never sits in memory at once; the largest thing held is one bucket.
"""

from __future__ import annotations

import io
import logging
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from pantau.exceptions import SourceError
from pantau.normalize.agencies import normalize_region_code
from pantau.normalize.names import name_key_series
from pantau.normalize.nip import normalize_nip_series
from pantau.pipeline.runs import (
    FUTURE_TOLERANCE_S,
    SourceCount,
    content_digest,
    manifest_horizon,
    quarantine_frame,
    quarantine_row,
    run_horizon,
)
from pantau.reference.vocabularies import apply_vocabularies
from pantau.sources.bkd import (
    PEGAWAI_COLUMNS,
    TEXT,
    TINDAK_LANJUT_COLUMNS,
    BkdSource,
    read_batches,
    table_columns,
)
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)

TABLES = {"pegawai": PEGAWAI_COLUMNS, "tindak_lanjut": TINDAK_LANJUT_COLUMNS}
KEYS = {"pegawai": "nip", "tindak_lanjut": "id"}
#: Hash buckets per table. Fixed (not sized from the data) so that every BKD and every run bucket
#: a NIP the same way: the national merge then pairs bucket i of each BKD. 16 buckets keep one
#: bucket of a 6M registry near 400k rows.
BUCKETS = {"pegawai": 16, "tindak_lanjut": 1}

_S = pa.large_string()
_TS = pa.timestamp("ns", tz="UTC")
REGISTRY_SCHEMA = pa.schema([
    ("nip", _S), ("nama", _S), ("gelar_depan", _S), ("gelar_belakang", _S), ("tanggal_lahir", pa.date32()),
    ("jenis_kelamin", _S), ("jenis_asn", _S), ("jenis_asn_raw", _S), ("jenis_asn_mapping", _S),
    ("kode_instansi", _S), ("nama_instansi", _S), ("unit_kerja", _S), ("jabatan", _S), ("golongan", _S),
    ("kode_wilayah", _S), ("status", _S), ("status_raw", _S), ("status_mapping", _S), ("updated_at", _TS),
    ("nip_raw", _S), ("nip_valid", pa.bool_()), ("nip_reason", _S), ("name_key", _S), ("bkd", _S),
])
FOLLOW_UP_SCHEMA = pa.schema([
    ("id", _S), ("nomor_rekomendasi", _S), ("nip", _S), ("nomor_sk", _S), ("tanggal_sk", pa.date32()),
    ("jenis_sanksi", _S), ("jenis_sanksi_raw", _S), ("jenis_sanksi_mapping", _S), ("keterangan", _S),
    ("updated_at", _TS), ("nip_raw", _S), ("nip_valid", pa.bool_()), ("nip_reason", _S), ("bkd", _S),
])
SCHEMAS = {"pegawai": REGISTRY_SCHEMA, "tindak_lanjut": FOLLOW_UP_SCHEMA}
#: Staged column -> controlled vocabulary (pantau.reference.vocabularies), per table. The column holds
#: the code (``PNS``, ``aktif``, ``DISIPLIN_BERAT``; null when the value maps to nothing),
#: ``<column>_raw`` what the database holds, ``<column>_mapping`` how it was mapped.
VOCABULARIES = {"pegawai": {"jenis_asn": "jenis_asn", "status": "registry_status"},
                "tindak_lanjut": {"jenis_sanksi": "sanction"}}
TRANSFER_SCHEMA = pa.schema([("nip", _S), ("from_bkd", _S), ("to_bkd", _S), ("moved_seen_at", _TS)])


def raw_prefix(code: str, run_key: str) -> str:
    return f"raw/bkd/{code}/{run_key}/"


def watermark_key(code: str, table: str) -> str:
    return f"state/bkd/{code}/{table}_watermark.json"


def current_key(code: str, table: str) -> str:
    return f"staging/bkd/{code}/{table}/_current.json"


# -- landing ---------------------------------------------------------------------------------------
#: How far before the watermark's local date the SQL pull starts (see :func:`pull_lower_bound`).
PULL_MARGIN = pd.Timedelta(days=1)


def watermark_instant(value: str | None, tz: str) -> pd.Timestamp | None:
    """A stored watermark as a UTC instant. Watermarks are ISO-8601 with an offset; one written before
    that is the database's own naive local text (either ISO spelling), read in the BKD's zone."""
    if not value:
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise SourceError(f"stored BKD watermark {value!r} is not a timestamp; delete the watermark file under "
                          "state/bkd/ to pull the table in full once") from exc
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)
    return stamp.tz_convert("UTC")


def pull_lower_bound(instant: pd.Timestamp | None, tz: str) -> str | None:
    """The bare date the SQL pull starts from: the watermark's local date less a day's margin (a
    timestamp-with-zone column read in another session zone). Rows between it and the watermark come
    again and are dropped, typed, when staging."""
    if instant is None:
        return None
    return str((instant.tz_convert(tz) - PULL_MARGIN).strftime("%Y-%m-%d"))


def land(engine: sa.Engine, source: BkdSource, store: ObjectStore, run_key: str, chunk_rows: int, *,
         run_started: datetime | None = None, future_tolerance_s: float = FUTURE_TOLERANCE_S,
         arrow: bool = True) -> dict[str, Any]:
    """Extract rows changed since the per-table watermark into raw Parquet chunks (all text, as read).

    ``run_started`` (the DAG run's start; now when not given) plus the tolerance is the run's horizon,
    kept in the manifest: staging quarantines rows dated after it and never moves a watermark past it.
    Rows come through ADBC into Arrow where the database has a driver, else through SQLAlchemy
    (``arrow=False`` forces that path); both give the same chunks (pantau.sources.bkd.read_batches).
    """
    manifest: dict[str, Any] = {"source": f"bkd:{source.code}", "code": source.code, "tables": {},
                                "timezone": source.timezone, "landed_at": datetime.now(UTC).isoformat(),
                                "run_started": (run_started or datetime.now(UTC)).isoformat(),
                                "horizon": run_horizon(run_started, future_tolerance_s).isoformat()}
    names = {"pegawai": source.pegawai_table, "tindak_lanjut": source.tindak_lanjut_table}
    for table, columns in TABLES.items():
        watermark = store.get_json(watermark_key(source.code, table)) or {}
        since = watermark.get("updated_at")
        lower_bound = pull_lower_bound(watermark_instant(since, source.timezone), source.timezone)
        keys: list[str] = []
        rows = 0
        try:
            # Columns outside the contract are not extracted; they are named in the manifest so
            # staging reports them instead of ignoring them without a word.
            present = table_columns(engine, names[table])
            unknown = sorted(set(present) - set(columns)) if present is not None else []
            chunks = read_batches(engine, names[table], columns, lower_bound, chunk_rows, arrow=arrow)
            prefix = f"{raw_prefix(source.code, run_key)}{table}/"
            # One chunk is encoded and uploaded in a thread while the next is read (both release the
            # GIL): at most two chunks in memory, written in order.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bkd-land") as writer:
                pending: Future[None] | None = None
                for number, chunk in enumerate(chunks, 1):
                    key = f"{prefix}chunk-{number:05d}.parquet"
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(_put_chunk, store, key, chunk)
                    keys.append(key)
                    rows += chunk.num_rows
                    log.info("BKD %s %s: %s rows extracted", source.code, table, rows)
                if pending is not None:
                    pending.result()
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(
                f"BKD {source.code}: cannot read table {names[table]!r} at {_host(engine)}: "
                f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}; nothing was staged and the watermarks were "
                "not moved. Check that the database is up and that the BKD's connection names the right tables."
            ) from exc
        # The rows already staged at exactly the watermark travel with the raw data (key and content
        # digest), so staging (and a replay) can skip them without looking at mutable state.
        manifest["tables"][table] = {"since": since, "pulled_from": lower_bound,
                                     "boundary": watermark.get("boundary", []), "chunks": keys, "rows": rows,
                                     "unknown_columns": unknown}
    store.put_json(f"{raw_prefix(source.code, run_key)}manifest.json", manifest)
    return manifest


def _put_chunk(store: ObjectStore, key: str, chunk: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(chunk, buffer)
    store.put_once(key, buffer.getvalue())


def _host(engine: sa.Engine) -> str:
    """Where the database is, never with its password."""
    url = engine.url
    if url.host:
        return f"{url.drivername}://{url.host}{f':{url.port}' if url.port else ''}/{url.database or ''}"
    return f"{url.drivername} database {url.database or ''}".strip()


# -- staging one chunk -----------------------------------------------------------------------------
def _quarantine(frame: pd.DataFrame, mask: pd.Series, source: str, run_key: str, key_col: str, code: str,
                detail: str) -> list[dict[str, Any]]:
    return [quarantine_row(source, run_key, rec.get(key_col), code, detail,
                           {k: (None if pd.isna(v) else v) for k, v in rec.items()})
            for rec in frame.loc[mask].to_dict("records")]


def local_timestamps(values: pd.Series, tz: str) -> pd.Series:
    """BKD databases write naive local time; make it aware in the BKD's zone, then UTC."""
    # ISO parsing is vectorised; only the rare odd spellings go through the slow mixed parser.
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    odd = parsed.isna() & values.notna()
    if odd.any():
        parsed = parsed.copy()
        parsed[odd] = pd.to_datetime(values[odd], errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is None:
        parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return parsed.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", format="ISO8601")


def _region_codes(values: pd.Series) -> pd.Series:
    # A registry repeats a few hundred codes millions of times: normalise each distinct one once.
    mapping = {v: normalize_region_code(v) for v in values.dropna().unique()}
    return values.map(mapping).astype(TEXT)


def _one_chunk(values: pd.Series) -> pd.Series:
    """The column as one contiguous Arrow array: the vectorised NIP parser reads raw buffers and
    cannot take the chunked arrays a Parquet read may produce."""
    arrow = pa.array(values.array, from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    return pd.Series(pd.arrays.ArrowStringArray(arrow.cast(pa.large_string())), index=values.index)


def stage_registry(frame: pd.DataFrame, code: str, run_key: str, tz: str = "Asia/Jakarta", *,
                   updated_at: pd.Series | None = None,
                   keep_index: bool = False) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Normalise registry rows vectorised; rows without a usable NIP, name or timestamp are quarantined.

    ``updated_at``: the column already parsed (:func:`local_timestamps`); ``keep_index``: staged rows keep
    their position in ``frame`` as index (else 0..n-1)."""
    source = f"bkd:{code}"
    nip = normalize_nip_series(_one_chunk(frame["nip"]))
    staged = frame.assign(
        nip_raw=frame["nip"], nip=nip["nip"].astype(TEXT), nip_valid=nip["nip_valid"].astype(bool),
        nip_reason=nip["nip_reason"].astype(TEXT), name_key=name_key_series(frame["nama"].fillna("")).astype(TEXT),
        bkd=code, kode_wilayah=_region_codes(frame["kode_wilayah"]),
        tanggal_lahir=_dates(frame["tanggal_lahir"]),
        updated_at=local_timestamps(frame["updated_at"], tz) if updated_at is None else updated_at,
    )
    # An unknown status or ASN type keeps the row (code null, value in <column>_raw): only the NIP,
    # the name and the timestamp make a registry row unusable.
    staged = apply_vocabularies(staged, VOCABULARIES["pegawai"])
    bad_nip = ~staged["nip_valid"]
    no_name = staged["nama"].fillna("").str.strip().eq("") & ~bad_nip
    bad_time = staged["updated_at"].isna() & ~bad_nip & ~no_name
    rejected: list[dict[str, Any]] = []
    for reason_code, group in staged.loc[bad_nip].groupby(staged["nip_reason"].fillna("nip_missing")):
        rejected += _quarantine(frame, frame.index.isin(group.index), source, run_key, "nip", str(reason_code),
                                "registry NIP is not a valid 18-digit NIP")
    rejected += _quarantine(frame, no_name, source, run_key, "nip", "empty_name", "registry nama is empty")
    rejected += _quarantine(frame, bad_time, source, run_key, "nip", "unparseable_date", "updated_at unreadable")
    kept = staged.loc[~(bad_nip | no_name | bad_time)]
    return (kept if keep_index else kept.reset_index(drop=True)), rejected


def stage_follow_ups(frame: pd.DataFrame, code: str, run_key: str, tz: str = "Asia/Jakarta", *,
                     updated_at: pd.Series | None = None,
                     keep_index: bool = False) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Follow-ups need a decree (number and date); the NIP is kept with its validity, never required.
    ``updated_at`` and ``keep_index`` as for :func:`stage_registry`."""
    source = f"bkd:{code}"
    nip = normalize_nip_series(_one_chunk(frame["nip"]))
    staged = frame.assign(
        nip_raw=frame["nip"], nip=nip["nip"].astype(TEXT), nip_valid=nip["nip_valid"].astype(bool),
        nip_reason=nip["nip_reason"].astype(TEXT), bkd=code, tanggal_sk=_dates(frame["tanggal_sk"]),
        updated_at=local_timestamps(frame["updated_at"], tz) if updated_at is None else updated_at,
        nomor_rekomendasi=frame["nomor_rekomendasi"].str.strip().replace("", pd.NA),
    )
    # An unknown sanction text keeps the decree (code null, text in jenis_sanksi_raw): dropping it would
    # make its recommendation look unanswered and send a false overdue alert.
    staged = apply_vocabularies(staged, VOCABULARIES["tindak_lanjut"])
    no_sk = staged["nomor_sk"].fillna("").str.strip().eq("")
    bad_date = staged["tanggal_sk"].isna() & ~no_sk
    bad_time = staged["updated_at"].isna() & ~no_sk & ~bad_date
    rejected = _quarantine(frame, no_sk, source, run_key, "id", "missing_field", "nomor_sk is empty")
    rejected += _quarantine(frame, bad_date, source, run_key, "id", "unparseable_date", "tanggal_sk unreadable")
    rejected += _quarantine(frame, bad_time, source, run_key, "id", "unparseable_date", "updated_at unreadable")
    kept = staged.loc[~(no_sk | bad_date | bad_time)]
    return (kept if keep_index else kept.reset_index(drop=True)), rejected


STAGERS = {"pegawai": stage_registry, "tindak_lanjut": stage_follow_ups}


def to_arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    """The staged frame with its fixed schema, so equal data always gives equal Parquet bytes."""
    schema = SCHEMAS[table]
    arrow = pa.Table.from_pandas(frame[schema.names], preserve_index=False)
    return arrow.cast(schema).replace_schema_metadata(None)


def bucket_of(keys: pd.Series, buckets: int) -> pd.Series:
    """A stable bucket per key (pandas' hash has a fixed seed: same key, same bucket, every run)."""
    if buckets == 1:
        return pd.Series(0, index=keys.index)
    return pd.Series(pd.util.hash_pandas_object(keys.astype(object), index=False).to_numpy() % buckets,
                     index=keys.index)


# -- staging a landed extract ----------------------------------------------------------------------
def _row_digests(frame: pd.DataFrame) -> list[str]:
    """The content digest of each landed row (all text, as read): an exact copy has the same one."""
    return [content_digest({k: (None if pd.isna(v) else v) for k, v in rec.items()})
            for rec in frame.to_dict("records")]


def _naive_utc(instants: pd.Series) -> np.ndarray:
    return instants.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()


def _pair_hashes(keys: pd.Series, instants: pd.Series) -> np.ndarray:
    """A 64-bit hash per (key, updated_at): the same pair hashes the same in every chunk, so two rows
    of one key at one instant are found across chunks without holding the rows."""
    frame = pd.DataFrame({"key": keys.astype(object).to_numpy(), "at": _naive_utc(instants)})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


@dataclass
class _Chunk:
    """One landed chunk, sorted out: what it holds that this run must handle, and how."""

    pulled: pd.DataFrame        # rows at or after the watermark (the typed filter of the conservative pull)
    pulled_at: pd.Series        # their updated_at, parsed (UTC; NaT when unreadable)
    repeated: int               # rows handled by an earlier run: before the watermark, or the same version at it
    records: int                # rows that are records of this run
    rest: pd.DataFrame          # the records handed to the table's stager (index 0..n-1)
    staged: pd.DataFrame        # staged rows; index = position in ``rest``
    rejected: list[dict[str, Any]]


def _prepare_chunk(landed: pd.DataFrame, table: str, code: str, run_key: str, tz: str, since: pd.Timestamp | None,
                   boundary: set[str], horizon: pd.Timestamp) -> _Chunk:
    source, key = f"bkd:{code}", KEYS[table]
    instants = local_timestamps(landed["updated_at"], tz)
    repeated = 0
    if since is not None:
        before = (instants < since).to_numpy()
        repeated = int(before.sum())
        landed = landed.loc[~before].reset_index(drop=True)
        instants = instants.loc[~before].reset_index(drop=True)
    # Rows exactly at the watermark that the previous run handled come again (the pull is inclusive):
    # the same version is skipped; another version of the same key at that instant is a conflict.
    seen = np.zeros(len(landed), dtype=bool)
    clash = np.zeros(len(landed), dtype=bool)
    if since is not None and boundary:
        boundary_keys = {entry.rsplit("|sha:", 1)[0] for entry in boundary}
        at = (instants == since).to_numpy() & landed[key].isin(boundary_keys).fillna(False).to_numpy(dtype=bool)
        positions = np.flatnonzero(at)
        if positions.size:
            sub = landed.iloc[positions]
            for i, value, digest in zip(positions, sub[key].astype(str), _row_digests(sub), strict=True):
                if f"{value}|sha:{digest}" in boundary or value in boundary:
                    seen[i] = True
                else:
                    clash[i] = True
    raw = landed.loc[~seen].reset_index(drop=True)
    at_raw = instants.loc[~seen].reset_index(drop=True)
    clash = clash[~seen]
    future = (at_raw > horizon).to_numpy(dtype=bool)
    rejected = _quarantine(raw, future, source, run_key, key, "future_timestamp",
                           f"updated_at is after the run's horizon {horizon.isoformat()} (its start plus the "
                           "clock-skew tolerance)")
    rejected += _quarantine(raw, clash & ~future, source, run_key, key, "duplicate_record",
                            "same key and updated_at as a version an earlier run already handled, with different "
                            "content; that version stays current")
    keep = ~(future | clash)
    rest = raw.loc[keep].reset_index(drop=True)
    staged, bad = STAGERS[table](rest, code, run_key, tz, updated_at=at_raw.loc[keep].reset_index(drop=True),
                                 keep_index=True)
    return _Chunk(landed, instants, repeated + int(seen.sum()), len(raw), rest, staged, rejected + bad)


@dataclass
class _TableStage:
    """Running state while one table's chunks are staged."""

    table: str
    count: SourceCount
    spill: Path
    writers: dict[int, pq.ParquetWriter] = field(default_factory=dict)
    newest: pd.Timestamp | None = None
    newest_entries: set[str] = field(default_factory=set)
    #: Per chunk, the (key, updated_at) hash of each staged row, in staged order.
    pairs: list[np.ndarray] = field(default_factory=list)

    def note_watermark(self, pulled: pd.DataFrame, instants: pd.Series, horizon: pd.Timestamp) -> None:
        # The next watermark is the newest updated_at handled (staged or quarantined), compared as a
        # timestamp, never past the run's horizon; with the keys and content digests of the rows at it.
        usable = (instants.notna() & (instants <= horizon)).to_numpy(dtype=bool)
        if not usable.any():
            return
        top = instants[usable].max()
        if self.newest is None or top > self.newest:
            self.newest, self.newest_entries = top, set()
        if top == self.newest:
            rows = pulled.loc[usable & (instants == top).to_numpy(dtype=bool)]
            rows = rows.loc[rows[KEYS[self.table]].notna()]
            self.newest_entries.update(f"{k}|sha:{d}" for k, d in
                                       zip(rows[KEYS[self.table]].astype(str), _row_digests(rows), strict=True))

    def spill_path(self, bucket: int) -> Path:
        return self.spill / f"{self.table}-{bucket:03d}.parquet"

    def spill_rows(self, staged: pd.DataFrame) -> None:
        arrow = to_arrow(staged, self.table)
        buckets = bucket_of(staged[KEYS[self.table]], BUCKETS[self.table]).to_numpy()
        for bucket in sorted(set(buckets.tolist())):
            if bucket not in self.writers:
                self.writers[bucket] = pq.ParquetWriter(self.spill_path(bucket), SCHEMAS[self.table])
            self.writers[bucket].write_table(arrow.filter(pa.array(buckets == bucket)))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _resolve_duplicates(store: ObjectStore, state: _TableStage, code: str, run_key: str, meta: dict[str, Any],
                        tz: str, since: pd.Timestamp | None, boundary: set[str],
                        horizon: pd.Timestamp) -> list[dict[str, Any]]:
    """Rows of one key sharing one updated_at within the run: exact copies collapse to one staged row;
    different versions are all taken out of staging and quarantined as ``duplicate_record``, one row
    per version. Rare, so the chunks holding them are read again rather than kept."""
    table, key = state.table, KEYS[state.table]
    hashes = np.concatenate(state.pairs) if state.pairs else np.empty(0, dtype=np.uint64)
    unique, counts = np.unique(hashes, return_counts=True)
    repeated = unique[counts > 1]
    if not repeated.size:
        return []
    groups: dict[tuple[str, pd.Timestamp], list[tuple[str, dict[str, Any]]]] = {}
    for chunk_key, pairs in zip(meta["chunks"], state.pairs, strict=True):
        hit = np.flatnonzero(np.isin(pairs, repeated))
        if not hit.size:
            continue
        landed = store.get_parquet(chunk_key).astype(TEXT).apply(_one_chunk)
        chunk = _prepare_chunk(landed, table, code, run_key, tz, since, boundary, horizon)
        staged = chunk.staged.iloc[hit]
        raws = chunk.rest.loc[staged.index]
        for row, raw in zip(staged[list(SCHEMAS[table].names)].to_dict("records"), raws.to_dict("records"),
                            strict=True):
            groups.setdefault((str(row[key]), row["updated_at"]), []).append(
                (content_digest(row), {k: (None if pd.isna(v) else v) for k, v in raw.items()}))
    exact: set[tuple[str, pd.Timestamp]] = set()
    conflict: set[tuple[str, pd.Timestamp]] = set()
    rejected: list[dict[str, Any]] = []
    count = state.count
    for (value, moment), rows in groups.items():
        if len(rows) < 2:  # a hash collision, not a duplicate
            continue
        versions = dict(rows)  # staged content -> one raw row carrying it (first wins)
        if len(versions) == 1:
            exact.add((value, moment))
            count.records_in -= len(rows) - 1
            count.staged -= len(rows) - 1
            count.duplicates_collapsed += len(rows) - 1
            continue
        conflict.add((value, moment))
        count.records_in -= len(rows) - len(versions)
        count.staged -= len(rows)
        count.quarantined += len(versions)
        count.duplicates_collapsed += len(rows) - len(versions)
        count.by_reason["duplicate_record"] = count.by_reason.get("duplicate_record", 0) + len(versions)
        for raw in versions.values():
            rejected.append(quarantine_row(
                count.source.rsplit(":", 1)[0], run_key, value, "duplicate_record",
                f"{len(versions)} versions of {key} {value} share updated_at {raw.get('updated_at')!r} with "
                "different content; all are quarantined", raw))
    touched = exact | conflict
    if touched:
        buckets = bucket_of(pd.Series([value for value, _ in touched], dtype=object), BUCKETS[table])
        for bucket in sorted(set(buckets.tolist())):
            path = state.spill_path(int(bucket))
            frame = pq.read_table(path).to_pandas(types_mapper=_types_mapper)
            pairs_here = list(zip(frame[key].astype(str), frame["updated_at"], strict=True))
            in_conflict = np.array([p in conflict for p in pairs_here], dtype=bool)
            in_exact = np.array([p in exact for p in pairs_here], dtype=bool)
            drop = in_conflict | (in_exact & frame.duplicated(keep="first").to_numpy(dtype=bool))
            pq.write_table(to_arrow(frame.loc[~drop], table), path)
    return rejected


def _stage_table(store: ObjectStore, code: str, run_key: str, table: str, meta: dict[str, Any], tz: str,
                 horizon: datetime, spill: Path,
                 staging_root: str) -> tuple[dict[str, Any], list[dict[str, Any]], SourceCount]:
    state = _TableStage(table, SourceCount(f"bkd:{code}:{table}"), spill)
    rejected: list[dict[str, Any]] = []
    since = watermark_instant(meta.get("since"), tz)
    boundary = set(meta.get("boundary") or [])
    limit = pd.Timestamp(horizon).tz_convert("UTC")
    for column in meta.get("unknown_columns") or []:
        state.count.note_unrecognised(f"bkd {code} table {table}", column)
    try:
        for chunk_key in meta["chunks"]:
            landed = store.get_parquet(chunk_key).astype(TEXT)
            landed = landed.apply(_one_chunk)
            chunk = _prepare_chunk(landed, table, code, run_key, tz, since, boundary, limit)
            state.note_watermark(chunk.pulled, chunk.pulled_at, limit)
            state.count.duplicates_collapsed += chunk.repeated
            state.count.records_in += chunk.records
            state.count.staged += len(chunk.staged)
            state.count.quarantined += len(chunk.rejected)
            for row in chunk.rejected:
                state.count.by_reason[row["reason_code"]] = state.count.by_reason.get(row["reason_code"], 0) + 1
            rejected += chunk.rejected
            staged = chunk.staged
            for column, name in VOCABULARIES[table].items():
                state.count.note_vocabulary(column, name, staged[f"{column}_raw"], staged[f"{column}_mapping"],
                                            staged[column])
            state.pairs.append(_pair_hashes(staged[KEYS[table]], staged["updated_at"]))
            if len(staged):
                state.spill_rows(staged)
    finally:
        state.close()
    rejected += _resolve_duplicates(store, state, code, run_key, meta, tz, since, boundary, limit)
    state.count.check()
    parts = {}
    for bucket in sorted(state.writers):
        key = f"{staging_root}/bkd/{code}/{table}/_new/{run_key}/part-{bucket:03d}.parquet"
        store.client.fput_object(store.bucket, key, str(state.spill_path(bucket)))
        parts[bucket] = key
    # Kept as ISO-8601 with the BKD's offset: compared as a timestamp, never as text.
    watermark = ({"updated_at": state.newest.tz_convert(tz).isoformat(), "boundary": sorted(state.newest_entries)}
                 if state.newest is not None else None)
    return {"parts": parts, "watermark": watermark, "since": meta.get("since")}, rejected, state.count


def stage_from_raw(store: ObjectStore, code: str, run_key: str, staging_root: str = "staging",
                   ) -> tuple[dict[str, dict[str, Any]], pd.DataFrame, list[SourceCount]]:
    """Stage one run's landed chunks, one chunk at a time; pure over the raw zone.

    Returns, per table, the object keys of the new rows (bucketed by key) and the watermark they
    justify; the quarantine; and the counts (records in = staged + quarantined, checked here).
    """
    manifest = store.get_json(f"{raw_prefix(code, run_key)}manifest.json")
    if manifest is None:
        raise SourceError(f"no landed extract for BKD {code} in run {run_key}: run the landing step first")
    out: dict[str, dict[str, Any]] = {}
    counts: list[SourceCount] = []
    rejected: list[dict[str, Any]] = []
    tz = manifest.get("timezone", "Asia/Jakarta")
    with tempfile.TemporaryDirectory(prefix=f"pantau-bkd-{code}-") as spill:
        for table in TABLES:
            out[table], bad, count = _stage_table(store, code, run_key, table, manifest["tables"][table], tz,
                                                  manifest_horizon(manifest), Path(spill), staging_root)
            rejected += bad
            counts.append(count)
    return out, quarantine_frame(rejected), counts


# -- current state -------------------------------------------------------------------------------
def merge_bucket(previous: pa.Table | None, new: pa.Table | None, table: str) -> pa.Table:
    """The newest version of each key wins; ties keep the later-arriving row. Sorted by key so the
    bytes depend only on the data."""
    parts = [_with_schema(t, table) for t in (previous, new) if t is not None and t.num_rows]
    if not parts:
        return SCHEMAS[table].empty_table()
    frame = pa.concat_tables(parts).cast(SCHEMAS[table]).to_pandas(types_mapper=_types_mapper)
    key = KEYS[table]
    frame = frame.sort_values([key, "updated_at"], kind="stable")
    frame = frame.drop_duplicates(key, keep="last").reset_index(drop=True)
    # Mapped again from the raw values: a synonym added since applies to rows staged earlier.
    return to_arrow(apply_vocabularies(frame, VOCABULARIES[table]), table)


def _with_schema(part: pa.Table, table: str) -> pa.Table:
    """A part written before columns were added (vocabulary evidence) gets them as nulls; the
    vocabulary mapping then fills them from the values it held."""
    for column in SCHEMAS[table]:
        if column.name not in part.schema.names:
            part = part.append_column(column.name, pa.nulls(part.num_rows, column.type))
    return part.select(SCHEMAS[table].names)


def _types_mapper(dtype: pa.DataType) -> Any:
    return pd.ArrowDtype(dtype) if pa.types.is_large_string(dtype) or pa.types.is_date32(dtype) else None


def table_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _read_part(store: ObjectStore, key: str | None) -> pa.Table | None:
    return pq.read_table(io.BytesIO(store.get_bytes(key))) if key else None


def build_current_parts(store: ObjectStore, code: str, run_key: str, table: str, new_parts: dict[Any, str],
                        previous: dict[str, Any] | None) -> dict[int, bytes]:
    """Merged bytes per bucket of the table's current state after this run (nothing written)."""
    previous_parts = {int(b): k for b, k in ((previous or {}).get("parts") or {}).items()}
    new_parts = {int(b): k for b, k in new_parts.items()}
    out: dict[int, bytes] = {}
    for bucket in range(BUCKETS[table]):
        merged = merge_bucket(_read_part(store, previous_parts.get(bucket)), _read_part(store, new_parts.get(bucket)),
                              table)
        out[bucket] = table_bytes(merged)
    return out


def current_part_key(code: str, table: str, run_key: str, bucket: int) -> str:
    return f"staging/bkd/{code}/{table}/{run_key}/part-{bucket:03d}.parquet"


def publish_staging(store: ObjectStore, code: str, run_key: str, tables: dict[str, dict[str, Any]],
                    quarantine: pd.DataFrame, tz: str = "Asia/Jakarta") -> dict[str, Any]:
    """Per-BKD current state, bucket by bucket; watermarks move only after the staged files are written."""
    del tz  # staging writes the watermarks with the BKD's offset already
    out: dict[str, Any] = {}
    for table, staged in tables.items():
        pointer = store.get_json(current_key(code, table))
        if pointer and pointer.get("run_key") == run_key:
            # A retried task finds its own state current: merge onto what the first attempt merged onto,
            # so the lineage never points to itself and the bytes are the first attempt's.
            previous_run = pointer.get("previous_run_key")
            pointer = store.get_json(f"staging/bkd/{code}/{table}/_lineage/{previous_run}.json") if previous_run \
                else None
        parts: dict[str, str] = {}
        rows = 0
        for bucket, data in build_current_parts(store, code, run_key, table, staged["parts"], pointer).items():
            key = current_part_key(code, table, run_key, bucket)
            store.put_bytes(key, data, "application/vnd.apache.parquet")
            parts[str(bucket)] = key
            rows += pq.read_metadata(io.BytesIO(data)).num_rows
        lineage = {"parts": parts, "run_key": run_key, "rows": rows,
                   "previous_run_key": (pointer or {}).get("run_key")}
        store.put_json(f"staging/bkd/{code}/{table}/_lineage/{run_key}.json", lineage)
        store.put_json(current_key(code, table), lineage)
        out[table] = {"parts": parts, "rows": rows}
        if staged.get("watermark"):
            store.put_json(watermark_key(code, table), {**staged["watermark"], "run_key": run_key})
    out["quarantine_key"] = store.put_parquet(f"quarantine/bkd/{code}/{run_key}.parquet", quarantine)
    return out


# -- national combination ------------------------------------------------------------------------
def resolve_transfers(registry: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A NIP held by two BKDs after a transfer: the newest record wins and the move is returned apart."""
    registry = registry.sort_values(["nip", "updated_at", "bkd"], kind="stable")
    moved = registry[registry.duplicated("nip", keep=False)]
    transfers = (moved.groupby("nip", sort=True)
                 .agg(from_bkd=("bkd", "first"), to_bkd=("bkd", "last"), moved_seen_at=("updated_at", "last"))
                 .reset_index())
    return registry.drop_duplicates("nip", keep="last").reset_index(drop=True), transfers


def _combine_registry_bucket(frames: list[pa.Table]) -> tuple[pa.Table, pa.Table]:
    if not frames:
        return REGISTRY_SCHEMA.empty_table(), TRANSFER_SCHEMA.empty_table()
    registry, transfers = resolve_transfers(pa.concat_tables(frames).to_pandas(types_mapper=_types_mapper))
    return (to_arrow(registry, "pegawai"),
            pa.Table.from_pandas(transfers, preserve_index=False).cast(TRANSFER_SCHEMA).replace_schema_metadata(None))


def _upload_file(store: ObjectStore, key: str, path: Path) -> str:
    store.client.fput_object(store.bucket, key, str(path), content_type="application/vnd.apache.parquet")
    return key


def combine(store: ObjectStore, codes: list[str], run_key: str) -> dict[str, Any]:
    """One national registry: a NIP held by two BKDs after a transfer keeps the newest record; the move
    is kept in ``staging/transfers``. Follow-ups of every BKD are unioned.

    Bucket i of every BKD holds the same NIPs, so buckets are combined one at a time and streamed
    into a single Parquet file (row group per bucket): readers still find one key per table.
    """
    pointers = {code: {t: store.get_json(current_key(code, t)) or {} for t in TABLES} for code in codes}
    counts = {"registry_rows": 0, "transfers": 0, "follow_ups": 0}
    with tempfile.TemporaryDirectory(prefix="pantau-combine-") as tmp:
        paths = {name: Path(tmp) / f"{name}.parquet" for name in ("registry", "transfers", "follow_ups")}
        with (pq.ParquetWriter(paths["registry"], REGISTRY_SCHEMA, compression="zstd") as reg_out,
              pq.ParquetWriter(paths["transfers"], TRANSFER_SCHEMA, compression="zstd") as moved_out):
            for bucket in range(BUCKETS["pegawai"]):
                frames = [t for code in codes
                          if (t := _read_part(store, (pointers[code]["pegawai"].get("parts") or {}).get(str(bucket))))]
                registry, transfers = _combine_registry_bucket(frames)
                reg_out.write_table(registry)
                moved_out.write_table(transfers)
                counts["registry_rows"] += registry.num_rows
                counts["transfers"] += transfers.num_rows
        follow_parts = [t for code in codes for key in sorted((pointers[code]["tindak_lanjut"].get("parts") or {})
                                                               .values()) if (t := _read_part(store, key))]
        follow = pa.concat_tables(follow_parts) if follow_parts else FOLLOW_UP_SCHEMA.empty_table()
        pq.write_table(follow, paths["follow_ups"], compression="zstd")
        counts["follow_ups"] = follow.num_rows
        keys = {name: _upload_file(store, f"staging/{name}/{run_key}.parquet", path) for name, path in paths.items()}
    for name, key in keys.items():
        store.put_json(f"staging/{name}/_current.json", {"key": key, "run_key": run_key})
    return {"keys": keys, **counts}
