"""The BKD ingest reads PostgreSQL exactly as it reads SQLite (text-typed on both)."""

from __future__ import annotations

import os
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from pantau.bench.runner import ingest_bkd
from pantau.simulate.world import world_bkd_sources
from pantau.sources.bkd import BkdSource

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("PANTAU_TEST_PG_URL")
    if not url:
        pytest.skip("PANTAU_TEST_PG_URL is not set (CI sets it when it can start PostgreSQL; see .ci/run)")
    return url


def _copy_to_postgres(source: BkdSource, pg: sa.Engine, suffix: str) -> BkdSource:
    lite = sa.create_engine(source.url)
    try:
        for table in (source.pegawai_table, source.tindak_lanjut_table):
            frame = pd.read_sql_table(table, lite)
            frame.to_sql(f"{table}_{suffix}", pg, index=False)
    finally:
        lite.dispose()
    return BkdSource(source.code, str(pg.url.render_as_string(hide_password=False)),
                     f"{source.pegawai_table}_{suffix}", f"{source.tindak_lanjut_table}_{suffix}")


def test_postgres_and_sqlite_stage_the_same_rows(world, s3, pg_url):
    from .conftest import new_store

    sqlite_source = world_bkd_sources(world)[0]
    pg = sa.create_engine(pg_url)
    suffix = uuid.uuid4().hex[:8]
    try:
        pg_source = _copy_to_postgres(sqlite_source, pg, suffix)
        on_sqlite = ingest_bkd(sqlite_source, new_store(s3), "run1", chunk_rows=500)
        on_pg = ingest_bkd(pg_source, new_store(s3), "run1", chunk_rows=500)
    finally:
        with pg.begin() as conn:
            for table in (sqlite_source.pegawai_table, sqlite_source.tindak_lanjut_table):
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}_{suffix}"'))
        pg.dispose()
    assert [c.staged for c in on_pg["counts"]] == [c.staged for c in on_sqlite["counts"]]
    assert on_pg["pegawai"]["rows"] == on_sqlite["pegawai"]["rows"] > 0
