"""The quality gate on real staged data: validated tables, validation quarantine, Data Docs, drift stop."""

from __future__ import annotations

from datetime import date

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
    index = staged.get_bytes("published/data_docs/index.html").decode()
    assert "run1" in index and "bawaslu_cases" in index
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
    assert "run2" in staged.get_bytes("published/data_docs/index.html").decode()
