"""``pantau_reconcile`` on a new installation, as the real scheduler starts it: after the *first* ingest DAG.

Under the scheduler (tests/e2e/test_chain.py) the first staged Asset starts reconcile before the other sources
were ever staged. That run must wait (skip), not fail three times and e-mail the data engineers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
STAGED = {"bawaslu_cases", "recommendations", "registry", "follow_ups"}


class KeysOnly:
    def __init__(self, staged: set[str]) -> None:
        self.keys = {f"staging/{t}/_current.json" for t in staged}

    def exists(self, key: str) -> bool:
        return key in self.keys


@pytest.fixture(scope="module")
def validate_sources():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS / "pantau_reconcile.py")).dags["pantau_reconcile"].get_task("validate_sources")


def call(task: Any, store: KeysOnly, monkeypatch: pytest.MonkeyPatch) -> Any:
    import pantau.pipeline.quality as quality
    import pantau_airflow.hooks as hooks

    class Hook:
        def __enter__(self) -> KeysOnly:
            return store

        def __exit__(self, *exc: object) -> None:
            return None

    calls: list[str] = []
    monkeypatch.setattr(hooks, "ObjectStoreHook", Hook)
    monkeypatch.setattr(quality, "validate_sources", lambda *a, **k: calls.append("validated") or {})
    monkeypatch.setitem(task.python_callable.__globals__, "get_current_context", lambda: {"run_id": "r1"})
    monkeypatch.setenv("PANTAU_AS_OF", "2025-03-03")
    return task.python_callable(), calls


def test_skips_until_every_source_was_staged_once(validate_sources, monkeypatch):
    from airflow.sdk.exceptions import AirflowSkipException

    with pytest.raises(AirflowSkipException) as raised:
        call(validate_sources, KeysOnly({"bawaslu_cases"}), monkeypatch)
    message = str(raised.value)
    assert "recommendations, registry, follow_ups has never been staged" in message
    assert "bawaslu_cases" not in message


def test_validates_once_all_four_are_staged(validate_sources, monkeypatch):
    result, calls = call(validate_sources, KeysOnly(STAGED), monkeypatch)
    assert calls == ["validated"] and result == {}
