"""The embedded S3 store: minio client round trips, isolation, persistence to a folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pantau.simulate.servers import EmbeddedObjectStore
from pantau.simulate.servers.objectstore import safe_key_path

pytestmark = pytest.mark.integration


def put(store: EmbeddedObjectStore, bucket: str, key: str, data: bytes) -> None:
    client = store.client()
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    client.put_object(bucket, key, io.BytesIO(data), len(data))


def read(store: EmbeddedObjectStore, bucket: str, key: str) -> bytes:
    response = store.client().get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_round_trip_and_instances_do_not_share_state() -> None:
    with EmbeddedObjectStore() as first, EmbeddedObjectStore() as second:
        assert first.endpoint.startswith("127.0.0.1:") and first.port != second.port
        put(first, "pantau-raw", "bawaslu/run=1/page-0001.json", b'{"data": []}')
        assert read(first, "pantau-raw", "bawaslu/run=1/page-0001.json") == b'{"data": []}'
        assert second.client().list_buckets() == []


def test_persistence_across_stop_and_start(tmp_path: Path) -> None:
    persist = tmp_path / "s3"
    (persist / "seeded-bucket" / "nested").mkdir(parents=True)
    (persist / "seeded-bucket" / "nested" / "a.csv").write_bytes(b"a;b\n")
    (persist / "not_a_bucket!").mkdir()  # ignored, and never deleted

    with EmbeddedObjectStore(persist) as store:
        assert read(store, "seeded-bucket", "nested/a.csv") == b"a;b\n"
        put(store, "pantau-published", "cases/v1/part-0.parquet", b"PAR1")
        put(store, "pantau-published", "cases/CURRENT", b"v1")
        store.client().remove_object("seeded-bucket", "nested/a.csv")
        store.client().make_bucket("empty-bucket")

    assert (persist / "pantau-published" / "cases" / "v1" / "part-0.parquet").read_bytes() == b"PAR1"
    assert not (persist / "seeded-bucket" / "nested").exists()  # deleted object, emptied folder
    assert (persist / "empty-bucket").is_dir() and (persist / "not_a_bucket!").is_dir()

    with EmbeddedObjectStore(persist) as store:
        assert read(store, "pantau-published", "cases/CURRENT") == b"v1"
        names = sorted(b.name for b in store.client().list_buckets())
        assert names == ["empty-bucket", "pantau-published", "seeded-bucket"]
        store.client().remove_object("pantau-published", "cases/CURRENT")
        store.client().remove_bucket("empty-bucket")

    assert not (persist / "pantau-published" / "cases" / "CURRENT").exists()
    assert not (persist / "empty-bucket").exists()


def test_unsafe_keys_are_not_mirrored(tmp_path: Path) -> None:
    assert safe_key_path(tmp_path, "../escape") is None
    assert safe_key_path(tmp_path, "dir/") is None
    assert safe_key_path(tmp_path, "a/b.txt") == tmp_path / "a" / "b.txt"
