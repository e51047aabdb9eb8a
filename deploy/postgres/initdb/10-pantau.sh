#!/bin/sh
# Runs once, when the postgres service starts on an empty data volume (docker-entrypoint-initdb.d).
# Airflow's metadata database is POSTGRES_DB (airflow). Pantau's own state gets its own database and
# role, so that tasks never hold the metadata database's credentials (Airflow 3 forbids tasks to touch
# it): `pantau` holds the alert ledger (connection pantau_alert_ledger; docs/DECISIONS.md, "Alert ledger").
set -eu
: "${PANTAU_DB_PASSWORD:?set PANTAU_DB_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$PANTAU_DB_PASSWORD" <<'SQL'
CREATE ROLE pantau LOGIN PASSWORD :'password';
CREATE DATABASE pantau OWNER pantau;
SQL
