"""Link cases, recommendations and follow-ups to registry persons; derive overdue follow-ups.

Person matching runs in stages (exact NIP, NIP repair, Excel-damaged prefix, name within agency
or region: :mod:`pantau.matching.persons`); case linking prefers reference numbers and falls back
to the same person within a date window and category. Uncertain matches and conflicts go to the
review queue, and stewards' decisions (:mod:`pantau.matching.review`) are applied on every run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pantau.followup import overdue_recommendations
from pantau.linking import (
    attach_follow_ups,
    link_by_name,
    link_by_person,
    link_by_reference,
    reconcile_persons,
)
from pantau.matching.agencies import AgencyIndex
from pantau.matching.categories import categorize, category_codes, sanction_severity
from pantau.matching.incremental import IncrementalMatcher
from pantau.matching.persons import RegistryIndex, match_persons
from pantau.matching.review import apply_person_decisions, load_decisions, review_queue
from pantau.normalize.frames import plain_frame
from pantau.settings import FollowUpPolicy

#: Registry statuses of someone no longer in service (retired, dismissed, deceased).
INACTIVE = ("pensiun", "berhenti", "meninggal")
#: The registry columns link_cases reads; callers at national scale should load only these.
REGISTRY_COLUMNS = ["nip", "nama", "gelar_depan", "name_key", "kode_instansi", "nama_instansi", "unit_kerja",
                    "jabatan", "kode_wilayah", "status", "updated_at", "bkd"]
#: Those with few distinct values, read dictionary-encoded for linking (0.9 GB of text at 6M persons,
#: 0.1 GB as codes); the persons linked leave it as plain text (:func:`pantau.normalize.frames.plain`).
REGISTRY_DICTIONARY = ["gelar_depan", "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "kode_wilayah",
                       "status", "bkd"]
#: Registry timestamps are read in Indonesia's western time zone when compared with decree dates.
WIB = "Asia/Jakarta"
#: Evidence of the vocabulary mappings (the value as sent, "method:confidence"), carried into the
#: consolidated dataset beside the codes when the staged tables have it.
CASE_EVIDENCE = ("kategori_raw", "kategori_mapping")
REC_EVIDENCE = ("jenis_pelanggaran_raw", "jenis_pelanggaran_mapping", "rekomendasi_sanksi_raw",
                "rekomendasi_sanksi_mapping", "terbukti_raw", "terbukti_mapping")
# (The decrees' evidence columns travel with them: pantau.linking.follow_ups.FOLLOW_UP_EVIDENCE.)


def _evidence(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in frame.columns]


def _person_columns(registry: pd.DataFrame, transfers: pd.DataFrame | None) -> pd.DataFrame:
    # jabatan: the position an alert names, so the PPK knows whom it is about (docs/DOMAIN.md §5, Alerts).
    cols = ["nip", "nama", "kode_instansi", "nama_instansi", "jabatan", "kode_wilayah", "status", "updated_at", "bkd"]
    persons = plain_frame(registry[[c for c in cols if c in registry]])
    persons = persons.rename(columns={c: f"registry_{c}" for c in cols if c != "nip"})
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
    """What the person matcher reads of a case or recommendation: NIP, name, position, the agency
    text (for non-ASN respondents) and the resolved agency / work unit / region."""
    cols = ["nip", "nip_raw", "nip_excel_damaged", "name_key", "jabatan", "instansi_raw"]
    queries = frame[[c for c in cols if c in frame]].join(agencies)
    queries["nip_excel_damaged"] = queries["nip_excel_damaged"].fillna(False).astype(bool)
    return queries


def _match_both(cases: pd.DataFrame, case_agencies: pd.DataFrame, recs: pd.DataFrame, rec_agencies: pd.DataFrame,
                reg: RegistryIndex, decisions: pd.DataFrame,
                matcher: Callable[[pd.DataFrame, RegistryIndex], pd.DataFrame] = match_persons,
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person matches for cases and recommendations in one pass over the registry blocks.

    One call instead of two halves the per-block work (each agency block is read and compared once);
    stewards' decisions are then applied per side under their stable item ids.
    """
    queries = pd.concat([_person_queries(cases, case_agencies), _person_queries(recs, rec_agencies)],
                        ignore_index=True)
    matched = matcher(queries, reg)
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
               decisions: pd.DataFrame | str | None = None, transfers: pd.DataFrame | None = None, *,
               incremental: IncrementalMatcher | None = None) -> pd.DataFrame:
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

    ``incremental`` keeps the person matches between runs and re-matches only what may have
    changed since (:mod:`pantau.matching.incremental`); the result is the same as without it.
    """
    decided = load_decisions(decisions)
    reg = RegistryIndex.build(registry)
    index = AgencyIndex(registry, reg)
    reg.use_regions(index.group_region)
    cases, recs = cases.reset_index(drop=True), recs.reset_index(drop=True)
    case_agencies = index.resolve(cases["instansi_raw"], cases["kode_wilayah"], cases.get("jabatan"))
    rec_agencies = index.resolve(recs["instansi_raw"], index.regions_of_ppk(recs["ppk"]), recs.get("jabatan"),
                                 raw_hints=False)
    case_matched, rec_matched = _match_both(cases, case_agencies, recs, rec_agencies, reg, decided,
                                            incremental.match if incremental else match_persons)
    case_side = _prepare_cases(cases, case_agencies, case_matched)
    rec_side = _prepare_recs(recs, rec_matched)
    by_ref, ambiguous_ref = link_by_reference(case_side, rec_side, cases["name_key"], recs["name_key"])
    by_person, ambiguous = link_by_person(case_side[~case_side["nomor_register"].isin(by_ref["nomor_register"])],
                                          rec_side[~rec_side["nomor_rekomendasi"].isin(by_ref["nomor_rekomendasi"])])
    linked_recs = pd.concat([by_ref["nomor_rekomendasi"], by_person["nomor_rekomendasi"]])
    linked_cases = pd.concat([by_ref["nomor_register"], by_person["nomor_register"]])
    open_cases, open_recs = ~case_side["nomor_register"].isin(linked_cases), ~rec_side["nomor_rekomendasi"].isin(
        linked_recs) & ~rec_side["nomor_rekomendasi"].isin(ambiguous["nomor_rekomendasi"])
    by_name = link_by_name(case_side[open_cases], rec_side[open_recs], cases["name_key"], recs["name_key"],
                           case_agencies["kode_wilayah"], rec_agencies["kode_wilayah"])
    # A shared letter the person could not settle may still be settled by the date window.
    ambiguous = pd.concat([ambiguous_ref[~ambiguous_ref["nomor_rekomendasi"].isin(
        pd.concat([by_person["nomor_rekomendasi"], by_name["nomor_rekomendasi"]]))], ambiguous],
        ignore_index=True).drop_duplicates("nomor_rekomendasi")
    links = _apply_link_decisions(pd.concat([by_ref, by_person, by_name], ignore_index=True), decided)
    links = links.drop_duplicates("nomor_rekomendasi").drop_duplicates("nomor_register")
    rec_side = rec_side.merge(links, on="nomor_rekomendasi", how="left").merge(
        ambiguous.rename(columns={"candidates": "case_link_candidates"}), on="nomor_rekomendasi", how="left")
    frame = case_side.merge(rec_side, on="nomor_register", how="outer")
    frame["case_link"] = frame["case_link"].fillna(
        pd.Series(np.where(frame["nomor_rekomendasi"].isna(), "no_recommendation", "no_bawaslu_case"),
                  index=frame.index))
    frame = reconcile_persons(frame)
    frame, orphans = attach_follow_ups(frame, follow_ups)
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
    """Proven recommendations without a follow-up decree, with their deadlines and states.

    The follow-up module owns the rules (:func:`pantau.followup.overdue_recommendations`); this name
    stays for the pipeline steps that publish the dataset.
    """
    return overdue_recommendations(consolidated, as_of, policy)


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
