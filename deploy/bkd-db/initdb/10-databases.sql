-- The simulated BKD personnel databases: one PostgreSQL server (bkd-db in docker-compose.yml), one
-- database per BKD, named by the simulator's BKD code (`pantau simulate generate --bkds 4`: bkd01..bkd04).
-- Runs once, on an empty data volume; the bkd-seed job then writes pegawai and tindak_lanjut into each.
-- A different --bkds needs as many databases here and as many AIRFLOW_CONN_BKD_* connections
-- (tests/deploy/test_compose.py keeps the three in step).
CREATE DATABASE bkd01;
CREATE DATABASE bkd02;
CREATE DATABASE bkd03;
CREATE DATABASE bkd04;
