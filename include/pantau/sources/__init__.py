"""Clients for the three source systems (docs/DOMAIN.md §4); plain Python, no Airflow."""
