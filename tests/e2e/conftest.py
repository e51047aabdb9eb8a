"""Fixtures for tests under a real Airflow scheduler: the embedded sources and services of a small simulated
world, and one Airflow cluster (:mod:`airflow_cluster`) for the whole session, whose component logs are
attached to any failing test's report.

One cluster serves every module (starting one costs ~20 s of a 2-core machine): its Connections point at
the session's simulators (Bawaslu API, exports server, BKD SQLite databases), S3 server (moto) and SMTP
sink (aiosmtpd), all on 127.0.0.1. Each module gets the bucket empty (``e2e_store``), so what one module
published or decided is not another's input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from airflow_cluster import AirflowCluster  # noqa: E402

from pantau.demo import LocalStack, ensure_world, local_stack  # noqa: E402
from pantau.storage import ObjectStore  # noqa: E402

BUCKET = "pantau"
#: Who operates the DAGs (admin) and who answers approvals (the simple auth manager's ``user`` role: may
#: read DAGs and runs and answer human-in-the-loop requests, may not change Connections or Variables).
OPERATOR, APPROVER = "pantau_ops", "bkn_approver"
#: A small world: four BKDs (four mapped tasks), a few dozen cases, escalated recommendations.
WORLD = {"seed": 7, "registry_size": 3000, "cases": 80}


@pytest.fixture(scope="session")
def e2e_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("e2e-world")
    ensure_world(path, WORLD, progress=False)
    return path


@pytest.fixture(scope="session")
def e2e_stack(e2e_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The demo's services on 127.0.0.1 (with the world's HTTP faults), as the demo starts them."""
    with local_stack(tmp_path_factory.mktemp("e2e-home"), e2e_world) as stack:
        yield stack


def cluster_env(stack: LocalStack) -> dict[str, str]:
    """The stack's Connections, Variables and Pantau settings; the cluster sets its own Airflow home,
    metadata database, dags folder and ports."""
    keep = ("AIRFLOW_CONN_", "AIRFLOW_VAR_", "PANTAU_")
    env = {k: v for k, v in stack.env.items() if k.startswith(keep)}
    env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] = stack.env.get("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Asia/Jakarta")
    return env


@pytest.fixture(scope="session")
def airflow_cluster(e2e_stack: LocalStack) -> Iterator[AirflowCluster]:
    """Scheduler, dag-processor, triggerer and api-server on 127.0.0.1, reading the repository's DAGs and
    writing to the session's S3 server; PostgreSQL metadata when ``PANTAU_TEST_PG_URL`` is set."""
    cluster = AirflowCluster(cluster_env(e2e_stack), users={OPERATOR: "admin", APPROVER: "user"},
                             pg_url=os.environ.get("PANTAU_TEST_PG_URL") or None)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        if os.environ.get("PANTAU_E2E_KEEP_HOME"):
            print(f"Airflow home kept for inspection: {cluster.home}")
        else:
            cluster.remove()


@pytest.fixture(scope="module")
def e2e_store(e2e_stack: LocalStack) -> ObjectStore:
    """The cluster's bucket, emptied for this module."""
    server = e2e_stack.store
    store = ObjectStore.connect(server.endpoint, server.access_key, server.secret_key, BUCKET)
    store.ensure_bucket()
    for key in list(store.list("")):
        store.delete(key)
    return store


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    cluster = getattr(item, "funcargs", {}).get("airflow_cluster")
    if report.failed and isinstance(cluster, AirflowCluster):
        report.sections.append(("Airflow component logs", cluster.log_tails()))
