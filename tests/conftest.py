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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):  # type: ignore[no-untyped-def]
    """``make test`` runs two pytest-xdist workers; each test module stays on one of them.

    A module's fixtures are often a whole pipeline run or an S3 server (module scope): split across
    workers they would run twice. tests/e2e shares one real Airflow cluster (session scope) across its
    modules, so it is one unit. (xdist's own ``--dist loadgroup`` marks do not take with pytest 9.2,
    whose node ids can no longer be rewritten; a scheduler is the supported extension point.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "tests/e2e/" if module.startswith("tests/e2e/") else module

    return ModuleScheduling(config, log)


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
