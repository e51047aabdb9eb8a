"""Blocking candidates: the recommendations past the escalation step, as BKN and Kemendagri need them.

BKN may block the personnel data of a civil servant whose PPK ignored a recommendation (Peraturan BKN
1/2023) and Kemendagri may warn the regional head (docs/DOMAIN.md §2.3); the decision stays with them,
Pantau only lists the candidates. A recommendation whose block is already recorded (follow-up state
``blocked``) is no longer a candidate.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pantau.normalize.dates import working_days_between
from pantau.normalize.frames import as_dates, present

__all__ = ["BLOCKING_COLUMNS", "blocking_candidates"]

BLOCKING_COLUMNS = ["nama", "nip", "registry_kode_instansi", "registry_nama_instansi", "ppk", "registry_kode_wilayah",
                    "case_kode_wilayah", "pemilihan", "nomor_register", "nomor_rekomendasi", "tanggal_rekomendasi",
                    "rekomendasi_sanksi", "due_date", "escalation_date", "as_of", "working_days_past_due",
                    "working_days_past_escalation"]
_TYPED = ("tanggal_rekomendasi", "due_date", "escalation_date", "as_of", "working_days_past_due",
          "working_days_past_escalation")


def blocking_candidates(overdue: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The escalated, not yet blocked rows of the overdue dataset (:data:`BLOCKING_COLUMNS`).

    ``nama`` is the registry's name, else the recommendation's. ``working_days_past_due`` and
    ``working_days_past_escalation`` count the working days after the due (escalation) date up to and
    including ``as_of``: the due date is the last day to act, so the first working day after it is day 1.
    Sorted by escalation date, agency, recommendation number and NIP (stable).
    """
    wanted = present(overdue, "state").eq("escalated") & present(overdue, "follow_up_state").ne("blocked")
    rows = overdue[wanted.to_numpy(dtype=bool)].reset_index(drop=True)
    out = pd.DataFrame(index=rows.index)
    name = present(rows, "registry_nama")
    out["nama"] = name.where(name.notna(), present(rows, "rec_nama"))
    for column in BLOCKING_COLUMNS[1:10]:
        out[column] = present(rows, column)
    out["tanggal_rekomendasi"] = as_dates(present(rows, "tanggal_rekomendasi"))
    out["rekomendasi_sanksi"] = present(rows, "rekomendasi_sanksi")
    out["due_date"] = as_dates(present(rows, "due_date"))
    out["escalation_date"] = as_dates(present(rows, "escalation_date"))
    out["as_of"] = as_of
    for column, since in (("working_days_past_due", "due_date"), ("working_days_past_escalation", "escalation_date")):
        days = [None if pd.isna(d) else working_days_between(d, as_of) for d in out[since]]
        out[column] = pd.array(days, dtype="Int64")
    order = out.assign(_esc=out["escalation_date"].map(lambda d: (pd.isna(d), d if not pd.isna(d) else date.min)),
                       _agency=out["registry_kode_instansi"].fillna(""), _rec=out["nomor_rekomendasi"].fillna(""),
                       _nip=out["nip"].fillna(""))
    order = order.sort_values(["_esc", "_agency", "_rec", "_nip"], kind="mergesort")
    out = out.loc[order.index, BLOCKING_COLUMNS].reset_index(drop=True)
    for column in BLOCKING_COLUMNS:
        if column not in _TYPED:
            out[column] = out[column].astype("str")
    return out
