"""Reader for a BKD personnel database (docs/DOMAIN.md §4.3), through SQLAlchemy, in chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

PEGAWAI_COLUMNS = (
    "nip", "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn",
    "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status", "updated_at",
)
TINDAK_LANJUT_COLUMNS = (
    "id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "keterangan", "updated_at",
)
#: Arrow-backed strings: a 6M-row registry as Python ``str`` objects would need several times the memory.
TEXT = "string[pyarrow]"


@dataclass(frozen=True)
class BkdSource:
    """One BKD: where its database is and what its two tables are called there."""

    code: str
    url: str
    pegawai_table: str = "pegawai"
    tindak_lanjut_table: str = "tindak_lanjut"
    #: The zone the database writes naive timestamps in (WIB, WITA or WIT, by the BKD's region).
    timezone: str = "Asia/Jakarta"


def _select(table: str, columns: tuple[str, ...], lower_bound: str | None) -> sa.Select:
    # Column names are the contract; table names are configuration, quoted by SQLAlchemy.
    tbl = sa.table(table, *(sa.column(c) for c in columns))
    query = sa.select(*tbl.c)
    if lower_bound:
        # A conservative bound, a bare date ("2024-07-15"): as text it sorts before every ISO spelling
        # of that day ("2024-07-15 08:00:00", "2024-07-15T08:00:00"), and a timestamp column reads it as
        # midnight, so the comparison is right on SQLite, PostgreSQL and MySQL whatever the column
        # holds. Staging then keeps only rows at or after the typed watermark.
        query = query.where(tbl.c.updated_at >= lower_bound)
    return query.order_by(tbl.c.updated_at, tbl.c[columns[0]])


def table_columns(engine: sa.Engine, table: str) -> list[str] | None:
    """The column names the database reports for ``table``; None when it cannot be inspected (a
    view or a restricted account). Used to report columns outside the contract."""
    try:
        return [c["name"] for c in sa.inspect(engine).get_columns(table)]
    except sa.exc.SQLAlchemyError:
        return None


def read_chunks(
    engine: sa.Engine, table: str, columns: tuple[str, ...], lower_bound: str | None, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """Yield the rows with ``updated_at`` at or after ``lower_bound`` (a date, see :func:`_select`) as
    all-text frames of at most ``chunk_rows`` rows.

    Everything is read as text: NIPs must never pass through a float, and staging decides types.
    Rows are streamed (server-side cursor on PostgreSQL) so memory is bounded by ``chunk_rows``.
    """
    with engine.connect().execution_options(stream_results=True, yield_per=chunk_rows) as conn:
        result = conn.execute(_select(table, columns, lower_bound))
        for rows in result.partitions(chunk_rows):
            # Transposed in C; pandas writes ints, dates and datetimes (PostgreSQL) with str(),
            # which is the same text SQLite stores.
            values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
            yield pd.DataFrame({c: pd.array(list(v), dtype=TEXT) for c, v in zip(columns, values, strict=True)})
