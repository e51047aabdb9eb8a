"""Issue 9 at staging: what real agencies send is staged with codes and evidence, never dropped unseen.

Each source gets data written the way independent agencies write it (short labels, a decree sanction
one word shorter, a NIP as a JSON number, headers with brackets and abbreviations, fields and columns
nobody asked for); the staged rows, the run summary and the task log are checked.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from pantau.pipeline import bawaslu, bkd, recommendations
from pantau.pipeline.runs import counts_dict
from pantau.settings import ValidationSettings
from pantau.sources.bkd import BkdSource
from pantau.storage import sha256_hex

NIP = 197005121995031002


def _case(number: object, **changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "nomor_register": number, "jenis": "laporan", "tanggal_register": "2024-02-01", "pemilihan": "Pemilu 2024",
        "kode_wilayah": "13.06", "provinsi": "Sumatera Barat", "kabupaten_kota": "Kabupaten Agam",
        "terlapor": {"nama": "Drs. Budi Santoso", "nip": str(NIP), "jabatan": "Guru", "instansi": "Disdik Kab. Agam"},
        "uraian": "Terlapor memberikan tanda suka pada unggahan calon.", "kategori": None, "status": "diteruskan",
        "tanggal_diteruskan": "2024-02-10", "nomor_surat_penerusan": "001/PM/2024",
        "updated_at": "2024-02-10T09:00:00+07:00",
    }
    record.update(changes)
    return record


def _terlapor(**changes: object) -> dict[str, object]:
    return {"nama": "Budi Santoso", "nip": str(NIP), "jabatan": "Guru", "instansi": "Disdik Kab. Agam", **changes}


def _stage_bawaslu(store, records: list[object]):
    key = "raw/bawaslu/vocab/l1/scan1-page00001.json"
    store.put_once(key, json.dumps({"data": records, "meta": {"total": len(records)}}).encode(), "application/json")
    store.put_json("raw/bawaslu/vocab/manifest.json", {"pages": [key], "boundary": []})
    return bawaslu.stage_from_raw(store, "vocab")


def test_bawaslu_record_as_an_independent_api_writes_it(store, caplog: pytest.LogCaptureFixture) -> None:
    records = [
        _case("A-1", terlapor=_terlapor(nip=NIP)),  # NIP as a JSON number: exact
        _case("A-2", terlapor=_terlapor(nip=1.970051219950310e17)),  # a float: Excel-style damage
        _case(12345, kode_wilayah=13.1),  # register number and region code as numbers
        _case("A-4", status="Diteruskan ke BKN", jenis="Temuan", kategori="Medsos Interaksi"),
        _case("A-5", status="Ditunda sementara", kategori="Kampanye hitam"),  # unknown: kept, flagged
        _case("A-6", sumber_informasi="Patroli siber", terlapor=_terlapor(pangkat="III/a")),
        _case("A-7", tanggal_register=20240201),  # a date as a number stays unreadable
    ]
    with caplog.at_level(logging.WARNING, logger="pantau.pipeline.runs"):
        new, quarantine, count = _stage_bawaslu(store, records)
    rows = new.set_index("nomor_register")
    assert quarantine["reason_code"].tolist() == ["wrong_type"] and quarantine["record_key"].tolist() == ["A-7"]
    assert (rows.at["A-1", "nip"], bool(rows.at["A-1", "nip_valid"])) == (str(NIP), True)
    assert rows.at["A-1", "nip_raw"] == str(NIP)
    assert bool(rows.at["A-2", "nip_excel_damaged"]) and not bool(rows.at["A-2", "nip_valid"])
    assert rows.at["12345", "kode_wilayah"] == "13.10"
    assert (rows.at["A-4", "status"], rows.at["A-4", "jenis"], rows.at["A-4", "kategori"]) == (
        "diteruskan", "temuan", "MEDSOS_INTERAKSI")
    assert rows.at["A-4", "status_raw"] == "Diteruskan ke BKN" and rows.at["A-4", "status_mapping"] == "synonym:1.00"
    assert pd.isna(rows.at["A-5", "status"]) and rows.at["A-5", "status_raw"] == "Ditunda sementara"
    assert rows.at["A-5", "status_mapping"] == "unknown:0.00" and pd.isna(rows.at["A-5", "kategori"])
    # Unknown fields are reported in the run summary and the task log, with how many records had them.
    assert {(h["file"], h["header"], h["records"]) for h in count.unrecognised_headers} == {
        ("bawaslu record", "sumber_informasi", 1), ("bawaslu record terlapor", "pangkat", 1)}
    assert any("sumber_informasi" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    summary = json.loads(json.dumps(counts_dict([count])))[0]
    status = summary["vocabulary"]["status"]
    assert status["methods"] == {"exact": 4, "synonym": 1, "unknown": 1}  # A-7 was quarantined
    assert status["unknown"] == [{"raw": "Ditunda sementara", "rows": 1, "suggestion": None, "suggestion_score": None}]
    assert summary["vocabulary"]["kategori"]["unknown"][0]["raw"] == "Kampanye hitam"


def test_bawaslu_cases_with_unknown_values_pass_validation(store) -> None:
    from pantau.validation import validate_frame

    new, _, _ = _stage_bawaslu(store, [_case(f"B-{i}", status="Ditunda sementara") for i in range(30)])
    settings = ValidationSettings(quarantine_min_rows=1)
    outcome = validate_frame("bawaslu_cases", new, run_key="t", as_of=date(2025, 1, 1), previous_rows=None,
                             settings=settings)
    assert outcome.summary["success"] and len(outcome.valid) == 30 and outcome.quarantine.empty
    assert outcome.summary["rows_flagged"] == 30


HEADER = ["No", "No. Rekomendasi", "Tgl Rekom", "Nama", "NIP/NRP", "Jabatan", "Instansi",
          "Pejabat Pembina Kepegawaian (PPK)", "Jenis Pelanggaran Netralitas", "Sanksi yang direkomendasikan",
          "Referensi Bawaslu", "Ket. Terbukti", "Catatan Internal"]
ROWS = [
    ["1", "R-1/KASN/2024", "2024-03-14", "Budi Santoso", "197005121995031002", "Guru", "Disdik Kab. Agam",
     "Bupati Agam", "Medsos Interaksi", "Pernyataan tertutup", "", "Ya", "cek ulang"],
    ["2", "R-2/KASN/2024", "2024-03-14", "Ani Lestari", "198004112005012003", "Staf", "Setda Kota Padang",
     "Wali Kota Padang", "Berfoto dengan paslon", "Disiplin sedang", "", "Terbukti", ""],
    ["3", "R-3/KASN/2024", "2024-03-15", "Joko", "", "Lurah", "Kec. Lubuk Basung", "Bupati Agam",
     "Pelanggaran kode etik", "-", "", "-", ""],
]


def _stage_export(store, name: str, content: bytes):
    sha = sha256_hex(content)
    key = f"raw/recommendations/vocab/files/{sha[:16]}/{name}"
    store.put_once(key, content)
    store.put_json("raw/recommendations/vocab/manifest.json", {"files": [
        {"name": name, "sha256": sha, "updated_at": "2024-03-31T10:00:00+07:00", "key": key}]})
    return recommendations.stage_from_raw(store, "vocab")


def test_recommendation_export_as_an_independent_office_writes_it(store, caplog: pytest.LogCaptureFixture) -> None:
    content = "\n".join(";".join(r) for r in [HEADER, *ROWS]).encode("utf-8")
    with caplog.at_level(logging.WARNING, logger="pantau.pipeline.runs"):
        new, quarantine, count = _stage_export(store, "rekap_maret.csv", content)
    assert quarantine.empty and len(new) == 3  # nothing rejected over a label
    rows = new.set_index("nomor_rekomendasi")
    assert rows["jenis_pelanggaran"].tolist()[:2] == ["MEDSOS_INTERAKSI", "FOTO_POSE"]
    assert pd.isna(rows.at["R-3/KASN/2024", "jenis_pelanggaran"])  # unknown: the linked case decides
    assert rows.at["R-3/KASN/2024", "jenis_pelanggaran_raw"] == "Pelanggaran kode etik"
    assert rows["rekomendasi_sanksi"].tolist() == ["MORAL_TERTUTUP", "DISIPLIN_SEDANG", "TANPA_SANKSI"]
    assert rows["terbukti"].tolist()[:2] == [True, True] and pd.isna(rows.at["R-3/KASN/2024", "terbukti"])
    assert rows.at["R-3/KASN/2024", "terbukti_mapping"] == "empty:0.00"
    assert rows.at["R-1/KASN/2024", "ppk"] == "Bupati Agam" and rows.at["R-1/KASN/2024", "nip"] == str(NIP)
    assert str(rows.at["R-1/KASN/2024", "tanggal_rekomendasi"]) == "2024-03-14"
    # The one header nobody reads is in the summary (with the rows that filled it) and the task log.
    assert count.unrecognised_headers == [{"file": "rekap_maret.csv", "header": "Catatan Internal", "records": 1}]
    assert any("Catatan Internal" in r.getMessage() and "rekap_maret.csv" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)
    summary = counts_dict([count])[0]
    assert summary["vocabulary"]["jenis_pelanggaran"]["methods"] == {"synonym": 2, "unknown": 1}
    assert summary["unrecognised_headers"][0]["header"] == "Catatan Internal"


def _bkd_database(path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    pegawai = ["nip", "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn",
               "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status",
               "updated_at", "email"]
    tindak = ["id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "keterangan", "updated_at"]
    base = {"gelar_depan": None, "gelar_belakang": None, "tanggal_lahir": "1970-05-12", "jenis_kelamin": "L",
            "kode_instansi": "13.06.02", "nama_instansi": "Dinas Pendidikan", "unit_kerja": "SD 1", "jabatan": "Guru",
            "golongan": "III/a", "kode_wilayah": "13.06", "updated_at": "2024-05-01 10:00:00", "email": "x@y.id"}
    people = [
        {**base, "nip": "197005121995031002", "nama": "Budi", "jenis_asn": "PNS", "status": "Aktif"},
        {**base, "nip": "198004112005012003", "nama": "Ani", "jenis_asn": "P3K", "status": "Meninggal Dunia"},
        {**base, "nip": "199001012020121001", "nama": "Joko", "jenis_asn": "PNS", "status": "Diberhentikan sementara"},
    ]
    decrees = [
        {"id": "1", "nomor_rekomendasi": "R-1/KASN/2024", "nip": "197005121995031002", "nomor_sk": "800/1",
         "tanggal_sk": "2024-04-20", "jenis_sanksi": "Hukdis berat", "keterangan": None,
         "updated_at": "2024-04-21 08:00:00"},
        {"id": "2", "nomor_rekomendasi": "R-2/KASN/2024", "nip": "198004112005012003", "nomor_sk": "800/2",
         "tanggal_sk": "2024-04-22", "jenis_sanksi": "Teguran tertulis", "keterangan": None,
         "updated_at": "2024-04-23 08:00:00"},
    ]
    meta = sa.MetaData()
    p = sa.Table("pegawai", meta, *(sa.Column(c, sa.Text) for c in pegawai))
    t = sa.Table("tindak_lanjut", meta, *(sa.Column(c, sa.Text) for c in tindak))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(p.insert(), people)
        conn.execute(t.insert(), decrees)
    return engine


def test_bkd_tables_with_unknown_values_and_columns(store, tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    engine = _bkd_database(tmp_path / "bkd.sqlite")
    source = BkdSource(code="sumbar", url=str(engine.url))
    bkd.land(engine, source, store, "vocab", chunk_rows=1000)
    with caplog.at_level(logging.WARNING, logger="pantau.pipeline.runs"):
        tables, quarantine, counts = bkd.stage_from_raw(store, "sumbar", "vocab")
    assert quarantine.empty  # an unknown status or sanction never drops the row
    registry = pd.concat([pd.read_parquet(io.BytesIO(store.get_bytes(k))) for k in tables["pegawai"]["parts"].values()])
    registry = registry.set_index("nip")
    assert registry.at["198004112005012003", "status"] == "meninggal"
    assert registry.at["198004112005012003", "jenis_asn"] == "PPPK"
    assert pd.isna(registry.at["199001012020121001", "status"])
    assert registry.at["199001012020121001", "status_raw"] == "Diberhentikan sementara"
    follow = pd.concat([pd.read_parquet(io.BytesIO(store.get_bytes(k)))
                        for k in tables["tindak_lanjut"]["parts"].values()]).set_index("id")
    assert follow.at["1", "jenis_sanksi"] == "DISIPLIN_BERAT" and follow.at["1", "jenis_sanksi_raw"] == "Hukdis berat"
    assert pd.isna(follow.at["2", "jenis_sanksi"]) and follow.at["2", "jenis_sanksi_mapping"] == "unknown:0.00"
    pegawai_count = next(c for c in counts if c.source.endswith("pegawai"))
    assert pegawai_count.unrecognised_headers == [{"file": "bkd sumbar table pegawai", "header": "email",
                                                   "records": None}]
    assert any("email" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    sanction = counts_dict(counts)[1]["vocabulary"]["jenis_sanksi"]
    assert sanction["unknown"][0]["raw"] == "Teguran tertulis" and sanction["methods"] == {"synonym": 1, "unknown": 1}


def test_decree_one_word_shorter_still_answers_its_recommendation() -> None:
    # Issue 9: "Disiplin sedang" was not a listed sanction, validation quarantined the decree, its
    # recommendation looked unanswered and a governor got a false overdue alert.
    from pantau.validation import validate_frame

    raw = pd.DataFrame({"id": ["1"], "nomor_rekomendasi": ["R-2/KASN/2024"], "nip": ["198004112005012003"],
                        "nomor_sk": ["800/2"], "tanggal_sk": ["2024-04-22"], "jenis_sanksi": ["Disiplin sedang"],
                        "keterangan": [None], "updated_at": ["2024-04-23 08:00:00"]}).astype("string[pyarrow]")
    staged, rejected = bkd.stage_follow_ups(raw, "sumbar", "t")
    assert not rejected and staged.at[0, "jenis_sanksi"] == "DISIPLIN_SEDANG"
    frame = bkd.to_arrow(staged, "tindak_lanjut").to_pandas()
    outcome = validate_frame("follow_ups", frame, run_key="t", as_of=date(2025, 1, 1), previous_rows=None,
                             settings=ValidationSettings(),
                             references={"nomor_rekomendasi": ["R-2/KASN/2024"]})
    assert outcome.quarantine.empty and len(outcome.valid) == 1 and outcome.flagged.empty


def test_tables_staged_before_vocabularies_are_upgraded_on_merge() -> None:
    # The previous current state was written with labels in the columns and no evidence columns.
    old = pd.DataFrame({"nomor_rekomendasi": ["R-0"], "tanggal_rekomendasi": [date(2024, 1, 5)],
                        "jenis_pelanggaran": ["Menghadiri deklarasi atau kampanye calon"],
                        "rekomendasi_sanksi": ["Hukuman disiplin sedang"], "terbukti": [True],
                        "published_at": ["2024-01-31T00:00:00+07:00"], "source_row": [5], "nip_valid": [False],
                        "nip_excel_damaged": [False]})
    merged = recommendations.merge_current(old, recommendations.typed_recommendations(
        pd.DataFrame(columns=recommendations.REC_COLUMNS)))
    row = merged.iloc[0]
    assert (row["jenis_pelanggaran"], row["rekomendasi_sanksi"], bool(row["terbukti"])) == (
        "HADIR_KAMPANYE", "DISIPLIN_SEDANG", True)
    assert row["jenis_pelanggaran_raw"] == "Menghadiri deklarasi atau kampanye calon"
    assert list(merged.columns) == recommendations.REC_COLUMNS


def test_bkd_numeric_nip_and_region_columns_keep_their_digits(store, tmp_path) -> None:
    # A BKD that stores the NIP as an integer column and the region code as a real number.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'numeric.sqlite'}")
    meta = sa.MetaData()
    columns = [sa.Column("nip", sa.BigInteger), *(sa.Column(c, sa.Text) for c in (
        "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn", "kode_instansi",
        "nama_instansi", "unit_kerja", "jabatan", "golongan")), sa.Column("kode_wilayah", sa.Float),
        sa.Column("status", sa.Text), sa.Column("updated_at", sa.Text)]
    pegawai = sa.Table("pegawai", meta, *columns)
    sa.Table("tindak_lanjut", meta, *(sa.Column(c, sa.Text) for c in (
        "id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "keterangan", "updated_at")))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(pegawai.insert(), [{"nip": NIP, "nama": "Budi", "tanggal_lahir": "1970-05-12", "jenis_asn": "PNS",
                                         "kode_wilayah": 13.1, "status": "aktif", "updated_at": "2024-05-01 10:00:00"}])
    bkd.land(engine, BkdSource(code="num", url=str(engine.url)), store, "numeric", chunk_rows=1000)
    tables, quarantine, _ = bkd.stage_from_raw(store, "num", "numeric")
    registry = pd.concat([pd.read_parquet(io.BytesIO(store.get_bytes(k))) for k in tables["pegawai"]["parts"].values()])
    assert quarantine.empty
    assert registry["nip"].tolist() == [str(NIP)] and registry["kode_wilayah"].tolist() == ["13.10"]


def test_profile_prints_unknown_values_with_the_suggested_code(store) -> None:
    from pantau.pipeline.profile import _render_notes

    _, _, count = _stage_bawaslu(store, [_case("P-1", kategori="Pasang baliho"), _case("P-2", sumber_informasi="x")])
    lines = "\n".join(_render_notes({"sources": counts_dict([count]), "source_notes": {}}))
    assert "unrecognised header 'sumber_informasi' (1 rows filled it)" in lines
    assert "Pasang baliho" in lines and "ALAT_PERAGA" in lines and "unknown" in lines
