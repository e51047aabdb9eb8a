"""Ingestion benchmark (``pantau bench ingest``) and the plain runners it shares with the tests."""
