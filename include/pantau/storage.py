"""The object store (S3 protocol, through the ``minio`` client): raw zone, staging, published data.

Keys, not DataFrames, travel between tasks: every task reads what it needs from here.

Layout inside the bucket::

    raw/<source>/<run_id>/...            payloads exactly as received (written once)
    staging/<table>/<run_id>.parquet     canonical staged tables, one immutable file per run
    staging/<table>/_current.json        pointer to the newest staged file
    quarantine/<source>/<run_id>.parquet rejected records with reason codes
    state/...                            watermarks, fetched-file ledgers, alert ledger
    runs/<dag_id>/<run_id>.json          run summaries
    published/releases/<release>/...     one release per reconcile run, never rewritten (pantau.publishing.release)
    published/current.json               the one pointer readers follow; published/index.html its catalog page
    published/validation/<run>/...       validation report pages (no personal data)
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error

from pantau.normalize.frames import plain_frame


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ObjectStore:
    """A bucket on an S3-protocol server (MinIO in production, moto's server in tests)."""

    client: Minio
    bucket: str

    @classmethod
    def connect(
        cls, endpoint: str, access_key: str, secret_key: str, bucket: str, *, secure: bool = False
    ) -> ObjectStore:
        store = cls(Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure), bucket)
        store.ensure_bucket()
        return store

    def ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    # -- bytes ------------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)
        return key

    def put_once(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> bool:
        """Write ``key`` unless it already holds these exact bytes; returns True when written.

        The raw zone is write-once: a replayed run finds its payloads already there and must not
        rewrite them (nor silently replace them with different bytes).
        """
        if self.exists(key):
            if sha256_hex(self.get_bytes(key)) == sha256_hex(data):
                return False
            raise FileExistsError(f"raw object {key} already exists with different content")
        self.put_bytes(key, data, content_type)
        return True

    def get_bytes(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str) -> Iterator[str]:
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            if obj.object_name is not None:
                yield obj.object_name

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)

    def copy(self, source: str, key: str) -> None:
        """Copy ``source`` to ``key`` on the server (the bytes never pass through this process)."""
        self.client.copy_object(self.bucket, key, CopySource(self.bucket, source))

    # -- JSON -------------------------------------------------------------------------------
    def put_json(self, key: str, value: Any) -> str:
        data = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()
        return self.put_bytes(key, data, "application/json")

    def get_json(self, key: str, default: Any = None) -> Any:
        if not self.exists(key):
            return default
        return json.loads(self.get_bytes(key))

    # -- tables -----------------------------------------------------------------------------
    def put_parquet(self, key: str, frame: pd.DataFrame) -> str:
        with _spool() as buffer:
            frame.to_parquet(buffer, index=False, engine="pyarrow")
            return self._put_buffer(key, buffer)

    def put_parquet_batches(self, key: str, batches: Iterable[pd.DataFrame], schema: pa.Schema) -> str:
        """One Parquet object from ``batches`` of rows, converted one at a time with ``schema``
        (``pyarrow.Schema.from_pandas`` of the whole table, pandas metadata included): the rows a
        6M-row table keeps need not be copied into one frame first. Read back, it is the frame the
        batches make together, as :meth:`put_parquet` would have written it. A categorical column of a batch
        is written as its values when ``schema`` says so (:func:`plain_schema`)."""
        with _spool() as buffer:
            with pq.ParquetWriter(buffer, schema) as writer:
                for batch in batches:
                    writer.write_table(_arrow_batch(batch, schema))
            return self._put_buffer(key, buffer)

    def _put_buffer(self, key: str, buffer: IO[bytes]) -> str:
        # Sent from the buffer itself, part by part: the bytes are never copied into one object.
        size = buffer.tell()
        buffer.seek(0)
        self.client.put_object(self.bucket, key, buffer, size, content_type="application/vnd.apache.parquet")
        return key

    def get_parquet(self, key: str, columns: list[str] | None = None,
                    dictionary: list[str] | None = None) -> pd.DataFrame:
        """The Parquet object as a frame; only ``columns`` (those present) when given, and the text
        columns named in ``dictionary`` as categoricals (codes into their distinct values)."""
        data = io.BytesIO(self.get_bytes(key))
        if columns is not None or dictionary:
            present = set(pq.read_schema(data).names)
            columns = [c for c in columns if c in present] if columns is not None else None
            dictionary = [c for c in dictionary or () if c in present and (columns is None or c in columns)]
            data.seek(0)
        if dictionary:
            return pd.read_parquet(data, engine="pyarrow", columns=columns, read_dictionary=dictionary)
        return pd.read_parquet(data, engine="pyarrow", columns=columns)

    def put_csv(self, key: str, frame: pd.DataFrame) -> str:
        # UTF-8 with BOM so that Excel (what most agency staff open CSVs with) shows names right.
        data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
        return self.put_bytes(key, data, "text/csv; charset=utf-8")


def _arrow_batch(batch: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``batch`` as a table of ``schema``; its categorical columns are converted as dictionary arrays and
    decoded by Arrow (pandas' own ``astype`` of 6M categorical rows took 13 s, measured)."""
    encoded = {c for c in batch.columns if isinstance(batch[c].dtype, pd.CategoricalDtype)}
    if not encoded:
        return pa.Table.from_pandas(batch, schema=schema, preserve_index=False)
    fields = [pa.field(f.name, pa.dictionary(pa.from_numpy_dtype(batch[f.name].cat.codes.dtype), f.type))
              if f.name in encoded and not pa.types.is_dictionary(f.type) else f for f in schema]
    converted = pa.Table.from_pandas(batch, schema=pa.schema(fields, metadata=schema.metadata), preserve_index=False)
    return converted.cast(schema)


def plain_schema(frame: pd.DataFrame) -> pa.Schema:
    """``pyarrow.Schema.from_pandas(frame)`` (pandas metadata included) as if its categorical columns held
    their values: what :meth:`ObjectStore.put_parquet_batches` needs to write, batch by batch, a frame
    read dictionary-encoded as the plain table it was. The other columns' types come from the whole
    frame (an empty object column would say nothing of its dates)."""
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    encoded = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not encoded:
        return schema
    plain = pa.Schema.from_pandas(plain_frame(frame[encoded].iloc[:0]), preserve_index=False)
    metadata = json.loads(schema.metadata[b"pandas"])
    described = {c["name"]: c for c in json.loads(plain.metadata[b"pandas"])["columns"]}
    metadata["columns"] = [described.get(c["name"], c) for c in metadata["columns"]]
    fields = [plain.field(f.name) if f.name in described else f for f in schema]
    return pa.schema(fields, metadata={**schema.metadata, b"pandas": json.dumps(metadata).encode()})


#: Tables are encoded in memory up to this size, then in a temporary file: a 6M-row registry's
#: Parquet (about 230 MB, and as much again while the buffer grows) stays out of the task's memory.
SPOOL_BYTES = 64 * 2**20


def _spool() -> tempfile.SpooledTemporaryFile[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")
