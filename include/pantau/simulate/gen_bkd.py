"""Write the BKD databases (``pegawai``, ``tindak_lanjut``) through SQLAlchemy, chunk by chunk.

Rows are bulk-inserted with the driver's ``executemany`` (one prepared statement per chunk): the
ORM or per-row ``INSERT`` would be an order of magnitude slower at 6M rows. Indexes are created
after the load, which is cheaper than maintaining them row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from pantau.simulate import names as nm
from pantau.simulate import reference as ref
from pantau.simulate.gen_registry import GOLONGAN, STATUSES, Registry

CHUNK = 100_000
PEGAWAI_COLUMNS = ("nip", "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn",
                   "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status",
                   "updated_at")
TINDAK_LANJUT_COLUMNS = ("id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "keterangan",
                         "updated_at")
TINDAK_LANJUT_PHASE1 = "tindak_lanjut_phase1"


def create_indexes(engine: sa.Engine, tables: Sequence[sa.Table]) -> None:
    """Indexes once the rows are in: loading into an indexed table is several times slower."""
    with engine.begin() as conn:
        for table in tables:
            for ix in sorted(table.indexes, key=lambda i: i.name or ""):
                ix.create(conn)


def bkd_url(template: str, code: str, out: Path) -> tuple[str, str]:
    """(URL as recorded in bkds.json, URL to connect with). Relative SQLite paths are relative to ``out``."""
    url = template.format(code=code)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_absolute():
        path = out / parsed.database
        path.parent.mkdir(parents=True, exist_ok=True)
        return url, str(parsed.set(database=str(path)))
    return url, url


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        db = sa.engine.make_url(url).database
        if db and Path(db).exists():
            Path(db).unlink()  # a fresh file, so that the same seed gives the same content

        @sa.event.listens_for(engine, "connect")
        def _fast(dbapi_conn: Any, _record: Any) -> None:
            # Bulk load only: no journal, no fsync. A crash mid-generation just means regenerate.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=OFF")
            cur.execute("PRAGMA synchronous=OFF")
            cur.close()

    return engine


def _tables(md: sa.MetaData, tl_names: Sequence[str]) -> tuple[sa.Table, list[sa.Table]]:
    s = sa.String
    pegawai = sa.Table(
        "pegawai", md,
        sa.Column("nip", s(18), nullable=False), sa.Column("nama", s(120)), sa.Column("gelar_depan", s(30)),
        sa.Column("gelar_belakang", s(40)), sa.Column("tanggal_lahir", sa.Date), sa.Column("jenis_kelamin", s(1)),
        sa.Column("jenis_asn", s(4)), sa.Column("kode_instansi", s(12)), sa.Column("nama_instansi", s(160)),
        sa.Column("unit_kerja", s(120)), sa.Column("jabatan", s(120)), sa.Column("golongan", s(6)),
        sa.Column("kode_wilayah", s(8)), sa.Column("status", s(10)), sa.Column("updated_at", sa.DateTime),
        sa.Index("ix_pegawai_nip", "nip"), sa.Index("ix_pegawai_updated_at", "updated_at"),
    )
    tls = [sa.Table(
        name, md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), sa.Column("nomor_rekomendasi", s(60)),
        sa.Column("nip", s(18)), sa.Column("nomor_sk", s(60)), sa.Column("tanggal_sk", sa.Date),
        sa.Column("jenis_sanksi", s(80)), sa.Column("keterangan", s(200)), sa.Column("updated_at", sa.DateTime),
        sa.Index(f"ix_{name}_nip", "nip"), sa.Index(f"ix_{name}_updated_at", "updated_at"),
    ) for name in tl_names]
    return pegawai, tls


def _insert_sql(engine: sa.Engine, table: str, columns: Sequence[str]) -> str:
    style = engine.dialect.paramstyle
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":{i}", "named": ":c{i}"}[style]
    params = ", ".join(marks.format(i=i + 1) if "{" in marks else marks for i in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({params})"


def _executemany(conn: sa.Connection, engine: sa.Engine, sql: str, rows: list[tuple]) -> None:
    if engine.dialect.paramstyle == "named":
        conn.exec_driver_sql(sql, [{f"c{i + 1}": v for i, v in enumerate(r)} for r in rows])
    else:
        conn.exec_driver_sql(sql, rows)


def _strs(arr: np.ndarray, empty_to_none: bool = False) -> list[Any]:
    out = arr.tolist()
    return [v or None for v in out] if empty_to_none else out


def pegawai_rows(reg: Registry, idx: np.ndarray, agency_override: np.ndarray | None,
                 updated: np.ndarray) -> list[tuple]:
    """Rows for persons ``idx`` (optionally at another agency: the stale pre-transfer copy)."""
    agencies = ref.all_agencies()
    ag = reg.agency[idx] if agency_override is None else agency_override
    kode = np.array([a.kode_instansi for a in agencies], dtype=object)
    nama_i = np.array([a.nama_instansi for a in agencies], dtype=object)
    wil = np.array([a.kode_wilayah for a in agencies], dtype=object)
    front = np.array(nm.FRONT_TITLES, dtype=object)
    back = np.array(nm.BACK_TITLES, dtype=object)
    ts = np.char.replace(np.datetime_as_string(updated, unit="s"), "T", " ")
    cols = [
        reg.nip[idx].astype(str).tolist(),
        reg.catalog.names[reg.name[idx]].tolist(),
        _strs(front[reg.front[idx]], True),
        _strs(back[reg.back[idx]], True),
        np.datetime_as_string(reg.birth[idx], unit="D").tolist(),
        np.where(reg.gender[idx] == 1, "L", "P").tolist(),
        np.where(reg.pppk[idx], "PPPK", "PNS").tolist(),
        kode[ag].tolist(), nama_i[ag].tolist(),
        reg.unit_vocab[reg.unit[idx]].tolist(), reg.jabatan_vocab[reg.jabatan[idx]].tolist(),
        GOLONGAN[reg.golongan[idx]].tolist(), wil[ag].tolist(),
        # A stale pre-transfer row still says "aktif": the old BKD never learned otherwise.
        (STATUSES[reg.status[idx]] if agency_override is None else np.full(len(idx), "aktif", dtype=object)).tolist(),
        ts.tolist(),
    ]
    return list(zip(*cols, strict=True))


def write_bkd(reg: Registry, bkd_index: int, url: str, followups: Sequence[tuple],
              followups_phase1: Sequence[tuple], tick: Callable[[int], None]) -> dict[str, int]:
    """Create and fill one BKD database. ``followups`` are tindak_lanjut tuples (TINDAK_LANJUT_COLUMNS)."""
    engine = _engine(url)
    md = sa.MetaData()
    pegawai, (tl, tl1) = _tables(md, ("tindak_lanjut", TINDAK_LANJUT_PHASE1))
    with engine.begin() as conn:
        md.drop_all(conn)
        # Create without indexes first; add them after the bulk load.
        for t in (pegawai, tl, tl1):
            idx_backup = set(t.indexes)
            t.indexes.clear()
            t.create(conn)
            t.indexes.update(idx_backup)
    current = np.flatnonzero(reg.bkd == bkd_index)
    stale_mask = reg.tr_old_bkd == bkd_index
    sql = _insert_sql(engine, "pegawai", PEGAWAI_COLUMNS)
    with engine.begin() as conn:
        for start in range(0, len(current), CHUNK):
            idx = current[start:start + CHUNK]
            _executemany(conn, engine, sql, pegawai_rows(reg, idx, None, reg.updated_at[idx]))
            tick(len(idx))
        if stale_mask.any():
            idx = reg.tr_person[stale_mask]
            rows = pegawai_rows(reg, idx, reg.tr_old_agency[stale_mask], reg.tr_old_updated_at[stale_mask])
            _executemany(conn, engine, sql, rows)
            tick(len(idx))
        for table, rows in ((tl, followups), (tl1, followups_phase1)):
            if rows:
                _executemany(conn, engine, _insert_sql(engine, table.name, TINDAK_LANJUT_COLUMNS), list(rows))
    create_indexes(engine, (pegawai, tl, tl1))
    engine.dispose()
    return {"pegawai": int(len(current) + stale_mask.sum()), "tindak_lanjut": len(followups),
            TINDAK_LANJUT_PHASE1: len(followups_phase1)}
