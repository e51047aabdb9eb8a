"""The quality gate on real staged data: validated tables, validation quarantine, report pages, drift stop."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from pantau.bench.runner import ingest_all_bkds, ingest_bawaslu, ingest_recommendations
from pantau.exceptions import ValidationFailed
from pantau.pipeline import quality
from pantau.settings import ValidationSettings
from pantau.simulate.servers import BawasluApiServer, ExportsServer
from pantau.simulate.world import world_bkd_sources
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.recommendations import RecommendationsClient

from .conftest import TOKEN

AS_OF = date(2025, 3, 1)


@pytest.fixture
def staged(world, store):
    with BawasluApiServer(world, TOKEN) as api, ExportsServer(world) as exports:
        ingest_bawaslu(BawasluClient(api.url, TOKEN, retries=2), store, "run1")
        ingest_recommendations(RecommendationsClient(exports.url, retries=2), store, "run1")
    ingest_all_bkds(world_bkd_sources(world), store, "run1")
    return store


def test_sources_validate_and_quarantine_with_expectation_reasons(staged):
    results = quality.validate_sources(staged, "run1", AS_OF, ValidationSettings.from_env())
    for table in quality.SOURCE_TABLES:
        pointer = results[table]
        assert pointer["rows_in"] == pointer["rows_valid"] + pointer["rows_quarantined"], table
        quarantine = staged.get_parquet(pointer["quarantine_key"])
        assert quarantine["reason_code"].notna().all()
        assert quarantine["detail"].str.contains("expectation").all()
    index = staged.get_bytes("published/validation/index.html").decode()
    assert "run1" in index and "bawaslu_cases" in index
    # Only our pages under published/: no GX static site (scripts, fonts, CSS copied per run).
    published = sorted(staged.list("published/"))
    pages = [f"published/validation/run1/{t}.html" for t in quality.SOURCE_TABLES]
    assert published == sorted([*pages, "published/validation/index.html", "published/validation/runs.json"])
    for table in quality.SOURCE_TABLES:
        assert results[table]["summary"]["docs_index"] == f"published/validation/run1/{table}.html"
        # the release manifest names each source's page from this pointer
        assert staged.get_json(f"validated/{table}/_current.json")["docs_index"] == f"published/validation/run1/{table}.html"
        # relative link from the index, resolved against the index's folder, reaches the page
        assert f'href="run1/{table}.html"' in index
    page = staged.get_bytes("published/validation/run1/registry.html").decode()
    frame = staged.get_parquet(staged.get_json("staging/registry/_current.json")["key"])
    leaked = [v for v in frame["nip"].dropna().unique() if v in page]
    assert not leaked and "http://" not in page and "https://" not in page and "<script" not in page
    again = quality.validate_sources(staged, "run2", AS_OF, ValidationSettings.from_env())
    assert all("skipped" in again[t] for t in quality.SOURCE_TABLES)  # same staged versions: not redone


def test_schema_drift_stops_and_keeps_previous_version(staged):
    settings = ValidationSettings.from_env()
    quality.validate_sources(staged, "run1", AS_OF, settings)
    before = staged.get_json("validated/bawaslu_cases/_current.json")
    pointer = staged.get_json("staging/bawaslu_cases/_current.json")
    drifted = staged.get_parquet(pointer["key"]).rename(columns={"nomor_register": "no_register"})
    key = staged.put_parquet("staging/bawaslu_cases/drifted.parquet", drifted)
    staged.put_json("staging/bawaslu_cases/_current.json", {**pointer, "key": key})
    with pytest.raises(ValidationFailed, match="nomor_register"):
        quality.validate_sources(staged, "run2", AS_OF, settings)
    assert staged.get_json("validated/bawaslu_cases/_current.json") == before
    assert "run2" in staged.get_bytes("published/validation/index.html").decode()
    page = staged.get_bytes("published/validation/run2/bawaslu_cases.html").decode()
    assert ">rejected<" in page and "missing contract column(s): nomor_register" in page


def _key(message: str, label: str, bucket: str) -> str:
    match = re.search(rf"{label}[^\n]*?s3://{re.escape(bucket)}/(\S+)", message)
    assert match, f"{label} not named in: {message}"
    return match.group(1).rstrip(".")


def test_failure_names_every_rule_and_leaves_docs_and_rejected_batch_behind(staged):
    settings = ValidationSettings(max_quarantine_share=0.2, quarantine_min_rows=20)
    quality.validate_sources(staged, "run1", AS_OF, settings)
    before = staged.get_json("validated/recommendations/_current.json")
    pointer = staged.get_json("staging/recommendations/_current.json")
    frame = staged.get_parquet(pointer["key"])
    n = len(frame)
    assert n >= 40
    labels = ["Medsos Interaksi"] * (n * 3 // 4) + ["Foto Bersama Paslon"] * (n // 10)
    frame.loc[: len(labels) - 1, "jenis_pelanggaran"] = labels
    secret = "SECRET-NIP-9"
    frame.loc[[n - 1, n - 2], "nip"] = secret  # a personal column: counted in the message, never shown
    key = staged.put_parquet("staging/recommendations/relabelled.parquet", frame)
    staged.put_json("staging/recommendations/_current.json", {**pointer, "key": key})

    with pytest.raises(ValidationFailed) as caught:
        quality.validate_sources(staged, "run2", AS_OF, settings)
    message = caught.value.args[0]
    assert "recommendations (staged version staging/recommendations/relabelled.parquet)" in message
    assert (f"jenis_pelanggaran not in the category vocabulary: 'Medsos Interaksi' x{n * 3 // 4}, "
            f"'Foto Bersama Paslon' x{n // 10}") in message
    assert "nip_18_digits (quarantine, nip_format): nip does not match" in message
    assert "values not shown (personal data)" in message and secret not in message
    assert "/tmp" not in message and "pantau-docs-" not in message  # never a folder deleted after the run

    docs_key = _key(message, "Validation report", staged.bucket)
    assert docs_key == "published/validation/run2/recommendations.html"
    page = staged.get_bytes(docs_key).decode()
    assert ">rejected<" in page and "quarantine/validation/recommendations/run2-rejected.parquet" in page
    for value in (secret, "Medsos Interaksi", "Foto Bersama Paslon"):  # in the message, never in the page
        assert value not in page
    assert not [v for v in frame["nip"].dropna().unique() if v in page]
    rejected_key = _key(message, "Rejected batch", staged.bucket)
    assert rejected_key == "quarantine/validation/recommendations/run2-rejected.parquet"
    rejected = staged.get_parquet(rejected_key)
    assert len(rejected) == n
    assert rejected["failed_rules"].str.contains("jenis_pelanggaran_allowed").sum() >= len(labels)
    assert rejected.loc[rejected["nip"] == secret, "failed_rules"].str.contains("nip_18_digits").all()
    assert rejected["reason_code"].notna().all()
    sidecar = staged.get_json(rejected_key.removesuffix(".parquet") + ".json")
    assert sidecar["message"] == message and sidecar["docs_index"] == docs_key
    assert staged.get_json("validated/recommendations/_current.json") == before  # nothing moved on


def test_publication_failure_quarantines_the_candidate(store):
    frame = pd.DataFrame({
        "level": ["kabkota"] * 2, "election": ["Pemilu 2024"] * 2, "province_code": ["13", "13"],
        "province_name": ["Sumatera Barat"] * 2, "kabkota_code": ["13.06", "13.71"],
        "kabkota_name": ["Kabupaten Agam", "Kota Padang"], "agency_code": [None, None], "agency_name": [None, None],
        "persons": [10, 4], "reported": [10, -3], "forwarded": [8, 1], "recommended": [6, 1], "proven": [5, 1],
        "followed_up": [3, 0], "follow_up_rate": [0.6, 0.0], "median_working_days_to_follow_up": [12.0, None],
        "suppressed": [False, False], "suppression_note": [None, None],
    })
    with pytest.raises(ValidationFailed) as caught:
        quality.validate_for_publication(store, {"compliance_statistics": frame}, "run1", AS_OF,
                                         ValidationSettings.from_env())
    message = caught.value.args[0]
    assert "compliance_statistics (candidate version run1)" in message
    assert "reported_not_negative (fail_dataset, value_out_of_range): reported below 0: -3 x1 (1 of 2 rows)" in message
    assert "forwarded_within_reported" in message  # every failing rule, not only the first
    page = store.get_bytes(_key(message, "Validation report", store.bucket)).decode()
    assert ">rejected<" in page and not re.search(r"[^\w.-]-3\b", page)  # the value stays in the batch
    rejected = store.get_parquet(_key(message, "Rejected batch", store.bucket))
    assert rejected["failed_rules"].tolist() == ["", "reported_not_negative;forwarded_within_reported"]
    assert store.get_json("published/current.json") is None  # no release moved


def test_retry_does_not_rewrite_a_page_and_never_replaces_one(store):
    first = quality.put_report(store, "<p>first</p>", "run1", "registry")
    assert first == "published/validation/run1/registry.html"
    stamp = store.client.stat_object(store.bucket, first).etag
    assert quality.put_report(store, "<p>first</p>", "run1", "registry") == first  # same bytes: left alone
    assert store.client.stat_object(store.bucket, first).etag == stamp
    other = quality.put_report(store, "<p>other version</p>", "run1", "registry")
    assert other != first and other.startswith("published/validation/run1/registry.") and other.endswith(".html")
    assert store.get_bytes(first) == b"<p>first</p>" and store.get_bytes(other) == b"<p>other version</p>"


def test_rejected_run_retried_finds_the_same_page(staged):
    settings = ValidationSettings.from_env()
    pointer = staged.get_json("staging/bawaslu_cases/_current.json")
    drifted = staged.get_parquet(pointer["key"]).drop(columns=["status"])
    staged.put_json("staging/bawaslu_cases/_current.json",
                    {**pointer, "key": staged.put_parquet("staging/bawaslu_cases/drifted.parquet", drifted)})
    keys = []
    for _ in range(2):  # an Airflow retry of the same run: same bytes, so the write-once page is accepted
        with pytest.raises(ValidationFailed) as caught:
            quality.validate_sources(staged, "run1", AS_OF, settings)
        keys.append(_key(caught.value.args[0], "Validation report", staged.bucket))
    assert keys == ["published/validation/run1/bawaslu_cases.html"] * 2


def test_index_drops_pages_that_retention_deleted(store):
    for run in ("run1", "run2"):
        summary = {"run_key": run, "dataset": "registry", "rows_in": 3, "success": True}
        quality.record_in_index(store, summary, quality.put_report(store, f"<p>{run}</p>", run, "registry"))
    assert 'href="run1/registry.html"' in store.get_bytes("published/validation/index.html").decode()
    store.delete("published/validation/run1/registry.html")  # what release retention does to old runs
    entries = quality.refresh_index(store)
    index = store.get_bytes("published/validation/index.html").decode()
    assert [e["run_key"] for e in entries] == ["run2"]
    assert 'href="run2/registry.html"' in index and "run1/registry.html" not in index


def _registry_with_problems(staged, name: str, **changes) -> None:
    """A new staged registry version: the current one with a few cells changed (row -> column -> value)."""
    pointer = staged.get_json("staging/registry/_current.json")
    frame = staged.get_parquet(pointer["key"])
    for row, values in changes.items():
        for column, value in values.items():
            frame.loc[int(row.removeprefix("r")), column] = value
    key = staged.put_parquet(f"staging/registry/{name}.parquet", frame)
    staged.put_json("staging/registry/_current.json", {**pointer, "key": key})


def test_registry_validated_dictionary_encoded_as_if_plain(staged, monkeypatch):
    # FEW_VALUED holds the registry's few-valued columns as codes while it is validated: same verdicts,
    # same quarantine, same validated version (plain text, as staged) and same per-row state as plain.
    settings = ValidationSettings.from_env()
    assert "status" in quality.FEW_VALUED["registry"] and "jenis_asn_mapping" in quality.FEW_VALUED["registry"]
    _registry_with_problems(staged, "noisy", r0={"status": "cuti panjang"}, r1={"jenis_asn_mapping": "unknown:X"},
                            r2={"status": "cuti panjang", "nip": "123"})

    def validated(run_key: str) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame, bytes]:
        for table in quality.SOURCE_TABLES:  # validated again from the start, without prior state
            staged.delete(f"validated/{table}/_current.json")
        pointer = quality.validate_sources(staged, run_key, AS_OF, settings)["registry"]
        quarantine = staged.get_parquet(pointer["quarantine_key"]).drop(columns=["run_key"])
        return (pointer, staged.get_parquet(pointer["key"]), quarantine,
                staged.get_parquet(pointer["verdicts_key"]), pq_schema(staged, pointer["key"]))

    encoded = validated("encoded")
    monkeypatch.setattr(quality, "FEW_VALUED", {})
    plain = validated("plain")
    assert {c: str(t) for c, t in encoded[1].dtypes.items()} == {c: str(t) for c, t in plain[1].dtypes.items()}
    assert not any(isinstance(t, pd.CategoricalDtype) for t in encoded[1].dtypes)
    pd.testing.assert_frame_equal(encoded[1], plain[1])
    pd.testing.assert_frame_equal(encoded[2], plain[2])
    pd.testing.assert_frame_equal(encoded[3], plain[3])
    assert encoded[4] == plain[4]  # the written schema, pandas metadata included
    for field in ("rows_in", "rows_valid", "rows_quarantined", "fingerprint"):
        assert encoded[0][field] == plain[0][field], field
    assert encoded[2]["detail"].str.contains("status_allowed").sum() == 2  # status outside the vocabulary
    flagged = encoded[2][encoded[2]["detail"].str.contains("jenis_asn_mapped")]
    assert len(flagged) == 1


def test_encoded_column_of_the_wrong_kind_is_type_drift(staged):
    _registry_with_problems(staged, "drifted")
    pointer = staged.get_json("staging/registry/_current.json")
    frame = staged.get_parquet(pointer["key"])
    frame["golongan"] = 3  # numbers where the contract has text, in a column read dictionary-encoded
    key = staged.put_parquet("staging/registry/numbers.parquet", frame)
    staged.put_json("staging/registry/_current.json", {**pointer, "key": key})
    with pytest.raises(ValidationFailed, match="type drift: column 'golongan' should hold text values but holds "
                                               "integer"):
        quality.validate_sources(staged, "run1", AS_OF, ValidationSettings.from_env())


def pq_schema(store, key: str) -> bytes:
    import io

    import pyarrow.parquet as pq

    return pq.read_schema(io.BytesIO(store.get_bytes(key))).to_string(show_schema_metadata=True).encode()
