"""One person per linked row, from the case's and the recommendation's person matches."""

from __future__ import annotations

import pandas as pd

__all__ = ["reconcile_persons"]


def reconcile_persons(frame: pd.DataFrame) -> pd.DataFrame:
    """The case's match, else the recommendation's; both matched to different persons is a conflict.

    Adds ``nip``, ``person_match``, ``match_confidence``, ``match_explanation`` and
    ``person_conflict`` (bool) to ``frame`` (modified in place and returned).
    """
    case_nip, rec_nip = frame["case_person_nip"], frame["rec_person_nip"]
    from_rec = case_nip.isna() & rec_nip.notna()
    frame["nip"] = case_nip.fillna(rec_nip)
    frame["person_match"] = frame["case_person_match"].where(~from_rec, frame["rec_person_match"])
    frame["person_match"] = frame["person_match"].fillna(frame["rec_person_match"]).fillna("unmatched")
    frame["match_confidence"] = frame["case_match_confidence"].where(~from_rec, frame["rec_match_confidence"])
    frame["match_confidence"] = frame["match_confidence"].fillna(frame["rec_match_confidence"]).fillna(0.0)
    frame["match_explanation"] = frame["case_match_explanation"].where(~from_rec, frame["rec_match_explanation"])
    frame["match_explanation"] = frame["match_explanation"].fillna(frame["rec_match_explanation"])
    frame["person_conflict"] = case_nip.notna() & rec_nip.notna() & case_nip.ne(rec_nip)
    return frame
