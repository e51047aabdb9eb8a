"""The review queue and the stewards' decisions, which are applied on every run.

Uncertain person matches, ambiguous case links and conflicts become *items* with a stable
``item_id`` (the same record produces the same id on every run). Stewards answer in a decisions
file or table with these columns (:data:`DECISION_COLUMNS`)::

    item_id,decision,value,decided_by,decided_at,note
    person:case:012/Reg/LP/PB/Kab/13.06/XI/2023,accept,197005121995031002,rina@bkn,2025-03-02,
    person:rec:B-17/KASN/03/2024,override,198004112005011009,rina@bkn,2025-03-02,checked SK
    person:rec:B-18/KASN/03/2024,reject,198004112005011009,rina@bkn,2025-03-02,namesake
    case_link:B-20/KASN/03/2024,override,013/Reg/TM/PL/Kota/13.71/I/2024,adi@bawaslu,2025-03-03,
    conflict:sanction_lighter:B-5/KASN/03/2020,accept,,adi@bkn,2025-03-03,PPK explained

* ``accept``: confirm ``value`` (the candidate shown; empty = the first candidate).
* ``override``: link to ``value`` whatever the matcher says.
* ``reject``: never link this record to ``value`` (empty = to nothing: leave it unmatched).
* For a conflict, ``accept`` acknowledges it: it stays in the data, it leaves the open queue.

Decisions are only ever read here; the pipeline never writes the decisions file, so a run cannot
lose one. When the matcher's automatic answer disagrees with a decision the decision wins, and the
row says so (``decision_applied``). The latest decision per item wins (by ``decided_at``).

A decision is a steward's word, not proof (docs/DECISIONS.md, "Hostile input"): an ``accept`` or
``override`` naming a NIP that no loaded registry holds is refused (:func:`check_decisions`); the
record is then not linked, goes back to ``review`` with the refusal in its explanation, and the item
reopens in the queue. Decisions naming no known record are kept in the file but listed, with the
refusals, by :func:`decisions_report` for the run summary.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["DECISION_COLUMNS", "QUEUE_COLUMNS", "apply_person_decisions", "check_decisions", "decisions_report",
           "load_decisions", "review_queue"]

DECISION_COLUMNS = ["item_id", "decision", "value", "decided_by", "decided_at", "note"]
QUEUE_COLUMNS = ["item_id", "kind", "record", "reason", "candidates", "detail", "status", "decision", "value",
                 "decided_by", "decided_at"]
DECISIONS = ("accept", "reject", "override")


def load_decisions(source: str | Path | pd.DataFrame | None) -> pd.DataFrame:
    """Decisions from a CSV path or a frame (a table read by the caller); latest per item."""
    if source is None:
        return pd.DataFrame(columns=DECISION_COLUMNS)
    frame = source if isinstance(source, pd.DataFrame) else pd.read_csv(source, dtype=str, keep_default_na=False)
    missing = [c for c in ("item_id", "decision") if c not in frame.columns]
    if missing:
        raise ValueError(f"decisions need the columns {DECISION_COLUMNS}; missing {missing}")
    # ``problem`` is check_decisions' verdict, kept when a checked frame is loaded again.
    frame = frame.reindex(columns=DECISION_COLUMNS + (["problem"] if "problem" in frame else [])).astype(object)
    frame["decision"] = frame["decision"].astype(str).str.strip().str.lower()
    bad = ~frame["decision"].isin(DECISIONS)
    if bad.any():
        raise ValueError(f"unknown decision(s) {sorted(frame.loc[bad, 'decision'].unique())}; use {DECISIONS}")
    frame["value"] = frame["value"].where(frame["value"].notna() & (frame["value"].astype(str).str.strip() != ""))
    frame = frame.sort_values("decided_at", kind="stable", na_position="first")
    return frame.drop_duplicates("item_id", keep="last").reset_index(drop=True)


#: Shown with the ids in reports: enough to find them in the file, never a whole file in a summary.
MAX_IDS_REPORTED = 50


def check_decisions(decisions: pd.DataFrame, registry_nips: Collection[str]) -> pd.DataFrame:
    """``decisions`` with a ``problem`` column: why a person decision cannot be applied, else None.

    An ``accept`` or ``override`` of a person item that names a NIP must name one a loaded registry
    holds: a typo (or a made-up ``999999999999999999``) would otherwise be published as a certain
    link. ``registry_nips`` is anything supporting ``in`` (a set, a pandas Index).
    """
    out = decisions.copy()
    out["problem"] = None
    if out.empty:
        return out
    person = out["item_id"].astype(str).str.startswith("person:")
    named = person & out["decision"].isin(["accept", "override"]) & out["value"].notna()
    values = out.loc[named, "value"].astype(str).str.strip()
    known = pd.Series([v in registry_nips for v in values], index=values.index, dtype=bool)
    bad = known.index[~known]
    out.loc[bad, "problem"] = ("NIP " + values[bad] + " is in no loaded BKD registry; not linked").to_numpy()
    return out


def decisions_report(decisions: pd.DataFrame, known_records: Collection[str]) -> dict[str, Any]:
    """What the run summary says about the stewards' decisions: how many there are, which name no known
    record (``unknown_items``), which were refused (``refused``), each with up to
    :data:`MAX_IDS_REPORTED` ids. ``known_records`` holds every case register number, recommendation
    number and follow-up key of the run; an item id's record is its last ``:``-separated part after the
    kind (``person:case:<register>``, ``case_link:<recommendation>``, ``conflict:<reason>:<record>``)."""
    if decisions.empty:
        return {"decisions": 0, "unknown_items": 0, "unknown_item_ids": [], "refused": 0, "refused_items": []}
    ids = decisions["item_id"].astype(str)
    record = ids.map(_record_of)
    unknown = ids[~record.map(lambda r: r is not None and r in known_records)]
    problems = decisions["problem"] if "problem" in decisions else pd.Series(None, index=decisions.index)
    refused = decisions[problems.notna()]
    return {
        "decisions": len(decisions),
        "unknown_items": len(unknown),
        "unknown_item_ids": sorted(unknown)[:MAX_IDS_REPORTED],
        "refused": len(refused),
        "refused_items": [{"item_id": str(i), "decision": str(d), "problem": str(p)} for i, d, p in
                          zip(refused["item_id"], refused["decision"], refused["problem"], strict=True)
                          ][:MAX_IDS_REPORTED],
    }


def _record_of(item_id: str) -> str | None:
    kind, _, rest = item_id.partition(":")
    if kind == "person":
        side, _, record = rest.partition(":")
        return record if side in ("case", "rec") and record else None
    if kind == "case_link":
        return rest or None
    if kind == "conflict":
        return rest.partition(":")[2] or None
    return None


def apply_person_decisions(result: pd.DataFrame, item_ids: pd.Series, decisions: pd.DataFrame) -> pd.DataFrame:
    """Apply person decisions to a :func:`match_persons` result (same index as ``item_ids``)."""
    if decisions.empty:
        return result.assign(decision_applied=None)
    out = result.copy()
    out["decision_applied"] = None
    merged = pd.DataFrame({"item_id": item_ids}).merge(decisions, on="item_id", how="left")
    merged.index = item_ids.index
    refused = merged["problem"].notna() if "problem" in merged else pd.Series(False, index=merged.index)
    for kind in DECISIONS:
        rows = merged.index[(merged["decision"] == kind) & ~refused]
        if not len(rows):
            continue
        value = merged.loc[rows, "value"]
        first = out.loc[rows, "review_candidates"].fillna("").str.split(";").str[0].replace("", None)
        if kind == "reject":
            # Reject only undoes a link to the rejected person; a different later answer stands.
            hit = value.isna() | (out.loc[rows, "person_nip"] == value)
            rows = rows[hit.to_numpy()]
            out.loc[rows, ["person_nip", "review_candidates"]] = None
            out.loc[rows, "person_match"] = "steward_reject"
            out.loc[rows, "match_confidence"] = 0.0
        else:
            target = value.fillna(first) if kind == "accept" else value
            out.loc[rows, "person_nip"] = target
            out.loc[rows, "person_match"] = f"steward_{kind}"
            out.loc[rows, "match_confidence"] = 1.0
        out.loc[rows, "decision_applied"] = kind
        out.loc[rows, "match_explanation"] = (out.loc[rows, "match_explanation"].fillna("") +
                                              f" | steward decision: {kind}")
    rows = merged.index[refused]
    if len(rows):
        # Not linked, not certain: back to review, where the item reopens for the steward.
        out.loc[rows, "person_nip"] = None
        out.loc[rows, "person_match"] = "review"
        out.loc[rows, "match_confidence"] = 0.0
        out.loc[rows, "decision_applied"] = "refused"
        out.loc[rows, "match_explanation"] = (out.loc[rows, "match_explanation"].fillna("") + " | steward "
                                              + merged.loc[rows, "decision"] + " refused: "
                                              + merged.loc[rows, "problem"])
    return out


def review_queue(items: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Items (item_id, kind, record, reason, candidates, detail) joined with their decisions.

    Decided items stay in the output with ``status = decided`` so stewards can audit them; an
    item whose record disappeared from the sources is kept by the decisions file, not here.
    """
    frame = items.drop_duplicates("item_id").merge(decisions, on="item_id", how="left")
    applied = frame["decision"].notna()
    if "problem" in frame:  # a refused decision leaves the item open, and says why
        applied &= frame["problem"].isna()
        frame["detail"] = frame["detail"].where(frame["problem"].isna(),
                                                "decision refused: " + frame["problem"].astype(str))
    frame["status"] = applied.map({True: "decided", False: "open"})
    return frame.reindex(columns=QUEUE_COLUMNS).sort_values(["status", "kind", "item_id"]).reset_index(drop=True)
