"""The fault matrix's folder on ``sys.path``, so its tests import ``support`` and ``hostile_files``.

pytest runs with ``--import-mode=importlib`` and the tests folders are not packages, so a test module's own
folder is not importable by default; this is the one place that makes it so (as tests/e2e/conftest.py does).
The ``s3`` and ``store`` fixtures come from tests/conftest.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
