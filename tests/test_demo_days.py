"""``make demo`` shows a day passing: each run serves the world's next phase and says what changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from pantau.demo import (
    DEMO_STATE,
    BucketSnapshot,
    DemoDay,
    format_changes,
    next_day,
    record_day,
    release_changes,
)

PHASES = {"1": "2024-12-10T00:00:00+07:00", "2": "2025-03-01T00:00:00+07:00"}


def _world(tmp_path: Path, seed: int = 7) -> tuple[Path, dict]:
    world = tmp_path / "world"
    world.mkdir(parents=True, exist_ok=True)
    manifest = {"dialect": "a", "seed": seed, "options": {"registry_size": 10, "cases": 2}, "phases": PHASES}
    (world / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return world, manifest


def test_a_fresh_home_starts_at_phase_one_and_each_success_moves_on(tmp_path):
    home = tmp_path / "home"
    world, manifest = _world(tmp_path)
    first = next_day(home, world, manifest)
    assert (first.phase, first.phases, first.fresh) == (1, (1, 2), True)
    assert first.as_of == "2024-12-10"  # a Tuesday: the cut-off day itself
    assert first.label() == "day 1 of 2: 2024-12-10"
    assert next_day(home, world, manifest) == first  # nothing recorded (a failed run): the same phase again
    record_day(home, manifest, first)
    second = next_day(home, world, manifest)
    # 2025-03-01 is a Saturday: the run judges on the first working day after it (docs/DECISIONS.md).
    assert (second.phase, second.as_of, second.fresh) == (2, "2025-03-03", True)
    record_day(home, manifest, second)
    again = next_day(home, world, manifest)
    assert (again.phase, again.as_of, again.fresh) == (2, "2025-03-03", False)
    assert "served before" in again.label()


def test_another_world_starts_the_days_again(tmp_path):
    home = tmp_path / "home"
    world, manifest = _world(tmp_path)
    record_day(home, manifest, DemoDay(2, (1, 2), "2025-03-03", True))
    _, other = _world(tmp_path, seed=8)
    assert next_day(home, world, other).phase == 1


def test_a_home_filled_before_phases_were_served_one_by_one_stays_on_the_newest(tmp_path):
    # Such a home's store already holds the newest phase; serving phase 1 would take the sources back in time.
    home = tmp_path / "home"
    world, manifest = _world(tmp_path)
    pointer = home / "objectstore" / "pantau" / "published" / "current.json"
    pointer.parent.mkdir(parents=True)
    pointer.write_text(json.dumps({"release": "r0", "manifest": "x"}), encoding="utf-8")
    day = next_day(home, world, manifest)
    assert (day.phase, day.fresh) == (2, False)
    assert not (home / DEMO_STATE).exists()


def _put_json(bucket: Path, key: str, body: dict) -> None:
    (bucket / key).parent.mkdir(parents=True, exist_ok=True)
    (bucket / key).write_text(json.dumps(body), encoding="utf-8")


def _put_rows(bucket: Path, key: str, rows: int) -> None:
    (bucket / key).parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"reason": ["x"] * rows}).to_parquet(bucket / key)


def test_release_changes_reads_this_runs_release_quarantine_and_digests(tmp_path):
    bucket = tmp_path / "pantau"
    _put_json(bucket, "published/current.json", {"release": "r1", "manifest": "published/releases/r1/release.json"})
    _put_rows(bucket, "quarantine/bawaslu/run1.parquet", 5)
    _put_json(bucket, "runs/pantau_alerts/run1.json", {"sent": [{"items": 1}], "items_new": 1, "items_repeated": 0})
    before = BucketSnapshot.of(bucket)
    assert before.release == "r1"

    _put_json(bucket, "published/releases/r2/release.json", {"previous_release": "r1", "datasets": {
        "consolidated_cases": {"rows": 12, "changes": {"added": 2, "removed": 1, "changed": 3, "unchanged": 7}}}})
    _put_json(bucket, "published/current.json", {"release": "r2", "manifest": "published/releases/r2/release.json"})
    _put_rows(bucket, "quarantine/bawaslu/run2.parquet", 2)
    _put_rows(bucket, "quarantine/bkd/bkd01/run2.parquet", 1)
    _put_rows(bucket, "quarantine/validation/registry/run2.parquet", 4)
    _put_json(bucket, "runs/pantau_alerts/run2.json", {"sent": [{"items": 3}, {"items": 2}], "items_new": 4,
                                                        "items_repeated": 1})
    changes = release_changes(bucket, before)
    assert changes["published"] and (changes["release"], changes["previous"]) == ("r2", "r1")
    assert changes["datasets"]["consolidated_cases"] == {"rows": 12, "added": 2, "removed": 1, "changed": 3,
                                                         "unchanged": 7}
    assert changes["quarantined"] == {"bawaslu": 2, "bkd": 1}  # run1's five were quarantined before
    assert changes["held_by_validation"] == 4
    assert (changes["digests"], changes["items_new"], changes["items_repeated"]) == (2, 4, 1)

    lines = format_changes(DemoDay(2, (1, 2), "2025-03-03", True), changes)
    assert lines[0] == "What changed (day 2 of 2: 2025-03-03):"
    assert any(re.fullmatch(r"\s+consolidated_cases\s+12\s+2\s+1\s+3", line) for line in lines), lines
    assert any("new quarantine: 3 records" in line and "bawaslu 2" in line for line in lines)
    assert any("alert digests sent: 2 (4 new items, 1 reminders)" in line for line in lines)


def test_release_changes_says_nothing_new_when_the_pointer_stays(tmp_path):
    bucket = tmp_path / "pantau"
    _put_json(bucket, "published/current.json", {"release": "r1", "manifest": "m"})
    before = BucketSnapshot.of(bucket)
    _put_json(bucket, "runs/pantau_alerts/run2.json", {"sent": [], "items_new": 0, "items_repeated": 0})
    changes = release_changes(bucket, before)
    assert not changes["published"] and changes["datasets"] == {}
    lines = format_changes(DemoDay(2, (1, 2), "2025-03-03", False), changes)
    assert "nothing new: release r1 unchanged" in "\n".join(lines)
    assert "alert digests sent: 0" in "\n".join(lines)


# The demo serving day 2 into a home that ran day 1, end to end through Airflow: tests/test_end_to_end.py
# (test_day_two_publishes_what_changed_and_sends_only_new_items).


def test_airflow_env_is_absolute_for_a_relative_home(tmp_path, monkeypatch) -> None:
    """`make bench-chain` passes the relative default `.pantau/bench/chain`; Airflow refuses a relative SQLite URL."""
    from pantau.demo import airflow_env

    monkeypatch.chdir(tmp_path)
    env = airflow_env(Path(".pantau") / "home")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{tmp_path / '.pantau' / 'home' / 'airflow' / 'airflow.db'}"
    assert env["PANTAU_HOME"] == str(tmp_path / ".pantau" / "home")
