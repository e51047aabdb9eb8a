"""``pantau profile`` on the deployment's own Airflow Connections.

The profile reads the sources through the same hooks the DAGs use, so a connection that works here
works in the DAGs. It stages into a scratch S3 server on 127.0.0.1 that lives only as long as the
command: the deployment's object store is never written, nothing is published, nothing is e-mailed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from typing import Any

from pantau import settings
from pantau.pipeline.profile import ProfileSources
from pantau.storage import ObjectStore

SCRATCH_BUCKET = "pantau-profile"


def _connection_exists(conn_id: str) -> bool:
    from airflow.sdk import BaseHook

    try:
        BaseHook.get_connection(conn_id)
    except Exception:  # the SDK raises its own not-found type, which moved between releases
        return False
    return True


def bkd_connection_ids(explicit: list[str] | None) -> list[str]:
    """The BKD connections to read: given on the command line, else the DAG's Variable."""
    if explicit:
        return explicit
    from airflow.sdk import Variable

    return list(json.loads(Variable.get(settings.BKD_CONNECTIONS_VARIABLE, default="[]")))


@contextmanager
def sources_from_connections(only: set[str], bkd_ids: list[str], contacts: str | None
                             ) -> Iterator[tuple[ProfileSources, list[str]]]:
    """Open the clients for the requested sources; yields them and the sources that have no connection."""
    from pantau_airflow.hooks import BawasluHook, BkdHook, RecommendationsFeedHook

    skipped: list[str] = []
    with ExitStack() as stack:
        sources = ProfileSources(contacts=contacts)
        if "bawaslu" in only:
            if _connection_exists(settings.BAWASLU_CONN_ID):
                sources.bawaslu = stack.enter_context(BawasluHook())
            else:
                skipped.append(f"bawaslu (no connection {settings.BAWASLU_CONN_ID!r})")
        if "recommendations" in only:
            if _connection_exists(settings.RECOMMENDATIONS_CONN_ID):
                sources.recommendations = stack.enter_context(RecommendationsFeedHook())
            else:
                skipped.append(f"recommendations (no connection {settings.RECOMMENDATIONS_CONN_ID!r})")
        if "bkd" in only:
            for conn_id in bkd_ids:
                if not _connection_exists(conn_id):
                    skipped.append(f"bkd (no connection {conn_id!r})")
                    continue
                hook = BkdHook(conn_id)
                source = hook.source()
                sources.bkds.append((stack.enter_context(hook), source))
            if not bkd_ids:
                skipped.append(f"bkd (the Variable {settings.BKD_CONNECTIONS_VARIABLE} lists no connection)")
        yield sources, skipped


@contextmanager
def scratch_store() -> Iterator[ObjectStore]:
    """A throw-away S3 server (moto, in this process) bound to loopback only."""
    import logging

    from moto.server import ThreadedMotoServer

    # One access-log line per S3 request would bury the report.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield ObjectStore.connect(f"{host}:{port}", "profile", "profile-secret", SCRATCH_BUCKET)
    finally:
        server.stop()


def as_of(override: str | None) -> date:
    value = override or os.environ.get("PANTAU_AS_OF")
    return date.fromisoformat(value) if value else date.today()


def profile(only: set[str], bkd_ids: list[str] | None, contacts: str | None, as_of_text: str | None) -> dict[str, Any]:
    """Profile the sources behind the deployment's connections; returns the report."""
    from pantau.pipeline.profile import run_profile

    ingest = settings.IngestSettings.from_env()
    with sources_from_connections(only, bkd_connection_ids(bkd_ids) if "bkd" in only else [],
                                  contacts) as (sources, skipped), scratch_store() as store:
        report = run_profile(sources, store, "profile", as_of(as_of_text), per_page=ingest.bawaslu_per_page,
                             chunk_rows=ingest.bkd_chunk_rows)
    report["skipped_sources"] = skipped
    return report
