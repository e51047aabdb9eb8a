"""``pantau run``: the pipelines on your own sources, on one machine, configured by a ``.env`` file.

The ``.env`` holds the Airflow Connections and Variables the DAGs read (``AIRFLOW_CONN_*``,
``AIRFLOW_VAR_*``, in Airflow's JSON or URI form) and Pantau's settings (``PANTAU_*``). :func:`check` says in
one sentence per problem what is missing or unusable and where the README describes it; :func:`run` then
starts ``airflow standalone`` (scheduler, dag-processor, triggerer, api-server, LocalExecutor) bound to
127.0.0.1 with this repository's ``dags/`` and ``plugins/``. No Airflow import here: Airflow runs in its own
process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pantau

README_SOURCES = 'README "Pointing Pantau at real sources"'
README_RUN = 'README "Run on your own sources"'
README_CONTACTS = 'README "Alert-contacts directory"'

#: Every Connection the DAGs read, as the environment variable that defines it, and what it is.
CONNECTIONS = {
    "AIRFLOW_CONN_BAWASLU_API": "the Bawaslu case API (http: host, schema, port, password = bearer token)",
    "AIRFLOW_CONN_RECOMMENDATIONS_FEED": "the KASN/BKN recommendation exports (http: host, schema, port)",
    "AIRFLOW_CONN_PANTAU_OBJECT_STORE": "the S3 object store (generic: host, port, login = access key, "
                                        "password = secret key, extra.bucket, extra.secure)",
    "AIRFLOW_CONN_SMTP_DEFAULT": "the mail server for alerts and failure e-mails (smtp: host, port, login, "
                                 "password, extra.from_email, extra.starttls)",
}
BKD_LIST = "AIRFLOW_VAR_PANTAU_BKD_CONNECTIONS"
CONTACTS = "AIRFLOW_VAR_PANTAU_CONTACTS"
OPS_EMAIL = ("AIRFLOW_VAR_PANTAU_OPS_EMAIL", "PANTAU_OPS_EMAIL")
LEDGER = ("AIRFLOW_CONN_PANTAU_ALERT_LEDGER", "PANTAU_ALERT_LEDGER_URL")
#: Airflow settings ``pantau run`` reads from the ``.env`` when present (it chooses them otherwise).
AIRFLOW_SETTINGS = ("AIRFLOW_HOME", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__FERNET_KEY",
                    "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__PORT")
#: Every variable name ``pantau run`` itself reads (besides the BKD connections the list names and the
#: ``PANTAU_*`` settings it passes on); ``.env.example`` lists them all.
VARIABLES_READ = (*CONNECTIONS, BKD_LIST, CONTACTS, *OPS_EMAIL, *LEDGER, "PANTAU_HOME", *AIRFLOW_SETTINGS)
DEFAULT_PORT = 8080


@dataclass
class Checked:
    """What :func:`check` found: the problems (each one sentence) and notes that do not stop a run."""

    env: dict[str, str]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bkd_connections: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_env(path: Path) -> dict[str, str]:
    """The ``.env`` file's variables (python-dotenv: ``KEY=value``, quotes, ``#`` comments, ``export``)."""
    from dotenv import dotenv_values

    if not path.is_file():
        raise FileNotFoundError(f"no configuration file at {path}: copy .env.example to it and fill it in "
                                f"({README_RUN})")
    return {k: v for k, v in dotenv_values(path, interpolate=False).items() if v is not None}


def parse_connection(value: str) -> dict[str, Any]:
    """An ``AIRFLOW_CONN_*`` value in Airflow's JSON or URI form, as a dict (conn_type, host, port, login,
    password, schema, extra); ValueError with the reason when it is neither."""
    text = value.strip()
    if text.startswith("{"):
        try:
            conn = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(conn, dict):
            raise ValueError("is JSON but not an object")
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            try:
                extra = json.loads(extra)
            except json.JSONDecodeError:
                raise ValueError("has an extra that is a string but not JSON") from None
        return {**conn, "extra": extra}
    parts = urlsplit(text)
    if not parts.scheme or "://" not in text:
        raise ValueError("is neither JSON ({...}) nor a URI (type://login:password@host:port/schema)")
    from urllib.parse import parse_qsl, unquote

    return {"conn_type": parts.scheme.replace("-", "_"), "host": parts.hostname, "port": parts.port,
            "login": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "schema": parts.path.lstrip("/") or None, "extra": dict(parse_qsl(parts.query))}


def _placeholder(value: Any) -> bool:
    """A value still holding ``.env.example``'s ``<...>`` placeholder."""
    return isinstance(value, str) and re.search(r"<[^<>@]*>", value) is not None


def check(env: Mapping[str, str], base: Path) -> Checked:
    """Every Connection and Variable the DAGs need, checked without contacting anything.

    ``base`` is the folder relative paths are resolved against (the ``.env`` file's folder, where
    :func:`run` starts Airflow)."""
    found = Checked(dict(env))
    problems = found.problems

    def connection(name: str, what: str, section: str = README_SOURCES) -> dict[str, Any] | None:
        value = (env.get(name) or "").strip()
        if not value:
            problems.append(f"{name} is not set: it is {what}; see {section}.")
            return None
        try:
            conn = parse_connection(value)
        except ValueError as exc:
            problems.append(f"{name} {exc}: it is {what}; see {section}.")
            return None
        holders = sorted(k for k, v in {**conn, **{f"extra.{k}": v for k, v in conn["extra"].items()}}.items()
                         if k != "extra" and _placeholder(v))
        if holders:
            problems.append(f"{name} still holds the example's placeholder in {', '.join(holders)}: fill in {what}; "
                            f"see {section}.")
            return None
        return conn

    for name, what in CONNECTIONS.items():
        conn = connection(name, what)
        if conn is not None:
            _check_service(name, what, conn, env, problems)

    for name in sorted(env):
        if name.startswith(("AIRFLOW__", "AIRFLOW_VAR_", "PANTAU_")) and _placeholder(env[name]):
            problems.append(f"{name} still holds the example's placeholder: fill it in or remove the line; "
                            f"see {README_RUN}.")
    found.bkd_connections = _check_bkds(env, problems, connection)
    _check_contacts(env, base, found)
    if not any((env.get(n) or "").strip() for n in OPS_EMAIL):
        problems.append(f"Neither {OPS_EMAIL[0]} nor {OPS_EMAIL[1]} is set: the data engineers' addresses for failure "
                        f"and health e-mails; see README \"Pipeline health\".")
    if not any((env.get(n) or "").strip() for n in LEDGER):
        found.notes.append(f"No {LEDGER[0]} or {LEDGER[1]}: the alert ledger is a SQLite file under PANTAU_HOME "
                           "(fine on one machine; see README \"Alert digests\").")
    elif (env.get(LEDGER[0]) or "").strip():
        connection(LEDGER[0], "the alert ledger's database (postgres, sqlite, or extra.sqlalchemy_url)")
    return found


def _check_service(name: str, what: str, conn: dict[str, Any], env: Mapping[str, str], problems: list[str]) -> None:
    if not conn.get("host"):
        problems.append(f"{name} has no host: it is {what}; see {README_SOURCES}.")
    if name == "AIRFLOW_CONN_PANTAU_OBJECT_STORE":
        if not (conn.get("login") and conn.get("password")):
            problems.append(f"{name} has no access key (login) or secret key (password); see {README_SOURCES}.")
        if not (conn["extra"].get("bucket") or env.get("PANTAU_BUCKET")):
            problems.append(f"{name} names no bucket (extra.bucket, or PANTAU_BUCKET); see {README_SOURCES}.")


def _check_bkds(env: Mapping[str, str], problems: list[str], connection: Any) -> list[str]:
    raw = (env.get(BKD_LIST) or "").strip()
    if not raw:
        problems.append(f"{BKD_LIST} is not set: a JSON list of the BKD connection ids, e.g. [\"bkd_sumbar\"]; "
                        f"see {README_SOURCES}.")
        return []
    try:
        ids = json.loads(raw)
    except json.JSONDecodeError:
        ids = None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.strip() for i in ids):
        problems.append(f"{BKD_LIST} must be a non-empty JSON list of connection ids such as [\"bkd_sumbar\"], not "
                        f"{raw[:60]!r}; see {README_SOURCES}.")
        return []
    for conn_id in ids:
        name = f"AIRFLOW_CONN_{conn_id.strip().upper()}"
        conn = connection(name, f"the BKD database {conn_id} listed in {BKD_LIST} (generic: extra.sqlalchemy_url, "
                                "extra.code, extra.pegawai_table, extra.tindak_lanjut_table)")
        if conn is None:
            continue
        url = conn["extra"].get("sqlalchemy_url")
        if not url and not conn.get("host"):
            problems.append(f"{name} has neither extra.sqlalchemy_url nor a host: say where BKD {conn_id}'s "
                            f"database is; see {README_RUN}.")
        elif url:
            try:
                import sqlalchemy as sa

                sa.make_url(str(url))
            except Exception:  # SQLAlchemy's ArgumentError: a URL it cannot parse
                problems.append(f"{name} has an extra.sqlalchemy_url SQLAlchemy cannot read (expected e.g. "
                                f"postgresql+psycopg2://user:password@host/db); see {README_RUN}.")
    return [str(i).strip() for i in ids]


def _check_contacts(env: Mapping[str, str], base: Path, found: Checked) -> None:
    value = (env.get(CONTACTS) or "").strip()
    if not value:
        found.problems.append(f"{CONTACTS} is not set: the path or object key of the alert-contacts directory; "
                              f"see {README_CONTACTS}.")
        return
    if value.startswith("s3://"):
        return
    path = Path(value) if Path(value).is_absolute() else base / value
    if not path.is_file():
        found.notes.append(f"{CONTACTS} ({value}) is not a file under {base}: it will be read as an object key in "
                           "the bucket.")


def airflow_env(env: Mapping[str, str], base: Path, port: int | None = None) -> dict[str, str]:
    """The environment ``airflow standalone`` runs in: the ``.env``'s variables plus Airflow settings that bind
    everything to 127.0.0.1 and read this repository's DAGs. Secrets not given are made once and kept in
    the Airflow home (``pantau-run-secrets.json``), so a restart keeps the same Fernet key."""
    repo = Path(pantau.__file__).resolve().parents[2]
    home = Path(env.get("PANTAU_HOME") or ".pantau")
    home = home if home.is_absolute() else (base / home)
    airflow_home = Path(env.get("AIRFLOW_HOME") or home / "airflow-run")
    airflow_home = airflow_home if airflow_home.is_absolute() else base / airflow_home
    airflow_home.mkdir(parents=True, exist_ok=True)
    port = port or int(env.get("AIRFLOW__API__PORT") or DEFAULT_PORT)
    kept = airflow_home / "pantau-run-secrets.json"
    made = json.loads(kept.read_text()) if kept.exists() else {}
    if not made:
        from cryptography.fernet import Fernet

        made = {"fernet": Fernet.generate_key().decode(), "jwt": secrets.token_urlsafe(32)}
        kept.write_text(json.dumps(made))
        kept.chmod(0o600)
    url = f"http://127.0.0.1:{port}"
    return {
        **env,
        "PANTAU_HOME": str(home.resolve()),
        "AIRFLOW_HOME": str(airflow_home.resolve()),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": env.get("PANTAU_TIMEZONE") or "Asia/Jakarta",
        "AIRFLOW__CORE__FERNET_KEY": env.get("AIRFLOW__CORE__FERNET_KEY") or made["fernet"],
        "AIRFLOW__API_AUTH__JWT_SECRET": env.get("AIRFLOW__API_AUTH__JWT_SECRET") or made["jwt"],
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
        or f"sqlite:///{airflow_home.resolve() / 'airflow.db'}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "GX_ANALYTICS_ENABLED": "False",
    }


def run(env_file: Path, *, check_only: bool = False, port: int | None = None) -> int:
    """``pantau run``: check the ``.env``; unless ``check_only``, start ``airflow standalone`` until Ctrl-C."""
    env_file = env_file.resolve()
    try:
        env = load_env(env_file)
    except FileNotFoundError as exc:
        print(f"pantau run: {exc}", file=sys.stderr)
        return 2
    found = check(env, env_file.parent)
    for note in found.notes:
        print(f"note: {note}")
    if not found.ok:
        print(f"{env_file}: {len(found.problems)} problem(s); nothing was started.", file=sys.stderr)
        for problem in found.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    print(f"{env_file}: configuration complete (sources: Bawaslu API, recommendation exports, "
          f"{len(found.bkd_connections)} BKD database(s): {', '.join(found.bkd_connections)}).")
    if check_only:
        return 0
    return _standalone(airflow_env(env, env_file.parent, port), env_file.parent)


def _standalone(env: dict[str, str], cwd: Path) -> int:
    airflow = str(Path(sys.executable).with_name("airflow"))
    home = Path(env["AIRFLOW_HOME"])
    url = env["AIRFLOW__API__BASE_URL"]
    print(f"Starting airflow standalone (Airflow home {home}); log: {home / 'standalone.log'}")
    with (home / "standalone.log").open("ab") as log:
        # standalone starts each component as `airflow ...` found on PATH: this environment's bin first, also
        # when the virtualenv is not activated.
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        process = subprocess.Popen([airflow, "standalone"], env={**os.environ, **env, "PATH": path}, cwd=cwd, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)  # a service manager's stop, like Ctrl-C: stop Airflow too
    try:
        if not _wait_until_up(url, process):
            print(f"Airflow did not answer on {url}; stopping it. See {home / 'standalone.log'}.", file=sys.stderr)
            return 1
        print(f"Airflow UI: {url}  (user admin; password in {home / 'simple_auth_manager_passwords.json.generated'})")
        print("DAGs start paused: unpause them in the UI. Ctrl-C stops Airflow.")
        return process.wait()
    except KeyboardInterrupt:
        print("stopping Airflow ...")
        return 0
    finally:
        _stop(process)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> bool:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(1)
    if process.poll() is not None:
        print(f"airflow standalone exited ({process.returncode}).", file=sys.stderr)
    return False


def _stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """SIGTERM to standalone's process group (its components and their task processes), then SIGKILL."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
