"""Accuracy of reconciliation against a simulator world's ground truth (``truth/*.parquet``).

Figures: person matching precision/recall (overall and per noise type), the recall *ceiling* set by
names shared inside one agency, case-link and follow-up-link precision/recall, and category
accuracy. Precision counts wrong links among links made; recall counts right links among all
records whose true counterpart exists in the staged data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pantau.normalize.names import name_key_series

__all__ = ["evaluate"]


def _pr(pred: pd.Series, true: pd.Series) -> dict[str, float]:
    made = pred.notna()
    right = (pred == true) & made
    return {"n": int(len(pred)), "linked": int(made.sum()), "precision": round(float(right.sum() / max(made.sum(), 1)), 5),
            "recall": round(float(right.sum() / max(true.notna().sum(), 1)), 5)}


def _truth(world: Path) -> dict[str, pd.DataFrame]:
    cases = pd.read_parquet(world / "truth" / "cases.parquet").sort_values(["phase", "updated_at"])
    recs = pd.read_parquet(world / "truth" / "recommendations.parquet").sort_values("phase")
    return {"cases": cases.drop_duplicates("nomor_register", keep="last"),
            "recs": recs.drop_duplicates("nomor_rekomendasi", keep="last"),
            "follow_ups": pd.read_parquet(world / "truth" / "follow_ups.parquet"),
            "persons": pd.read_parquet(world / "truth" / "persons.parquet",
                                       columns=["nip", "nama", "kode_instansi"])}


def _person_records(consolidated: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cases = consolidated.dropna(subset=["nomor_register"]).drop_duplicates("nomor_register")
    recs = consolidated.dropna(subset=["nomor_rekomendasi"]).drop_duplicates("nomor_rekomendasi")
    c = cases[["nomor_register", "case_person_nip"]].merge(
        truth["cases"][["nomor_register", "true_nip", "noise"]], on="nomor_register")
    r = recs[["nomor_rekomendasi", "rec_person_nip"]].merge(
        truth["recs"][["nomor_rekomendasi", "true_nip", "noise"]], on="nomor_rekomendasi")
    return pd.concat([c.rename(columns={"case_person_nip": "pred"}).assign(source="bawaslu"),
                      r.rename(columns={"rec_person_nip": "pred"}).assign(source="exports")], ignore_index=True)


def _ceiling(records: pd.DataFrame, persons: pd.DataFrame) -> tuple[float, float]:
    """(recall ceiling, within-agency shared-name rate among the records' persons).

    A record without a usable NIP can only be linked by name inside its agency; when its person
    shares the folded name with someone else there, no matcher can decide (it goes to review).
    """
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


def _per_noise(records: pd.DataFrame) -> pd.DataFrame:
    exploded = records.assign(noise=records["noise"].fillna("none").str.split(";")).explode("noise")
    rows = [{"noise": k, **_pr(g["pred"], g["true_nip"])} for k, g in exploded.groupby("noise", sort=True)]
    return pd.DataFrame(rows)


def evaluate(consolidated: pd.DataFrame, world: Path) -> dict[str, Any]:
    """All accuracy figures for one consolidated frame of ``world``."""
    truth = _truth(world)
    records = _person_records(consolidated, truth)
    ceiling, shared = _ceiling(records, truth["persons"])
    cases = consolidated.dropna(subset=["nomor_register"]).drop_duplicates("nomor_register")
    cat = cases[["nomor_register", "category"]].merge(truth["cases"][["nomor_register", "true_category"]],
                                                      on="nomor_register")
    return {
        "person": _pr(records["pred"], records["true_nip"]),
        "person_recall_ceiling": ceiling,
        "records_person_shares_name_in_agency": shared,
        "person_by_source": {s: _pr(g["pred"], g["true_nip"]) for s, g in records.groupby("source")},
        "person_by_noise": _per_noise(records),
        "case_link": _case_links(consolidated, truth),
        "follow_up_link": _follow_up_links(consolidated, truth),
        "category_accuracy": round(float(np.mean(cat["category"] == cat["true_category"])), 5),
        "category_n": int(len(cat)),
    }
