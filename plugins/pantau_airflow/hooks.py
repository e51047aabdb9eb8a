"""Hooks following the provider contract: ``<System>Hook``, a default connection id, lazy ``get_conn``.

Each hook only translates an Airflow Connection into a client from the ``pantau`` library, so the
pipeline code cannot tell a real agency from the simulator, and secrets stay in Connections.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from pantau import settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from pantau.sources.bawaslu import BawasluClient
    from pantau.sources.bkd import BkdSource
    from pantau.sources.recommendations import RecommendationsClient
    from pantau.storage import ObjectStore


def _extra(conn: Any) -> dict[str, Any]:
    extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else json.loads(conn.extra or "{}")
    return dict(extra or {})


def _base_url(conn: Any) -> str:
    host = conn.host or ""
    if "://" not in host:
        scheme = conn.schema or "http"
        host = f"{scheme}://{host}"
    if conn.port:
        host = f"{host}:{conn.port}"
    return host.rstrip("/")


class _PantauHook(BaseHook):
    conn_name_attr = "conn_id"
    default_conn_name = ""

    def __init__(self, conn_id: str | None = None) -> None:
        super().__init__()
        self.conn_id = conn_id or self.default_conn_name
        self._client: Any = None

    def close(self) -> None:
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()
        self._client = None

    def __enter__(self) -> Any:
        return self.get_conn()

    def __exit__(self, *exc: object) -> None:
        self.close()


class BawasluHook(_PantauHook):
    """Bawaslu case API. Connection: host = base URL, password = bearer token."""

    default_conn_name = settings.BAWASLU_CONN_ID
    conn_type = "http"
    hook_name = "Bawaslu case API"

    def get_conn(self) -> BawasluClient:
        if self._client is None:
            from pantau.sources.bawaslu import BawasluClient

            conn = self.get_connection(self.conn_id)
            ingest = settings.IngestSettings.from_env()
            self._client = BawasluClient(
                _base_url(conn), conn.password or "", timeout_s=ingest.http_timeout_s, retries=ingest.http_retries
            )
        return self._client


class RecommendationsFeedHook(_PantauHook):
    """KASN/BKN recommendation exports. Connection: host = base URL, optional password = token."""

    default_conn_name = settings.RECOMMENDATIONS_CONN_ID
    conn_type = "http"
    hook_name = "Recommendation exports (KASN/BKN)"

    def get_conn(self) -> RecommendationsClient:
        if self._client is None:
            from pantau.sources.recommendations import RecommendationsClient

            conn = self.get_connection(self.conn_id)
            ingest = settings.IngestSettings.from_env()
            self._client = RecommendationsClient(
                _base_url(conn), token=conn.password or None, retries=ingest.http_retries
            )
        return self._client


class BkdHook(_PantauHook):
    """A BKD personnel database. Connection extra: ``sqlalchemy_url`` (or a URI built from host,
    login, password, schema), ``code``, ``pegawai_table``, ``tindak_lanjut_table``, ``timezone`` (of the database's naive
    timestamps; default Asia/Jakarta)."""

    default_conn_name = "bkd_default"
    conn_type = "generic"
    hook_name = "BKD personnel database"

    def source(self) -> BkdSource:
        from pantau.sources.bkd import BkdSource

        conn = self.get_connection(self.conn_id)
        extra = _extra(conn)
        url = extra.get("sqlalchemy_url") or conn.get_uri()
        return BkdSource(
            code=str(extra.get("code") or self.conn_id.removeprefix("bkd_")),
            url=url,
            pegawai_table=extra.get("pegawai_table", "pegawai"),
            tindak_lanjut_table=extra.get("tindak_lanjut_table", "tindak_lanjut"),
            timezone=extra.get("timezone", "Asia/Jakarta"),
        )

    def get_conn(self) -> sa.Engine:
        if self._client is None:
            import sqlalchemy as sa

            self._client = sa.create_engine(self.source().url)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.dispose()
        self._client = None


class ObjectStoreHook(_PantauHook):
    """The S3-protocol object store. Connection: host, port, login = access key, password = secret
    key; extra ``secure`` (bool) and ``bucket``."""

    default_conn_name = settings.OBJECT_STORE_CONN_ID
    conn_type = "generic"
    hook_name = "Pantau object store (S3/MinIO)"

    def get_conn(self) -> ObjectStore:
        if self._client is None:
            from pantau.storage import ObjectStore

            conn = self.get_connection(self.conn_id)
            extra = _extra(conn)
            endpoint = f"{conn.host}:{conn.port}" if conn.port else str(conn.host)
            bucket = extra.get("bucket") or settings.Settings.from_env().bucket
            secure = str(extra.get("secure", "false")).lower() in ("1", "true", "yes")
            self._client = ObjectStore.connect(endpoint, conn.login or "", conn.password or "", bucket, secure=secure)
        return self._client

    def close(self) -> None:
        self._client = None


class MailHook(_PantauHook):
    """SMTP server for alerts (connection ``smtp_default``): host, port, login, password; extra
    ``from_email``, ``starttls`` (bool), ``timeout``."""

    default_conn_name = settings.SMTP_CONN_ID
    conn_type = "smtp"
    hook_name = "Pantau alert mail (SMTP)"

    def get_conn(self) -> Any:
        if self._client is None:
            from pantau.alerts.mailer import SmtpSettings

            conn = self.get_connection(self.conn_id)
            extra = _extra(conn)
            self._client = SmtpSettings(
                host=conn.host or "127.0.0.1",
                port=int(conn.port or 25),
                login=conn.login or None,
                password=conn.password or None,
                from_email=extra.get("from_email", "pantau@localhost"),
                starttls=str(extra.get("starttls", "false")).lower() in ("1", "true", "yes"),
                timeout_s=float(extra.get("timeout", 30)),
            )
        return self._client

    def close(self) -> None:
        self._client = None


class AlertLedgerHook(_PantauHook):
    """The alert ledger's database (pantau.alerts.ledger), connection ``pantau_alert_ledger``, optional.

    Extra ``sqlalchemy_url`` wins; else a ``postgres`` connection's host, port, login, password and
    schema (the database) make a ``postgresql+psycopg2`` URL, and a ``sqlite`` connection's host is the
    file. Without the connection, ``PANTAU_ALERT_LEDGER_URL`` or the SQLite file under ``PANTAU_HOME``
    (:func:`pantau.settings.alert_ledger_url`). The URL is a SQLAlchemy ``URL`` object, whose ``str`` hides
    the password, so it never reaches a log.
    """

    default_conn_name = settings.ALERT_LEDGER_CONN_ID
    conn_type = "postgres"
    hook_name = "Pantau alert ledger (SQL)"

    def ledger_url(self) -> sa.URL:
        import sqlalchemy as sa

        try:
            conn = self.get_connection(self.conn_id)
        except Exception:  # not defined: the SDK's not-found type moved between releases (as in profile.py)
            return sa.make_url(settings.alert_ledger_url())
        extra = _extra(conn)
        if extra.get("sqlalchemy_url"):
            return sa.make_url(str(extra["sqlalchemy_url"]))
        kind = (conn.conn_type or "").lower()
        if kind == "sqlite":
            return sa.URL.create("sqlite", database=conn.host or conn.schema or None)
        driver = "postgresql+psycopg2" if kind in ("postgres", "postgresql", "") else kind
        return sa.URL.create(driver, username=conn.login or None, password=conn.password or None,
                             host=conn.host or None, port=int(conn.port) if conn.port else None,
                             database=conn.schema or None)

    def get_conn(self) -> sa.URL:
        if self._client is None:
            self._client = self.ledger_url()
        return self._client

    def close(self) -> None:
        self._client = None
