"""BKD extraction through ADBC into Arrow hands over exactly what the SQLAlchemy path does: the same
raw chunks, the same staged state; MySQL-like dialects fall back automatically."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from pantau.bench.ingest import bench_extract
from pantau.pipeline import bkd
from pantau.simulate.world import world_bkd_sources
from pantau.sources import bkd as sources_bkd
from pantau.sources.bkd import PEGAWAI_COLUMNS, BkdSource, arrow_driver, read_batches

from .conftest import new_store


def _ingest(source: BkdSource, store, arrow: bool, chunk_rows: int = 700) -> dict:
    engine = sa.create_engine(source.url)
    try:
        manifest = bkd.land(engine, source, store, "run1", chunk_rows, arrow=arrow)
    finally:
        engine.dispose()
    tables, quarantine, counts = bkd.stage_from_raw(store, source.code, "run1")
    bkd.publish_staging(store, source.code, "run1", tables, quarantine, source.timezone)
    return {"manifest": manifest, "counts": counts, "quarantine": quarantine}


def _raw(store, manifest: dict, table: str) -> list[bytes]:
    return [store.get_bytes(key) for key in manifest["tables"][table]["chunks"]]


def _current(store, code: str, table: str) -> pd.DataFrame:
    pointer = store.get_json(bkd.current_key(code, table))
    parts = [store.get_parquet(key) for key in (pointer.get("parts") or {}).values()]
    return pd.concat(parts, ignore_index=True).sort_values(bkd.KEYS[table]).reset_index(drop=True)


def test_sqlite_arrow_and_fallback_stage_the_same(world, s3):
    source = world_bkd_sources(world)[0]
    assert arrow_driver(sa.create_engine(source.url)) == "sqlite"
    via_arrow, via_sqlalchemy = new_store(s3), new_store(s3)
    a = _ingest(source, via_arrow, arrow=True)
    b = _ingest(source, via_sqlalchemy, arrow=False)
    for table in bkd.TABLES:
        assert a["manifest"]["tables"][table]["rows"] == b["manifest"]["tables"][table]["rows"]
        assert _raw(via_arrow, a["manifest"], table) == _raw(via_sqlalchemy, b["manifest"], table)
        pd.testing.assert_frame_equal(_current(via_arrow, source.code, table),
                                      _current(via_sqlalchemy, source.code, table))
    assert a["manifest"]["tables"]["pegawai"]["rows"] > 700  # several chunks
    assert [vars(c) for c in a["counts"]] == [vars(c) for c in b["counts"]]
    pd.testing.assert_frame_equal(a["quarantine"], b["quarantine"])


def test_sqlite_odd_storage_classes_read_like_sqlalchemy(tmp_path):
    """SQLite keeps any value in any column: NULLs first (the driver would take them for integers),
    integers, REALs and BLOBs in text columns all come out as the SQLAlchemy path reads them."""
    path = tmp_path / "odd.db"
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE pegawai ({', '.join(f'{c} TEXT' for c in PEGAWAI_COLUMNS)}, n NUMERIC)")
    rows = [(None,) * 14 + ("2024-01-01 00:00:00",)] * 5
    rows += [(199001012020121001, "Budi", 1.99001012020121e17, b"Dr.", 1.5, *(None,) * 9, "2024-01-02"),
             ("199001012020121002", "Sari", None, None, "1990-01-01", *("x",) * 9, "2024-01-02 08:00:00.5")]
    conn.executemany(f"INSERT INTO pegawai ({', '.join(PEGAWAI_COLUMNS)}) VALUES ({', '.join('?' * 15)})", rows)
    conn.commit()
    conn.close()
    engine = sa.create_engine(f"sqlite:///{path}")
    arrow = list(read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 3))
    plain = list(read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 3, arrow=False))
    engine.dispose()
    assert [t.num_rows for t in arrow] == [3, 3, 1]
    assert [t.to_pylist() for t in arrow] == [t.to_pylist() for t in plain]
    budi = next(r for t in arrow for r in t.to_pylist() if r["nama"] == "Budi")
    assert budi["nip"] == "199001012020121001"
    assert budi["gelar_depan"] == str(1.99001012020121e17)
    assert budi["gelar_belakang"] == "Dr."


def test_lower_bound_and_quoting_on_the_arrow_path(tmp_path):
    path = tmp_path / "q.db"
    name = 'pegawai"; DROP TABLE x; --'
    engine = sa.create_engine(f"sqlite:///{path}")
    tbl = sa.Table(name, sa.MetaData(), *(sa.Column(c, sa.Text) for c in PEGAWAI_COLUMNS))
    tbl.create(engine)
    with engine.begin() as conn:
        conn.execute(tbl.insert(), [{"nip": str(i), "updated_at": f"2024-07-{i:02d} 10:00:00"} for i in range(10, 20)])
    got = [r["nip"] for t in read_batches(engine, name, PEGAWAI_COLUMNS, "2024-07-15", 100) for r in t.to_pylist()]
    engine.dispose()
    assert got == [str(i) for i in range(15, 20)]


def test_missing_column_is_one_sentence_on_the_arrow_path(tmp_path):
    path = tmp_path / "m.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE pegawai ({', '.join(c for c in PEGAWAI_COLUMNS if c != 'jabatan')})"))
    with pytest.raises(sa.exc.SQLAlchemyError, match="jabatan") as caught:
        list(read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 10))
    engine.dispose()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url, driver", [
    ("mysql+pymysql://u:p@127.0.0.1/bkd", None),
    ("sqlite://", None),
    ("sqlite:///bkd.db", "sqlite"),
    ("postgresql+psycopg2://u:p@127.0.0.1/bkd", "postgresql"),
])
def test_driver_chosen_from_the_sqlalchemy_url(url, driver):
    # PyMySQL is pinned (requirements.txt): a MySQL URL makes an engine as it is, read through SQLAlchemy.
    assert arrow_driver(sa.create_engine(url)) == driver


def test_dialect_without_arrow_driver_falls_back_automatically():
    """An in-memory SQLite database (ADBC would open another one) stands for MySQL here: no ADBC
    driver, so the rows come through SQLAlchemy, as the same Arrow text tables."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    tbl = sa.Table("pegawai", sa.MetaData(), *(sa.Column(c, sa.Text) for c in PEGAWAI_COLUMNS))
    tbl.create(engine)
    with engine.begin() as conn:
        conn.execute(tbl.insert(), [{"nip": "1", "updated_at": "2024-07-01 10:00:00"}])
    assert arrow_driver(engine) is None
    got = [t.to_pylist() for t in read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 10)]
    assert got == [[{c: {"nip": "1", "updated_at": "2024-07-01 10:00:00"}.get(c) for c in PEGAWAI_COLUMNS}]]


@pytest.mark.postgres
def test_postgres_arrow_and_fallback_stage_the_same(world, s3):
    url = os.environ.get("PANTAU_TEST_PG_URL")
    if not url:
        pytest.skip("PANTAU_TEST_PG_URL is not set (CI sets it when it can start PostgreSQL; see .ci/run)")
    lite_source = world_bkd_sources(world)[0]
    pg = sa.create_engine(url)
    suffix = uuid.uuid4().hex[:8]
    lite = sa.create_engine(lite_source.url)
    names = {}
    try:
        for table in (lite_source.pegawai_table, lite_source.tindak_lanjut_table):
            frame = pd.read_sql_table(table, lite)
            # Typed as a BKD would hold them: dates, timestamps (one with microseconds), integer ids.
            for column in ("tanggal_lahir", "tanggal_sk"):
                if column in frame:
                    frame[column] = pd.to_datetime(frame[column], errors="coerce").dt.date
            frame["updated_at"] = pd.to_datetime(frame["updated_at"], errors="coerce", format="mixed")
            if len(frame):
                frame.loc[0, "updated_at"] += pd.Timedelta(microseconds=250)
            names[table] = f"{table}_{suffix}"
            frame.to_sql(names[table], pg, index=False)
        pg_source = BkdSource(lite_source.code, pg.url.render_as_string(hide_password=False),
                              names[lite_source.pegawai_table], names[lite_source.tindak_lanjut_table])
        assert arrow_driver(pg) == "postgresql"
        via_arrow, via_sqlalchemy = new_store(s3), new_store(s3)
        a = _ingest(pg_source, via_arrow, arrow=True)
        b = _ingest(pg_source, via_sqlalchemy, arrow=False)
    finally:
        with pg.begin() as conn:
            for name in names.values():
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        pg.dispose()
        lite.dispose()
    for table in bkd.TABLES:
        assert _raw(via_arrow, a["manifest"], table) == _raw(via_sqlalchemy, b["manifest"], table)
        pd.testing.assert_frame_equal(_current(via_arrow, pg_source.code, table),
                                      _current(via_sqlalchemy, pg_source.code, table))
    assert [vars(c) for c in a["counts"]] == [vars(c) for c in b["counts"]]


def _untyped_table(path, rows) -> sa.Engine:
    """A SQLite table whose columns have no declared type (BLOB affinity): each value keeps the storage
    class it was written with, REALs included, in any order."""
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE pegawai ({', '.join(PEGAWAI_COLUMNS)})")
    conn.executemany(f"INSERT INTO pegawai VALUES ({', '.join('?' * len(PEGAWAI_COLUMNS))})", rows)
    conn.commit()
    conn.close()
    return sa.create_engine(f"sqlite:///{path}")


@pytest.mark.parametrize("batch_rows", [2, 65_536])
def test_untyped_sqlite_columns_read_like_sqlalchemy_in_every_batch(tmp_path, monkeypatch, batch_rows):
    """The typing row makes every column text whatever comes first; a REAL, an integer or a BLOB read
    during the driver's type inference (first batch) or after it comes out as the sqlite3 module's
    value under str()."""
    monkeypatch.setattr(sources_bkd, "ADBC_BATCH_ROWS", batch_rows)
    width = len(PEGAWAI_COLUMNS)
    rows = [(None,) * width] * 3
    rows += [(199001012020121001, 0.1, 1.99001012020121e17, b"Dr.", 1.5, *(7,) * (width - 6), 45365.25)]
    rows += [("199001012020121002", "Sari", None, None, 2, *("x",) * (width - 6), "2024-01-02 08:00:00")] * 3
    rows += [(3, 1e-7, b"S.Pd", 12, None, *(None,) * (width - 6), 2.0)]
    engine = _untyped_table(tmp_path / "untyped.db", rows)
    arrow = [t.to_pylist() for t in read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 4)]
    plain = [t.to_pylist() for t in read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 4, arrow=False)]
    engine.dispose()
    assert arrow == plain
    flat = [r for chunk in arrow for r in chunk]
    assert [r["nip"] for r in flat] == [None] * 3 + ["199001012020121001"] + ["199001012020121002"] * 3 + ["3"]
    assert flat[3]["nama"] == "0.1" and flat[3]["gelar_depan"] == "1.99001012020121e+17"
    assert flat[3]["updated_at"] == "45365.25" and flat[-1]["nama"] == "1e-07" and flat[-1]["updated_at"] == "2.0"


def test_undecodable_blob_is_one_sentence(tmp_path):
    rows = [("1", "Budi", b"\xff\xfe", *(None,) * (len(PEGAWAI_COLUMNS) - 3))]
    engine = _untyped_table(tmp_path / "blob.db", rows)
    with pytest.raises(sa.exc.SQLAlchemyError, match="(?i)utf-?8") as caught:
        list(read_batches(engine, "pegawai", PEGAWAI_COLUMNS, None, 10))
    engine.dispose()
    assert "\n" not in str(caught.value)


def test_sqlite_pull_does_not_sort_and_a_retried_landing_finds_the_same_chunks(world, s3):
    """Nothing downstream depends on the order of the rows, so SQLite reads the table in its file's
    order instead of sorting it; that order is stable, so a landing retried under the same run key
    finds its write-once raw chunks byte for byte (put_once would refuse other bytes)."""
    source = world_bkd_sources(world)[0]
    engine = sa.create_engine(source.url)
    with engine.connect() as conn:
        for driver in ("sqlite", None):
            sql = (sources_bkd._arrow_select(engine, "sqlite", "pegawai", PEGAWAI_COLUMNS, None) if driver
                   else str(sources_bkd._select("pegawai", PEGAWAI_COLUMNS, None, "sqlite")
                            .compile(dialect=engine.dialect)))
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "ORDER BY" not in plan.upper(), plan
    store = new_store(s3)
    first = bkd.land(engine, source, store, "run1", 500)
    again = bkd.land(engine, source, store, "run1", 500)
    engine.dispose()
    assert first["tables"] == again["tables"] and len(first["tables"]["pegawai"]["chunks"]) > 1


def test_bench_extract_lands_every_bkd_row(world):
    result = bench_extract(world, repeat=1, sink="null")
    expected = 0
    for source in world_bkd_sources(world):
        with sqlite3.connect(sa.make_url(source.url).database) as conn:
            expected += sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                            for t in (source.pegawai_table, source.tindak_lanjut_table))
    assert result["stage"] == "bkd-extract" and result["records"] == expected
    assert result["peak_rss_mib"] > 0 and result["records_per_s"] > 0 and len(result["runs"]) == 1


def test_a_chunk_that_cannot_be_written_stops_the_landing(world):
    """Chunks are written behind the read: a failed write still stops the landing, and no manifest
    names chunks that are not there."""
    source = world_bkd_sources(world)[0]

    class Store:
        def __init__(self) -> None:
            self.keys: list[str] = []
            self.manifests = 0

        def get_json(self, key):
            return None

        def put_json(self, key, value):
            self.manifests += 1

        def put_once(self, key, data):
            if len(self.keys) == 1:
                raise FileExistsError(f"raw object {key} already exists with different content")
            self.keys.append(key)
            return True

    store = Store()
    engine = sa.create_engine(source.url)
    with pytest.raises(FileExistsError):
        bkd.land(engine, source, store, "run1", 300)
    engine.dispose()
    assert store.keys == [f"{bkd.raw_prefix(source.code, 'run1')}pegawai/chunk-00001.parquet"]
    assert store.manifests == 0


def test_bench_peak_rss_is_the_childs_own():
    """A bench stage runs in a child process so that its peak RSS is its own; ru_maxrss would carry
    the parent's (the bench parent may have just generated a 6M world)."""
    held = bytearray(300 << 20)
    held[::4096] = b"\x01" * len(held[::4096])  # touched, so resident
    code = "import resource; from pantau.bench.ingest import _peak_rss_kib; " \
           "print(_peak_rss_kib(resource.getrusage(resource.RUSAGE_SELF)))"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ})
    del held
    assert int(child.stdout) < 150 << 10
