"""Link cases, recommendations and follow-ups to registry persons; derive overdue follow-ups.

Person matching runs in stages (exact NIP, NIP repair, Excel-damaged prefix, name within agency
or region: :mod:`pantau.matching.persons`); case linking prefers reference numbers and falls back
to the same person within a date window and category. Uncertain matches and conflicts go to the
review queue, and stewards' decisions (:mod:`pantau.matching.review`) are applied on every run.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pantau.matching.agencies import AgencyIndex
from pantau.matching.categories import OTHER, categorize, category_codes, sanction_severity
from pantau.matching.persons import RegistryIndex, match_persons
from pantau.matching.review import apply_person_decisions, load_decisions, review_queue
from pantau.pipeline.deadlines import escalation_due, follow_up_due
from pantau.settings import FollowUpPolicy

#: A recommendation comes 3-30 days after forwarding in practice; 180 days leaves room for slow
#: offices while keeping two cases of one person from different elections apart.
CASE_WINDOW_DAYS = 180
#: Registry statuses of someone no longer in service (retired, dismissed, deceased).
INACTIVE = ("pensiun", "berhenti", "meninggal")
#: The registry columns link_cases reads; callers at national scale should load only these.
REGISTRY_COLUMNS = ["nip", "nama", "name_key", "kode_instansi", "nama_instansi", "kode_wilayah", "status",
                    "updated_at", "bkd"]
#: Registry timestamps are read in Indonesia's western time zone when compared with decree dates.
WIB = "Asia/Jakarta"
_REF_SPACES = re.compile(r"\s+")
#: Evidence of the vocabulary mappings (the value as sent, "method:confidence"), carried into the
#: consolidated dataset beside the codes when the staged tables have it.
CASE_EVIDENCE = ("kategori_raw", "kategori_mapping")
REC_EVIDENCE = ("jenis_pelanggaran_raw", "jenis_pelanggaran_mapping", "rekomendasi_sanksi_raw",
                "rekomendasi_sanksi_mapping", "terbukti_raw", "terbukti_mapping")
FOLLOW_UP_EVIDENCE = ("jenis_sanksi_raw", "jenis_sanksi_mapping")


def _evidence(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in frame.columns]


def _ref(values: pd.Series) -> pd.Series:
    """Reference numbers compare without case or spacing differences."""
    return values.astype(object).where(values.notna()).map(
        lambda v: _REF_SPACES.sub("", str(v)).upper() or None, na_action="ignore")


def _person_columns(registry: pd.DataFrame, transfers: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["nip", "nama", "kode_instansi", "nama_instansi", "kode_wilayah", "status", "updated_at", "bkd"]
    persons = registry[[c for c in cols if c in registry]].rename(columns={c: f"registry_{c}" for c in cols
                                                                            if c != "nip"})
    if "registry_updated_at" not in persons:
        persons["registry_updated_at"] = pd.NaT
    moved = _transfers(transfers)
    return persons.merge(moved, on="nip", how="left")


def _transfers(transfers: pd.DataFrame | None) -> pd.DataFrame:
    """``registry_transfer`` ("from -> to" BKD) per NIP from the national combination's ``staging/transfers``."""
    if transfers is None or transfers.empty:
        return pd.DataFrame({"nip": pd.Series(dtype=object), "registry_transfer": pd.Series(dtype=object)})
    moved = transfers.astype({"nip": str}).drop_duplicates("nip", keep="last")
    return pd.DataFrame({"nip": moved["nip"].to_numpy(),
                         "registry_transfer": (moved["from_bkd"].astype(str) + " -> "
                                               + moved["to_bkd"].astype(str)).to_numpy()})


def _local_date(values: pd.Series) -> pd.Series:
    """Timestamps (aware: converted to WIB; naive: taken as written) as dates at midnight."""
    stamps = pd.to_datetime(values, errors="coerce")
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(WIB).dt.tz_localize(None)
    return stamps.dt.normalize()


def _person_queries(frame: pd.DataFrame, agencies: pd.DataFrame) -> pd.DataFrame:
    queries = frame[["nip", "nip_raw", "nip_excel_damaged", "name_key"]].join(agencies)
    queries["nip_excel_damaged"] = queries["nip_excel_damaged"].fillna(False).astype(bool)
    return queries


def _match_both(cases: pd.DataFrame, case_agencies: pd.DataFrame, recs: pd.DataFrame, rec_agencies: pd.DataFrame,
                reg: RegistryIndex, decisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person matches for cases and recommendations in one pass over the registry blocks.

    One call instead of two halves the per-block work (each agency block is read and compared once);
    stewards' decisions are then applied per side under their stable item ids.
    """
    queries = pd.concat([_person_queries(cases, case_agencies), _person_queries(recs, rec_agencies)],
                        ignore_index=True)
    matched = match_persons(queries, reg)
    case_matched = matched.iloc[:len(cases)].set_axis(cases.index)
    rec_matched = matched.iloc[len(cases):].set_axis(recs.index)
    return (apply_person_decisions(case_matched, "person:case:" + cases["nomor_register"].astype(str), decisions),
            apply_person_decisions(rec_matched, "person:rec:" + recs["nomor_rekomendasi"].astype(str), decisions))


def _prepare_cases(cases: pd.DataFrame, agencies: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    category = categorize(cases["uraian"], cases["kategori"])
    out = cases[["nomor_register", "nomor_surat_penerusan", "tanggal_register", "pemilihan", "kode_wilayah",
                 "status", "tanggal_diteruskan", "nip", "nama_raw", "instansi_raw", "kategori", "uraian",
                 *_evidence(cases, CASE_EVIDENCE)]].rename(
        columns={"nip": "case_nip", "nama_raw": "case_nama", "status": "case_status",
                 "kode_wilayah": "case_kode_wilayah", "instansi_raw": "case_instansi"})
    out = out.join(category).join(matched.add_prefix("case_"))
    out["case_kode_instansi_resolved"] = agencies["kode_instansi"]
    return out


def _prepare_recs(recs: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    out = recs[["nomor_rekomendasi", "tanggal_rekomendasi", "nip", "nama_raw", "referensi_bawaslu", "terbukti",
                "rekomendasi_sanksi", "jenis_pelanggaran", "ppk", *_evidence(recs, REC_EVIDENCE)]].rename(
        columns={"nip": "rec_nip", "nama_raw": "rec_nama"})
    # Staged as a code (null when the cell mapped to nothing: the linked case decides then).
    out["rec_category"] = category_codes(recs["jenis_pelanggaran"])
    return out.join(matched.add_prefix("rec_"))


def _link_by_reference(cases: pd.DataFrame, recs: pd.DataFrame) -> pd.DataFrame:
    keys = pd.concat([
        pd.DataFrame({"ref": _ref(cases["nomor_register"]), "nomor_register": cases["nomor_register"]}),
        pd.DataFrame({"ref": _ref(cases["nomor_surat_penerusan"]), "nomor_register": cases["nomor_register"]}),
    ]).dropna().drop_duplicates("ref", keep=False)  # a number used by two cases identifies neither
    linked = pd.DataFrame({"nomor_rekomendasi": recs["nomor_rekomendasi"], "ref": _ref(recs["referensi_bawaslu"])})
    linked = linked.dropna().merge(keys, on="ref")
    return linked.assign(case_link="reference", case_link_detail="Referensi Bawaslu = " + linked["ref"])[
        ["nomor_rekomendasi", "nomor_register", "case_link", "case_link_detail"]]


def _link_by_person(cases: pd.DataFrame, recs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Same person, recommendation after forwarding within the window, compatible category.

    Returns (links, ambiguous) where ambiguous lists recommendations with several equally good cases.
    """
    left = recs[["nomor_rekomendasi", "tanggal_rekomendasi", "rec_person_nip", "rec_category"]].dropna(
        subset=["rec_person_nip", "tanggal_rekomendasi"])
    start = cases["tanggal_diteruskan"].fillna(cases["tanggal_register"])
    right = cases[["nomor_register", "case_person_nip", "category"]].assign(start=start).dropna(
        subset=["case_person_nip", "start"])
    pairs = left.merge(right, left_on="rec_person_nip", right_on="case_person_nip")
    gap = (pd.to_datetime(pairs["tanggal_rekomendasi"]) - pd.to_datetime(pairs["start"])).dt.days
    same_cat = pairs["rec_category"].eq(pairs["category"])
    loose_cat = pairs["rec_category"].isna() | pairs["rec_category"].eq(OTHER) | pairs["category"].eq(OTHER)
    pairs = pairs.assign(gap=gap, same_cat=same_cat)[(gap >= 0) & (gap <= CASE_WINDOW_DAYS) & (same_cat | loose_cat)]
    # Exact category beats a loose one; among equals, more than one candidate is a steward's call.
    pairs = pairs[pairs["same_cat"] == pairs.groupby("nomor_rekomendasi")["same_cat"].transform("max")]
    counts = pairs.groupby("nomor_rekomendasi")["nomor_register"].transform("size")
    single = pairs[counts == 1]
    links = single.assign(case_link="same_person_window",
                          case_link_detail="same person, " + single["gap"].astype(str) + " days after forwarding, "
                          + np.where(single["same_cat"], "same category", "category unknown"))
    ambiguous = (pairs[counts > 1].groupby("nomor_rekomendasi")["nomor_register"]
                 .agg(lambda s: ";".join(sorted(s))).rename("candidates").reset_index())
    return links[["nomor_rekomendasi", "nomor_register", "case_link", "case_link_detail"]], ambiguous


def _apply_link_decisions(links: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    chosen = decisions[decisions["item_id"].str.startswith("case_link:")]
    if chosen.empty:
        return links
    chosen = chosen.assign(nomor_rekomendasi=chosen["item_id"].str.removeprefix("case_link:"))
    rejected = chosen[chosen["decision"] == "reject"]
    drop = links.merge(rejected[["nomor_rekomendasi", "value"]], on="nomor_rekomendasi")
    drop = drop[drop["value"].isna() | drop["value"].eq(drop["nomor_register"])]
    links = links[~links["nomor_rekomendasi"].isin(drop["nomor_rekomendasi"])]
    forced = chosen[chosen["decision"].isin(["accept", "override"]) & chosen["value"].notna()]
    links = links[~links["nomor_rekomendasi"].isin(forced["nomor_rekomendasi"])]
    forced = forced.assign(nomor_register=forced["value"], case_link="steward_" + forced["decision"],
                           case_link_detail="steward decision by " + forced["decided_by"].fillna("?"))
    return pd.concat([links, forced[links.columns]], ignore_index=True)


def _reconcile_persons(frame: pd.DataFrame) -> pd.DataFrame:
    """One person per row: the case's match, else the recommendation's; disagreement is a conflict."""
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


def _follow_up_frame(follow_ups: pd.DataFrame) -> pd.DataFrame:
    fu = follow_ups[["id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "bkd",
                     *_evidence(follow_ups, FOLLOW_UP_EVIDENCE)]].rename(
        columns={"id": "follow_up_id", "nip": "follow_up_nip", "bkd": "follow_up_bkd",
                 "nomor_rekomendasi": "follow_up_rec_number"})
    fu = fu.assign(follow_up_key=fu["follow_up_bkd"].astype(str) + "#" + fu["follow_up_id"].astype(str),
                   ref=_ref(fu["follow_up_rec_number"]))
    return fu.sort_values(["tanggal_sk", "follow_up_key"], kind="stable").reset_index(drop=True)


def _attach_follow_ups(frame: pd.DataFrame, follow_ups: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Follow-up per recommendation: by its number, else the same person's decree after it.

    Returns (frame with follow-up columns, follow-ups attached to no recommendation).
    """
    fu = _follow_up_frame(follow_ups)
    recs = frame.loc[frame["nomor_rekomendasi"].notna(), ["nomor_rekomendasi", "nip", "tanggal_rekomendasi"]]
    recs = recs.assign(ref=_ref(recs["nomor_rekomendasi"]))
    by_number = fu.dropna(subset=["ref"]).merge(recs[["ref", "nomor_rekomendasi"]], on="ref")
    by_number = by_number.drop_duplicates("nomor_rekomendasi", keep="first").assign(follow_up_link="reference")
    rest = fu[~fu["follow_up_key"].isin(by_number["follow_up_key"]) & fu["ref"].isna()]
    open_recs = recs[~recs["nomor_rekomendasi"].isin(by_number["nomor_rekomendasi"])].dropna(subset=["nip"])
    pairs = rest.merge(open_recs[["nomor_rekomendasi", "nip", "tanggal_rekomendasi"]], left_on="follow_up_nip",
                       right_on="nip")
    pairs = pairs[pd.to_datetime(pairs["tanggal_sk"]) >= pd.to_datetime(pairs["tanggal_rekomendasi"])]
    # The decree answers the latest recommendation issued before it.
    pairs = pairs.sort_values(["follow_up_key", "tanggal_rekomendasi"]).drop_duplicates("follow_up_key", keep="last")
    pairs = pairs.drop_duplicates("nomor_rekomendasi", keep="first").assign(follow_up_link="same_person_after")
    attached = pd.concat([by_number, pairs], ignore_index=True)
    cols = ["follow_up_id", "follow_up_key", "follow_up_nip", "follow_up_rec_number", "nomor_sk", "tanggal_sk",
            "jenis_sanksi", *_evidence(fu, FOLLOW_UP_EVIDENCE), "follow_up_bkd", "follow_up_link"]
    out = frame.merge(attached[["nomor_rekomendasi", *cols]], on="nomor_rekomendasi", how="left")
    orphans = fu[~fu["follow_up_key"].isin(attached["follow_up_key"])]
    return out, orphans[[c for c in cols if c != "follow_up_link"]]


def _conflicts(frame: pd.DataFrame) -> pd.Series:
    lighter = sanction_severity(frame["jenis_sanksi"]) < sanction_severity(frame["rekomendasi_sanksi"])
    has_fu = frame["follow_up_key"].notna()
    # The registry keeps today's status; its update time bounds when the status changed. A decree
    # signed on or after that day was signed for someone already out of service. A status recorded
    # after the decree may be a retirement that came later, so it is not flagged.
    inactive_at_decree = (frame["registry_status"].isin(INACTIVE)
                          & (_local_date(frame["registry_updated_at"]) <= pd.to_datetime(frame["tanggal_sk"])))
    in_process = frame["nomor_rekomendasi"].notna() | has_fu
    checks = {
        "recommendation_without_case": frame["nomor_rekomendasi"].notna() & frame["nomor_register"].isna(),
        "follow_up_without_recommendation": has_fu & frame["nomor_rekomendasi"].isna(),
        "sanction_lighter": lighter.fillna(False).astype(bool) & has_fu,
        "follow_up_for_inactive": has_fu & inactive_at_decree,
        # Moved between BKDs (seen in two BKD registries), or the decree came from another BKD than
        # the one holding the person now: the follow-up may be owed by, or sit with, the other office.
        "transferred_between_bkds": in_process & (frame["registry_transfer"].notna()
                                                  | (has_fu & frame["registry_bkd"].notna()
                                                     & frame["follow_up_bkd"].ne(frame["registry_bkd"]))),
        "person_mismatch": frame["person_conflict"].fillna(False).astype(bool),
    }
    flags = pd.DataFrame({k: v.fillna(False).astype(bool) for k, v in checks.items()})
    labels = np.array(list(checks), dtype=object)
    return pd.Series([";".join(labels[row]) or None for row in flags.to_numpy()], index=frame.index)


def link_cases(cases: pd.DataFrame, recs: pd.DataFrame, follow_ups: pd.DataFrame, registry: pd.DataFrame,
               decisions: pd.DataFrame | str | None = None, transfers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per person per case: Bawaslu case ⟷ recommendation ⟷ follow-up, with match method.

    Follow-ups that answer no known recommendation become rows of their own, flagged. Columns of
    note: ``person_match`` / ``match_confidence`` / ``match_explanation`` (the person), ``case_link``
    and ``follow_up_link`` (how the records were joined), ``category`` / ``category_rule``,
    ``conflicts`` (``;``-joined codes) and ``review`` (the row has an open question).

    Conflicts: ``recommendation_without_case``, ``follow_up_without_recommendation``,
    ``sanction_lighter`` (decree lighter than recommended), ``follow_up_for_inactive`` (decree signed
    when the registry already had the person retired, dismissed or deceased),
    ``transferred_between_bkds`` (the person appears in ``transfers``, the national combination's
    ``staging/transfers``, or the decree came from another BKD than the one holding the person) and
    ``person_mismatch`` (the case and the recommendation name different persons).
    """
    decided = load_decisions(decisions)
    index, reg = AgencyIndex(registry), RegistryIndex.build(registry)
    cases, recs = cases.reset_index(drop=True), recs.reset_index(drop=True)
    case_agencies = index.resolve(cases["instansi_raw"], cases["kode_wilayah"])
    rec_agencies = index.resolve(recs["instansi_raw"], index.regions_of_ppk(recs["ppk"]))
    case_matched, rec_matched = _match_both(cases, case_agencies, recs, rec_agencies, reg, decided)
    case_side = _prepare_cases(cases, case_agencies, case_matched)
    rec_side = _prepare_recs(recs, rec_matched)
    by_ref = _link_by_reference(case_side, rec_side)
    by_person, ambiguous = _link_by_person(case_side[~case_side["nomor_register"].isin(by_ref["nomor_register"])],
                                           rec_side[~rec_side["nomor_rekomendasi"].isin(by_ref["nomor_rekomendasi"])])
    links = _apply_link_decisions(pd.concat([by_ref, by_person], ignore_index=True), decided)
    links = links.drop_duplicates("nomor_rekomendasi").drop_duplicates("nomor_register")
    rec_side = rec_side.merge(links, on="nomor_rekomendasi", how="left").merge(
        ambiguous.rename(columns={"candidates": "case_link_candidates"}), on="nomor_rekomendasi", how="left")
    frame = case_side.merge(rec_side, on="nomor_register", how="outer")
    frame["case_link"] = frame["case_link"].fillna(
        pd.Series(np.where(frame["nomor_rekomendasi"].isna(), "no_recommendation", "no_bawaslu_case"),
                  index=frame.index))
    frame = _reconcile_persons(frame)
    frame, orphans = _attach_follow_ups(frame, follow_ups)
    orphans = orphans.assign(nip=orphans["follow_up_nip"], person_match="exact_nip", match_confidence=1.0,
                             case_link="no_recommendation", follow_up_link="no_recommendation",
                             match_explanation="NIP from the BKD's own follow-up table")
    frame = pd.concat([frame, orphans], ignore_index=True)
    persons = registry[registry["nip"].isin(frame["nip"].dropna().unique())]
    frame = frame.merge(_person_columns(persons, transfers), on="nip", how="left")
    frame.loc[frame["registry_nama"].isna() & frame["nip"].notna() & frame["person_match"].eq("exact_nip"),
              "person_match"] = "unmatched"
    frame["conflicts"] = _conflicts(frame)
    frame["review"] = (frame["case_person_match"].eq("review") | frame["rec_person_match"].eq("review")
                       | frame["case_link_candidates"].notna() | frame["conflicts"].notna())
    frame = frame.drop(columns=["person_conflict"])
    return frame.sort_values(["nomor_register", "nomor_rekomendasi", "follow_up_key"],
                             na_position="last").reset_index(drop=True)


def review_items(consolidated: pd.DataFrame) -> pd.DataFrame:
    """Open questions for stewards, one item per record and question (ids are stable across runs)."""
    parts = []
    for side, key in (("case", "nomor_register"), ("rec", "nomor_rekomendasi")):
        # Decided items stay listed (status "decided") so stewards can audit what they settled.
        rows = consolidated[consolidated[f"{side}_person_match"].eq("review")
                            | consolidated.get(f"{side}_decision_applied", pd.Series(None, index=consolidated.index))
                            .notna()]
        parts.append(pd.DataFrame({"item_id": f"person:{side}:" + rows[key].astype(str), "kind": "person_match",
                                   "record": rows[key], "reason": "uncertain_person_match",
                                   "candidates": rows[f"{side}_review_candidates"],
                                   "detail": rows[f"{side}_match_explanation"]}))
    rows = consolidated[consolidated["case_link_candidates"].notna()]
    parts.append(pd.DataFrame({"item_id": "case_link:" + rows["nomor_rekomendasi"].astype(str), "kind": "case_link",
                               "record": rows["nomor_rekomendasi"], "reason": "several_cases_fit",
                               "candidates": rows["case_link_candidates"],
                               "detail": "same person and window; choose the Bawaslu case"}))
    flagged = consolidated[consolidated["conflicts"].notna()]
    record = flagged["nomor_rekomendasi"].fillna(flagged["nomor_register"]).fillna(flagged["follow_up_key"])
    exploded = pd.DataFrame({"record": record, "reason": flagged["conflicts"].str.split(";")}).explode("reason")
    detail = pd.Series(None, index=exploded.index, dtype=object)
    for reason, texts in _conflict_details(flagged).items():
        mine = (exploded["reason"] == reason).to_numpy()
        detail[mine] = texts.loc[exploded.index[mine]].to_numpy()
    parts.append(exploded.assign(item_id="conflict:" + exploded["reason"] + ":" + exploded["record"].astype(str),
                                 kind="conflict", candidates=None, detail=detail.to_numpy()))
    return pd.concat(parts, ignore_index=True)


def _conflict_details(flagged: pd.DataFrame) -> dict[str, pd.Series]:
    """What a steward needs to see for each conflict kind, per row of ``flagged``."""
    def text(column: str) -> pd.Series:
        return flagged[column].astype(object).where(flagged[column].notna(), "?").astype(str)

    def day(values: pd.Series) -> pd.Series:
        return _local_date(values).dt.strftime("%Y-%m-%d").astype(object).fillna("?")

    moved = flagged["registry_transfer"].notna()
    return {
        "sanction_lighter": "recommended " + text("rekomendasi_sanksi") + ", decreed " + text("jenis_sanksi"),
        "follow_up_for_inactive": ("registry status " + text("registry_status") + " recorded "
                                   + day(flagged["registry_updated_at"]) + ", decree " + text("nomor_sk") + " of "
                                   + day(flagged["tanggal_sk"])),
        "transferred_between_bkds": ("moved " + text("registry_transfer")).where(
            moved, "decree from " + text("follow_up_bkd") + ", person now at " + text("registry_bkd")),
    }


def build_review_queue(consolidated: pd.DataFrame, decisions: pd.DataFrame | str | None = None) -> pd.DataFrame:
    return review_queue(review_items(consolidated), load_decisions(decisions))


def overdue(consolidated: pd.DataFrame, as_of: date, policy: FollowUpPolicy) -> pd.DataFrame:
    """Proven recommendations without a follow-up decree, with their due and escalation dates."""
    proven = consolidated[(consolidated["terbukti"] == True) & consolidated["follow_up_id"].isna()].copy()  # noqa: E712
    proven = proven.dropna(subset=["tanggal_rekomendasi"])
    proven["due_date"] = [follow_up_due(d, policy) for d in proven["tanggal_rekomendasi"]]
    proven["escalation_date"] = [escalation_due(d, policy) for d in proven["tanggal_rekomendasi"]]
    proven["as_of"] = as_of
    proven["state"] = "upcoming"
    proven.loc[proven["due_date"] < as_of, "state"] = "overdue"
    proven.loc[proven["escalation_date"] < as_of, "state"] = "escalated"
    proven["days_overdue"] = [max((as_of - d).days, 0) for d in proven["due_date"]]
    return proven.sort_values(["registry_kode_instansi", "due_date", "nomor_rekomendasi"]).reset_index(drop=True)


def compliance_summary(consolidated: pd.DataFrame) -> pd.DataFrame:
    """Aggregates without personal data (the public dataset)."""
    frame = consolidated.assign(
        region=consolidated["case_kode_wilayah"].fillna(consolidated["registry_kode_wilayah"]),
        agency=consolidated["registry_kode_instansi"],
        election=consolidated["pemilihan"],
        reported=consolidated["nomor_register"].notna(),
        forwarded=consolidated["case_status"].eq("diteruskan"),
        recommended=consolidated["nomor_rekomendasi"].notna(),
        proven=consolidated["terbukti"].eq(True),
        # Only follow-ups of a recommendation count: an orphan decree follows nothing up.
        followed_up=consolidated["follow_up_id"].notna() & consolidated["nomor_rekomendasi"].notna(),
        days_to_follow_up=(pd.to_datetime(consolidated["tanggal_sk"]) -
                           pd.to_datetime(consolidated["tanggal_rekomendasi"])).dt.days,
    )
    keys = ["region", "agency", "election"]
    summary = frame.groupby(keys, dropna=False).agg(
        reported=("reported", "sum"), forwarded=("forwarded", "sum"), recommended=("recommended", "sum"),
        proven=("proven", "sum"), followed_up=("followed_up", "sum"),
        median_days_to_follow_up=("days_to_follow_up", "median")).reset_index()
    summary["follow_up_rate"] = (summary["followed_up"] / summary["proven"].where(summary["proven"] > 0)).round(4)
    return summary


def summary_figures(consolidated: pd.DataFrame, overdue_frame: pd.DataFrame) -> dict[str, Any]:
    proven = int(consolidated["terbukti"].eq(True).sum())
    followed = int((consolidated["terbukti"].eq(True) & consolidated["follow_up_id"].notna()).sum())
    return {
        "consolidated_rows": len(consolidated),
        "cases": int(consolidated["nomor_register"].notna().sum()),
        "recommendations": int(consolidated["nomor_rekomendasi"].notna().sum()),
        "proven": proven,
        "followed_up": followed,
        "follow_up_rate": round(followed / proven, 4) if proven else None,
        "overdue": int(overdue_frame["state"].isin(["overdue", "escalated"]).sum()),
        "person_matched": int(consolidated["person_match"].ne("unmatched").sum()),
    }
