"""Small helpers the DAG tasks share: run keys and the run's as-of date."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pendulum

from pantau.pipeline.runs import run_key


def task_run_key(context: dict[str, Any]) -> str:
    return run_key(str(context["run_id"]))


def as_of_date(context: dict[str, Any]) -> date:
    """The date deadlines are judged against: ``PANTAU_AS_OF`` if set, else the run's ``run_after``
    in WIB. Tied to the run, so re-running a run judges the same deadlines the same way."""
    override = os.environ.get("PANTAU_AS_OF")
    if override:
        return date.fromisoformat(override)
    dag_run = context["dag_run"]
    moment = getattr(dag_run, "run_after", None) or getattr(dag_run, "logical_date", None) or pendulum.now()
    return pendulum.instance(moment).in_timezone("Asia/Jakarta").date()
