"""Full vs. incremental validation of a staged registry frame after a 1 % change (issue 14).

    PYTHONPATH=include python scripts/bench_validation.py --rows 1000000 --repeat 3

Builds a synthetic staged registry (the registry suite's columns, Parquet round-tripped so the
dtypes are the staged ones, 0.5 % of NIPs malformed so there is a quarantine), validates it once
keeping the per-row verdicts, changes 1 % of the rows (0.8 % renamed, 0.1 % NIPs broken, 0.05 %
removed, 0.05 % added), then times a full validation and an incremental one of the new version,
``--repeat`` times each, and prints the medians. It also checks both give the same result.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import date

import numpy as np
import pandas as pd

from pantau.settings import ValidationSettings
from pantau.validation import validate_frame
from pantau.validation.incremental import prior_from

AS_OF = date(2025, 6, 30)


def registry(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nips = pd.Series([f"19{i:016d}" for i in range(rows)])
    nips[rng.choice(rows, rows // 200, replace=False)] = "12345"
    jenis = np.where(rng.random(rows) < 0.2, "PPPK", "PNS")
    frame = pd.DataFrame({
        "nip": nips, "nama": [f"Orang {i}" for i in range(rows)], "gelar_depan": None, "gelar_belakang": "S.Pd",
        "tanggal_lahir": (pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 15000, rows), unit="D"))
        .strftime("%Y-%m-%d"),
        "jenis_kelamin": np.where(rng.random(rows) < 0.5, "1", "2"), "jenis_asn": jenis, "jenis_asn_raw": jenis,
        "jenis_asn_mapping": "exact:1.00", "kode_instansi": "13.06.02", "nama_instansi": "Dinas Pendidikan",
        "unit_kerja": [f"SD Negeri {i % 500}" for i in range(rows)], "jabatan": "Guru", "golongan": "III/a",
        "kode_wilayah": "13.06", "status": "aktif", "status_raw": "Aktif", "status_mapping": "exact:1.00",
        "updated_at": pd.Timestamp("2025-01-01T02:00:00Z"), "nip_raw": nips, "nip_valid": True, "nip_reason": None,
        "name_key": [f"orang {i}" for i in range(rows)], "bkd": "sumbar",
    })
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return pd.read_parquet(io.BytesIO(buffer.getvalue()))


def changed(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = len(frame)
    picked = rng.choice(rows, rows // 100, replace=False)
    renamed, broken, removed, added = np.split(picked, [int(rows * 0.008), int(rows * 0.009), int(rows * 0.0095)])
    new = frame.copy()
    new.loc[renamed, "nama"] = new.loc[renamed, "nama"] + " S.Pd"
    new.loc[broken, "nip"] = "99"
    extra = frame.iloc[added].assign(nip=[f"29{i:016d}" for i in range(len(added))])
    return pd.concat([new.drop(index=removed), extra], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = ValidationSettings()
    old = registry(args.rows, 1)
    new = changed(old, 2)
    validate_frame("registry", old.head(50), run_key="warm", as_of=AS_OF, previous_rows=None, settings=settings)
    first = validate_frame("registry", old, run_key="r1", as_of=AS_OF, previous_rows=None, settings=settings,
                           track_rows=True)
    prior = prior_from(first.verdicts, len(old), AS_OF.isoformat(), first.fingerprint)
    timings: dict[str, list[float]] = {"full": [], "incremental": []}
    outcomes = {}
    for _ in range(args.repeat):
        for mode in timings:
            started = time.monotonic()
            outcomes[mode] = validate_frame("registry", new, run_key="r2", as_of=AS_OF, previous_rows=len(old),
                                            settings=settings, track_rows=True,
                                            prior=prior if mode == "incremental" else None)
            timings[mode].append(time.monotonic() - started)
    full, incremental = outcomes["full"], outcomes["incremental"]
    pd.testing.assert_frame_equal(full.valid, incremental.valid)
    pd.testing.assert_frame_equal(full.quarantine, incremental.quarantine)
    summary = incremental.summary
    print(f"rows {len(new)}, rows checked incrementally {summary['rows_checked']} "
          f"({summary['rows_new']} new or changed), quarantined {summary['rows_quarantined']} (equal in both)")
    for mode, values in timings.items():
        print(f"{mode:12s} median {statistics.median(values):6.2f} s  runs {', '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
