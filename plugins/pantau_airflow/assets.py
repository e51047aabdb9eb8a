"""The Assets that connect Pantau's DAGs: ingest DAGs produce staged data, reconcile consumes it."""

from __future__ import annotations

from airflow.sdk import Asset

BAWASLU_CASES = Asset("s3://pantau/staging/bawaslu_cases", group="staging")
RECOMMENDATIONS = Asset("s3://pantau/staging/recommendations", group="staging")
REGISTRY = Asset("s3://pantau/staging/registry", group="staging")
FOLLOW_UPS = Asset("s3://pantau/staging/follow_ups", group="staging")

CONSOLIDATED_CASES = Asset("s3://pantau/published/restricted/consolidated_cases", group="published")
OVERDUE = Asset("s3://pantau/published/restricted/overdue_recommendations", group="published")
COMPLIANCE_SUMMARY = Asset("s3://pantau/published/public/compliance_summary", group="published")
