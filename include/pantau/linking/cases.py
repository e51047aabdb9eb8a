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
   category derived from free text may be wrong, the person and the dates are not. A case answers
   one recommendation; a person's cases and recommendations left over pair in date order when
   that order is unambiguous; more than one equally good candidate is a steward's call.
3. **By written name** (the rest): when the registry could not place the case's or the
   recommendation's person, the same written name (prefixes set aside) in the same province within
   the window links them one-to-one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from pantau.linking.references import reference_keys
from pantau.matching.categories import OTHER
from pantau.normalize.names import split_prefixes

__all__ = ["CASE_WINDOW_DAYS", "NAME_SAME", "link_by_name", "link_by_person", "link_by_reference"]

#: A recommendation comes 3-30 days after forwarding in practice; 180 days leaves room for slow
#: offices while keeping two cases of one person from different elections apart.
CASE_WINDOW_DAYS = 180
#: Two written names (folded keys) this close are taken as the same respondent inside one letter.
NAME_SAME = 90.0
LINK_COLUMNS = ["nomor_rekomendasi", "nomor_register", "case_link", "case_link_detail"]


def _names_close(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Similarity of two written names, prefixes set aside ("Wayan X" is "I Wayan X")."""
    return np.array([fuzz.ratio(_core(x) or "", _core(y) or "") if isinstance(x, str) and isinstance(y, str)
                     and x.strip() and y.strip() else 0.0 for x, y in zip(a, b, strict=True)], dtype=np.float64)


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


def _window_pairs(recs: pd.DataFrame, cases: pd.DataFrame, rec_key: str, case_key: str) -> pd.DataFrame:
    """Pairs agreeing on a key, the recommendation issued after forwarding (or registration) and
    within the window, with their category fit (2 same, 1 one unknown, 0 different)."""
    left = recs[["nomor_rekomendasi", "tanggal_rekomendasi", rec_key, "rec_category"]].dropna(
        subset=[rec_key, "tanggal_rekomendasi"])
    start = cases["tanggal_diteruskan"].fillna(cases["tanggal_register"])
    right = cases[["nomor_register", case_key, "category"]].assign(start=start).dropna(subset=[case_key, "start"])
    pairs = left.astype({rec_key: object}).merge(right.astype({case_key: object}), left_on=rec_key,
                                                 right_on=case_key)
    gap = (pd.to_datetime(pairs["tanggal_rekomendasi"]) - pd.to_datetime(pairs["start"])).dt.days
    rec_cat = pairs["rec_category"].astype(object).where(pairs["rec_category"].notna(), None)
    case_cat = pairs["category"].astype(object).where(pairs["category"].notna(), None)
    unknown = (rec_cat.isna() | case_cat.isna() | rec_cat.eq(OTHER) | case_cat.eq(OTHER)).to_numpy(dtype=bool)
    same = (~unknown) & rec_cat.eq(case_cat).to_numpy(dtype=bool)
    pairs = pairs.assign(gap=gap, fit=np.where(same, 2, np.where(unknown, 1, 0)))
    return pairs[((pairs["gap"] >= 0) & (pairs["gap"] <= CASE_WINDOW_DAYS)).fillna(False).astype(bool)]


def _assign(pairs: pd.DataFrame, group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One case per recommendation and one recommendation per case, from candidate ``pairs``.

    Repeatedly: each recommendation keeps its best-fitting candidates among the cases still open;
    one candidate, claimed by no other recommendation, is a link. What is left for one ``group``
    (the person) is resolved in order when it can be: as many recommendations as cases, both in
    strictly increasing date order, each pair a candidate — offices issue recommendations on a
    person's cases in the order they were forwarded. Returns (links with ``how``, ambiguous pairs).
    """
    links = []
    pairs = pairs.copy()
    while len(pairs):
        best = pairs[pairs["fit"] == pairs.groupby("nomor_rekomendasi")["fit"].transform("max")]
        counts = best.groupby("nomor_rekomendasi")["nomor_register"].transform("size")
        single = best[counts == 1]
        claims = single.groupby("nomor_register")["nomor_rekomendasi"].transform("size")
        taken = single[claims == 1]
        if taken.empty:
            break
        links.append(taken.assign(how="alone"))
        pairs = pairs[~pairs["nomor_rekomendasi"].isin(taken["nomor_rekomendasi"])
                      & ~pairs["nomor_register"].isin(taken["nomor_register"])]
    ordered = []
    for _, rows in pairs.groupby(group, sort=False):
        recs = rows.drop_duplicates("nomor_rekomendasi").sort_values("tanggal_rekomendasi")
        cases = rows.drop_duplicates("nomor_register").sort_values("start")
        if len(recs) < 2 or len(recs) != len(cases):
            continue
        if not (pd.to_datetime(recs["tanggal_rekomendasi"]).is_monotonic_increasing
                and pd.to_datetime(recs["tanggal_rekomendasi"]).is_unique
                and pd.to_datetime(cases["start"]).is_monotonic_increasing and pd.to_datetime(cases["start"]).is_unique):
            continue
        wanted = set(zip(recs["nomor_rekomendasi"], cases["nomor_register"], strict=True))
        chosen = rows[[(r, c) in wanted for r, c in zip(rows["nomor_rekomendasi"], rows["nomor_register"],
                                                          strict=True)]]
        if len(chosen) == len(recs):
            ordered.append(chosen.assign(how="in order"))
    done = pd.concat([*links, *ordered], ignore_index=True) if links or ordered else pairs.iloc[:0].assign(how="")
    rest = pairs[~pairs["nomor_rekomendasi"].isin(done["nomor_rekomendasi"])]
    return done, rest


def _ambiguous(rest: pd.DataFrame) -> pd.DataFrame:
    best = rest[rest["fit"] == rest.groupby("nomor_rekomendasi")["fit"].transform("max")]
    return (best.groupby("nomor_rekomendasi")["nomor_register"].agg(lambda s: ";".join(sorted(set(s))))
            .rename("candidates").reset_index())


def _fit_text(fit: pd.Series) -> np.ndarray:
    return np.select([fit == 2, fit == 1], ["same category", "category unknown"], "category differs")


def link_by_person(cases: pd.DataFrame, recs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Same person, recommendation after forwarding within the window; categories rank, never veto.

    Each recommendation links to at most one case and each case to at most one recommendation
    (:func:`_assign`). Returns (links, ambiguous) where ambiguous lists the recommendations with
    several equally good cases.
    """
    pairs = _window_pairs(recs, cases, "rec_person_nip", "case_person_nip")
    done, rest = _assign(pairs, "rec_person_nip")
    links = done.assign(case_link="same_person_window",
                        case_link_detail="same person, " + done["gap"].astype(int).astype(str)
                        + " days after forwarding, " + _fit_text(done["fit"])
                        + np.where(done["how"] == "in order", ", in order of forwarding", ""))
    return links[LINK_COLUMNS], _ambiguous(rest)


def link_by_name(cases: pd.DataFrame, recs: pd.DataFrame, case_names: pd.Series, rec_names: pd.Series,
                 case_regions: pd.Series, rec_regions: pd.Series) -> pd.DataFrame:
    """The same written name (prefix-stripped core, exactly) in the same province, within the window,
    when the registry could not place at least one of the two: a person matcher's miss (no NIP, a
    namesake to review) must not also cost the case link. Only one-to-one pairs link; two persons
    matched to different NIPs never do."""
    rec_frame = recs.assign(name=_cores(rec_names.reindex(recs.index)),
                            province=rec_regions.reindex(recs.index).astype(object).str[:2])
    case_frame = cases.assign(name=_cores(case_names.reindex(cases.index)),
                              province=case_regions.reindex(cases.index).astype(object).str[:2])
    rec_frame = rec_frame.assign(key=rec_frame["name"] + "|" + rec_frame["province"])
    case_frame = case_frame.assign(key=case_frame["name"] + "|" + case_frame["province"])
    pairs = _window_pairs(rec_frame.assign(rec_key=rec_frame["key"]), case_frame.assign(case_key=case_frame["key"]),
                          "rec_key", "case_key")
    persons = pairs.merge(rec_frame[["nomor_rekomendasi", "rec_person_nip"]], on="nomor_rekomendasi").merge(
        case_frame[["nomor_register", "case_person_nip"]], on="nomor_register")
    known = persons["rec_person_nip"].notna() & persons["case_person_nip"].notna()
    persons = persons[~known.to_numpy(dtype=bool)]
    done, _ = _assign(persons, "rec_key")
    done = done[done["how"] == "alone"]
    links = done.assign(case_link="same_person_window",
                        case_link_detail="same written name, " + done["gap"].astype(int).astype(str)
                        + " days after forwarding, " + _fit_text(done["fit"]))
    return links[LINK_COLUMNS]


def _cores(keys: pd.Series) -> pd.Series:
    """Prefix-stripped name cores; None for empty names (they never pair)."""
    return keys.map(lambda k: _core(k) if isinstance(k, str) and k.strip() else None)


@lru_cache(maxsize=200_000)
def _core(key: str) -> str | None:
    return split_prefixes(key)[0] or None
