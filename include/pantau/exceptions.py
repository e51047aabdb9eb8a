"""Error types raised by the Pantau library.

Record-level problems are never exceptions: they become quarantine rows carrying a reason code
from :mod:`pantau.reasons`. These exceptions are for conditions that stop a task.
"""

from __future__ import annotations


class PantauError(Exception):
    """Base class for every error raised on purpose by Pantau."""


class ConfigError(PantauError):
    """A setting, policy file or Airflow Connection is missing or malformed."""


class SourceError(PantauError):
    """A source answered something unusable after the retries were spent."""


class ValidationFailed(PantauError):
    """A dataset as a whole failed its checks, so it must not be published."""


class ReconciliationError(PantauError):
    """Records in did not equal records published plus records quarantined."""
