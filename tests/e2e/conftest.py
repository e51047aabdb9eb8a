"""Fixtures for tests under a real Airflow scheduler: an S3 server on 127.0.0.1 and one Airflow cluster per
module (:mod:`airflow_cluster`), whose component logs are attached to any failing test's report."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from airflow_cluster import AirflowCluster  # noqa: E402

from pantau.simulate.servers import EmbeddedObjectStore  # noqa: E402
from pantau.storage import ObjectStore  # noqa: E402

BUCKET = "pantau"
#: Who operates the DAGs (admin) and who answers approvals (the simple auth manager's ``user`` role: may
#: read DAGs and runs and answer human-in-the-loop requests, may not change Connections or Variables).
OPERATOR, APPROVER = "pantau_ops", "bkn_approver"


@pytest.fixture(scope="module")
def e2e_s3() -> Iterator[EmbeddedObjectStore]:
    with EmbeddedObjectStore() as server:
        yield server


@pytest.fixture(scope="module")
def e2e_store(e2e_s3: EmbeddedObjectStore) -> ObjectStore:
    return ObjectStore.connect(e2e_s3.endpoint, e2e_s3.access_key, e2e_s3.secret_key, BUCKET)


@pytest.fixture(scope="module")
def airflow_cluster(e2e_s3: EmbeddedObjectStore) -> Iterator[AirflowCluster]:
    """Scheduler, dag-processor, triggerer and api-server on 127.0.0.1, reading the repository's DAGs and
    writing to the test's S3 server; PostgreSQL metadata when ``PANTAU_TEST_PG_URL`` is set."""
    host, port = e2e_s3.endpoint.rsplit(":", 1)
    store_conn = {"conn_type": "generic", "host": host, "port": int(port), "login": e2e_s3.access_key,
                  "password": e2e_s3.secret_key, "extra": {"bucket": BUCKET, "secure": "false"}}
    cluster = AirflowCluster({"AIRFLOW_CONN_PANTAU_OBJECT_STORE": json.dumps(store_conn)},
                             users={OPERATOR: "admin", APPROVER: "user"},
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    cluster = getattr(item, "funcargs", {}).get("airflow_cluster")
    if report.failed and isinstance(cluster, AirflowCluster):
        report.sections.append(("Airflow component logs", cluster.log_tails()))
