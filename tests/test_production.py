"""``pantau run --check``: a complete ``.env`` passes; a broken one gets one sentence per problem, naming the
variable and the README section, and no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pantau import production
from pantau.cli import main

REPO = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t-token-value"


def good_env(folder: Path) -> str:
    (folder / "contacts.csv").write_text("Kode Satker;Instansi;E-mail PPK\n13.06.01;Dinas X;ppk@agamkab.go.id\n")
    conns = {
        "AIRFLOW_CONN_BAWASLU_API": {"conn_type": "http", "host": "api.bawaslu.example", "schema": "https",
                                     "password": SECRET},
        "AIRFLOW_CONN_RECOMMENDATIONS_FEED": {"conn_type": "http", "host": "data.bkn.example", "schema": "https"},
        "AIRFLOW_CONN_PANTAU_OBJECT_STORE": {"conn_type": "generic", "host": "s3.example", "port": 9000,
                                             "login": "pantau", "password": SECRET,
                                             "extra": {"bucket": "pantau", "secure": True}},
        "AIRFLOW_CONN_SMTP_DEFAULT": {"conn_type": "smtp", "host": "mail.example", "port": 587,
                                      "extra": {"from_email": "pantau@example.go.id", "starttls": True}},
        "AIRFLOW_CONN_BKD_SUMBAR": {"conn_type": "generic", "extra": {
            "sqlalchemy_url": f"postgresql+psycopg2://pantau:{SECRET}@bkd.example/simpeg", "code": "SUMBAR"}},
    }
    lines = [f"{k}='{json.dumps(v)}'" for k, v in conns.items()]
    lines += ["# a comment", "AIRFLOW_CONN_BKD_DKI=mysql+pymysql://reader:pw@bkd-dki.example:3306/simpeg",
              """AIRFLOW_VAR_PANTAU_BKD_CONNECTIONS='["bkd_sumbar", "bkd_dki"]'""",
              "AIRFLOW_VAR_PANTAU_CONTACTS=contacts.csv   # beside this file",
              "PANTAU_OPS_EMAIL=data-engineers@example.go.id"]
    return "\n".join(lines) + "\n"


def test_complete_env_passes_check(tmp_path, capsys):
    env_file = tmp_path / ".env"
    env_file.write_text(good_env(tmp_path))
    assert main(["run", "--check", "--env-file", str(env_file)]) == 0
    out = capsys.readouterr()
    assert "configuration complete" in out.out and "2 BKD database(s): bkd_sumbar, bkd_dki" in out.out
    assert SECRET not in out.out + out.err


def test_broken_env_one_sentence_per_problem(tmp_path, capsys):
    text = good_env(tmp_path)
    text = re.sub(r"^AIRFLOW_CONN_BAWASLU_API=.*\n", "", text, flags=re.M)           # missing
    text = text.replace('"host": "mail.example", ', '"host": "mail.example" ')         # broken JSON
    text = text.replace('["bkd_sumbar", "bkd_dki"]', '["bkd_sumbar", "bkd_dki", "bkd_jatim"]')  # undefined
    text = text.replace("pantau@example.go.id", "<sender>").replace('"login": "pantau"', '"login": "<access key>"')
    text = re.sub(r"^PANTAU_OPS_EMAIL=.*\n", "", text, flags=re.M)
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    assert main(["run", "--check", "--env-file", str(env_file)]) == 2
    err = capsys.readouterr().err
    problems = [line[4:] for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 5, err
    expected = {"AIRFLOW_CONN_BAWASLU_API is not set": "README \"Pointing Pantau at real sources\"",
                "AIRFLOW_CONN_SMTP_DEFAULT is not valid JSON": "README \"Pointing Pantau at real sources\"",
                "AIRFLOW_CONN_BKD_JATIM is not set": "README \"Pointing Pantau at real sources\"",
                "AIRFLOW_CONN_PANTAU_OBJECT_STORE still holds the example's placeholder in login": "README",
                "Neither AIRFLOW_VAR_PANTAU_OPS_EMAIL nor PANTAU_OPS_EMAIL is set": "README \"Pipeline health\""}
    for start, section in expected.items():
        assert [p for p in problems if p.startswith(start) and section in p], (start, problems)
    assert all(p.endswith(".") and p.count(". ") == 0 for p in problems), problems  # one sentence each
    assert SECRET not in err and "nothing was started" in err


def test_missing_file_and_bad_bkd_list(tmp_path, capsys):
    assert main(["run", "--check", "--env-file", str(tmp_path / "nope.env")]) == 2
    assert "copy .env.example" in capsys.readouterr().err
    env_file = tmp_path / ".env"
    env_file.write_text(good_env(tmp_path).replace('\'["bkd_sumbar", "bkd_dki"]\'', "bkd_sumbar"))
    assert main(["run", "--check", "--env-file", str(env_file)]) == 2
    assert "must be a non-empty JSON list" in capsys.readouterr().err


def test_the_example_is_recognised_as_unfilled(tmp_path, capsys):
    env_file = tmp_path / ".env"
    env_file.write_text((REPO / ".env.example").read_text())
    assert main(["run", "--check", "--env-file", str(env_file)]) == 2
    err = capsys.readouterr().err
    # The example serves the compose stack too: its simulator connections are real values there, its secrets
    # and the connections the stack builds itself (object store, BKD databases) are what a single machine lacks.
    assert "AIRFLOW__API_AUTH__JWT_SECRET still holds the example's placeholder" in err
    assert "AIRFLOW_CONN_PANTAU_OBJECT_STORE is not set" in err
    assert "AIRFLOW__CORE__FERNET_KEY still holds the example's placeholder" in err  # never passed to Airflow


def test_env_example_lists_every_variable_run_reads():
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert set(production.VARIABLES_READ) <= listed, set(production.VARIABLES_READ) - listed


def test_airflow_is_bound_to_loopback_with_this_repository(tmp_path):
    env = production.load_env(_write(tmp_path, good_env(tmp_path)))
    first = production.airflow_env(env, tmp_path, port=18080)
    assert first["AIRFLOW__API__HOST"] == "127.0.0.1" and first["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:18080"
    assert first["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert first["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "dags")
    assert first["AIRFLOW_HOME"] == str(tmp_path / ".pantau" / "airflow-run")
    assert first["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")
    assert first["AIRFLOW_VAR_PANTAU_CONTACTS"] == "contacts.csv"  # resolved by running Airflow in the .env's folder
    again = production.airflow_env(env, tmp_path)
    assert again["AIRFLOW__CORE__FERNET_KEY"] == first["AIRFLOW__CORE__FERNET_KEY"]  # kept across restarts
    assert again["AIRFLOW__API__PORT"] == "8080"


def _write(folder: Path, text: str) -> Path:
    path = folder / ".env"
    path.write_text(text)
    return path


@pytest.mark.parametrize("value", ["{not json", "just-a-word"])
def test_parse_connection_refuses_what_airflow_cannot_read(value):
    with pytest.raises(ValueError):
        production.parse_connection(value)
