"""Helpers shared by the fault and bad-input matrix (tests/faults/test_matrix_*.py): one copy of each.

Imported as ``support`` (tests/faults/conftest.py puts this folder on ``sys.path``; the tests run with
``--import-mode=importlib`` and are not a package). Builders write what a source would hold (a Bawaslu
case, a BKD SQLite file, an exports folder with its index.json); runners drive one source's land ->
stage -> publish over the real protocols on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from hostile_files import HEADER as EXPORT_HEADER

from pantau.pipeline import bawaslu, bkd, recommendations
from pantau.pipeline.runs import SourceCount
from pantau.simulate.servers import BawasluApiServer
from pantau.simulate.servers.faults import FaultDecision, SimRequest, SimResponse
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.bkd import PEGAWAI_COLUMNS, TINDAK_LANJUT_COLUMNS, BkdSource
from pantau.sources.recommendations import RecommendationsClient
from pantau.storage import ObjectStore

TOKEN = "matrix-token-7f3a91c2"  # distinctive, so the no-secret-in-logs test cannot match it by accident
NIP_A = "196804111993031009"
NIP_B = "197001022000122001"
NIP_C = "198505122010011002"
PUBLISHED = "2024-03-31T10:00:00+07:00"


# -- Bawaslu ----------------------------------------------------------------------------------------
def case(number: str, updated_at: str = "2024-07-16T10:00:00+07:00", **changes: Any) -> dict[str, Any]:
    record = {"nomor_register": number, "jenis": "laporan", "tanggal_register": "2024-01-10",
              "pemilihan": "Pemilu 2024", "kode_wilayah": "13.06",
              "terlapor": {"nama": "Budi Santoso, S.Pd", "nip": NIP_A, "jabatan": "Guru",
                           "instansi": "Dinas Pendidikan Kab. Agam"},
              "status": "diregistrasi", "uraian": "Mengunggah dukungan di media sosial.", "kategori": None,
              "updated_at": updated_at}
    record.update(changes)
    return record


def write_cases(world: Path, phase: int, records: list[Any]) -> None:
    folder = world / "bawaslu"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"cases_phase{phase}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def client_for(url: str, token: str = TOKEN, **options: Any) -> BawasluClient:
    return BawasluClient(url, token, backoff_s=0.01, **options)


def ingest_cases(client: BawasluClient, store: ObjectStore, run: str, per_page: int = 5, *,
                 run_started: datetime | None = None) -> dict[str, Any]:
    when = {"run_started": run_started} if run_started else {}
    manifest = bawaslu.land(client, store, run, per_page, **when)
    new, quarantine, count = bawaslu.stage_from_raw(store, run)
    written = bawaslu.publish_staging(store, run, new, quarantine, count)
    return {"manifest": manifest, "new": new, "quarantine": quarantine, "count": count, **written}


class ScriptedServer(BawasluApiServer):
    """The Bawaslu simulator answering its first requests from ``script`` (what a proxy or a broken
    deployment sends in front of the API), then as itself, its page envelope passed through ``rewrite``
    when given (an envelope the simulator itself never sends)."""

    def __init__(self, data_dir: Path, script: Sequence[SimResponse] = (),
                 rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        super().__init__(data_dir, TOKEN)
        self.script = list(script)
        self.rewrite = rewrite

    def _respond(self, request: SimRequest, decision: FaultDecision) -> SimResponse:
        if self.script:
            return self.script.pop(0)
        answer = super()._respond(request, decision)
        if self.rewrite is None:
            return answer
        return SimResponse(answer.status, json.dumps(self.rewrite(json.loads(answer.body))).encode())


# -- staged results ---------------------------------------------------------------------------------
def current(store: ObjectStore, table: str) -> pd.DataFrame:
    return store.get_parquet(store.get_json(f"staging/{table}/_current.json")["key"])


def assert_conserved(count: SourceCount, quarantine: pd.DataFrame, source: str | None = None) -> None:
    """Records in = staged + quarantined, and the quarantine file holds exactly the quarantined ones."""
    assert count.records_in == count.staged + count.quarantined, count
    rows = quarantine if source is None else quarantine[quarantine["source"] == source]
    assert len(rows) == count.quarantined, (count, rows)
    assert sum(count.by_reason.values()) == count.quarantined


def reasons_of(quarantine: pd.DataFrame) -> list[str]:
    return sorted(quarantine["reason_code"].tolist())


# -- BKD --------------------------------------------------------------------------------------------
def make_bkd(path: Path, pegawai: list[dict[str, Any]], follow_ups: list[dict[str, Any]] | None = None,
             extra_columns: tuple[str, ...] = (), drop: str | None = None, **names: str) -> BkdSource:
    """A BKD SQLite file with both tables (plus ``extra_columns``, without ``drop``); ``names`` go to the
    source (its table names)."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for table, columns, rows in (("pegawai", PEGAWAI_COLUMNS, pegawai),
                                     ("tindak_lanjut", TINDAK_LANJUT_COLUMNS, follow_ups or [])):
            columns = tuple(c for c in (*columns, *extra_columns) if c != drop)
            conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{c} TEXT' for c in columns)})"))
            insert_rows(conn, table, [{k: v for k, v in row.items() if k in columns} for row in rows])
    engine.dispose()
    return BkdSource("tst", f"sqlite:///{path}", **names)


def insert_rows(conn: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        names = ", ".join(row)
        conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + k for k in row)})"), row)


def add_rows(source: BkdSource, table: str, rows: list[dict[str, Any]]) -> None:
    engine = sa.create_engine(source.url)
    with engine.begin() as conn:
        insert_rows(conn, table, rows)
    engine.dispose()


def person(nip: str, updated_at: str = "2024-07-16 10:00:00", **changes: Any) -> dict[str, Any]:
    row = {"nip": nip, "nama": "Siti Rahmawati", "gelar_depan": None, "gelar_belakang": "S.Pd",
           "tanggal_lahir": "1968-04-11", "jenis_kelamin": "P", "jenis_asn": "PNS", "kode_instansi": "1306",
           "nama_instansi": "Pemerintah Kabupaten Agam", "unit_kerja": "Dinas Pendidikan", "jabatan": "Guru",
           "golongan": "III/c", "kode_wilayah": "13.06", "status": "aktif", "updated_at": updated_at}
    row.update(changes)
    return row


def land_bkd(source: BkdSource, store: ObjectStore, run: str, run_started: datetime | None = None) -> dict[str, Any]:
    engine = sa.create_engine(source.url)
    try:
        return bkd.land(engine, source, store, run, 1000, **({"run_started": run_started} if run_started else {}))
    finally:
        engine.dispose()


def ingest_bkd(source: BkdSource, store: ObjectStore, run: str,
               run_started: datetime | None = None) -> tuple[pd.DataFrame, dict[str, SourceCount]]:
    """Land, stage and publish one BKD source; the quarantine and the counts by table."""
    land_bkd(source, store, run, run_started)
    tables, quarantine, counts = bkd.stage_from_raw(store, source.code, run)
    bkd.publish_staging(store, source.code, run, tables, quarantine, source.timezone)
    return quarantine, {c.source.rsplit(":", 1)[1]: c for c in counts}


def bkd_current(store: ObjectStore, table: str, code: str = "tst") -> pd.DataFrame:
    pointer = store.get_json(bkd.current_key(code, table))
    return pd.concat([store.get_parquet(k) for k in pointer["parts"].values()], ignore_index=True)


# -- recommendation exports -------------------------------------------------------------------------
def export_csv(numbers: list[str], extra: dict[str, str] | None = None) -> bytes:
    header = [*EXPORT_HEADER, *(extra or {})]
    lines = [",".join(header)]
    for no, number in enumerate(numbers, start=1):
        lines.append(",".join([str(no), number, "2024-03-14", "Budi Santoso", NIP_A, "Guru", "Dinas Pendidikan",
                               "Bupati Agam", "Medsos Interaksi", "Hukuman disiplin sedang", "001/LP/2024", "Ya",
                               *(extra or {}).values()]))
    return ("\r\n".join(lines) + "\r\n").encode()


def write_exports(world: Path, files: dict[str, bytes], phase: int = 1, index: bytes | None = None,
                  sha: Callable[[bytes], str] = lambda body: hashlib.sha256(body).hexdigest(),
                  published: str | dict[str, str] = PUBLISHED, listed: Sequence[dict[str, Any]] = ()) -> None:
    """The exports simulator's folder for ``phase``: the files and their index.json (``index`` instead when
    given; ``published`` is each file's ``updated_at``, one for all or by name; ``listed`` adds entries for
    files that are not in the folder)."""
    folder = world / "exports" / f"phase{phase}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    listing = [{"name": name, "updated_at": published if isinstance(published, str) else published[name],
                "sha256": sha(body)} for name, body in files.items()]
    (folder / "index.json").write_bytes(index if index is not None else json.dumps([*listing, *listed]).encode())


def feed_client(url: str, **options: Any) -> RecommendationsClient:
    return RecommendationsClient(url, backoff_s=0.01, **options)


def ingest_recs(client: RecommendationsClient, store: ObjectStore, run: str) -> dict[str, Any]:
    manifest = recommendations.land(client, store, run)
    new, quarantine, count = recommendations.stage_from_raw(store, run)
    written = recommendations.publish_staging(store, run, manifest["files"], new, quarantine)
    return {"manifest": manifest, "new": new, "quarantine": quarantine, "count": count, **written}
