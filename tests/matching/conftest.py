"""One small seeded world, staged once and reconciled once for the accuracy tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pantau.matching.world import StagedWorld, load_world
from pantau.pipeline import reconcile
from pantau.simulate.generate import GenerateOptions, generate_world


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, GenerateOptions(seed=11, registry_size=30_000, cases=3_000), False)
    return out


@pytest.fixture(scope="session")
def staged(world_dir: Path) -> StagedWorld:
    return load_world(world_dir, cache=False)


@pytest.fixture(scope="session")
def consolidated(staged: StagedWorld) -> pd.DataFrame:
    return reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                               transfers=staged.transfers)
