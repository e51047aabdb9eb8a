"""The canonical lists agree with the simulator; GX stays out of import time; settings read the env."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pantau.exceptions import ConfigError
from pantau.settings import ValidationSettings
from pantau.simulate import reference
from pantau.validation import domain


def test_categories_match_simulator() -> None:
    assert {c.code: c.label for c in reference.VIOLATION_CATEGORIES} == domain.VIOLATION_CATEGORIES


def test_sanctions_match_simulator() -> None:
    assert {s.code: s.label for s in reference.SANCTIONS} == domain.SANCTIONS


def test_importing_validation_does_not_import_gx() -> None:
    code = "import sys, pantau.validation; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_validation_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_MAX_QUARANTINE_SHARE", "0.05")
    monkeypatch.setenv("PANTAU_VOLUME_MIN_RATIO", "0.8")
    monkeypatch.setenv("PANTAU_VOLUME_MAX_RATIO", "1.5")
    settings = ValidationSettings.from_env()
    assert (settings.max_quarantine_share, settings.volume_min_ratio, settings.volume_max_ratio) == (0.05, 0.8, 1.5)
    assert (settings.expectations_dir / "registry.json").exists()


def test_validation_settings_reject_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_MAX_QUARANTINE_SHARE", "1.5")
    with pytest.raises(ConfigError, match="PANTAU_MAX_QUARANTINE_SHARE"):
        ValidationSettings.from_env()
