"""Bawaslu case ⟷ KASN/BKN recommendation.

1. **By reference** (``Referensi Bawaslu``): the recommendation cites the case's register number or
   its forwarding letter (``nomor_surat_penerusan``). One forwarding letter often covers several
   cases (Bawaslu forwards a batch of respondents of one office in one letter), so a reference
   shared by several cases does not identify the case on its own: the person decides — the same
   matched registry person, else the same written name. When neither picks exactly one case, the
   candidates go to the review queue.
2. **By person** (the rest): the same registry person, the recommendation issued after the case
   was forwarded (or registered) and within :data:`CASE_WINDOW_DAYS`. Categories rank the
   candidates — the same category first, then an unknown one (a label the vocabulary does not know,
   or a case without a recognised category), then a different one — but never veto a link: a
   category derived from free text may be wrong, the person and the dates are not. More than one
   equally ranked candidate is a steward's call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from pantau.linking.references import reference_keys
from pantau.matching.categories import OTHER

__all__ = ["CASE_WINDOW_DAYS", "NAME_SAME", "link_by_person", "link_by_reference"]

#: A recommendation comes 3-30 days after forwarding in practice; 180 days leaves room for slow
#: offices while keeping two cases of one person from different elections apart.
CASE_WINDOW_DAYS = 180
#: Two written names (folded keys) this close are taken as the same respondent inside one letter.
NAME_SAME = 90.0
LINK_COLUMNS = ["nomor_rekomendasi", "nomor_register", "case_link", "case_link_detail"]


def _names_close(a: pd.Series, b: pd.Series) -> np.ndarray:
    return np.array([fuzz.ratio(x, y) if isinstance(x, str) and isinstance(y, str) and x and y else 0.0
                     for x, y in zip(a, b, strict=True)], dtype=np.float64)


def link_by_reference(cases: pd.DataFrame, recs: pd.DataFrame, case_names: pd.Series | None = None,
                      rec_names: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Links by ``Referensi Bawaslu``; returns (links, ambiguous).

    ``cases`` needs ``nomor_register``, ``nomor_surat_penerusan``, ``case_person_nip``; ``recs``
    needs ``nomor_rekomendasi``, ``referensi_bawaslu``, ``rec_person_nip``. ``case_names`` /
    ``rec_names`` (name keys, same index as the frames) settle shared letters when the persons
    are not both matched. ``ambiguous`` lists (``nomor_rekomendasi``, ``candidates``) for review.
    """
    case_names = case_names if case_names is not None else pd.Series(None, index=cases.index, dtype=object)
    rec_names = rec_names if rec_names is not None else pd.Series(None, index=recs.index, dtype=object)
    base = pd.DataFrame({"nomor_register": cases["nomor_register"], "case_person_nip": cases["case_person_nip"],
                         "case_name": case_names.reindex(cases.index)})
    keys = pd.concat([base.assign(ref=reference_keys(cases["nomor_register"]), via="register"),
                      base.assign(ref=reference_keys(cases["nomor_surat_penerusan"]), via="letter")])
    keys = keys.dropna(subset=["ref"]).drop_duplicates(["ref", "nomor_register"])
    keys["sharing"] = keys.groupby("ref")["nomor_register"].transform("size")
    wanted = pd.DataFrame({"nomor_rekomendasi": recs["nomor_rekomendasi"],
                           "ref": reference_keys(recs["referensi_bawaslu"]),
                           "rec_person_nip": recs["rec_person_nip"], "rec_name": rec_names.reindex(recs.index)})
    pairs = wanted.dropna(subset=["ref"]).merge(keys, on="ref")
    same_person = (pairs["rec_person_nip"].notna() & pairs["case_person_nip"].notna()
                   & pairs["rec_person_nip"].eq(pairs["case_person_nip"])).fillna(False).astype(bool).to_numpy()
    other_person = (pairs["rec_person_nip"].notna() & pairs["case_person_nip"].notna()
                    & pairs["rec_person_nip"].ne(pairs["case_person_nip"])).fillna(False).astype(bool).to_numpy()
    name_score = _names_close(pairs["rec_name"], pairs["case_name"])
    # Evidence per candidate: 2 = same registry person, 1 = same written name, 0 = neither.
    pairs["strength"] = np.where(same_person, 2, np.where(name_score >= NAME_SAME, 1, 0))
    # A letter that is the only staged one of its batch still names a batch: when both persons are
    # known and differ (and so do the names), it is another respondent's letter, not this one's.
    foreign = (pairs["via"] == "letter").to_numpy() & other_person & (name_score < NAME_SAME)
    unique = pairs[(pairs["sharing"] == 1).to_numpy() & ~foreign]
    links = unique.assign(case_link="reference", case_link_detail="Referensi Bawaslu = " + unique["ref"])
    shared = pairs[pairs["sharing"] > 1]
    shared = shared.assign(top=shared.groupby("nomor_rekomendasi")["strength"].transform("max"))
    best = shared[(shared["strength"] == shared["top"]) & (shared["top"] > 0)]
    count = best.groupby("nomor_rekomendasi")["nomor_register"].transform("size")
    picked = best[count == 1]
    links = pd.concat([links, picked.assign(
        case_link="reference",
        case_link_detail=("Referensi Bawaslu = " + picked["ref"] + " (letter shared by "
                          + picked["sharing"].astype(str) + " cases; "
                          + np.where(picked["strength"] == 2, "same person", "same name") + ")"))],
        ignore_index=True)
    undecided = shared[~shared["nomor_rekomendasi"].isin(picked["nomor_rekomendasi"])]
    ambiguous = (undecided.groupby("nomor_rekomendasi")["nomor_register"].agg(lambda s: ";".join(sorted(set(s))))
                 .rename("candidates").reset_index())
    return links.drop_duplicates("nomor_rekomendasi")[LINK_COLUMNS], ambiguous


def link_by_person(cases: pd.DataFrame, recs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Same person, recommendation after forwarding within the window; categories rank, never veto.

    Returns (links, ambiguous) where ambiguous lists recommendations with several equally good cases.
    """
    left = recs[["nomor_rekomendasi", "tanggal_rekomendasi", "rec_person_nip", "rec_category"]].dropna(
        subset=["rec_person_nip", "tanggal_rekomendasi"])
    start = cases["tanggal_diteruskan"].fillna(cases["tanggal_register"])
    right = cases[["nomor_register", "case_person_nip", "category"]].assign(start=start).dropna(
        subset=["case_person_nip", "start"])
    pairs = left.astype({"rec_person_nip": object}).merge(right.astype({"case_person_nip": object}),
                                                          left_on="rec_person_nip", right_on="case_person_nip")
    gap = (pd.to_datetime(pairs["tanggal_rekomendasi"]) - pd.to_datetime(pairs["start"])).dt.days
    rec_cat = pairs["rec_category"].astype(object).where(pairs["rec_category"].notna(), None)
    case_cat = pairs["category"].astype(object).where(pairs["category"].notna(), None)
    unknown = (rec_cat.isna() | case_cat.isna() | rec_cat.eq(OTHER) | case_cat.eq(OTHER)).to_numpy(dtype=bool)
    same = (~unknown) & rec_cat.eq(case_cat).to_numpy(dtype=bool)
    # 2 = same category, 1 = one of them unknown, 0 = two different known categories.
    pairs = pairs.assign(gap=gap, fit=np.where(same, 2, np.where(unknown, 1, 0)))
    pairs = pairs[((pairs["gap"] >= 0) & (pairs["gap"] <= CASE_WINDOW_DAYS)).fillna(False).astype(bool)]
    pairs = pairs[pairs["fit"] == pairs.groupby("nomor_rekomendasi")["fit"].transform("max")]
    counts = pairs.groupby("nomor_rekomendasi")["nomor_register"].transform("size")
    single = pairs[counts == 1]
    fit_text = np.select([single["fit"] == 2, single["fit"] == 1], ["same category", "category unknown"],
                         "category differs")
    links = single.assign(case_link="same_person_window",
                          case_link_detail="same person, " + single["gap"].astype(int).astype(str)
                          + " days after forwarding, " + fit_text)
    ambiguous = (pairs[counts > 1].groupby("nomor_rekomendasi")["nomor_register"]
                 .agg(lambda s: ";".join(sorted(s))).rename("candidates").reset_index())
    return links[LINK_COLUMNS], ambiguous
