"""Static checks of the compose stack, the Dockerfile and .env.example (no Docker engine here).

Each check is a function returning the problems it finds, so that it is run twice: on the repository's
files (no problem) and on ``broken-compose.yml``, the compose file issue 13 reported (the problems the
issue names), or on a small broken variant where the issue named none.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pantau import settings
from pantau.publishing import access

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
BROKEN = Path(__file__).with_name("broken-compose.yml")
SCHEMA = REPO / "deploy" / "compose-spec" / "compose-spec.json"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"
MAKEFILE = REPO / "Makefile"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message} and $VAR; "$$" is a literal "$".
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}"
                       r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|(?P<dollar>\$))")
_ENV_LINE = re.compile(r"^\s*(?P<comment>#\s*)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
# An exact tag: X.Y.Z (any prefix such as "v", any suffix such as "-bookworm"), MinIO's RELEASE.<time>,
# or a digest. PostgreSQL numbers its releases MAJOR.MINOR, so 16.4 is exact there.
_EXACT_TAG = re.compile(r"^(?:v?\d+\.\d+\.\d+(?:[-.+][\w.-]*)?|RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z[\w.-]*)$")
_EXACT_TAG_BY_IMAGE = {"postgres": re.compile(r"^\d+\.\d+(?:-[\w.-]+)?$")}


# ---------------------------------------------------------------------- reading the files


def load_compose(path: Path) -> dict[str, Any]:
    """The compose file as compose sees it before interpolation (anchors and ``<<`` merges resolved)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def env_example() -> tuple[dict[str, str], frozenset[str]]:
    """(active variables with their values, every variable named, commented-out ones included)."""
    active: dict[str, str] = {}
    named: set[str] = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _ENV_LINE.match(line)
        if not match:
            continue
        named.add(match["key"])
        if match["comment"] is None:
            active[match["key"]] = _env_value(match["value"])
    return active, frozenset(named)


def _env_value(raw: str) -> str:
    """A value as docker compose's .env reader gives it: quotes removed, `` #...`` comments cut."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else raw[1:]
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def strings(node: Any) -> list[str]:
    """Every string of a document, keys included."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation of every string value with ``env`` (unset variables become empty)."""
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if not isinstance(node, str):
        return node

    def one(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["braced"] or match["plain"]
        value = env.get(name)
        op = match["op"] or ""
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return match["arg"]
        return value or ""

    return _VARIABLE.sub(one, node)


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose.get("services") or {}


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment (mapping or list form), plus .env.example's variables when the service
    reads the whole .env through ``env_file`` (as the broken file did)."""
    env: dict[str, str] = {}
    files = service.get("env_file") or []
    for entry in [files] if isinstance(files, (str, dict)) else files:
        path = entry["path"] if isinstance(entry, dict) else entry
        if Path(path).name == ".env":
            env.update(env_example()[0])
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    env.update({k: "" if v is None else str(v) for k, v in raw.items()})
    return env


def airflow_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services(compose).items() if name.startswith("airflow-")}


# ---------------------------------------------------------------------- the checks


def schema_problems(compose: dict[str, Any]) -> list[str]:
    """Against the Compose Specification schema, after interpolation with .env.example's values."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    document = interpolate(compose, env_example()[0])
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]


def variable_problems(compose: dict[str, Any]) -> list[str]:
    """Every variable the file interpolates is named in .env.example, and set there when the file
    gives it no default."""
    active, named = env_example()
    problems = set()
    for text in strings(compose):
        for match in _VARIABLE.finditer(text):
            name = match["braced"] or match["plain"]
            if not name:
                continue
            if name not in named:
                problems.add(f"${{{name}}} is not documented in .env.example")
            elif match["op"] not in (":-", "-") and name not in active:
                problems.add(f"${{{name}}} has no default in the compose file and no value in .env.example")
    return sorted(problems)


def make_up_creates() -> set[str]:
    """Folders the Makefile's ``up`` recipe creates (``mkdir -p ...``)."""
    recipe = MAKEFILE.read_text(encoding="utf-8").split("\nup:", 1)[1].split("\n\n", 1)[0]
    return {word.strip("./") for line in recipe.splitlines() if "mkdir -p" in line
            for word in line.split("mkdir -p", 1)[1].split()}


def bind_sources(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host path, container path) of every bind mount of a service."""
    out = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type") == "bind":
                out.append((str(volume["source"]), str(volume["target"])))
            continue
        parts = volume.split(":")
        if parts[0].startswith((".", "/", "~", "$")) and len(parts) >= 2:
            out.append((parts[0], parts[1]))
    return out


def mount_problems(compose: dict[str, Any]) -> list[str]:
    """Every bind-mounted host path is relative, inside the repository, and exists in it (tracked)
    or is made by ``make up``; so are build contexts."""
    created = make_up_creates()
    problems = []
    for name, service in services(compose).items():
        sources = [source for source, _ in bind_sources(service)]
        build = service.get("build")
        if build is not None:
            sources.append(build if isinstance(build, str) else build.get("context", "."))
        for source in sources:
            if not source.startswith("."):
                problems.append(f"{name}: {source} is not a path inside the repository")
                continue
            path = (REPO / source).resolve()
            relative = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else None
            if relative is None:
                problems.append(f"{name}: {source} lies outside the repository")
            elif relative.split("/")[0] in created and relative.count("/") == 0:
                continue
            elif not path.exists():
                problems.append(f"{name}: {source} does not exist and `make up` does not create it")
    return problems


def image_problems(compose: dict[str, Any]) -> list[str]:
    """Every image pinned to an exact tag; the one we build is tagged with the project's version."""
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.M)[1]
    problems = []
    for name, service in services(compose).items():
        image = service.get("image")
        if image is None:
            problems.append(f"{name}: no image named")
            continue
        if "@sha256:" in image:
            continue
        repository, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
        if service.get("build") is not None:
            if image != f"pantau:{version}":
                problems.append(f"{name}: the image built here must be pantau:{version}, not {image}")
            continue
        pattern = _EXACT_TAG_BY_IMAGE.get(repository, _EXACT_TAG)
        if not tag or not pattern.match(tag):
            problems.append(f"{name}: {image} is not pinned to an exact tag")
    return problems


def airflow_pin() -> str:
    match = re.search(r"^apache-airflow==(\S+)$", (REPO / "requirements.txt").read_text(encoding="utf-8"), re.M)
    assert match, "requirements.txt pins no apache-airflow=="
    return match[1]


def dockerfile_problems(compose: dict[str, Any], dockerfile: str | None) -> list[str]:
    """The Airflow services run the image built from our Dockerfile, whose base is the Airflow that
    requirements.txt pins, on Python 3.11."""
    problems = []
    if dockerfile is None:
        return ["there is no Dockerfile: the Airflow containers would lack Pantau's dependencies"]
    pin = airflow_pin()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    if bases != [f"apache/airflow:{pin}-python3.11"]:
        problems.append(f"Dockerfile FROM {bases} must be apache/airflow:{pin}-python3.11 (requirements.txt pins "
                        f"apache-airflow=={pin}; pyproject.toml requires Python 3.11)")
    arg = re.search(r"^ARG AIRFLOW_VERSION=(\S+)", dockerfile, re.M)
    if arg and arg[1] != pin:
        problems.append(f"Dockerfile ARG AIRFLOW_VERSION={arg[1]} differs from requirements.txt's {pin}")
    if not re.search(r"-r\s+\S*requirements\.txt", dockerfile):
        problems.append("the Dockerfile does not install requirements.txt")
    for name, service in airflow_services(compose).items():
        if service.get("build") is None:
            problems.append(f"{name}: runs {service.get('image')}, not the image built from the Dockerfile")
    return problems


def init_problems(compose: dict[str, Any]) -> list[str]:
    """airflow-init exists and every other Airflow service waits until it has completed."""
    every = services(compose)
    if "airflow-init" not in every:
        return ["there is no airflow-init service"]
    problems = []
    for name, service in airflow_services(compose).items():
        if name == "airflow-init":
            continue
        depends = service.get("depends_on") or {}
        condition = depends.get("airflow-init", {}).get("condition") if isinstance(depends, dict) else None
        if condition != "service_completed_successfully":
            problems.append(f"{name} does not wait for airflow-init to complete")
    return problems


def required_connections() -> list[str]:
    return [settings.BAWASLU_CONN_ID, settings.RECOMMENDATIONS_CONN_ID, settings.OBJECT_STORE_CONN_ID,
            settings.SMTP_CONN_ID, settings.ALERT_LEDGER_CONN_ID]


def connection_problems(compose: dict[str, Any]) -> list[str]:
    """Every Airflow service has each connection and Variable the DAGs read, every BKD connection the
    Variable lists, and a contacts Variable naming a file inside a mounted folder."""
    problems = []
    active = env_example()[0]
    for name, service in airflow_services(compose).items():
        env = {k: interpolate(v, active) for k, v in environment(service).items()}
        for conn_id in required_connections():
            if not env.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
                problems.append(f"{name}: connection {conn_id} is not set")
        raw = env.get(f"AIRFLOW_VAR_{settings.BKD_CONNECTIONS_VARIABLE.upper()}")
        if not raw:
            problems.append(f"{name}: Variable {settings.BKD_CONNECTIONS_VARIABLE} is not set")
        else:
            for conn_id in json.loads(raw):
                if not env.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
                    problems.append(f"{name}: BKD connection {conn_id} is listed but not set")
        contacts = env.get(f"AIRFLOW_VAR_{settings.CONTACTS_VARIABLE.upper()}")
        targets = [target for _, target in bind_sources(service)]
        if not contacts:
            problems.append(f"{name}: Variable {settings.CONTACTS_VARIABLE} is not set")
        elif not any(contacts.startswith(target.rstrip("/") + "/") for target in targets):
            problems.append(f"{name}: the contacts file {contacts} is in no mounted folder")
    return problems


def port_problems(compose: dict[str, Any]) -> list[str]:
    """Published ports bind to 127.0.0.1 only."""
    problems = []
    for name, service in services(compose).items():
        for port in service.get("ports") or []:
            host_ip = port.get("host_ip") if isinstance(port, dict) else (
                str(port).split(":")[0] if str(port).count(":") == 2 else None)
            if host_ip != "127.0.0.1":
                problems.append(f"{name}: port {port} is not bound to 127.0.0.1")
    return problems


# ---------------------------------------------------------------------- the repository passes


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(COMPOSE)


@pytest.fixture(scope="module")
def broken() -> dict[str, Any]:
    return load_compose(BROKEN)


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert schema_problems(compose) == []


def test_every_variable_is_documented_in_env_example(compose: dict[str, Any]) -> None:
    assert variable_problems(compose) == []


def test_every_mounted_path_exists(compose: dict[str, Any]) -> None:
    assert mount_problems(compose) == []


def test_every_image_is_pinned(compose: dict[str, Any]) -> None:
    assert image_problems(compose) == []


def test_dockerfile_base_matches_the_airflow_pin(compose: dict[str, Any]) -> None:
    assert dockerfile_problems(compose, DOCKERFILE.read_text(encoding="utf-8")) == []


def test_airflow_services_wait_for_airflow_init(compose: dict[str, Any]) -> None:
    assert init_problems(compose) == []


def test_connections_and_variables_the_dags_read_are_set(compose: dict[str, Any]) -> None:
    assert connection_problems(compose) == []


def test_published_ports_bind_to_loopback(compose: dict[str, Any]) -> None:
    assert port_problems(compose) == []


# ---------------------------------------------------------------------- each check catches the broken file


def test_broken_file_still_parses_and_validates(broken: dict[str, Any]) -> None:
    # The complaints are not about syntax: the checks below must find them anyway.
    assert schema_problems(broken) == []


def test_schema_check_catches_a_wrong_key(compose: dict[str, Any]) -> None:
    bad = copy.deepcopy(compose)
    bad["services"]["redis"]["healthchek"] = bad["services"]["redis"].pop("healthcheck")
    bad["services"]["airflow-worker"]["depends_on"] = "airflow-init"
    problems = schema_problems(bad)
    assert any("healthchek" in p for p in problems)
    assert any(p.startswith("services/airflow-worker/depends_on") for p in problems)


def test_variable_check_catches_an_undocumented_variable(compose: dict[str, Any]) -> None:
    bad = copy.deepcopy(compose)
    bad["services"]["minio"]["environment"]["MINIO_REGION"] = "${PANTAU_S3_REGION}"
    bad["services"]["minio"]["environment"]["MINIO_BROWSER"] = "${PANTAU_CODE_VERSION}"  # documented, no value
    assert variable_problems(bad) == [
        "${PANTAU_CODE_VERSION} has no default in the compose file and no value in .env.example",
        "${PANTAU_S3_REGION} is not documented in .env.example"]
    assert variable_problems({"x": "$${HOSTNAME} ${PANTAU_CODE_VERSION:-}"}) == []


def test_env_example_documents_what_pantau_replay_reads() -> None:
    # The issue: .env.example missed the PANTAU_S3_* variables `pantau replay` reads.
    cli = (REPO / "include" / "pantau" / "cli.py").read_text(encoding="utf-8")
    read = set(re.findall(r"PANTAU_S3_[A-Z_]+", cli))
    assert read and read <= env_example()[1]


def test_mount_check_catches_a_missing_path(broken: dict[str, Any], compose: dict[str, Any]) -> None:
    bad = copy.deepcopy(compose)
    bad["services"]["minio-init"]["volumes"] = ["./deploy/mc-scripts:/deploy:ro", "/etc/pantau:/etc/pantau"]
    assert mount_problems(bad) == [
        "minio-init: ./deploy/mc-scripts does not exist and `make up` does not create it",
        "minio-init: /etc/pantau is not a path inside the repository"]
    assert {"logs", "config"} <= make_up_creates()


def test_image_check_catches_floating_tags(broken: dict[str, Any]) -> None:
    problems = image_problems(broken)
    for floating in ("postgres:15", "redis:7", "python:3.11-slim", "axllent/mailpit:v1.21"):
        assert any(floating + " is not pinned" in p for p in problems), floating
    assert not any("minio/minio" in p for p in problems)  # RELEASE.<time> is exact
    assert image_problems({"services": {"a": {"image": "redis:latest"}, "b": {"image": "redis"},
                                        "c": {"image": "postgres:16"}}}) == [
        "a: redis:latest is not pinned to an exact tag", "b: redis is not pinned to an exact tag",
        "c: postgres:16 is not pinned to an exact tag"]


def test_dockerfile_check_catches_the_broken_setup(broken: dict[str, Any], compose: dict[str, Any]) -> None:
    # The issue: no Dockerfile; the containers ran the plain Airflow image without our dependencies.
    assert dockerfile_problems(broken, None) == [
        "there is no Dockerfile: the Airflow containers would lack Pantau's dependencies"]
    assert any("not the image built from the Dockerfile" in p
               for p in dockerfile_problems(broken, DOCKERFILE.read_text(encoding="utf-8")))
    stale = DOCKERFILE.read_text(encoding="utf-8").replace(f"airflow:{airflow_pin()}-python3.11",
                                                           "airflow:3.1.0-python3.12")
    assert any("must be apache/airflow" in p for p in dockerfile_problems(compose, stale))


def test_init_check_catches_services_that_do_not_wait(broken: dict[str, Any]) -> None:
    problems = init_problems(broken)
    assert sorted(problems) == sorted(f"{name} does not wait for airflow-init to complete" for name in (
        "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"))


def test_connection_check_catches_what_the_broken_file_missed(broken: dict[str, Any]) -> None:
    problems = connection_problems(broken)
    # No alert ledger, the BKD connections the Variable lists were never defined, and the contacts file
    # was named relative to a working directory, in no mounted folder.
    assert any(p.endswith(f"connection {settings.ALERT_LEDGER_CONN_ID} is not set") for p in problems)
    assert any("BKD connection bkd_bkd01 is listed but not set" in p for p in problems)
    assert any("is in no mounted folder" in p for p in problems)


def test_port_check_catches_a_port_open_to_every_interface(compose: dict[str, Any]) -> None:
    bad = copy.deepcopy(compose)
    bad["services"]["mailpit"]["ports"] = ["8025:8025", {"target": 1025, "published": "1025"}]
    assert port_problems(bad) == ["mailpit: port 8025:8025 is not bound to 127.0.0.1",
                                  "mailpit: port {'target': 1025, 'published': '1025'} is not bound to 127.0.0.1"]


# ---------------------------------------------------------------------- the stack's parts agree


def test_core_services_do_not_wait_for_the_simulated_profile(compose: dict[str, Any]) -> None:
    # `make up COMPOSE_PROFILES=` (real agencies) must still start: no always-on service may depend on a
    # service that only exists in a profile.
    every = services(compose)
    profiled = {name for name, s in every.items() if s.get("profiles")}
    assert {"mailpit", "bkd-db", "bkd-seed", "simulators"} <= profiled
    for name, service in every.items():
        if not service.get("profiles"):
            assert not set(service.get("depends_on") or {}) & profiled, name


def test_bkd_databases_connections_and_seed_agree(compose: dict[str, Any]) -> None:
    sql = (REPO / "deploy" / "bkd-db" / "initdb" / "10-databases.sql").read_text(encoding="utf-8")
    databases = re.findall(r"^CREATE DATABASE (\w+);", sql, re.M)
    seed = " ".join(strings(compose["services"]["bkd-seed"]["command"]))
    bkds = int(re.search(r"--bkds (\d+)", seed)[1])
    from pantau.simulate.gen_registry import make_bkds

    assert databases == [b.code for b in make_bkds(bkds)]
    env = environment(compose["services"]["airflow-worker"])
    listed = json.loads(env_example()[0]["AIRFLOW_VAR_PANTAU_BKD_CONNECTIONS"])
    assert listed == [f"bkd_{code}" for code in databases]
    for code in databases:
        extra = json.loads(interpolate(env[f"AIRFLOW_CONN_BKD_{code.upper()}"], {"BKD_DB_PASSWORD": "x"}))["extra"]
        assert extra["code"] == code and extra["sqlalchemy_url"].endswith(f"@bkd-db:5432/{code}")


def test_simulated_bawaslu_token_matches_the_simulator() -> None:
    from pantau.simulate.cli_serve import DEFAULT_TOKEN

    conn = json.loads(env_example()[0]["AIRFLOW_CONN_BAWASLU_API"])
    assert conn["host"] == "simulators" and conn["password"] == DEFAULT_TOKEN


def test_object_store_connection_uses_pantaus_account_not_root(compose: dict[str, Any]) -> None:
    env = environment(compose["services"]["airflow-worker"])
    conn = env["AIRFLOW_CONN_PANTAU_OBJECT_STORE"]
    assert "PANTAU_S3_ACCESS_KEY" in conn and "MINIO_ROOT" not in json.dumps(env)


def test_service_account_policy_reaches_its_bucket_only() -> None:
    text = (REPO / "deploy" / "minio" / "pantau-service.policy.json").read_text(encoding="utf-8")
    policy = json.loads(text.replace("@BUCKET@", "pantau"))
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert access.evaluate(policy, action, "pantau", "published/current.json")
        assert not access.evaluate(policy, action, "other-bucket", "published/current.json")
    assert access.evaluate(policy, "s3:ListBucket", "pantau", "raw/")
    assert not access.evaluate(policy, "s3:PutBucketPolicy", "pantau", None)
    assert not access.evaluate(policy, "s3:DeleteBucket", "pantau", None)


def test_minio_init_applies_each_office_policy_under_its_release_key() -> None:
    # The script finds policies where publication writes them: published/releases/<r>/access/<slug>.policy.json.
    script = (REPO / "deploy" / "minio" / "init.sh").read_text(encoding="utf-8")
    publication = (REPO / "include" / "pantau" / "pipeline" / "publication.py").read_text(encoding="utf-8")
    assert 'f"access/{slug}.policy.json"' in publication
    assert "published/releases" in script and "/access/" in script and "mc admin policy create" in script


def test_image_requirements_do_not_contradict_requirements_txt() -> None:
    def pins(path: Path) -> dict[str, str]:
        out = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, sep, version = line.partition("==")
                assert sep and version.strip(), f"{path.name}: {line!r} is not an exact pin"
                out[name.strip().lower().replace("_", "-")] = version.strip()
        return out

    ours, image = pins(REPO / "requirements.txt"), pins(REPO / "deploy" / "requirements-image.txt")
    assert not set(ours) & set(image)
    assert {"apache-airflow-providers-celery", "apache-airflow-providers-fab"} <= set(image)
