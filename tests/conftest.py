"""Test-wide setup: an isolated Airflow home per session, set before anything imports Airflow."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported in the fixtures, so nothing is imported before the Airflow settings below
    from pantau.simulate.servers import EmbeddedObjectStore
    from pantau.storage import ObjectStore

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="pantau-test-airflow-"))
REPO = Path(__file__).resolve().parents[1]

os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove the session's Airflow home so test runs leave nothing behind in the temp folder."""
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    """Keep each test module on one pytest-xdist worker (``make test`` runs ``-n 2 --dist loadgroup``).

    A module's fixtures are often a whole pipeline run or an S3 server (module scope): split across
    workers they would run twice. tests/e2e shares one real Airflow cluster (session scope) across its
    modules, so it is one group.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            module = item.nodeid.split("::", 1)[0]
            group = "e2e-airflow-cluster" if module.startswith("tests/e2e/") else module
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="module")
def s3() -> Iterator[EmbeddedObjectStore]:
    """An embedded S3 server (moto in a child process on 127.0.0.1), one per test module."""
    from pantau.simulate.servers import EmbeddedObjectStore

    with EmbeddedObjectStore() as server:
        yield server


@pytest.fixture
def store(s3: EmbeddedObjectStore) -> ObjectStore:
    """A fresh, empty bucket on the module's S3 server for each test."""
    from pantau.storage import ObjectStore

    return ObjectStore.connect(s3.endpoint, s3.access_key, s3.secret_key, f"t-{uuid.uuid4().hex[:16]}")
