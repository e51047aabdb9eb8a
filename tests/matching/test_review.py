"""Stewards' decisions are applied on every run and never silently overridden."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pantau.matching.world import StagedWorld
from pantau.pipeline import reconcile


def test_decisions_are_applied_and_kept(consolidated: pd.DataFrame, staged: StagedWorld, tmp_path: Path) -> None:
    queue = reconcile.build_review_queue(consolidated)
    assert (queue["status"] == "open").all()
    cases = consolidated[consolidated["case_person_match"].eq("exact_nip")].drop_duplicates("nomor_register")
    overridden, rejected = cases.iloc[0], cases.iloc[1]
    other_person = staged.registry["nip"].iloc[7]
    conflict = queue[queue["kind"] == "conflict"].iloc[0]
    decisions = pd.DataFrame([
        {"item_id": f"person:case:{overridden['nomor_register']}", "decision": "override", "value": other_person,
         "decided_by": "steward", "decided_at": "2025-03-02", "note": "SK checked"},
        {"item_id": f"person:case:{rejected['nomor_register']}", "decision": "reject",
         "value": rejected["case_person_nip"], "decided_by": "steward", "decided_at": "2025-03-02", "note": ""},
        {"item_id": conflict["item_id"], "decision": "accept", "value": "", "decided_by": "steward",
         "decided_at": "2025-03-02", "note": "known"},
    ])
    path = tmp_path / "decisions.csv"
    decisions.to_csv(path, index=False)
    for _ in range(2):  # every later run reads the same file and gives the same answer
        again = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry, str(path),
                                     staged.transfers)
        rows = again.drop_duplicates("nomor_register").set_index("nomor_register")
        assert rows.loc[overridden["nomor_register"], "case_person_nip"] == other_person
        assert rows.loc[overridden["nomor_register"], "case_person_match"] == "steward_override"
        assert pd.isna(rows.loc[rejected["nomor_register"], "case_person_nip"])
        assert rows.loc[rejected["nomor_register"], "case_person_match"] == "steward_reject"
        queue2 = reconcile.build_review_queue(again, str(path)).set_index("item_id")
        assert queue2.loc[f"person:case:{overridden['nomor_register']}", "status"] == "decided"
        assert queue2.loc[conflict["item_id"], "status"] == "decided"
