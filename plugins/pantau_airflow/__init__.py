"""Airflow-facing pieces of Pantau: hooks that turn Connections into the library's clients."""
