"""The benchmark's Splink peer runs on the same queries and blocks as our fuzzy stage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pantau.matching.peer import run_peer
from pantau.matching.world import StagedWorld


def test_peer_runs_splink_on_our_fuzzy_queries(world_dir: Path, staged: StagedWorld,
                                               consolidated: pd.DataFrame) -> None:
    report = run_peer(world_dir, staged, consolidated)
    assert report["fuzzy_queries"] > 20
    # Our fuzzy stage rerun alone gives the same answers the whole pipeline gave those records.
    assert report["ours_fuzzy"] == report["ours_in_pipeline"]
    assert report["splink"]["linked"] > 0 and report["splink"]["precision"] > 0.9
    assert set(report["splink_by_threshold"]) == {"0.05", "0.1", "0.2", "0.3", "0.5", "0.7", "0.9"}
    assert report["splink_wall_s"] > 0 and report["ours_fuzzy_wall_s"] > 0
    assert report["speed_ratio_splink_over_ours"] > 0
