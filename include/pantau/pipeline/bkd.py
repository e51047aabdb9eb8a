"""BKD databases: registry (pegawai) and follow-ups (tindak_lanjut), incremental and chunked."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from pantau.exceptions import SourceError
from pantau.normalize.agencies import normalize_region_code
from pantau.normalize.names import name_key_series
from pantau.normalize.nip import normalize_nip_series
from pantau.pipeline.runs import SourceCount, quarantine_frame, quarantine_row
from pantau.sources.bkd import PEGAWAI_COLUMNS, TINDAK_LANJUT_COLUMNS, BkdSource, read_chunks
from pantau.storage import ObjectStore

log = logging.getLogger(__name__)

TABLES = {"pegawai": PEGAWAI_COLUMNS, "tindak_lanjut": TINDAK_LANJUT_COLUMNS}
REGISTRY_STATUSES = {"aktif", "pensiun", "berhenti", "meninggal"}


def raw_prefix(code: str, run_key: str) -> str:
    return f"raw/bkd/{code}/{run_key}/"


def watermark_key(code: str, table: str) -> str:
    return f"state/bkd/{code}/{table}_watermark.json"


def land(engine: sa.Engine, source: BkdSource, store: ObjectStore, run_key: str, chunk_rows: int) -> dict[str, Any]:
    """Extract rows changed since the per-table watermark into raw Parquet chunks (all text)."""
    manifest: dict[str, Any] = {"source": f"bkd:{source.code}", "code": source.code, "tables": {},
                                "timezone": source.timezone,
                                "landed_at": datetime.now(UTC).isoformat()}
    names = {"pegawai": source.pegawai_table, "tindak_lanjut": source.tindak_lanjut_table}
    for table, columns in TABLES.items():
        since = (store.get_json(watermark_key(source.code, table)) or {}).get("updated_at")
        keys: list[str] = []
        rows = 0
        try:
            for number, chunk in enumerate(read_chunks(engine, names[table], columns, since, chunk_rows), 1):
                buffer = io.BytesIO()
                chunk.to_parquet(buffer, index=False)
                key = f"{raw_prefix(source.code, run_key)}{table}/chunk-{number:05d}.parquet"
                store.put_bytes(key, buffer.getvalue())
                keys.append(key)
                rows += len(chunk)
                log.info("BKD %s %s: %s rows extracted", source.code, table, rows)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(f"BKD {source.code}: cannot read table {names[table]!r}: {exc.__class__.__name__}: "
                              f"{str(exc).splitlines()[0]}") from exc
        manifest["tables"][table] = {"since": since, "chunks": keys, "rows": rows}
    store.put_json(f"{raw_prefix(source.code, run_key)}manifest.json", manifest)
    return manifest


def _read_chunks(store: ObjectStore, keys: list[str], columns: tuple[str, ...]) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    return pd.concat([store.get_parquet(k) for k in keys], ignore_index=True).astype("string")


def _quarantine(frame: pd.DataFrame, mask: pd.Series, source: str, run_key: str, key_col: str, code: str,
                detail: str) -> list[dict[str, Any]]:
    return [quarantine_row(source, run_key, rec.get(key_col), code, detail, rec)
            for rec in frame.loc[mask].to_dict("records")]


def local_timestamps(values: pd.Series, tz: str) -> pd.Series:
    """BKD databases write naive local time; make it aware in the BKD's zone, then UTC."""
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is None:
        parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return parsed.dt.tz_convert("UTC")


def stage_registry(frame: pd.DataFrame, code: str, run_key: str,
                   tz: str = "Asia/Jakarta") -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Normalise registry rows vectorised; rows without a usable NIP or name are quarantined."""
    source = f"bkd:{code}"
    nip = normalize_nip_series(frame["nip"])
    staged = frame.assign(
        nip_raw=frame["nip"], nip=nip["nip"], nip_valid=nip["nip_valid"], nip_reason=nip["nip_reason"],
        name_key=name_key_series(frame["nama"].fillna("")), bkd=code,
        kode_wilayah=frame["kode_wilayah"].map(normalize_region_code, na_action="ignore"),
        updated_at=local_timestamps(frame["updated_at"], tz),
    )
    bad_nip = ~staged["nip_valid"].astype(bool)
    no_name = staged["nama"].fillna("").str.strip().eq("") & ~bad_nip
    bad_time = staged["updated_at"].isna() & ~bad_nip & ~no_name
    rejected: list[dict[str, Any]] = []
    for reason_code, group in staged.loc[bad_nip].groupby(staged["nip_reason"].fillna("nip_missing")):
        rejected += _quarantine(frame, frame.index.isin(group.index), source, run_key, "nip", str(reason_code),
                                "registry NIP is not a valid 18-digit NIP")
    rejected += _quarantine(frame, no_name, source, run_key, "nip", "empty_name", "registry nama is empty")
    rejected += _quarantine(frame, bad_time, source, run_key, "nip", "unparseable_date", "updated_at unreadable")
    return staged.loc[~(bad_nip | no_name | bad_time)].reset_index(drop=True), rejected


def stage_follow_ups(frame: pd.DataFrame, code: str, run_key: str,
                     tz: str = "Asia/Jakarta") -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    source = f"bkd:{code}"
    nip = normalize_nip_series(frame["nip"])
    staged = frame.assign(
        nip_raw=frame["nip"], nip=nip["nip"], nip_valid=nip["nip_valid"], nip_reason=nip["nip_reason"], bkd=code,
        tanggal_sk=pd.to_datetime(frame["tanggal_sk"], errors="coerce", format="mixed").dt.date,
        updated_at=local_timestamps(frame["updated_at"], tz),
        nomor_rekomendasi=frame["nomor_rekomendasi"].str.strip().replace("", pd.NA),
    )
    no_sk = staged["nomor_sk"].fillna("").str.strip().eq("")
    bad_date = staged["tanggal_sk"].isna() & ~no_sk
    rejected = _quarantine(frame, no_sk, source, run_key, "id", "missing_field", "nomor_sk is empty")
    rejected += _quarantine(frame, bad_date, source, run_key, "id", "unparseable_date", "tanggal_sk unreadable")
    return staged.loc[~(no_sk | bad_date)].reset_index(drop=True), rejected


def stage_from_raw(store: ObjectStore, code: str, run_key: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame,
                                                                          list[SourceCount]]:
    manifest = store.get_json(f"{raw_prefix(code, run_key)}manifest.json")
    if manifest is None:
        raise SourceError(f"no landed extract for BKD {code} in run {run_key}: run the landing step first")
    out: dict[str, pd.DataFrame] = {}
    counts: list[SourceCount] = []
    rejected: list[dict[str, Any]] = []
    for table, stage in (("pegawai", stage_registry), ("tindak_lanjut", stage_follow_ups)):
        raw = _read_chunks(store, manifest["tables"][table]["chunks"], TABLES[table])
        staged, bad = stage(raw, code, run_key, manifest.get("timezone", "Asia/Jakarta"))
        count = SourceCount(f"bkd:{code}:{table}", records_in=len(raw), staged=len(staged), quarantined=len(bad))
        for row in bad:
            count.by_reason[row["reason_code"]] = count.by_reason.get(row["reason_code"], 0) + 1
        count.check()
        out[table], rejected, counts = staged, rejected + bad, counts + [count]
    return out, quarantine_frame(rejected), counts


def _merge(previous: pd.DataFrame | None, new: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = new if previous is None or previous.empty else pd.concat([previous, new], ignore_index=True)
    frame = frame.sort_values([key, "updated_at"], kind="stable")
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)


def publish_staging(store: ObjectStore, code: str, run_key: str, tables: dict[str, pd.DataFrame],
                    quarantine: pd.DataFrame, tz: str = "Asia/Jakarta") -> dict[str, Any]:
    """Per-BKD current state; watermarks move only after the staged files are written."""
    out: dict[str, Any] = {}
    for table, key_col in (("pegawai", "nip"), ("tindak_lanjut", "id")):
        pointer_key = f"staging/bkd/{code}/{table}/_current.json"
        pointer = store.get_json(pointer_key)
        current = _merge(store.get_parquet(pointer["key"]) if pointer else None, tables[table], key_col)
        key = store.put_parquet(f"staging/bkd/{code}/{table}/{run_key}.parquet", current)
        store.put_json(pointer_key, {"key": key, "run_key": run_key, "rows": len(current)})
        out[table] = {"key": key, "rows": len(current)}
        raw_times = tables[table]["updated_at"].dropna()
        if len(raw_times):
            store.put_json(watermark_key(code, table), {"updated_at": _watermark_text(raw_times.max(), tz),
                                                        "run_key": run_key})
    out["quarantine_key"] = store.put_parquet(f"quarantine/bkd/{code}/{run_key}.parquet", quarantine)
    return out


def _watermark_text(value: pd.Timestamp, tz: str) -> str:
    # The databases store updated_at as naive local text; compare in the same form and zone.
    return value.tz_convert(tz).tz_localize(None).isoformat(sep=" ")


def combine(store: ObjectStore, codes: list[str], run_key: str) -> dict[str, Any]:
    """One national registry: a NIP held by two BKDs after a transfer keeps the newest record; the move
    is kept in ``staging/transfers``. Follow-ups of every BKD are unioned."""
    registries, follow_ups = [], []
    for code in codes:
        for table, bucket in (("pegawai", registries), ("tindak_lanjut", follow_ups)):
            pointer = store.get_json(f"staging/bkd/{code}/{table}/_current.json")
            if pointer:
                bucket.append(store.get_parquet(pointer["key"]))
    registry = pd.concat(registries, ignore_index=True) if registries else pd.DataFrame()
    registry = registry.sort_values(["nip", "updated_at"], kind="stable")
    moved = registry[registry.duplicated("nip", keep=False)]
    transfers = (moved.groupby("nip", sort=True)
                 .agg(from_bkd=("bkd", "first"), to_bkd=("bkd", "last"), moved_seen_at=("updated_at", "last"))
                 .reset_index()) if not moved.empty else pd.DataFrame(columns=["nip", "from_bkd", "to_bkd",
                                                                                "moved_seen_at"])
    registry = registry.drop_duplicates("nip", keep="last").reset_index(drop=True)
    follow = pd.concat(follow_ups, ignore_index=True) if follow_ups else pd.DataFrame()
    keys = {
        "registry": store.put_parquet(f"staging/registry/{run_key}.parquet", registry),
        "transfers": store.put_parquet(f"staging/transfers/{run_key}.parquet", transfers),
        "follow_ups": store.put_parquet(f"staging/follow_ups/{run_key}.parquet", follow),
    }
    for name, key in keys.items():
        store.put_json(f"staging/{name}/_current.json", {"key": key, "run_key": run_key})
    return {"keys": keys, "registry_rows": len(registry), "transfers": len(transfers), "follow_ups": len(follow)}
