"""Conflicts are flagged on the facts at the time they matter, with a detail a steward can act on."""

from __future__ import annotations

import pandas as pd
import pytest

from pantau.matching.world import StagedWorld
from pantau.pipeline import reconcile


@pytest.fixture(scope="module")
def linked_follow_up(consolidated: pd.DataFrame) -> pd.Series:
    rows = consolidated[consolidated["follow_up_link"].eq("reference") & consolidated["conflicts"].isna()]
    return rows.iloc[0]


def _relink(staged: StagedWorld, registry: pd.DataFrame, transfers: pd.DataFrame | None) -> pd.DataFrame:
    return reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, registry, transfers=transfers)


def _row(frame: pd.DataFrame, rec: str) -> pd.Series:
    return frame[frame["nomor_rekomendasi"].eq(rec)].iloc[0]


@pytest.mark.parametrize(("days_before_decree", "flagged"), [(30, True), (0, True), (-1, False)])
def test_follow_up_for_inactive_uses_the_status_at_decree_date(
        staged: StagedWorld, linked_follow_up: pd.Series, days_before_decree: int, flagged: bool) -> None:
    nip, decree = linked_follow_up["nip"], pd.Timestamp(linked_follow_up["tanggal_sk"])
    registry = staged.registry.copy()
    person = registry["nip"].eq(nip)
    registry.loc[person, "status"] = "pensiun"
    # Recorded at 10:00 WIB on that day (03:00 UTC): the same calendar day as the decree counts.
    recorded = (decree - pd.Timedelta(days=days_before_decree)).tz_localize("Asia/Jakarta") + pd.Timedelta(hours=10)
    registry.loc[person, "updated_at"] = recorded.tz_convert(registry["updated_at"].dt.tz)
    row = _row(_relink(staged, registry, staged.transfers), linked_follow_up["nomor_rekomendasi"])
    conflicts = row["conflicts"] if isinstance(row["conflicts"], str) else ""
    assert ("follow_up_for_inactive" in conflicts) is flagged
    if flagged:
        queue = reconcile.review_items(_relink(staged, registry, staged.transfers))
        item = queue[queue["item_id"].eq(f"conflict:follow_up_for_inactive:{row['nomor_rekomendasi']}")].iloc[0]
        assert item["detail"].startswith("registry status pensiun recorded ")
        assert str(row["nomor_sk"]) in item["detail"]


def test_transfer_seen_in_two_registries_is_flagged_with_both_offices(
        staged: StagedWorld, linked_follow_up: pd.Series) -> None:
    moved = pd.DataFrame({"nip": [linked_follow_up["nip"]], "from_bkd": ["bkd_a"], "to_bkd": ["bkd_b"],
                          "moved_seen_at": [pd.Timestamp("2024-01-01", tz="UTC")]})
    frame = _relink(staged, staged.registry, moved)
    row = _row(frame, linked_follow_up["nomor_rekomendasi"])
    assert "transferred_between_bkds" in row["conflicts"]
    assert row["registry_transfer"] == "bkd_a -> bkd_b"
    queue = reconcile.review_items(frame)
    item = queue[queue["item_id"].eq(f"conflict:transferred_between_bkds:{row['nomor_rekomendasi']}")].iloc[0]
    assert item["detail"] == "moved bkd_a -> bkd_b"
    # Without the transfer table the same row has no such conflict.
    assert pd.isna(_row(_relink(staged, staged.registry, None), linked_follow_up["nomor_rekomendasi"])["conflicts"])


def test_sanction_lighter_than_recommended_names_both(consolidated: pd.DataFrame) -> None:
    rows = consolidated[consolidated["conflicts"].fillna("").str.contains("sanction_lighter")]
    assert len(rows), "the default world's noise includes lighter sanctions"
    queue = reconcile.review_items(consolidated).set_index("item_id")
    row = rows.iloc[0]
    assert queue.loc[f"conflict:sanction_lighter:{row['nomor_rekomendasi']}", "detail"] == (
        f"recommended {row['rekomendasi_sanksi']}, decreed {row['jenis_sanksi']}")
