"""Dataset validation with Great Expectations (suites in ``expectations/``).

Importing this package does not import Great Expectations; only :func:`validate_frame` does.
"""

from __future__ import annotations

from pantau.validation.suites import DATASETS
from pantau.validation.validate import ValidationOutcome, validate_frame

__all__ = ["DATASETS", "ValidationOutcome", "validate_frame"]
