"""One release per run, verified before its pointer moves; no-op runs publish nothing; retention.

Everything goes through the ``minio`` client to moto's S3 server on 127.0.0.1. The outage is made at
the HTTP layer: the client's connection pool refuses every request after a number of uploads, as a
dropped network or a stopped server would, so the release code sees exactly what a real outage gives it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
import urllib3
from minio import Minio

from pantau.publishing import release
from pantau.simulate.servers import EmbeddedObjectStore
from pantau.storage import ObjectStore, sha256_hex

AS_OF = date(2025, 3, 1)


@pytest.fixture(scope="module")
def s3() -> Iterator[EmbeddedObjectStore]:
    with EmbeddedObjectStore() as server:
        yield server


class Outage(urllib3.PoolManager):
    """A connection pool that fails every request once ``uploads_left`` PUTs have gone through."""

    def __init__(self) -> None:
        super().__init__(timeout=urllib3.Timeout(connect=5, read=30), retries=False)
        self.uploads_left: int | None = None

    def urlopen(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        if self.uploads_left is not None:
            if self.uploads_left <= 0:
                raise urllib3.exceptions.ProtocolError("connection refused (simulated S3 outage)")
            if method == "PUT":
                self.uploads_left -= 1
        return super().urlopen(method, url, *args, **kwargs)


def _store(s3: EmbeddedObjectStore, pool: urllib3.PoolManager | None = None,
           bucket: str | None = None) -> ObjectStore:
    client = Minio(s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=False, http_client=pool)
    store = ObjectStore(client, bucket or f"t-{uuid.uuid4().hex[:16]}")
    store.ensure_bucket()
    return store


def _datasets(n: int = 5, rate: float = 0.5) -> dict[str, pd.DataFrame]:
    cases = pd.DataFrame({"nomor_register": [f"{i:03d}/REG/2024" for i in range(n)],
                          "nomor_rekomendasi": [f"R-{i:03d}" for i in range(n)], "follow_up_key": [None] * n,
                          "nip": [f"19720903199305{i:04d}" for i in range(n)], "registry_kode_wilayah": ["33.10"] * n})
    stats = pd.DataFrame({"level": ["national"], "election": ["SEMUA"], "province_code": [None],
                          "kabkota_code": [None], "agency_code": [None], "persons": [n], "follow_up_rate": [rate]})
    return {"consolidated_cases": cases, "compliance_statistics": stats}


def _extracts(datasets: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame]]:
    cases = datasets["consolidated_cases"]
    return {"bupati-klaten": {"consolidated_cases": cases.iloc[:3]}, "bupati-agam": {"consolidated_cases": cases.iloc[3:]}}


def _describe(manifest, previous):  # type: ignore[no-untyped-def]
    return {"index.html": f"<p>{manifest['release']}</p>".encode(),
            "current.html": f"<p>current {manifest['release']}</p>".encode()}


def _publish(store: ObjectStore, datasets: dict[str, pd.DataFrame], *, as_of: date = AS_OF, run: str = "run1",
             keep: int = 10) -> release.ReleaseResult:
    return release.publish_release(store, datasets, extracts=_extracts(datasets), unassigned={"consolidated_cases": 0},
                                   as_of=as_of, facts={"run_id": run, "run_key": run}, describe=_describe,
                                   keep=keep)


def test_release_files_pointer_and_checksums(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    result = _publish(store, _datasets())
    assert result.status == "published"
    pointer = store.get_json(release.POINTER_KEY)
    assert pointer["release"] == result.release and pointer["manifest"] == result.manifest_key
    manifest = store.get_json(result.manifest_key)
    files = release._all_files(manifest)
    assert len(files) == 2 * 3 + 2 * 3 + 2  # national + public, two extracts, two pages (3 formats each)
    for entry in files:
        assert sha256_hex(store.get_bytes(entry["key"])) == entry["sha256"], entry["key"]
    cases = manifest["datasets"]["consolidated_cases"]
    assert cases["rows"] == 5 and {e: x["rows"] for e, x in cases["extracts"].items()} == {"bupati-agam": 2,
                                                                                           "bupati-klaten": 3}
    assert store.get_bytes(release.CURRENT_PAGE_KEY) == f"<p>current {result.release}</p>".encode()
    pd.testing.assert_frame_equal(release.read_dataset(store, "consolidated_cases"),
                                  _datasets()["consolidated_cases"], check_dtype=False)


def test_a_run_with_the_same_content_publishes_nothing(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    first = _publish(store, _datasets())
    objects = {o.object_name: o.etag for o in store.client.list_objects(store.bucket, recursive=True)}
    again = _publish(store, _datasets(), run="run2")
    assert again.status == "unchanged" and again.release == first.release
    after = {o.object_name: o.etag for o in store.client.list_objects(store.bucket, recursive=True)}
    assert after == objects  # not a byte written, the pointer included


def test_changed_content_is_a_new_release_naming_its_predecessor(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    first = _publish(store, _datasets())
    second = _publish(store, _datasets(rate=0.6), run="run2")
    assert second.status == "published" and second.release != first.release
    assert second.manifest["previous_release"] == first.release
    # The first release is intact and still readable.
    old = store.get_json(first.manifest_key)
    assert release.read_dataset(store, "compliance_statistics", old)["follow_up_rate"].tolist() == [0.5]
    assert release.read_dataset(store, "compliance_statistics")["follow_up_rate"].tolist() == [0.6]


def _files(store: ObjectStore, manifest: dict) -> dict[str, bytes]:
    """Every table file of a release by its path inside the release, with its bytes."""
    base = release.release_prefix(manifest["release"]) + "/"
    return {e["key"].removeprefix(base): store.get_bytes(e["key"]) for e in release._all_files(manifest)
            if not e["key"].endswith(".html")}


def test_unchanged_tables_reuse_the_previous_releases_files(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    first = _publish(store, _datasets())
    assert first.reused_files == 0
    changed = _datasets()
    changed["consolidated_cases"].loc[4, "registry_kode_wilayah"] = "13.06"  # one row of bupati-agam's extract
    second = _publish(store, changed, run="run2")
    assert second.status == "published"
    # bupati-klaten's extract and the statistics are unchanged: their CSV and XLSX are copied, not written.
    assert second.reused_files == 4
    copied = store.get_json(second.manifest_key)["datasets"]["consolidated_cases"]["extracts"]["bupati-klaten"]
    before = store.get_json(first.manifest_key)["datasets"]["consolidated_cases"]["extracts"]["bupati-klaten"]
    for name in ("data.csv", "data.xlsx"):
        assert copied["files"][name]["key"].startswith(release.release_prefix(second.release) + "/")
        assert {k: v for k, v in copied["files"][name].items() if k != "key"} == \
            {k: v for k, v in before["files"][name].items() if k != "key"}
    # The release is byte for byte what a first publication of the same content writes.
    fresh = _store(s3)
    alone = _publish(fresh, changed, run="run2")
    assert alone.reused_files == 0 and alone.release == second.release
    assert _files(store, second.manifest) == _files(fresh, alone.manifest)


def test_files_of_another_format_version_are_written_again(s3: EmbeddedObjectStore,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(s3)
    _publish(store, _datasets())
    monkeypatch.setattr(release, "FORMAT_VERSION", release.FORMAT_VERSION + "-next")
    changed = _datasets(rate=0.7)
    second = _publish(store, changed, run="run2")
    assert second.status == "published" and second.reused_files == 0


@pytest.mark.parametrize("uploads", [0, 3, 8, 13, 14])
def test_an_outage_mid_release_leaves_the_previous_release_current(s3: EmbeddedObjectStore, uploads: int) -> None:
    pool = Outage()
    store = _store(s3, pool)
    first = _publish(store, _datasets())
    pool.uploads_left = uploads  # the network goes after this many uploads of the next release
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, the release must not complete
        _publish(store, _datasets(rate=0.7), run="run2")
    pool.uploads_left = None
    healthy = _store(s3, bucket=store.bucket)
    assert healthy.get_json(release.POINTER_KEY)["release"] == first.release
    assert release.read_dataset(healthy, "compliance_statistics")["follow_up_rate"].tolist() == [0.5]
    # The next run completes the interrupted release: same id, data files verified identical.
    done = _publish(healthy, _datasets(rate=0.7), run="run3")
    assert done.status == "published" and done.manifest["previous_release"] == first.release
    assert healthy.get_json(release.POINTER_KEY)["release"] == done.release
    for entry in release._all_files(done.manifest):
        assert sha256_hex(healthy.get_bytes(entry["key"])) == entry["sha256"]


def test_an_outage_after_the_manifest_is_completed_without_rewriting_it(s3: EmbeddedObjectStore) -> None:
    pool = Outage()
    store = _store(s3, pool)
    _publish(store, _datasets())
    pool.uploads_left = 15  # 12 data files + 2 pages + release.json: the pointer is the next upload
    with pytest.raises(Exception):  # noqa: B017
        _publish(store, _datasets(rate=0.8), run="run2")
    pool.uploads_left = None
    healthy = _store(s3, bucket=store.bucket)
    manifests = [k for k in healthy.list(release.RELEASES_PREFIX) if k.endswith("release.json")]
    assert len(manifests) == 2
    written = {k: healthy.get_bytes(k) for k in manifests}
    done = _publish(healthy, _datasets(rate=0.8), run="run3")
    assert done.status == "completed"
    assert {k: healthy.get_bytes(k) for k in manifests} == written  # never rewritten
    assert done.manifest["run_id"] == "run2"  # the release says which run produced it


def test_a_release_whose_file_was_tampered_with_is_not_made_current(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    first = _publish(store, _datasets())
    second = _publish(store, _datasets(rate=0.9), run="run2")
    store.put_json(release.POINTER_KEY, {"release": first.release, "manifest": first.manifest_key,
                                         "content_digest": first.manifest["content_digest"]})
    store.put_bytes(release.dataset_key(second.manifest, "compliance_statistics"), b"not parquet")
    with pytest.raises(OSError, match="does not hold what was written"):
        _publish(store, _datasets(rate=0.9), run="run3")
    assert store.get_json(release.POINTER_KEY)["release"] == first.release


def test_retention_keeps_n_releases_and_never_the_current_previous_or_pinned(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    ids = [_publish(store, _datasets(rate=r / 100), run=f"run{r}", keep=100).release for r in range(6)]
    store.put_json(release.PINNED_KEY, [{"release": ids[0], "by": "test", "reason": "cited in a report"}])
    result = _publish(store, _datasets(rate=0.5), run="run-last", keep=2)
    left = release.list_releases(store)
    assert set(left) == {ids[0], ids[5], result.release}  # pinned, previous of current, current
    assert set(result.deleted) == set(ids[1:5])
    assert all(m is not None for m in left.values())
    assert not any(k.startswith(f"{release.RELEASES_PREFIX}/{ids[2]}/") for k in store.list("published/"))


def test_retention_removes_incomplete_releases_and_rejects_keep_zero(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    store.put_bytes(f"{release.RELEASES_PREFIX}/2025-01-01-deadbeef0000/public/x/data.csv", b"a")
    result = _publish(store, _datasets())
    assert "2025-01-01-deadbeef0000" in result.deleted
    with pytest.raises(ValueError, match="at least 1"):
        release.apply_retention(store, 0)


def test_a_no_op_run_does_not_grow_the_bucket(s3: EmbeddedObjectStore) -> None:
    store = _store(s3)
    _publish(store, _datasets())
    size = release.bucket_bytes(store)
    for run in ("r2", "r3", "r4"):
        assert _publish(store, _datasets(), run=run).status == "unchanged"
    assert release.bucket_bytes(store) == size


def test_reading_before_anything_is_published_says_what_to_run(s3: EmbeddedObjectStore) -> None:
    with pytest.raises(FileNotFoundError, match="run pantau_reconcile first"):
        release.read_dataset(_store(s3), "overdue_recommendations")


def test_files_written_by_worker_processes_are_the_same_bytes(s3: EmbeddedObjectStore,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A large release's CSV and XLSX files are written by worker processes; the release is the same.
    datasets = _datasets(n=40)
    inline = _store(s3)
    alone = _publish(inline, datasets)
    monkeypatch.setattr(release, "PARALLEL_ROWS", 1)
    parallel = _store(s3)
    result = release.publish_release(parallel, datasets, extracts=_extracts(datasets),
                                     unassigned={"consolidated_cases": 0}, as_of=AS_OF,
                                     facts={"run_id": "run1", "run_key": "run1"}, describe=_describe, writers=2)
    assert result.release == alone.release
    assert _files(parallel, result.manifest) == _files(inline, alone.manifest)
    assert release._all_files(result.manifest) == [
        {**e, "key": e["key"]} for e in release._all_files(alone.manifest)]


def test_a_writer_process_that_dies_leaves_its_tables_to_the_task(monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Killed writers (out of memory, an operator) break the pool: every table not yet written is
    # written in the task's own process, with a warning, and none is lost or written twice.
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class DyingPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.calls = 0

        def __enter__(self) -> DyingPool:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            future: Future[dict[str, bytes]] = Future()
            self.calls += 1
            if self.calls == 1:
                future.set_result(fn(*args))
            else:
                future.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            return future

    monkeypatch.setattr(release, "ProcessPoolExecutor", DyingPool)
    monkeypatch.setattr(release, "PARALLEL_ROWS", 1)
    people = pd.DataFrame({"nama": ["Budi", "Siti"]})
    tables = [release._Table(f"restricted/ppk/p{i}/consolidated_cases", people, people, b"") for i in range(5)]
    with caplog.at_level("WARNING"):
        done = list(release._rendered(tables, 2))
    assert sorted(t.relpath for t, _ in done) == sorted(t.relpath for t in tables)
    expected = release._render(people, "consolidated_cases")
    assert all(files == expected for _, files in done)
    assert "writing the release's remaining" in caplog.text
