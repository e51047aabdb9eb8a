"""Accuracy of reconciliation against a simulator world's ground truth (``truth/*.parquet``), any dialect.

Figures: person matching precision/recall (overall, per source, per noise type and per name group),
the recall *ceiling* set by names shared inside one agency, case-link and follow-up-link
precision/recall, category accuracy, how many respondents who are no civil servants were linked to
a registry person (each one is a wrong link), and the overdue set against the world's truth.
Precision counts wrong links among links made; recall counts right links among all records whose
true counterpart exists in the staged data.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pantau.normalize.names import name_key_series

__all__ = ["evaluate", "world_as_of", "world_dialect"]


def _pr(pred: pd.Series, true: pd.Series) -> dict[str, float]:
    made = pred.notna()
    right = (pred == true) & made
    return {"n": int(len(pred)), "linked": int(made.sum()), "precision": round(float(right.sum() / max(made.sum(), 1)), 5),
            "recall": round(float(right.sum() / max(true.notna().sum(), 1)), 5)}


def _manifest(world: Path) -> dict[str, Any]:
    path = world / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def world_dialect(world: Path) -> str:
    """The dialect a world was generated in (worlds from before the switch are dialect a)."""
    return str(_manifest(world).get("dialect", "a"))


def world_as_of(world: Path) -> dt.date:
    """The world's "today": its newest phase date, the as-of date the demo judges deadlines on."""
    phases = _manifest(world).get("phases") or {}
    if not phases:
        raise ValueError(f"{world}/manifest.json has no phases; pass as_of explicitly")
    return dt.date.fromisoformat(str(phases[max(phases, key=int)])[:10])


def _truth(world: Path) -> dict[str, pd.DataFrame]:
    cases = pd.read_parquet(world / "truth" / "cases.parquet").sort_values(["phase", "updated_at"])
    recs = pd.read_parquet(world / "truth" / "recommendations.parquet").sort_values("phase")
    persons = pd.read_parquet(world / "truth" / "persons.parquet")
    keep = [c for c in ("nip", "nama", "kode_instansi", "name_group") if c in persons.columns]
    if "respondent" not in cases.columns:  # worlds generated before the column existed: all civil servants
        cases = cases.assign(respondent="asn")
    return {"cases": cases.drop_duplicates("nomor_register", keep="last"),
            "recs": recs.drop_duplicates("nomor_rekomendasi", keep="last"),
            "follow_ups": pd.read_parquet(world / "truth" / "follow_ups.parquet"),
            "persons": persons[keep]}


def _person_records(consolidated: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cases = consolidated.dropna(subset=["nomor_register"]).drop_duplicates("nomor_register")
    recs = consolidated.dropna(subset=["nomor_rekomendasi"]).drop_duplicates("nomor_rekomendasi")
    c = cases[["nomor_register", "case_person_nip"]].merge(
        truth["cases"][["nomor_register", "true_nip", "noise", "respondent"]], on="nomor_register")
    r = recs[["nomor_rekomendasi", "rec_person_nip"]].merge(
        truth["recs"][["nomor_rekomendasi", "true_nip", "noise"]], on="nomor_rekomendasi").assign(respondent="asn")
    records = pd.concat([c.rename(columns={"case_person_nip": "pred"}).assign(source="bawaslu"),
                         r.rename(columns={"rec_person_nip": "pred"}).assign(source="exports")], ignore_index=True)
    persons = truth["persons"]
    if "name_group" in persons.columns:
        group = records["true_nip"].map(pd.Series(persons["name_group"].to_numpy(), index=persons["nip"].to_numpy()))
    else:
        group = pd.Series("unknown", index=records.index)
    records["name_group"] = group.where(records["respondent"].eq("asn"), "non_asn").fillna("unknown")
    return records


def _ceiling(records: pd.DataFrame, persons: pd.DataFrame) -> tuple[float, float]:
    """(recall ceiling, within-agency shared-name rate among the records' persons).

    A record without a usable NIP can only be linked by name inside its agency; when its person
    shares the folded name with someone else there, no matcher can decide (it goes to review).
    """
    records = records[records["true_nip"].notna()]
    keyed = persons.assign(key=name_key_series(persons["nama"].fillna("")))
    counts = keyed.groupby(["kode_instansi", "key"])["nip"].transform("size")
    shared = pd.Series((counts > 1).to_numpy(), index=keyed["nip"].to_numpy())
    person_shared = records["true_nip"].map(shared).fillna(False).astype(bool)
    no_nip = records["noise"].fillna("").str.contains("nip_missing|nip_excel_sci")
    return round(1 - float((no_nip & person_shared).mean()), 5), round(float(person_shared.mean()), 5)


def _case_links(consolidated: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> dict[str, Any]:
    recs = consolidated.dropna(subset=["nomor_rekomendasi"]).drop_duplicates("nomor_rekomendasi")
    staged_cases = set(consolidated["nomor_register"].dropna())
    t = truth["recs"][["nomor_rekomendasi", "nomor_register"]].rename(columns={"nomor_register": "true_case"})
    m = recs[["nomor_rekomendasi", "nomor_register"]].merge(t, on="nomor_rekomendasi")
    m["true_case"] = m["true_case"].where(m["true_case"].isin(staged_cases))
    return _pr(m["nomor_register"], m["true_case"])


def _follow_up_links(consolidated: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> dict[str, Any]:
    fu = truth["follow_ups"]
    t = pd.DataFrame({"follow_up_key": fu["bkd"].astype(str) + "#" + fu["id"].astype(str),
                      "true_rec": fu["nomor_rekomendasi"]})
    got = consolidated.dropna(subset=["follow_up_key"])[["follow_up_key", "nomor_rekomendasi"]]
    m = got.merge(t, on="follow_up_key")
    m["true_rec"] = m["true_rec"].where(m["true_rec"].isin(set(consolidated["nomor_rekomendasi"].dropna())))
    return _pr(m["nomor_rekomendasi"], m["true_rec"])


def _per(records: pd.DataFrame, column: str) -> pd.DataFrame:
    if column == "noise":
        records = records.assign(noise=records["noise"].fillna("none").str.split(";")).explode("noise")
    rows = [{column: k, **_pr(g["pred"], g["true_nip"])} for k, g in records.groupby(column, sort=True)]
    return pd.DataFrame(rows)


def _non_asn(records: pd.DataFrame) -> dict[str, int]:
    """Respondents who are no civil servants: none of them may be linked to a registry person."""
    outsiders = records[records["respondent"].eq("non_asn")]
    return {"respondents": int(len(outsiders)), "linked": int(outsiders["pred"].notna().sum())}


def _published_share(consolidated: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """How many of the world's usable cases and recommendations reached the consolidated frame at all.

    The P/R figures only see records that were staged; a record quarantined over a spelling never
    shows up in them, so this says how much of the world they are about.
    """
    out = {}
    for name, frame, key in (("cases", truth["cases"], "nomor_register"),
                             ("recommendations", truth["recs"], "nomor_rekomendasi")):
        usable = set(frame.loc[frame["reject_reason"].isna(), key].dropna())
        got = len(usable & set(consolidated[key].dropna()))
        out[name] = {"usable": len(usable), "published": got, "share": round(got / max(len(usable), 1), 5)}
    return out


def _number_key(values: pd.Series) -> pd.Series:
    """Recommendation numbers compared without case or whitespace differences."""
    return values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)


def _overdue(consolidated: pd.DataFrame, truth: dict[str, pd.DataFrame], as_of: dt.date, policy: Any
             ) -> dict[str, Any]:
    """The overdue set Pantau publishes against the world's: a proven recommendation without a follow-up
    decree recorded by the as-of date whose due date (under ``policy``) has passed.

    Recommendations whose row is malformed in the source, or whose only decree lacks its number and
    date, are left out of both sets: the data cannot say whether they are overdue.
    """
    from pantau.followup import deadlines
    from pantau.pipeline.reconcile import overdue

    recs = truth["recs"]
    if "tanggal_rekomendasi" not in recs.columns:
        return {"as_of": as_of.isoformat(), "skipped": "truth/recommendations.parquet has no tanggal_rekomendasi"}
    fu = truth["follow_ups"].dropna(subset=["nomor_rekomendasi"])
    usable = fu["reject_reason"].isna() & (pd.to_datetime(fu["tanggal_sk"]).dt.date <= as_of)
    followed = set(_number_key(fu.loc[usable, "nomor_rekomendasi"]))
    unclear = set(_number_key(fu.loc[~usable, "nomor_rekomendasi"])) - followed
    keys = _number_key(recs["nomor_rekomendasi"])
    excluded = unclear | set(keys[recs["reject_reason"].notna()])
    proven = recs["proven"].fillna(False).astype(bool) & recs["reject_reason"].isna()
    due = pd.Series([deadlines(dt.date.fromisoformat(str(d)[:10]), policy).due_date < as_of if pd.notna(d) else False
                     for d in recs["tanggal_rekomendasi"]], index=recs.index)
    true_set = set(keys[proven & due & ~keys.isin(followed)]) - excluded
    published = overdue(consolidated, as_of, policy)
    late = published[published["state"].isin(["overdue", "escalated"])]
    pred_set = set(_number_key(late["nomor_rekomendasi"].dropna())) - excluded
    right = len(pred_set & true_set)
    return {"as_of": as_of.isoformat(), "true": len(true_set), "published": len(pred_set), "right": right,
            "precision": round(right / max(len(pred_set), 1), 5), "recall": round(right / max(len(true_set), 1), 5),
            "left_out_unclear": len(excluded)}


def evaluate(consolidated: pd.DataFrame, world: Path, as_of: dt.date | None = None,
             policy: Any = None) -> dict[str, Any]:
    """All accuracy figures for one consolidated frame of ``world``.

    ``as_of`` defaults to the world's newest phase date, ``policy`` to the default follow-up policy.
    """
    from pantau.settings import FollowUpPolicy

    world = Path(world)
    truth = _truth(world)
    records = _person_records(consolidated, truth)
    ceiling, shared = _ceiling(records, truth["persons"])
    cases = consolidated.dropna(subset=["nomor_register"]).drop_duplicates("nomor_register")
    cat = cases[["nomor_register", "category"]].merge(truth["cases"][["nomor_register", "true_category"]],
                                                      on="nomor_register")
    return {
        "dialect": world_dialect(world),
        "published_share": _published_share(consolidated, truth),
        "person": _pr(records["pred"], records["true_nip"]),
        "person_recall_ceiling": ceiling,
        "records_person_shares_name_in_agency": shared,
        "person_by_source": {s: _pr(g["pred"], g["true_nip"]) for s, g in records.groupby("source")},
        "person_by_noise": _per(records, "noise"),
        "person_by_name_group": _per(records, "name_group"),
        "non_asn_respondents": _non_asn(records),
        "case_link": _case_links(consolidated, truth),
        "follow_up_link": _follow_up_links(consolidated, truth),
        "overdue": _overdue(consolidated, truth, as_of or world_as_of(world), policy or FollowUpPolicy()),
        "category_accuracy": round(float(np.mean(cat["category"] == cat["true_category"])), 5) if len(cat) else None,
        "category_n": int(len(cat)),
    }
