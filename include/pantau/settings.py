"""Every Pantau setting, read in one place, each with a documented default.

Settings are read from the environment when asked for (never at import time), so DAG files can
import this module without side effects. Secrets are not settings: they come from Airflow
Connections (see README, "Pointing Pantau at real sources").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pantau.exceptions import ConfigError

#: Connection ids, following the provider convention ``<system>_default`` where one exists.
BAWASLU_CONN_ID = "bawaslu_api"
RECOMMENDATIONS_CONN_ID = "recommendations_feed"
OBJECT_STORE_CONN_ID = "pantau_object_store"
SMTP_CONN_ID = "smtp_default"
#: Airflow Variable holding the JSON list of BKD connection ids (one mapped task each).
BKD_CONNECTIONS_VARIABLE = "pantau_bkd_connections"
#: Airflow Variable holding the path or object key of the alert-contacts directory (docs/DOMAIN.md §4.4).
CONTACTS_VARIABLE = "pantau_contacts"
#: Airflow Variable naming the data engineers told about failed tasks and unhealthy sources; when unset,
#: the setting ``PANTAU_OPS_EMAIL`` is used (see :class:`HealthSettings`).
OPS_EMAIL_VARIABLE = "pantau_ops_email"
#: Optional Airflow connection holding the alert ledger's database (wins over ``PANTAU_ALERT_LEDGER_URL``).
ALERT_LEDGER_CONN_ID = "pantau_alert_ledger"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def pantau_home() -> Path:
    """Folder for all local state (``PANTAU_HOME``, default ``.pantau`` in the working directory)."""
    return Path(os.environ.get("PANTAU_HOME") or Path.cwd() / ".pantau").resolve()


def alert_ledger_url() -> str:
    """Where the alert ledger lives (pantau.alerts.ledger): ``PANTAU_ALERT_LEDGER_URL``, a SQLAlchemy URL,
    else the SQLite file ``<PANTAU_HOME>/state/alert-ledger.sqlite``. In Airflow the connection
    :data:`ALERT_LEDGER_CONN_ID` wins when it exists. With more than one worker it must be one shared
    PostgreSQL database: a SQLite file on one worker's disk is not seen by the others, which would send
    every alert again."""
    raw = (os.environ.get("PANTAU_ALERT_LEDGER_URL") or "").strip()
    if raw:
        return raw
    return f"sqlite:///{pantau_home() / 'state' / 'alert-ledger.sqlite'}"


def reference_dir() -> Path | None:
    """Folder of reference-data overrides (``PANTAU_REFERENCE_DIR``), ``None`` when unset.

    Files placed there (``regions.csv``, ``agency_types.csv``, vocabulary files) add to or replace the
    rows shipped in ``include/pantau/reference/data`` (see its README). A folder that is named but
    missing is a configuration error rather than a silent fallback to the shipped tables.
    """
    raw = os.environ.get("PANTAU_REFERENCE_DIR")
    if not raw:
        return None
    folder = Path(raw).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"PANTAU_REFERENCE_DIR names {folder}, which is not a folder")
    return folder


@dataclass(frozen=True)
class FollowUpPolicy:
    """When a recommendation's follow-up is due, when it escalates, and how often reminders repeat.

    Deadlines are policy, not physics (docs/DOMAIN.md §2.4): the defaults are the usual practice of
    14 working days for the PPK to act and a further 14 working days before BKN/Kemendagri are told.
    Every count is in the same unit: working days (Asia/Jakarta calendar, national holidays and cuti
    bersama excluded) unless ``PANTAU_DEADLINE_CALENDAR=calendar``. :mod:`pantau.followup` applies it.

    - ``follow_up_days`` (``PANTAU_FOLLOW_UP_DAYS``, 14): days after the recommendation date the PPK has.
    - ``escalation_days`` (``PANTAU_ESCALATION_DAYS``, 14): further days after the due date before
      BKN/Kemendagri are told.
    - ``reminder_days_before`` (``PANTAU_REMINDER_DAYS_BEFORE``, 3): the reminder window opens this many
      days before the due date.
    - ``reminder_every_days`` (``PANTAU_REMINDER_EVERY_DAYS``, 5): a recommendation still in the same
      step is reminded again once this many days have passed since the last reminder of that step.
    - ``working_days`` (``PANTAU_DEADLINE_CALENDAR``: ``working`` or ``calendar``).
    """

    follow_up_days: int = 14
    escalation_days: int = 14
    reminder_days_before: int = 3
    reminder_every_days: int = 5
    working_days: bool = True

    def __post_init__(self) -> None:
        for name, minimum in (("follow_up_days", 1), ("escalation_days", 0), ("reminder_days_before", 0),
                              ("reminder_every_days", 1)):
            if getattr(self, name) < minimum:
                raise ConfigError(f"PANTAU_{name.upper()} must be at least {minimum}, got {getattr(self, name)}")

    @classmethod
    def from_env(cls) -> FollowUpPolicy:
        unit = os.environ.get("PANTAU_DEADLINE_CALENDAR", "working").strip().lower() or "working"
        if unit not in ("working", "calendar"):
            raise ConfigError(f"PANTAU_DEADLINE_CALENDAR must be 'working' or 'calendar', got {unit!r}")
        return cls(
            follow_up_days=_env_int("PANTAU_FOLLOW_UP_DAYS", cls.follow_up_days),
            escalation_days=_env_int("PANTAU_ESCALATION_DAYS", cls.escalation_days),
            reminder_days_before=_env_int("PANTAU_REMINDER_DAYS_BEFORE", cls.reminder_days_before),
            reminder_every_days=_env_int("PANTAU_REMINDER_EVERY_DAYS", cls.reminder_every_days),
            working_days=unit == "working",
        )


@dataclass(frozen=True)
class DisclosureSettings:
    """Statistical disclosure control of the public statistics (docs/DOMAIN.md §5).

    ``k`` (``PANTAU_DISCLOSURE_K``, 3): a public cell describing fewer than ``k`` persons is suppressed,
    with further cells hidden so it cannot be recovered by subtraction. Three is the usual minimum
    frequency rule of statistical offices; a site may raise it. ``k = 1`` suppresses nothing (every cell
    describes someone); a value below 1 is no threshold and is refused.
    """

    k: int = 3

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ConfigError(f"PANTAU_DISCLOSURE_K must be at least 1 (the fewest persons a public cell may "
                              f"describe), got {self.k}")

    @classmethod
    def from_env(cls) -> DisclosureSettings:
        return cls(k=_env_int("PANTAU_DISCLOSURE_K", cls.k))


@dataclass(frozen=True)
class IngestSettings:
    """Knobs for pulling the sources."""

    bawaslu_per_page: int = 500
    http_timeout_s: float = 10.0
    http_retries: int = 6
    bkd_chunk_rows: int = 200_000
    #: A record's updated_at may lie this far past the run's start (a source clock running fast) before
    #: it is quarantined as ``future_timestamp`` (docs/DECISIONS.md, "Watermarks and duplicates").
    future_tolerance_s: float = 300.0

    @classmethod
    def from_env(cls) -> IngestSettings:
        return cls(
            bawaslu_per_page=_env_int("PANTAU_BAWASLU_PER_PAGE", cls.bawaslu_per_page),
            http_timeout_s=_env_float("PANTAU_HTTP_TIMEOUT_S", cls.http_timeout_s),
            http_retries=_env_int("PANTAU_HTTP_RETRIES", cls.http_retries),
            bkd_chunk_rows=_env_int("PANTAU_BKD_CHUNK_ROWS", cls.bkd_chunk_rows),
            future_tolerance_s=_env_float("PANTAU_FUTURE_TOLERANCE_S", cls.future_tolerance_s),
        )


@dataclass(frozen=True)
class SpreadsheetLimits:
    """Bounds on reading one export file (``PANTAU_SPREADSHEET_MAX_*`` settings).

    The defaults are far above any real export (a simulated month holds a few thousand cells, a
    national yearly recap about 100k) and far below what hurts a 2-core worker.
    """

    max_bytes: int = 50_000_000
    #: Uncompressed size of all parts of an xlsx together: a zip bomb is small on the wire.
    max_uncompressed_bytes: int = 500_000_000
    #: Cells read (a row counts at least one), merged cells filled included.
    max_cells: int = 5_000_000
    #: Rows read, blank ones included (each costs memory whatever it holds); Excel's own sheet limit.
    max_rows: int = 1_048_576
    max_merged_ranges: int = 100_000

    @classmethod
    def from_env(cls) -> SpreadsheetLimits:
        return cls(max_bytes=_env_int("PANTAU_SPREADSHEET_MAX_BYTES", cls.max_bytes),
                   max_uncompressed_bytes=_env_int("PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES",
                                                   cls.max_uncompressed_bytes),
                   max_cells=_env_int("PANTAU_SPREADSHEET_MAX_CELLS", cls.max_cells),
                   max_rows=_env_int("PANTAU_SPREADSHEET_MAX_ROWS", cls.max_rows),
                   max_merged_ranges=_env_int("PANTAU_SPREADSHEET_MAX_MERGED_RANGES", cls.max_merged_ranges))


def _repo_expectations_dir() -> Path:
    # include/pantau/settings.py -> repository root; the suites ship beside the library.
    return Path(__file__).resolve().parents[2] / "expectations"


@dataclass(frozen=True)
class ValidationSettings:
    """Thresholds that turn row-level findings into a dataset-level failure (pantau.validation).

    - ``max_quarantine_share`` (``PANTAU_MAX_QUARANTINE_SHARE``, 0.2): above this share of rows
      quarantined the source is judged broken, not a few records, and nothing is published.
    - ``quarantine_min_rows`` (``PANTAU_QUARANTINE_MIN_ROWS``, 20): batches smaller than this are not
      judged by share, because 1 bad record in 3 says nothing about the source.
    - ``volume_min_ratio`` / ``volume_max_ratio`` (``PANTAU_VOLUME_MIN_RATIO`` 0.5,
      ``PANTAU_VOLUME_MAX_RATIO`` 2.0): rows now / rows in the previous run outside this range is a
      volume anomaly (a truncated extract, a duplicated load).
    - ``volume_min_rows`` (``PANTAU_VOLUME_MIN_ROWS``, 100): the volume check applies only when the
      previous run had at least this many rows; small datasets double without anything being wrong.
    - ``expectations_dir`` (``PANTAU_EXPECTATIONS_DIR``, ``expectations/`` in the repository).
    """

    max_quarantine_share: float = 0.2
    quarantine_min_rows: int = 20
    volume_min_ratio: float = 0.5
    volume_max_ratio: float = 2.0
    volume_min_rows: int = 100
    expectations_dir: Path = field(default_factory=_repo_expectations_dir)

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_quarantine_share <= 1.0:
            raise ConfigError(f"PANTAU_MAX_QUARANTINE_SHARE must be within 0..1, got {self.max_quarantine_share}")
        if not 0.0 <= self.volume_min_ratio <= 1.0 <= self.volume_max_ratio:
            raise ConfigError("PANTAU_VOLUME_MIN_RATIO must be within 0..1 and PANTAU_VOLUME_MAX_RATIO at least 1, "
                              f"got {self.volume_min_ratio} and {self.volume_max_ratio}")

    @classmethod
    def from_env(cls) -> ValidationSettings:
        folder = os.environ.get("PANTAU_EXPECTATIONS_DIR")
        return cls(
            max_quarantine_share=_env_float("PANTAU_MAX_QUARANTINE_SHARE", cls.max_quarantine_share),
            quarantine_min_rows=_env_int("PANTAU_QUARANTINE_MIN_ROWS", cls.quarantine_min_rows),
            volume_min_ratio=_env_float("PANTAU_VOLUME_MIN_RATIO", cls.volume_min_ratio),
            volume_max_ratio=_env_float("PANTAU_VOLUME_MAX_RATIO", cls.volume_max_ratio),
            volume_min_rows=_env_int("PANTAU_VOLUME_MIN_ROWS", cls.volume_min_rows),
            expectations_dir=Path(folder) if folder else _repo_expectations_dir(),
        )


def _default_writers() -> int:
    return min(os.cpu_count() or 1, 4)


@dataclass(frozen=True)
class ReleaseSettings:
    """How many releases the bucket keeps (docs/DOMAIN.md §5.1; ``PANTAU_RELEASES_KEEP``). The current
    release, the one it names as previous and pinned ones are kept beyond this number.

    ``writers`` (``PANTAU_PUBLISH_WORKERS``, default: the machine's cores, at most 4): processes writing a
    large release's CSV and XLSX files side by side (1: all in the task's own process).
    """

    keep: int = 10
    writers: int = field(default_factory=_default_writers)

    @classmethod
    def from_env(cls) -> ReleaseSettings:
        keep = _env_int("PANTAU_RELEASES_KEEP", cls.keep)
        if keep < 1:
            raise ConfigError(f"PANTAU_RELEASES_KEEP must be at least 1 (the current release is always kept), got {keep}")
        writers = _env_int("PANTAU_PUBLISH_WORKERS", _default_writers())
        if writers < 1:
            raise ConfigError(f"PANTAU_PUBLISH_WORKERS must be at least 1 (1 writes every file in the task itself), "
                              f"got {writers}")
        return cls(keep=keep, writers=writers)


@dataclass(frozen=True)
class BlockingApprovalSettings:
    """How long BKN has to approve or reject a blocking list (``pantau_blocking_approval``, docs/DOMAIN.md §2.3).

    - ``response_days`` (``PANTAU_BLOCKING_APPROVAL_DAYS``, 14): calendar days the approval request waits
      in Airflow (its ``response_timeout`` is wall-clock time, not working days). With no answer by then the
      request fails, nothing is issued, and the next release asks again; there is no default answer.
    """

    response_days: int = 14

    def __post_init__(self) -> None:
        if self.response_days < 1:
            raise ConfigError(f"PANTAU_BLOCKING_APPROVAL_DAYS must be at least 1, got {self.response_days}")

    @classmethod
    def from_env(cls) -> BlockingApprovalSettings:
        return cls(response_days=_env_int("PANTAU_BLOCKING_APPROVAL_DAYS", cls.response_days))


def address_list(raw: str | None) -> tuple[str, ...]:
    """Addresses from a ``,``/``;``/whitespace separated list (``PANTAU_OPS_EMAIL``, the Variable)."""
    return tuple(part for part in re.split(r"[\s,;]+", raw or "") if part)


@dataclass(frozen=True)
class HealthSettings:
    """When a source counts as unhealthy, and who hears about it (pantau.pipeline.health).

    - ``stale_source_days`` (``PANTAU_STALE_SOURCE_DAYS``, 7): a source that has delivered no new record
      for this many days is reported. A week, because Bawaslu's case flow is quiet between elections and a
      BKD may go days without a personnel change; the daily feeds are late after a long weekend.
    - ``quarantine_jump`` (``PANTAU_QUARANTINE_JUMP``, 0.1): the newest run's quarantined share rising this
      much (absolute: 0.1 = ten percentage points) above the share of the runs before it is reported.
    - ``quarantine_min_rows`` (``PANTAU_QUARANTINE_MIN_ROWS``, 20, shared with validation): runs with fewer
      records are not judged by share.
    - ``ops_email`` (``PANTAU_OPS_EMAIL``): the data engineers' addresses, separated by ``,`` or ``;``
      (the Airflow Variable ``pantau_ops_email`` wins when set).
    - ``mail_from`` (``PANTAU_MAIL_FROM``): the sender of failure and health e-mails; when unset the SMTP
      connection's ``from_email`` extra is read and passed explicitly (the provider's notifier does not
      fill it in from the connection reliably).
    """

    stale_source_days: int = 7
    quarantine_jump: float = 0.1
    quarantine_min_rows: int = 20
    ops_email: tuple[str, ...] = ()
    mail_from: str | None = None

    def __post_init__(self) -> None:
        if self.stale_source_days < 1:
            raise ConfigError(f"PANTAU_STALE_SOURCE_DAYS must be at least 1, got {self.stale_source_days}")
        if not 0.0 < self.quarantine_jump <= 1.0:
            raise ConfigError(f"PANTAU_QUARANTINE_JUMP must be within 0..1 (a share, 0.1 = ten percentage "
                              f"points), got {self.quarantine_jump}")

    @classmethod
    def from_env(cls) -> HealthSettings:
        return cls(
            stale_source_days=_env_int("PANTAU_STALE_SOURCE_DAYS", cls.stale_source_days),
            quarantine_jump=_env_float("PANTAU_QUARANTINE_JUMP", cls.quarantine_jump),
            quarantine_min_rows=_env_int("PANTAU_QUARANTINE_MIN_ROWS", cls.quarantine_min_rows),
            ops_email=address_list(os.environ.get("PANTAU_OPS_EMAIL")),
            mail_from=os.environ.get("PANTAU_MAIL_FROM") or None,
        )


@dataclass(frozen=True)
class SenderSettings:
    """Who the alert digests say they come from (pantau.alerts.digest): officials act on a message whose
    sender they can identify and answer, not on an anonymous robot.

    - ``institution`` (``PANTAU_SENDER_INSTITUTION``): the institution operating Pantau, named in every
      digest's ``From`` display name and signature.
    - ``contact`` (``PANTAU_SENDER_CONTACT``): where officials ask questions or report a wrong item (an
      address, a telephone number or both, as one line).
    """

    institution: str = "Tim Pengelola Pantau"
    contact: str = "hubungi operator Pantau di instansi Anda"

    def __post_init__(self) -> None:
        for name in ("institution", "contact"):
            value = getattr(self, name)
            if not value.strip() or any(c in value for c in "\r\n"):
                raise ConfigError(f"PANTAU_SENDER_{name.upper()} must be one non-empty line, got {value!r}")

    @classmethod
    def from_env(cls) -> SenderSettings:
        return cls(institution=(os.environ.get("PANTAU_SENDER_INSTITUTION") or "").strip() or cls.institution,
                   contact=(os.environ.get("PANTAU_SENDER_CONTACT") or "").strip() or cls.contact)


@dataclass(frozen=True)
class Settings:
    home: Path
    bucket: str = "pantau"
    timezone: str = "Asia/Jakarta"
    policy: FollowUpPolicy = field(default_factory=FollowUpPolicy)
    ingest: IngestSettings = field(default_factory=IngestSettings)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            home=pantau_home(),
            bucket=os.environ.get("PANTAU_BUCKET", "pantau"),
            timezone=os.environ.get("PANTAU_TIMEZONE", "Asia/Jakarta"),
            policy=FollowUpPolicy.from_env(),
            ingest=IngestSettings.from_env(),
        )
