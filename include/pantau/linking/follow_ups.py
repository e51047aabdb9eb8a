"""KASN/BKN recommendation ⟷ BKD follow-up decree (``tindak_lanjut``).

1. **By number**: the decree cites the recommendation number (compared as
   :func:`pantau.linking.references.normalize_reference` keys).
2. **By person** (the rest): the decree's NIP (the BKD's own, exact) is the recommendation's person —
   its registry match, else the NIP the recommendation or the case wrote when it is a valid NIP the
   matcher could not place — and the decree was signed on or after the recommendation. The decree
   answers the latest such recommendation still open. A decree that cites a number we do not know is
   person-linked only to a recommendation whose number is close to the one cited (a typo), never to
   an unrelated one: it may answer a recommendation that is not in our data.
"""

from __future__ import annotations

import pandas as pd
from rapidfuzz import fuzz

from pantau.linking.references import reference_keys

__all__ = ["FOLLOW_UP_COLUMNS", "attach_follow_ups", "follow_up_frame"]

#: Two recommendation numbers this close (rapidfuzz ratio of their keys) are one number mistyped.
NUMBER_TYPO = 80.0
FOLLOW_UP_COLUMNS = ["follow_up_id", "follow_up_key", "follow_up_nip", "follow_up_rec_number", "nomor_sk",
                     "tanggal_sk", "jenis_sanksi", "follow_up_bkd", "follow_up_link"]
#: Evidence of the vocabulary mapping of the decree's sanction (the value as sent, "method:confidence"),
#: carried beside the code when the staged table has it.
FOLLOW_UP_EVIDENCE = ("jenis_sanksi_raw", "jenis_sanksi_mapping")


def follow_up_frame(follow_ups: pd.DataFrame) -> pd.DataFrame:
    evidence = [c for c in FOLLOW_UP_EVIDENCE if c in follow_ups.columns]
    fu = follow_ups[["id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", *evidence,
                     "bkd"]].rename(
        columns={"id": "follow_up_id", "nip": "follow_up_nip", "bkd": "follow_up_bkd",
                 "nomor_rekomendasi": "follow_up_rec_number"})
    fu = fu.assign(follow_up_key=fu["follow_up_bkd"].astype(str) + "#" + fu["follow_up_id"].astype(str),
                   ref=reference_keys(fu["follow_up_rec_number"]))
    return fu.sort_values(["tanggal_sk", "follow_up_key"], kind="stable").reset_index(drop=True)


def _person_key(frame: pd.DataFrame) -> pd.Series:
    """The recommendation's person: the registry match, else a valid NIP the sources wrote."""
    key = frame["nip"].astype(object)
    for column in ("rec_nip", "case_nip"):
        if column in frame:
            key = key.where(key.notna(), frame[column].astype(object))
    return key.where(key.notna(), None)


def attach_follow_ups(frame: pd.DataFrame, follow_ups: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Follow-up per recommendation: by its number, else the same person's decree after it.

    Returns (frame with follow-up columns, follow-ups attached to no recommendation).
    """
    fu = follow_up_frame(follow_ups)
    has_rec = frame["nomor_rekomendasi"].notna()
    recs = pd.DataFrame({"nomor_rekomendasi": frame.loc[has_rec, "nomor_rekomendasi"],
                         "person": _person_key(frame.loc[has_rec]),
                         "tanggal_rekomendasi": frame.loc[has_rec, "tanggal_rekomendasi"]})
    recs = recs.drop_duplicates("nomor_rekomendasi").assign(rec_ref=reference_keys(recs["nomor_rekomendasi"]))
    by_number = fu.dropna(subset=["ref"]).merge(recs[["rec_ref", "nomor_rekomendasi"]], left_on="ref",
                                                right_on="rec_ref")
    by_number = by_number.drop_duplicates("nomor_rekomendasi", keep="first").assign(follow_up_link="reference")
    known_refs = set(recs["rec_ref"].dropna())
    rest = fu[~fu["follow_up_key"].isin(by_number["follow_up_key"])
              & (fu["ref"].isna() | ~fu["ref"].isin(known_refs))]
    open_recs = recs[~recs["nomor_rekomendasi"].isin(by_number["nomor_rekomendasi"])].dropna(subset=["person"])
    pairs = rest.astype({"follow_up_nip": object}).merge(
        open_recs[["nomor_rekomendasi", "rec_ref", "person", "tanggal_rekomendasi"]].astype({"person": object}),
        left_on="follow_up_nip", right_on="person")
    pairs = pairs[(pd.to_datetime(pairs["tanggal_sk"]) >= pd.to_datetime(pairs["tanggal_rekomendasi"]))
                  .fillna(False).astype(bool)]
    cited = pairs["ref"].notna()
    if cited.any():
        close = [fuzz.ratio(a, b) >= NUMBER_TYPO for a, b in zip(pairs.loc[cited, "ref"], pairs.loc[cited, "rec_ref"],
                                                                  strict=True)]
        pairs = pairs[~cited | pd.Series(close, index=pairs.index[cited]).reindex(pairs.index, fill_value=True)]
    # The decree answers the latest recommendation issued before it.
    pairs = pairs.sort_values(["follow_up_key", "tanggal_rekomendasi"]).drop_duplicates("follow_up_key", keep="last")
    pairs = pairs.drop_duplicates("nomor_rekomendasi", keep="first").assign(follow_up_link="same_person_after")
    attached = pd.concat([by_number, pairs], ignore_index=True)
    cols = [*FOLLOW_UP_COLUMNS[:7], *[c for c in FOLLOW_UP_EVIDENCE if c in fu.columns], *FOLLOW_UP_COLUMNS[7:]]
    out = frame.merge(attached[["nomor_rekomendasi", *cols]], on="nomor_rekomendasi", how="left")
    orphans = fu[~fu["follow_up_key"].isin(attached["follow_up_key"])]
    return out, orphans[[c for c in cols if c != "follow_up_link"]]
