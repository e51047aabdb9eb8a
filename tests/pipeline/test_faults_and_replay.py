"""Every HTTP fault switch on still gives exactly the clean run's staged data; replay from raw is
byte for byte."""

from __future__ import annotations

import pandas as pd
import pytest

from pantau.bench.runner import (
    ingest_all_bkds,
    ingest_bawaslu,
    ingest_recommendations,
    read_current,
)
from pantau.exceptions import SourceError
from pantau.replay import replay_all
from pantau.simulate.servers import BawasluApiServer, ExportsServer, FaultConfig
from pantau.simulate.world import world_bkd_sources
from pantau.sources.bawaslu import BawasluClient
from pantau.sources.recommendations import RecommendationsClient
from pantau.storage import ObjectStore

TOKEN = "test-token"
HOSTILE = FaultConfig(rate_429=0.15, rate_5xx=0.2, rate_timeout=0.1, rate_invalid_json=0.2, rate_page_drift=0.3,
                      retry_after_s=0, timeout_delay_s=0.8, seed=11)
# Columns that name where a record was landed (run, landing id, page), not what it says.
LANDING_COLUMNS = ["raw_key"]


def _ingest_http(world, store: ObjectStore, faults: FaultConfig | None) -> dict[str, pd.DataFrame]:
    with BawasluApiServer(world, TOKEN, faults) as api, ExportsServer(world, faults) as feed:
        cases = BawasluClient(api.url, TOKEN, timeout_s=0.4, retries=8, backoff_s=0.01)
        recs = RecommendationsClient(feed.url, timeout_s=0.4, retries=8, backoff_s=0.01)
        bawaslu = ingest_bawaslu(cases, store, "run1", per_page=25)
        ingest_recommendations(recs, store, "run1")
        faults_served = api.stats()["faults"]
    return {"bawaslu": read_current(store, "bawaslu_cases").drop(columns=LANDING_COLUMNS),
            "bawaslu_quarantine": bawaslu["quarantine"].drop(columns=["raw"]),
            "recommendations": read_current(store, "recommendations"), "faults": faults_served}


def test_every_fault_switch_on_gives_the_clean_staged_data(world, s3):
    from .conftest import new_store

    clean = _ingest_http(world, new_store(s3), None)
    hostile = _ingest_http(world, new_store(s3), HOSTILE)
    assert set(hostile["faults"]) >= {"429", "5xx", "timeout", "invalid_json", "page_drift"}
    for name in ("bawaslu", "bawaslu_quarantine", "recommendations"):
        pd.testing.assert_frame_equal(clean[name], hostile[name], obj=name)


def test_invalid_json_every_time_fails_with_a_clear_message(world, store):
    always = FaultConfig(rate_invalid_json=1.0, max_consecutive_faults=100)
    with BawasluApiServer(world, TOKEN, always) as api:
        client = BawasluClient(api.url, TOKEN, json_attempts=2, backoff_s=0.01)
        with pytest.raises(SourceError, match="invalid JSON body .* nothing was staged"):
            ingest_bawaslu(client, store, "run1")
    assert store.get_json("state/bawaslu/watermark.json") is None


def test_replay_from_raw_is_byte_for_byte(world, store):
    with BawasluApiServer(world, TOKEN) as api, ExportsServer(world) as feed:
        for phase, run in ((1, "run1"), (2, "run2")):
            api.set_phase(phase)
            feed.set_phase(phase)
            ingest_bawaslu(BawasluClient(api.url, TOKEN), store, run, per_page=50)
            ingest_recommendations(RecommendationsClient(feed.url), store, run)
            ingest_all_bkds(world_bkd_sources(world, phase1_follow_ups=phase == 1), store, run)
    results = replay_all(store)
    tables = {r.table.split("/")[0] for r in results}
    assert {"bawaslu_cases", "recommendations", "bkd", "quarantine"} <= tables
    assert len({r.run_key for r in results}) == 2
    assert all(r.identical for r in results), [r.line() for r in results if not r.identical]
