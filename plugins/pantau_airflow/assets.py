"""The Assets that connect Pantau's DAGs: ingest DAGs produce staged data, reconcile consumes it."""

from __future__ import annotations

from airflow.sdk import Asset

BAWASLU_CASES = Asset("s3://pantau/staging/bawaslu_cases", group="staging")
RECOMMENDATIONS = Asset("s3://pantau/staging/recommendations", group="staging")
REGISTRY = Asset("s3://pantau/staging/registry", group="staging")
FOLLOW_UPS = Asset("s3://pantau/staging/follow_ups", group="staging")

#: A reconcile run's release: every published dataset under one prefix, behind one pointer
#: (``published/current.json``). Downstream DAGs read the datasets through that pointer.
RELEASE = Asset("s3://pantau/published/releases", group="published")
