"""Source health: stale sources and quarantine jumps, each state reported once (issue 11, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pantau.exceptions import ConfigError
from pantau.pipeline import health
from pantau.pipeline.health import SourceRun, assess, runs_from_summary
from pantau.pipeline.runs import write_summary
from pantau.settings import HealthSettings, address_list

NOW = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
SETTINGS = HealthSettings(stale_source_days=7, quarantine_jump=0.1, quarantine_min_rows=20)


def run(source: str, days_ago: float, records: int, quarantined: int = 0, key: str | None = None,
        by_reason: dict[str, int] | None = None) -> SourceRun:
    return SourceRun(source, "pantau_ingest_bawaslu", key or f"run-{source}-{days_ago}", NOW - timedelta(days=days_ago),
                     records, quarantined, by_reason or {})


def test_source_with_no_new_records_for_the_configured_days_is_reported():
    runs = [run("bawaslu", 10, 50, key="scheduled_a")] + [run("bawaslu", d, 0) for d in (9, 5, 1)]
    [finding] = assess(runs, SETTINGS, NOW)
    assert finding.kind == "stale_source" and finding.source == "bawaslu"
    assert "delivered nothing new for 10 days" in finding.sentence and "scheduled_a" in finding.sentence
    assert "3 runs since then completed with 0 records" in finding.sentence


def test_source_that_delivered_within_the_window_is_healthy():
    runs = [run("bawaslu", 10, 50), run("bawaslu", 6, 3), run("bawaslu", 1, 0)]
    assert assess(runs, SETTINGS, NOW) == []


def test_no_run_completing_is_named_as_such():
    [finding] = assess([run("recommendations", 12, 40, key="k1")], SETTINGS, NOW)
    assert "no run of pantau_ingest_bawaslu has completed since" in finding.sentence


def test_the_stale_state_stays_the_same_as_days_pass():
    runs = [run("bawaslu", 10, 50, key="k1"), run("bawaslu", 2, 0)]
    first = assess(runs, SETTINGS, NOW)
    later = assess(runs + [run("bawaslu", 0.5, 0)], SETTINGS, NOW + timedelta(days=3))
    assert [f.fingerprint for f in first] == [f.fingerprint for f in later]


def test_remembered_delivery_counts_when_its_summary_is_outside_the_window():
    remembered = {"bkd:SUMBAR:pegawai": {"run_key": "old", "finished_at": (NOW - timedelta(days=60)).isoformat()}}
    [finding] = assess([run("bkd:SUMBAR:pegawai", 1, 0)], SETTINGS, NOW, remembered)
    assert "nothing new for 60 days" in finding.sentence and "run old" in finding.sentence


def test_quarantine_jump_is_reported_with_both_shares_and_top_reasons():
    runs = [run("recommendations", d, 100, 2) for d in (5, 4, 3)]
    runs.append(run("recommendations", 1, 100, 30, key="jumpy", by_reason={"nip_format": 25, "empty_name": 5}))
    [finding] = assess(runs, SETTINGS, NOW)
    assert finding.kind == "quarantine_jump" and finding.state == "jumpy"
    assert "from 2.0% to 30.0%" in finding.sentence and "nip_format x25" in finding.sentence


def test_small_rise_small_runs_and_a_first_run_are_not_jumps():
    steady = [run("recommendations", d, 100, 5) for d in (5, 4)] + [run("recommendations", 1, 100, 14)]
    assert assess(steady, SETTINGS, NOW) == []  # 5% -> 14% is below ten points
    tiny = [run("recommendations", 3, 100, 0), run("recommendations", 1, 10, 9)]
    assert assess(tiny, SETTINGS, NOW) == []  # 10 records are not judged by share
    assert assess([run("recommendations", 1, 100, 90)], SETTINGS, NOW) == []  # nothing to compare with


def test_exactly_the_threshold_counts():
    runs = [run("bawaslu", 2, 100, 20), run("bawaslu", 1, 100, 30)]
    assert [f.kind for f in assess(runs, SETTINGS, NOW)] == ["quarantine_jump"]


def test_bkd_summaries_are_read_per_bkd_table():
    summary = {"bkds": [{"code": "SUMBAR", "counts": [
        {"source": "bkd:SUMBAR:pegawai", "records_in": 5, "quarantined": 1, "by_reason": {"nip_format": 1}},
        {"source": "bkd:SUMBAR:tindak_lanjut", "records_in": 0, "quarantined": 0, "by_reason": {}}]}]}
    runs = runs_from_summary("pantau_ingest_bkd", "k", NOW, summary)
    assert [(r.source, r.records_in, r.quarantined) for r in runs] == [
        ("bkd:SUMBAR:pegawai", 5, 1), ("bkd:SUMBAR:tindak_lanjut", 0, 0)]


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("PANTAU_STALE_SOURCE_DAYS", "3")
    monkeypatch.setenv("PANTAU_QUARANTINE_JUMP", "0.25")
    monkeypatch.setenv("PANTAU_OPS_EMAIL", "a@x.go.id; b@x.go.id,c@x.go.id")
    settings = HealthSettings.from_env()
    assert (settings.stale_source_days, settings.quarantine_jump) == (3, 0.25)
    assert settings.ops_email == ("a@x.go.id", "b@x.go.id", "c@x.go.id")
    monkeypatch.setenv("PANTAU_QUARANTINE_JUMP", "10")
    with pytest.raises(ConfigError, match="PANTAU_QUARANTINE_JUMP"):
        HealthSettings.from_env()
    assert address_list(None) == ()


def _summary(store, dag_id, key, source, records, quarantined=0):
    write_summary(store, dag_id, key, {"run_key": key, "counts": [
        {"source": source, "records_in": records, "staged": records - quarantined, "quarantined": quarantined,
         "by_reason": {}}]})


def test_check_against_the_object_store_reports_each_state_once(store):
    """Summaries in a real S3 server, timed by the server: a stale source is news once, then not, then
    its recovery is news once."""
    _summary(store, "pantau_ingest_bawaslu", "r1", "bawaslu", 40)
    _summary(store, "pantau_ingest_recommendations", "r1", "recommendations", 0)
    # Judged 10 days after the summaries were written, both sources are stale.
    later = datetime.now(UTC) + timedelta(days=10)
    first = health.check(store, SETTINGS, later)
    assert sorted(f.source for f in first.findings) == ["bawaslu", "recommendations"]
    assert first.changed and len(first.new) == 2
    subject, body = health.message(first, "test")
    assert "2 source health finding(s) (2 new)" in subject and "NEW source bawaslu delivered nothing new" in body
    health.remember(store, first)

    again = health.check(store, SETTINGS, later + timedelta(days=1))
    assert len(again.findings) == 2 and not again.changed  # the same state: no second e-mail

    # New records arrive, but that run too is old by the time it is judged: a new state (new e-mail),
    # and the earlier one resolved.
    _summary(store, "pantau_ingest_bawaslu", "r2", "bawaslu", 3)
    moved = health.check(store, SETTINGS, later + timedelta(days=1))
    assert [f.fingerprint for f in moved.new] != [] and "run r2" in moved.new[0].sentence
    assert "run r1" in moved.resolved[0]["sentence"]
    health.remember(store, moved)
    assert store.get_json(health.STATE_KEY)["last_delivery"]["bawaslu"]["run_key"] == "r2"

    # Judged while the deliveries are recent, nothing is stale: the recovery is e-mailed once.
    healthy = health.check(store, SETTINGS, datetime.now(UTC) + timedelta(days=1))
    assert healthy.findings == [] and len(healthy.resolved) == 2 and healthy.changed
    assert health.message(healthy, "test")[0] == "[Pantau] all sources healthy again on test"
    health.remember(store, healthy)
    assert not health.check(store, SETTINGS, datetime.now(UTC) + timedelta(days=1)).changed


def test_a_failed_send_leaves_the_news_for_the_next_check(store):
    _summary(store, "pantau_ingest_bawaslu", "r1", "bawaslu", 40)
    later = datetime.now(UTC) + timedelta(days=10)
    assert health.check(store, SETTINGS, later).changed
    # remember() not called (the e-mail failed): the next check still has it as news.
    assert health.check(store, SETTINGS, later).changed
