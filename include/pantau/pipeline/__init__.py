"""Pipeline steps as plain functions over an ObjectStore and source clients (no Airflow)."""

#: The order a full pass runs the DAGs in: sources first, then reconcile, then alerts
#: (``pantau_airflow.run`` and ``pantau bench chain``).
PIPELINE = (
    "pantau_ingest_bawaslu",
    "pantau_ingest_recommendations",
    "pantau_ingest_bkd",
    "pantau_reconcile",
    "pantau_alerts",
)
