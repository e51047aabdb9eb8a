"""Airflow's real components as subprocesses, for tests that need a real scheduler (not ``dag.test()``).

:class:`AirflowCluster` makes a temporary ``AIRFLOW_HOME``, runs ``airflow db migrate``, then starts the
scheduler, the dag-processor, the triggerer and the api-server (LocalExecutor; everything bound to
127.0.0.1 on free ports; one JWT secret shared by all). The DAGs folder is the repository's ``dags/``
and ``PYTHONPATH`` puts this checkout's ``include/`` and ``plugins/`` first, so the components run the
code under test. Metadata lives in SQLite, or in a fresh PostgreSQL database when a URL is given
(``PANTAU_TEST_PG_URL``; ``.ci/run`` starts PostgreSQL), dropped again at the end. Airflow 3 also opens
the metadata database through an async engine, so PostgreSQL needs ``asyncpg`` (or psycopg 3) installed;
without one the cluster warns and uses SQLite.

Tests talk to it only through REST API v2 as a user of the simple auth manager (a JWT from
``POST /auth/token``), so what a test proves is what an operator or the UI would see. Every component
writes its own log file in the temporary home; :meth:`AirflowCluster.log_tails` gives the end of each
(the e2e conftest attaches them to a failing test's report). :meth:`AirflowCluster.stop` ends every
component's process group (SIGTERM, then SIGKILL after a grace period), whatever happened before.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import requests

REPO = Path(__file__).resolve().parents[2]
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.5,
             on_timeout: Callable[[], str] | None = None) -> T:
    """Call ``check`` until it returns something other than None/False; TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last not in (None, False):
            return last
        if time.monotonic() > deadline:
            extra = f"\n{on_timeout()}" if on_timeout else ""
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


class AirflowCluster:
    """Scheduler, dag-processor, triggerer and api-server of one temporary Airflow installation.

    ``env`` adds environment variables for every component (Connections as ``AIRFLOW_CONN_*``, Pantau
    settings). ``users`` are the simple auth manager's users (name -> role); each gets a random password.
    """

    def __init__(self, env: Mapping[str, str] | None = None, *, users: Mapping[str, str] | None = None,
                 pg_url: str | None = None, dags_folder: Path | None = None) -> None:
        self.extra_env = dict(env or {})
        self.users = dict(users or {"admin": "admin"})
        self.passwords = {name: secrets.token_urlsafe(16) for name in self.users}
        self.pg_url = pg_url
        self.dags_folder = dags_folder or REPO / "dags"
        self.home = Path(tempfile.mkdtemp(prefix="pantau-e2e-airflow-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._tokens: dict[str, str] = {}
        self._pg_database: str | None = None
        self.metadata = "sqlite"
        self.env = self._environment()

    # -- setup ----------------------------------------------------------------------------------
    def _metadata_url(self) -> str:
        if self.pg_url and not _async_postgres_driver():
            # Airflow 3 opens its metadata database through an async engine too; with psycopg2 alone
            # `airflow db migrate` fails. Said out loud (a pytest warning), not hidden.
            warnings.warn("PostgreSQL metadata needs an async driver (asyncpg, or psycopg 3) that is not installed; "
                          "this Airflow cluster uses SQLite instead", stacklevel=2)
            self.pg_url = None
        self.metadata = "postgresql" if self.pg_url else "sqlite"
        if not self.pg_url:
            return f"sqlite:///{self.home / 'airflow.db'}"
        import sqlalchemy as sa

        self._pg_database = f"pantau_e2e_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self._pg_database}"'))
        finally:
            engine.dispose()
        return sa.make_url(self.pg_url).set(database=self._pg_database).render_as_string(hide_password=False)

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PANTAU_"))}
        path = [str(REPO / "include"), str(REPO / "plugins")]
        if env.get("PYTHONPATH"):
            path.append(env["PYTHONPATH"])
        passwords_file = self.home / "simple_auth_manager_passwords.json"
        passwords_file.write_text(json.dumps(self.passwords))
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "PYTHONPATH": os.pathsep.join(path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in self.users.items()),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self._metadata_url(),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__TRIGGERER__ENABLE_HEALTH_CHECK": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        })
        env.update(self.extra_env)
        return env

    @property
    def airflow(self) -> str:
        return str(Path(sys.executable).with_name("airflow"))

    def start(self, timeout: float = 120) -> AirflowCluster:
        try:
            migrate = subprocess.run([self.airflow, "db", "migrate"], env=self.env, cwd=self.home,
                                     capture_output=True, text=True, timeout=timeout)
            (self.home / "db-migrate.log").write_text(migrate.stdout + migrate.stderr)
            if migrate.returncode != 0:
                raise RuntimeError(f"airflow db migrate failed:\n{(migrate.stdout + migrate.stderr)[-4000:]}")
            for name in COMPONENTS:
                log = open(self.home / f"{name}.log", "wb")  # noqa: SIM115 - the child writes to it until stop()
                command = [self.airflow, name]
                if name == "api-server":
                    command += ["--host", "127.0.0.1", "--port", str(self.port)]
                self.procs[name] = subprocess.Popen(command, env=self.env, cwd=self.home, stdout=log,
                                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                    start_new_session=True)
                log.close()
            wait_for(self._healthy, timeout, "the api-server to answer", interval=1.0, on_timeout=self.log_tails)
        except BaseException:
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        self._check_alive()
        try:
            return requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"Airflow component(s) exited: {dead}\n{self.log_tails()}")

    # -- teardown -------------------------------------------------------------------------------
    def stop(self, grace: float = 20) -> None:
        """End every component's process group (the LocalExecutor's workers and task processes are in the
        scheduler's): SIGTERM, then SIGKILL to whatever is left after ``grace`` seconds."""
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGKILL)  # leftover children of a leader that did exit, too
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self._pg_database:
            import sqlalchemy as sa

            engine = sa.create_engine(self.pg_url or "", isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._pg_database}" WITH (FORCE)'))
            finally:
                engine.dispose()
            self._pg_database = None

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> AirflowCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.remove()

    def log_tails(self, chars: int = 6000) -> str:
        parts = []
        for name in ("db-migrate", *COMPONENTS):
            path = self.home / f"{name}.log"
            text = path.read_text(errors="replace") if path.exists() else "(no log)"
            parts.append(f"----- {name} ({path}) -----\n{text[-chars:]}")
        for path in sorted((self.home / "logs").glob("dag_id=*/**/*.log"))[-12:]:
            parts.append(f"----- task log {path.relative_to(self.home)} -----\n"
                         f"{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    # -- REST API v2 ----------------------------------------------------------------------------
    def token(self, user: str | None = None) -> str:
        user = user or next(iter(self.users))
        if user not in self._tokens:
            response = requests.post(f"{self.base_url}/auth/token", timeout=30,
                                     json={"username": user, "password": self.passwords[user]})
            if response.status_code not in (200, 201):
                raise RuntimeError(f"no token for {user}: {response.status_code} {response.text}")
            self._tokens[user] = response.json()["access_token"]
        return self._tokens[user]

    def api(self, method: str, path: str, *, user: str | None = None, expect: tuple[int, ...] = (200,),
            **kwargs: Any) -> Any:
        """``method`` ``/api/v2`` + ``path`` as ``user``; the JSON answer, or an error with the body."""
        response = requests.request(method, f"{self.base_url}/api/v2{path}", timeout=60,
                                    headers={"Authorization": f"Bearer {self.token(user)}"}, **kwargs)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict[str, Any]:
        """Until the dag-processor has parsed and serialized ``dag_id``."""
        def parsed() -> dict[str, Any] | None:
            self._check_alive()
            response = requests.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=30,
                                    headers={"Authorization": f"Bearer {self.token()}"})
            return response.json() if response.status_code == 200 else None
        return wait_for(parsed, timeout, f"DAG {dag_id} to be parsed", interval=1.0, on_timeout=self.log_tails)

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": dict(conf or {})})
        return str(run["dag_run_id"])

    def task_state(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str | None:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        if map_index >= 0:
            path += f"/{map_index}"
        found = self.api("GET", path, expect=(200, 404))
        return found.get("state") if found and "state" in found else None

    def wait_for_task(self, dag_id: str, run_id: str, task_id: str, states: tuple[str, ...],
                      timeout: float = 120) -> str:
        """Until the task instance is in one of ``states``; fails early when the run ends without it."""
        def reached() -> str | None:
            self._check_alive()
            state = self.task_state(dag_id, run_id, task_id)
            if state in states:
                return state
            run_state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if run_state in ("success", "failed"):
                raise AssertionError(f"run {run_id} ended {run_state} with {task_id} {state}, not {states}\n"
                                     f"{self.log_tails()}")
            return None
        return wait_for(reached, timeout, f"{dag_id}.{task_id} in {states}", interval=1.0,
                        on_timeout=self.log_tails)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 120) -> str:
        """Until the run ends; its final state."""
        def ended() -> str | None:
            self._check_alive()
            state = str(self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])
            return state if state in ("success", "failed") else None
        return wait_for(ended, timeout, f"run {run_id} of {dag_id} to end", interval=1.0, on_timeout=self.log_tails)

    def wait_for_parked(self, dag_id: str, run_id: str, task_id: str, timeout: float = 60) -> None:
        """Until the scheduler has received the executor's report on the workload that parked ``task_id`` in
        ``awaiting_input``. Answering before that races Airflow 3.3.2: the report then arrives for a task
        already resumed and queued, and the scheduler marks it ``up_for_retry`` ("state changed externally").
        A person never answers within that second; a test must wait for it (the scheduler log is the only
        place it shows)."""
        needle = f"Received executor event with state success for task instance TaskInstanceKey(dag_id='{dag_id}', " \
                 f"task_id='{task_id}', run_id='{run_id}'"
        log = self.home / "scheduler.log"
        wait_for(lambda: needle in log.read_text(errors="replace"), timeout,
                 f"the scheduler to receive the parked {task_id}'s executor event", on_timeout=self.log_tails)

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        found = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {ti["task_id"]: ti["state"] for ti in found["task_instances"]}


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the group id is the leader's pid (start_new_session=True)
    except (ProcessLookupError, PermissionError):
        pass


def _async_postgres_driver() -> bool:
    import importlib.util

    return any(importlib.util.find_spec(name) is not None for name in ("asyncpg", "psycopg"))


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
