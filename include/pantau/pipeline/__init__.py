"""Pipeline steps as plain functions over an ObjectStore and source clients (no Airflow)."""
