"""Test-wide setup: an isolated Airflow home per session, set before anything imports Airflow."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

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
