"""Clients for the three source systems (DESIGN §4); plain Python, no Airflow."""
