"""Link cases, recommendations and follow-ups to registry persons; derive overdue follow-ups.

This first version links on exact, structurally valid NIPs and on reference numbers; later stages
(NIP repair, fuzzy name + agency matching, the review queue) build on the same output columns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from pantau.pipeline.deadlines import escalation_due, follow_up_due
from pantau.settings import FollowUpPolicy
from pantau.storage import ObjectStore


def load_current(store: ObjectStore, table: str) -> pd.DataFrame:
    pointer = store.get_json(f"staging/{table}/_current.json")
    if pointer is None:
        raise FileNotFoundError(f"staging/{table} has no current version yet: run its ingest DAG first")
    return store.get_parquet(pointer["key"])


def _person_columns(registry: pd.DataFrame) -> pd.DataFrame:
    cols = ["nip", "nama", "kode_instansi", "nama_instansi", "kode_wilayah", "status", "bkd"]
    return registry[cols].rename(columns={c: f"registry_{c}" for c in cols if c != "nip"})


def link_cases(cases: pd.DataFrame, recs: pd.DataFrame, follow_ups: pd.DataFrame,
               registry: pd.DataFrame) -> pd.DataFrame:
    """One row per person per case: Bawaslu case ⟷ recommendation ⟷ follow-up, with match method."""
    case_cols = ["nomor_register", "nomor_surat_penerusan", "tanggal_register", "pemilihan", "kode_wilayah",
                 "status", "tanggal_diteruskan", "nip", "nama_raw", "instansi_raw", "kategori", "uraian"]
    left = cases[case_cols].rename(columns={"nip": "case_nip", "nama_raw": "case_nama", "status": "case_status",
                                            "kode_wilayah": "case_kode_wilayah", "instansi_raw": "case_instansi"})
    rec_cols = ["nomor_rekomendasi", "tanggal_rekomendasi", "nip", "nama_raw", "referensi_bawaslu", "terbukti",
                "rekomendasi_sanksi", "jenis_pelanggaran", "ppk"]
    right = recs[rec_cols].rename(columns={"nip": "rec_nip", "nama_raw": "rec_nama"})
    by_register = right.merge(left[["nomor_register"]], left_on="referensi_bawaslu", right_on="nomor_register")
    by_letter = right.merge(left[["nomor_register", "nomor_surat_penerusan"]].dropna(),
                            left_on="referensi_bawaslu", right_on="nomor_surat_penerusan")
    linked = pd.concat([by_register.assign(case_link="reference"),
                        by_letter.drop(columns=["nomor_surat_penerusan"]).assign(case_link="reference")])
    linked = linked.drop_duplicates("nomor_rekomendasi")
    unlinked = right[~right["nomor_rekomendasi"].isin(linked["nomor_rekomendasi"])]
    by_nip = unlinked.dropna(subset=["rec_nip"]).merge(
        left[["nomor_register", "case_nip", "tanggal_register"]].dropna(subset=["case_nip"]),
        left_on="rec_nip", right_on="case_nip")
    by_nip = by_nip[by_nip["tanggal_rekomendasi"] >= by_nip["tanggal_register"]]
    by_nip = by_nip.sort_values("tanggal_register").drop_duplicates("nomor_rekomendasi", keep="last")
    linked = pd.concat([linked, by_nip[list(right.columns) + ["nomor_register"]].assign(case_link="same_nip")])
    consolidated = left.merge(linked, on="nomor_register", how="outer")
    orphans = consolidated["nomor_register"].isna()
    consolidated.loc[orphans, "case_link"] = "no_bawaslu_case"
    consolidated["nip"] = consolidated["case_nip"].fillna(consolidated["rec_nip"])
    consolidated = _attach_follow_ups(consolidated, follow_ups)
    persons = _person_columns(registry)
    consolidated = consolidated.merge(persons, on="nip", how="left")
    consolidated["person_match"] = consolidated["registry_nama"].notna().map({True: "exact_nip", False: "unmatched"})
    consolidated["match_confidence"] = consolidated["person_match"].map({"exact_nip": 1.0, "unmatched": 0.0})
    return consolidated.sort_values(["nomor_register", "nomor_rekomendasi"], na_position="last").reset_index(drop=True)


def _attach_follow_ups(frame: pd.DataFrame, follow_ups: pd.DataFrame) -> pd.DataFrame:
    fu = follow_ups[["id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "bkd"]].rename(
        columns={"id": "follow_up_id", "nip": "follow_up_nip", "bkd": "follow_up_bkd"})
    by_number = fu.dropna(subset=["nomor_rekomendasi"]).sort_values("tanggal_sk").drop_duplicates(
        "nomor_rekomendasi", keep="first")
    out = frame.merge(by_number.drop(columns=["follow_up_nip"]), on="nomor_rekomendasi", how="left")
    out["follow_up_link"] = out["follow_up_id"].notna().map({True: "reference", False: None})
    return out


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
        followed_up=consolidated["follow_up_id"].notna(),
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
