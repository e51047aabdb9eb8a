"""Clean frames for every suite, built small and by hand so each test can inject one defect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from pantau.settings import ValidationSettings

AS_OF = date(2025, 6, 30)
WIB = timezone(timedelta(hours=7))
NIPS = ["197005122000031002", "198004112005012003", "199001012020121001", "198512302010011004"]
#: Vocabulary columns hold codes; the value as sent and how it mapped sit beside them.
SANKSI = "MORAL_TERTUTUP"
SANKSI_RAW = "Sanksi moral berupa pernyataan secara tertutup"


def _nip_fields(n: int) -> dict[str, list[object]]:
    nips = [NIPS[i % len(NIPS)] for i in range(n)]
    return {"nip_raw": nips, "nip": nips, "nip_valid": [True] * n, "nip_reason": [None] * n}


def _evidence(column: str, raw: list[object], mapping: str = "exact:1.00") -> dict[str, list[object]]:
    return {f"{column}_raw": raw, f"{column}_mapping": [mapping if v is not None else "empty:0.00" for v in raw]}


def bawaslu_cases(n: int = 4) -> pd.DataFrame:
    reg = [date(2024, 1, 10) + timedelta(days=i % 300) for i in range(n)]
    jenis = ["laporan", "temuan"] * (n // 2) + ["laporan"] * (n % 2)
    return pd.DataFrame({
        "nomor_register": [f"{i:03d}/Reg/LP/PL/Kab/13.06/I/2024" for i in range(n)],
        "jenis": jenis, **_evidence("jenis", list(jenis)),
        "tanggal_register": reg, "pemilihan": ["Pemilu 2024"] * n, "kode_wilayah": ["13.06"] * n,
        "provinsi": ["Sumatera Barat"] * n, "kabupaten_kota": ["Kabupaten Agam"] * n,
        "nama_raw": [f"Drs. Orang {i}, M.Si" for i in range(n)], "nama": [f"Orang {i}" for i in range(n)],
        "gelar_depan": ["Drs."] * n, "gelar_belakang": ["M.Si"] * n, "name_key": [f"orang {i}" for i in range(n)],
        **_nip_fields(n), "nip_excel_damaged": [False] * n, "jabatan": ["Guru"] * n,
        "instansi_raw": ["Disdik Kab. Agam"] * n, "instansi": ["13.06.02"] * n, "uraian": ["membagikan unggahan"] * n,
        "kategori": ["MEDSOS_INTERAKSI"] + [None] * (n - 1),
        **_evidence("kategori", ["Medsos Interaksi"] + [None] * (n - 1), "synonym:1.00"),
        "status": ["diteruskan"] * n, **_evidence("status", ["Diteruskan ke KASN"] * n, "synonym:1.00"),
        "tanggal_diteruskan": [d + timedelta(days=5) for d in reg],
        "nomor_surat_penerusan": [f"{i:03d}/PM.00.02/K.SB-06/01/2024" for i in range(n)],
        "updated_at": [datetime(2024, 2, 1, 9, 0, tzinfo=WIB)] * n, "raw_key": ["raw/bawaslu/x.json"] * n,
    })


def recommendations(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({
        "nomor_rekomendasi": [f"R-{i:04d}/KASN/2024" for i in range(n)],
        "tanggal_rekomendasi": [date(2024, 3, 1) + timedelta(days=i) for i in range(n)],
        "nama_raw": [f"Orang {i}" for i in range(n)], "nama": [f"Orang {i}" for i in range(n)],
        "gelar_depan": [None] * n, "gelar_belakang": [None] * n, "name_key": [f"orang {i}" for i in range(n)],
        **_nip_fields(n), "nip_excel_damaged": [False] * n, "jabatan": ["Guru"] * n,
        "instansi_raw": ["Disdik Kab. Agam"] * n, "instansi": ["13.06.02"] * n, "ppk": ["Bupati Agam"] * n,
        "jenis_pelanggaran": ["HADIR_KAMPANYE"] * n,
        **_evidence("jenis_pelanggaran", ["Menghadiri deklarasi atau kampanye calon"] * n),
        "rekomendasi_sanksi": [SANKSI] * (n - 1) + ["TANPA_SANKSI"],
        **_evidence("rekomendasi_sanksi", [SANKSI_RAW] * (n - 1) + ["-"]), "referensi_bawaslu": [None] * n,
        "terbukti": [True] * (n - 1) + [False], **_evidence("terbukti", ["Ya"] * (n - 1) + ["Tidak"], "synonym:1.00"),
        "source_file": ["rekomendasi_2024-03.xlsx"] * n,
        "source_sha256": ["ab" * 32] * n, "source_row": list(range(5, 5 + n)),
        "published_at": ["2024-03-31T10:00:00+07:00"] * n,
    })


def registry(n: int = 4) -> pd.DataFrame:
    nips = [f"1970051220000310{i:02d}" for i in range(n)]
    return pd.DataFrame({
        "nip": nips, "nama": [f"Orang {i}" for i in range(n)], "gelar_depan": [None] * n, "gelar_belakang": [None] * n,
        "tanggal_lahir": ["1970-05-12"] * n, "jenis_kelamin": ["1"] * n, "jenis_asn": ["PNS"] * (n - 1) + ["PPPK"],
        **_evidence("jenis_asn", ["PNS"] * (n - 1) + ["P3K"]),
        "kode_instansi": ["13.06.02"] * n, "nama_instansi": ["Dinas Pendidikan Kabupaten Agam"] * n,
        "unit_kerja": ["SD Negeri 1"] * n, "jabatan": ["Guru"] * n, "golongan": ["III/a"] * n,
        "kode_wilayah": ["13.06"] * n, "status": ["aktif"] * (n - 1) + ["pensiun"],
        **_evidence("status", ["Aktif"] * (n - 1) + ["Pensiun"]),
        "updated_at": pd.to_datetime(["2025-01-01T02:00:00Z"] * n), "nip_raw": nips, "nip_valid": [True] * n,
        "nip_reason": [None] * n, "name_key": [f"orang {i}" for i in range(n)], "bkd": ["sumbar"] * n,
    })


def follow_ups(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [str(i + 1) for i in range(n)], "nomor_rekomendasi": [f"R-{i:04d}/KASN/2024" for i in range(n - 1)] + [None],
        "nip": [NIPS[i % len(NIPS)] for i in range(n)], "nomor_sk": [f"800/{i}/BKD/2024" for i in range(n)],
        "tanggal_sk": [date(2024, 4, 1) + timedelta(days=i) for i in range(n)], "jenis_sanksi": [SANKSI] * n,
        **_evidence("jenis_sanksi", ["Pernyataan tertutup"] * n, "synonym:1.00"),
        "keterangan": [None] * n, "updated_at": pd.to_datetime(["2024-04-10T03:00:00Z"] * n),
        "nip_raw": [NIPS[i % len(NIPS)] for i in range(n)], "nip_valid": [True] * n, "nip_reason": [None] * n,
        "bkd": ["sumbar"] * n,
    })


def consolidated_cases(n: int = 4) -> pd.DataFrame:
    reg = [date(2024, 1, 10) + timedelta(days=i % 300) for i in range(n)]
    return pd.DataFrame({
        "nomor_register": [f"{i:03d}/Reg/LP/PL/Kab/13.06/I/2024" for i in range(n)],
        "nomor_surat_penerusan": [None] * n, "tanggal_register": reg, "pemilihan": ["Pemilu 2024"] * n,
        "case_kode_wilayah": ["13.06"] * n, "case_status": ["diteruskan"] * n,
        "tanggal_diteruskan": [d + timedelta(days=5) for d in reg], "case_nama": ["Orang"] * n,
        "case_instansi": ["Disdik Kab. Agam"] * n, "kategori": ["FOTO_POSE"] * n, "uraian": ["foto"] * n,
        "nomor_rekomendasi": [f"R-{i:04d}/KASN/2024" for i in range(n)],
        "tanggal_rekomendasi": [d + timedelta(days=30) for d in reg], "rec_nama": ["Orang"] * n,
        "referensi_bawaslu": [None] * n, "terbukti": [True] * n, "rekomendasi_sanksi": [SANKSI] * n,
        "jenis_pelanggaran": ["FOTO_POSE"] * n,
        "ppk": ["Bupati Agam"] * n, "case_link": ["reference"] * (n - 1) + ["same_person_window"],
        "nip": [NIPS[i % len(NIPS)] for i in range(n)], "follow_up_id": ["1"] + [None] * (n - 1),
        "follow_up_key": ["bkd01:1"] + [None] * (n - 1),
        "nomor_sk": ["800/1/BKD/2024"] + [None] * (n - 1),
        "tanggal_sk": [reg[0] + timedelta(days=50)] + [None] * (n - 1), "jenis_sanksi": [SANKSI] + [None] * (n - 1),
        "follow_up_link": ["reference"] + [None] * (n - 1), "person_match": ["exact_nip"] * n,
        "match_confidence": [1.0] * n,
    })


def overdue_recommendations(n: int = 4) -> pd.DataFrame:
    rec = [date(2025, 3, 1) + timedelta(days=i) for i in range(n)]
    due = [d + timedelta(days=20) for d in rec]
    return pd.DataFrame({
        "nomor_rekomendasi": [f"R-{i:04d}/BKN/2025" for i in range(n)], "tanggal_rekomendasi": rec,
        "terbukti": [True] * n, "follow_up_id": [None] * n, "nip": [NIPS[i % len(NIPS)] for i in range(n)],
        "registry_kode_instansi": ["13.06.02"] * n, "due_date": due, "escalation_date": [d + timedelta(days=20) for d in due],
        "as_of": [AS_OF] * n, "state": ["escalated"] * n, "days_overdue": [(AS_OF - d).days for d in due],
    })


def compliance_statistics(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({
        "level": ["kabkota"] * n, "election": ["Pemilu 2024"] * n, "province_code": ["13"] * n,
        "province_name": ["Sumatera Barat"] * n, "kabkota_code": [f"13.0{i}" for i in range(n)],
        "kabkota_name": [f"Kab {i}" for i in range(n)], "agency_code": [None] * n, "agency_name": [None] * n,
        "persons": [10] * n, "reported": [10] * n, "forwarded": [8] * n, "recommended": [6] * n, "proven": [5] * n,
        "followed_up": [3] * n, "follow_up_rate": [0.6] * (n - 1) + [None],
        "median_working_days_to_follow_up": [12.0] * (n - 1) + [None], "suppressed": [False] * n,
        "suppression_note": [None] * n,
    })


FACTORIES: dict[str, Callable[..., pd.DataFrame]] = {
    "bawaslu_cases": bawaslu_cases, "recommendations": recommendations, "registry": registry,
    "follow_ups": follow_ups, "consolidated_cases": consolidated_cases,
    "overdue_recommendations": overdue_recommendations, "compliance_statistics": compliance_statistics,
}


@pytest.fixture(scope="session")
def settings() -> ValidationSettings:
    # quarantine_min_rows above the factories' size: single-defect tests must not trip the share rule.
    return ValidationSettings(quarantine_min_rows=1000)

