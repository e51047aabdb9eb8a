"""Reader for a BKD personnel database (docs/DOMAIN.md §4.3), in chunks: through ADBC into Arrow where
the database has a driver for it (SQLite, PostgreSQL), through SQLAlchemy otherwise (MySQL).

SQLAlchemy stays the place connections are configured: the ADBC URI is derived from the engine's URL.
Both paths hand over the same text for every value (docs/DECISIONS.md, "BKD extraction through Arrow").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

log = logging.getLogger(__name__)

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


def ordered(dialect: str) -> bool:
    """Whether a pull sorts its rows (``ORDER BY updated_at, key``). Nothing downstream depends on the
    order (staging finds duplicates and the watermark across chunks, the current state is sorted by
    key), but the raw zone is write-once: a retried landing must produce the same chunk bytes from the
    same data. SQLite reads a table in its file's order (rowid, or the ``updated_at`` index for a
    bounded pull), the same every time, and sorting a million rows cost it ~2 s; PostgreSQL's
    synchronized sequential scans can start mid-table, and MySQL's order is the engine's, so they sort.
    """
    return dialect != "sqlite"


def _select(table: str, columns: tuple[str, ...], lower_bound: str | None, dialect: str) -> sa.Select:
    # Column names are the contract; table names are configuration, quoted by SQLAlchemy.
    tbl = sa.table(table, *(sa.column(c) for c in columns))
    query = sa.select(*tbl.c)
    if lower_bound:
        # A conservative bound, a bare date ("2024-07-15"): as text it sorts before every ISO spelling
        # of that day ("2024-07-15 08:00:00", "2024-07-15T08:00:00"), and a timestamp column reads it as
        # midnight, so the comparison is right on SQLite, PostgreSQL and MySQL whatever the column
        # holds. Staging then keeps only rows at or after the typed watermark.
        query = query.where(tbl.c.updated_at >= lower_bound)
    return query.order_by(tbl.c.updated_at, tbl.c[columns[0]]) if ordered(dialect) else query


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
        result = conn.execute(_select(table, columns, lower_bound, engine.dialect.name))
        for rows in result.partitions(chunk_rows):
            # Transposed in C; pandas writes ints, dates and datetimes (PostgreSQL) with str(),
            # which is the same text SQLite stores.
            values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
            yield pd.DataFrame({c: pd.array(list(v), dtype=TEXT) for c, v in zip(columns, values, strict=True)})


# -- Arrow extraction ------------------------------------------------------------------------------
#: Rows per record batch asked of the ADBC SQLite driver (PostgreSQL streams COPY batches of ~16 MB).
ADBC_BATCH_ROWS = 65_536


class BkdReadError(sa.exc.SQLAlchemyError):
    """A failure of the Arrow driver, raised as an SQLAlchemy error so that callers handle both paths
    alike; the message is the driver's first line, with the password (if any) taken out."""


def arrow_driver(engine: sa.Engine) -> str | None:
    """The ADBC driver that reads this database (``"sqlite"``, ``"postgresql"``), or None: the dialect
    has none (MySQL), the SQLite database is in memory or a ``file:`` URI, or the driver is not
    installed. None means the SQLAlchemy path (:func:`read_chunks`)."""
    name = engine.dialect.name
    if name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
    elif name != "postgresql":
        return None
    try:
        __import__(f"adbc_driver_{name}.dbapi")
    except ImportError:
        return None
    return name


def _adbc_connect(engine: sa.Engine, driver: str) -> Any:
    url = engine.url
    if driver == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite_dbapi

        return sqlite_dbapi.connect(url.database)
    import adbc_driver_postgresql.dbapi as pg_dbapi

    # libpq reads the URL SQLAlchemy was given, without SQLAlchemy's "+driver" suffix.
    return pg_dbapi.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))


#: Column name of the marker that tells the typing row apart from the data (see :func:`_arrow_select`).
SENTINEL = "_pantau_typing_row"


def sqlite_affinity(declared: str | None) -> str:
    """The affinity SQLite gives a column declared ``declared`` (sqlite.org/datatype3.html, 3.1)."""
    kind = (declared or "").upper()
    if "INT" in kind:
        return "INTEGER"
    if any(word in kind for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if not kind or "BLOB" in kind:
        return "BLOB"
    if any(word in kind for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _sqlite_may_hold_real(conn: Any, table: str, columns: tuple[str, ...]) -> list[str]:
    """The columns that can hold a REAL: all but those of TEXT affinity, where SQLite stores any number
    as its text on insert. A view or a column it cannot describe counts as able to."""
    cursor = conn.cursor()
    try:
        cursor.execute("SELECT name, type FROM pragma_table_info(?)", (table,))
        declared = {name: kind for name, kind in cursor.fetchall()}
    finally:
        cursor.close()
    return [c for c in columns if c not in declared or sqlite_affinity(declared[c]) != "TEXT"]


def _real_label(column: str) -> str:
    return f"_pantau_real_{column}"


def _arrow_select(engine: sa.Engine, driver: str, table: str, columns: tuple[str, ...],
                  lower_bound: str | None, reals: list[str] | None = None) -> str:
    """The pull's SQL for the ADBC driver, sorted only where :func:`ordered` says so.

    On SQLite the driver infers each column's type from the first batch and fails on a later value of
    another type (an all-NULL start becomes int64). A typing row of empty texts comes first (UNION ALL,
    marked by :data:`SENTINEL` so it is found whatever the order) and makes every column a string:
    SQLite then hands over its own text of each value, which is ``str()`` of what the sqlite3 module
    returns for text, integers and UTF-8 BLOBs. A REAL is the exception (SQLite writes 15 or 17
    digits, Python the shortest repr): each column in ``reals`` (those that can hold one, see
    :func:`_sqlite_may_hold_real`) gets a companion column with the REAL to 17 digits, NULL otherwise,
    which :func:`_text_table` renders as Python does."""
    tbl = sa.table(table, *(sa.column(c) for c in columns))
    values: list[sa.ColumnElement] = [tbl.c[c].label(c) for c in columns]
    if driver == "sqlite":
        reals = list(reals if reals is not None else columns)
        values += [sa.case((sa.func.typeof(tbl.c[c]) == "real", sa.func.printf("%.17g", tbl.c[c])))
                   .label(_real_label(c)) for c in reals]
        values.append(sa.null().label(SENTINEL))
    query = sa.select(*values).select_from(tbl)
    if lower_bound:
        query = query.where(tbl.c.updated_at >= lower_bound)
    if ordered(engine.dialect.name):
        query = query.order_by(tbl.c.updated_at, tbl.c[columns[0]])
    if driver == "sqlite":
        typing_row = sa.select(*(sa.literal("").label(c) for c in columns),
                               *(sa.literal("").label(_real_label(c)) for c in reals),
                               sa.literal(1).label(SENTINEL))
        query = sa.union_all(typing_row, query)  # type: ignore[assignment]
    # The bound is a date formatted by pantau.pipeline.bkd.pull_lower_bound, rendered as a quoted
    # literal; the table name is configuration and is quoted by the dialect's compiler.
    return str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def _sqlite_column(table: pa.Table, column: str, reals: list[str]) -> pa.Array:
    # Copied out of the driver's batches (malloc'd by the driver) so that they are freed at once.
    values = table.column(column).combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        # A BLOB in the first batch makes the column binary: its bytes are the text (UTF-8 checked).
        values = values.cast(pa.string())
    else:
        values.validate(full=True)  # SQLite does not check that a TEXT or BLOB is UTF-8; Arrow must
    if column in reals:
        real = table.column(_real_label(column))
        if real.null_count < len(real):
            # A REAL is rare damage in a BKD table: rendered as str() of the float, like read_chunks.
            rendered = pa.array([None if v is None else str(float(v)) for v in real.to_pylist()], pa.string())
            values = pc.if_else(real.is_valid().combine_chunks(), rendered, values)
    return values


def _renders_exactly(kind: pa.DataType) -> bool:
    """Arrow types whose text here equals ``str()`` of the value psycopg2 returns."""
    return (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
            or pa.types.is_date32(kind) or pa.types.is_null(kind)
            or (pa.types.is_timestamp(kind) and kind.tz is None))


def _python_text(values: pa.Array) -> pa.Array:
    """A PostgreSQL column as ``str()`` of the value psycopg2 returns (``2024-07-15 08:00:00``, with
    ``.ffffff`` only when there are microseconds)."""
    kind = values.type
    if pa.types.is_timestamp(kind):
        whole = pc.cast(pc.floor_temporal(values, unit="second"), pa.timestamp("s"))
        seconds = pc.strftime(whole, format="%Y-%m-%d %H:%M:%S")
        micros = pc.add(pc.multiply(pc.millisecond(values), 1000), pc.microsecond(values))
        fraction = pc.binary_join_element_wise(".", pc.utf8_lpad(pc.cast(micros, pa.string()), 6, "0"), "")
        text = pc.if_else(pc.equal(micros, 0), seconds, pc.binary_join_element_wise(seconds, fraction, ""))
        return pc.cast(text, pa.string())
    return pc.cast(values, pa.string())


def _text_table(batches: list[pa.RecordBatch], columns: tuple[str, ...], driver: str,
                reals: list[str]) -> pa.Table:
    table = pa.Table.from_batches(batches)
    if driver == "sqlite":
        return pa.table({c: _sqlite_column(table, c, reals) for c in columns})
    return pa.table({c: _python_text(table.column(c).combine_chunks()) for c in columns})


def _secret_free(exc: BaseException, engine: sa.Engine) -> str:
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else exc.__class__.__name__
    password = engine.url.password
    return message.replace(str(password), "***") if password else message


def _arrow_errors() -> tuple[type[BaseException], ...]:
    import adbc_driver_manager

    return (adbc_driver_manager.Error, pa.ArrowException, OSError)


def read_batches(engine: sa.Engine, table: str, columns: tuple[str, ...], lower_bound: str | None,
                 chunk_rows: int, *, arrow: bool = True) -> Iterator[pa.Table]:
    """The rows of :func:`read_chunks`, same text and order, as Arrow tables of at most ``chunk_rows``
    rows with one ``string`` column per contract column.

    Read through ADBC when :func:`arrow_driver` names a driver (and ``arrow``), else through
    SQLAlchemy: MySQL, and a PostgreSQL table with a column type the Arrow path does not render like
    psycopg2 (``timestamptz``, ``numeric``, ``boolean``: checked from the result's schema before any
    row is handed over). Memory is bounded by ``chunk_rows`` plus one driver batch."""
    driver = arrow_driver(engine) if arrow else None
    if driver is not None:
        errors = _arrow_errors()
        conn = cursor = None
        reals: list[str] = []
        try:
            try:
                conn = _adbc_connect(engine, driver)
                if driver == "sqlite":
                    reals = _sqlite_may_hold_real(conn, table, columns)
                sql = _arrow_select(engine, driver, table, columns, lower_bound, reals)
                cursor = conn.cursor()
                if driver == "sqlite":
                    cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(ADBC_BATCH_ROWS)})
                cursor.execute(sql)
                reader = cursor.fetch_record_batch()
            except errors as exc:
                raise BkdReadError(f"{exc.__class__.__name__}: {_secret_free(exc, engine)}") from None
            if driver == "sqlite" or all(_renders_exactly(f.type) for f in reader.schema):
                try:
                    yield from _rechunk(reader, columns, driver, chunk_rows, reals)
                except errors as exc:
                    raise BkdReadError(f"{exc.__class__.__name__}: {_secret_free(exc, engine)}") from None
                return
            odd = [f"{f.name} {f.type}" for f in reader.schema if not _renders_exactly(f.type)]
            log.info("BKD table %r read through SQLAlchemy: column types %s have no exact Arrow text", table, odd)
        finally:
            if cursor is not None:
                cursor.close()
            if conn is not None:
                conn.close()
    for chunk in read_chunks(engine, table, columns, lower_bound, chunk_rows):
        yield as_text_table(chunk, columns)


def _rechunk(reader: pa.RecordBatchReader, columns: tuple[str, ...], driver: str, chunk_rows: int,
             reals: list[str]) -> Iterator[pa.Table]:
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in reader:
        if driver == "sqlite":
            marker = batch.column(SENTINEL)
            if marker.null_count < len(marker):  # the typing row (see _arrow_select)
                batch = batch.filter(marker.is_null())
        while batch.num_rows:
            take = min(chunk_rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == chunk_rows:
                yield _text_table(pending, columns, driver, reals)
                pending, held = [], 0
    if held:
        yield _text_table(pending, columns, driver, reals)


def as_text_table(frame: pd.DataFrame, columns: tuple[str, ...]) -> pa.Table:
    """An all-text frame of :func:`read_chunks` as the Arrow table :func:`read_batches` yields."""
    schema = pa.schema([(c, pa.string()) for c in columns])
    return pa.Table.from_pandas(frame[list(columns)], preserve_index=False).cast(schema).replace_schema_metadata(None)
