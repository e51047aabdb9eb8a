"""Dialect b (docs/SIMULATOR.md "Dialect b"): determinism, the source contracts, every phenomenon, the truth."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from pantau.simulate.cli_generate import options_from_args, register, run
from pantau.simulate.dialect_b.exports import EXTRAS, HEADERS
from pantau.simulate.dialect_b.people import GROUPS
from pantau.simulate.gen_readback import jsonl, read_export
from pantau.simulate.generate import GenerateOptions, generate_world

CASE_KEYS = {"nomor_register", "jenis", "tanggal_register", "pemilihan", "kode_wilayah", "provinsi", "kabupaten_kota",
             "terlapor", "uraian", "kategori", "status", "tanggal_diteruskan", "nomor_surat_penerusan", "updated_at"}
PEGAWAI = ["nip", "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn",
           "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status", "updated_at"]
TINDAK_LANJUT = ["id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "keterangan", "updated_at"]
SMALL = GenerateOptions(registry_size=6000, cases=900, transfer_rate=0.02, dialect="b")
# Female and male name prefixes as the registry keeps them (the NIP's 15th digit must agree).
FEMALE = ("Ni ", "Ida Ayu", "Anak Agung Ayu", "Anak Agung Istri", "Anak Agung Sagung", "Cokorda Istri",
          "I Gusti Ayu", "Desak ", "Wa ", "Cut ", "Syarifah ", "Raden Ajeng", "Raden Roro", "Raden Ayu")
MALE = ("I Wayan", "I Made", "I Putu", "I Gede", "I Kadek", "I Nyoman", "I Komang", "I Ketut", "I Nengah",
        "Ida Bagus", "Cokorda Gede", "I Dewa", "La ", "Teuku ", "Raden Mas", "Said ")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world_b")
    generate_world(out, SMALL, progress=False)
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(world / "truth" / f"{t}.parquet")
            for t in ("persons", "cases", "recommendations", "export_files", "follow_ups")}


@pytest.fixture(scope="module")
def pegawai(world: Path) -> pd.DataFrame:
    frames = []
    for entry in json.loads((world / "bkd" / "bkds.json").read_text()):
        with sqlite3.connect(world / entry["url"].removeprefix("sqlite:///")) as con:
            frames.append(pd.read_sql(f"select * from {entry['pegawai_table']}", con).assign(bkd=entry["code"]))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def decrees(world: Path) -> pd.DataFrame:
    frames = []
    for entry in json.loads((world / "bkd" / "bkds.json").read_text()):
        with sqlite3.connect(world / entry["url"].removeprefix("sqlite:///")) as con:
            frames.append(pd.read_sql(f"select * from {entry['tindak_lanjut_table']}", con).assign(bkd=entry["code"]))
    return pd.concat(frames, ignore_index=True)


def _noise(frame: pd.DataFrame) -> set[str]:
    return {t for v in frame["noise"].dropna() for t in v.split(";")}


# --------------------------------------------------------------------------- layout and determinism

def test_layout_and_manifest(world: Path) -> None:
    for rel in ("manifest.json", "bawaslu/cases_phase1.jsonl", "bawaslu/cases_phase2.jsonl", "exports/phase1/index.json",
                "exports/phase2/index.json", "bkd/bkds.json", "contacts.csv", "truth/persons.parquet",
                "truth/cases.parquet", "truth/recommendations.parquet", "truth/follow_ups.parquet",
                "truth/export_files.parquet"):
        assert (world / rel).is_file(), rel
    assert not (world / "contacts.json").exists()
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["dialect"] == "b" and manifest["options"]["dialect"] == "b"
    assert set(manifest["noise"]) == {"rate_429", "rate_5xx", "rate_timeout", "rate_invalid_json", "rate_page_drift"}
    assert manifest["phases"] == {"1": "2024-12-10T00:00:00+07:00", "2": "2025-03-01T00:00:00+07:00"}
    assert set(manifest["registry"]["name_groups"]) >= {"balinese", "bugis_buton", "aceh_malay", "javanese_noble",
                                                        "common"}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".sqlite"}


def test_deterministic_bytes_for_a_seed(tmp_path: Path) -> None:
    opts = GenerateOptions(seed=5, registry_size=2000, cases=250, dialect="b")
    a, b = tmp_path / "a", tmp_path / "b"
    generate_world(a, opts, progress=False)
    time.sleep(2.1)  # zip entry times have 2-second resolution: a clock leaking into xlsx would show
    generate_world(b, opts, progress=False)
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys() and any(k.endswith(".xlsx") for k in fa) and any(k.endswith(".csv") for k in fa)
    for k in fa:
        assert fa[k] == fb[k], k
    for db in sorted((a / "bkd").glob("*.sqlite")):
        with sqlite3.connect(db) as ca, sqlite3.connect(b / "bkd" / db.name) as cb:
            tables = [r[0] for r in ca.execute("select name from sqlite_master where type='table' order by name")]
            assert len(tables) == 3
            for table in tables:
                q = f"select * from {table} order by rowid"
                assert ca.execute(q).fetchall() == cb.execute(q).fetchall(), (db.name, table)
    c = tmp_path / "c"
    generate_world(c, GenerateOptions(seed=6, registry_size=2000, cases=250, dialect="b"), progress=False)
    assert _files(c)["bawaslu/cases_phase2.jsonl"] != fa["bawaslu/cases_phase2.jsonl"]


# --------------------------------------------------------------------------- contracts

def test_bawaslu_records_follow_the_contract(world: Path, truth: dict[str, pd.DataFrame]) -> None:
    labels = {"Pemilihan Serentak 2020", "Pemilu 2024", "Pemilihan Serentak 2024"}
    for phase in (1, 2):
        recs = jsonl(world / f"bawaslu/cases_phase{phase}.jsonl")
        t = truth["cases"][truth["cases"].phase == phase].reset_index(drop=True)
        assert len(recs) == len(t)
        for rec, (_, row) in zip(recs, t.iterrows(), strict=True):
            assert rec.get("nomor_register", row.nomor_register) == row.nomor_register
            if isinstance(row.reject_reason, str):
                continue
            assert CASE_KEYS <= set(rec)
            assert {"nama", "jabatan", "instansi"} <= set(rec["terlapor"]) <= {"nama", "nip", "jabatan", "instansi"}
            nip = rec["terlapor"].get("nip")
            assert nip is None or isinstance(nip, int | str)
            if isinstance(nip, int):  # an exact integer, never a float
                assert len(str(nip)) == 18 and row.respondent == "asn"
            assert rec["jenis"] in ("Laporan", "Temuan") and rec["pemilihan"] in labels
            assert rec["status"] in ("Diregistrasi", "Diteruskan", "Dihentikan")
            assert rec["status"].lower() == row.status
            assert re.fullmatch(r"\d{2,3}/Reg/(LP|TM)/(PL|PB|PG)/(Kab|Kota|Prov)/\d{2}(\.\d{2})?/[IVX]+/\d{4}",
                                rec["nomor_register"])
            assert rec["updated_at"][-6:] in ("+07:00", "+08:00")
            assert (rec["status"] == "Diteruskan") == (rec["nomor_surat_penerusan"] is not None)


def _concept(header: str) -> str | None:
    for concept, spellings in {**HEADERS, **EXTRAS}.items():
        if header in spellings:
            return concept
    return None


def test_exports_parse_as_spreadsheets_with_every_contract_column(world: Path, truth: dict[str, pd.DataFrame]) -> None:
    files, rows = truth["export_files"], truth["recommendations"]
    assert set(files["format"]) == {"xlsx", "csv"}
    for phase in (1, 2):
        index = json.loads((world / f"exports/phase{phase}/index.json").read_text())
        assert [e["name"] for e in index] == sorted(e["name"] for e in index)
        for entry in index:
            f = files[(files.phase == phase) & (files.file == entry["name"])].iloc[0]
            assert f.sha256 == entry["sha256"]
            sheet = read_export(world / f"exports/phase{phase}" / f.file, f)
            header = [str(c) for c in sheet[f.header_row - 1] if c not in (None, "")]
            concepts = [_concept(h) for h in header]
            assert None not in concepts, (f.file, header)
            assert set(HEADERS) <= set(concepts), (f.file, header)
            col = concepts.index("nomor")
            mine = rows[(rows.phase == phase) & (rows.file == f.file)]
            assert len(mine) == f.n_rows
            for _, r in mine.iterrows():
                assert sheet[r.row_number - 1][col] == r.nomor_rekomendasi


def test_bkd_tables_have_the_contract_columns(world: Path, pegawai: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> None:
    for entry in json.loads((world / "bkd" / "bkds.json").read_text()):
        with sqlite3.connect(world / entry["url"].removeprefix("sqlite:///")) as con:
            for table, columns in ((entry["pegawai_table"], PEGAWAI), (entry["tindak_lanjut_table"], TINDAK_LANJUT),
                                   (entry["tindak_lanjut_phase1_table"], TINDAK_LANJUT)):
                got = [r[1] for r in con.execute(f"pragma table_info({table})")]
                assert got == columns, (entry["code"], table)
            latest = {r[0] for r in con.execute(f"select id from {entry['tindak_lanjut_table']}")}
            early = {r[0] for r in con.execute(f"select id from {entry['tindak_lanjut_phase1_table']}")}
            assert early <= latest
        assert entry["timezone"] in ("Asia/Jakarta", "Asia/Makassar")
    assert pegawai["nip"].str.fullmatch(r"\d{18}").all()
    assert set(truth["persons"]["nip"]) == set(pegawai["nip"])


def test_contacts_are_a_semicolon_csv_with_escalation_rows(world: Path, pegawai: pd.DataFrame) -> None:
    raw = (world / "contacts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert {"Kode Instansi", "PPK", "E-mail PPK", "Jenis"} <= set(rows[0])
    assert {r["Jenis"] for r in rows} == {"PPK", "Eskalasi"}
    assert set(pegawai["kode_instansi"]) <= {r["Kode Instansi"] for r in rows}
    assert any(";" in r["E-mail BKPSDM/BKD"] for r in rows)  # two recipients in one cell


# --------------------------------------------------------------------------- phenomena

def test_registry_phenomena(pegawai: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> None:
    persons = truth["persons"]
    names = persons["nama"]
    for prefix in ("I Wayan ", "Ni ", "Ida Bagus ", "Anak Agung ", "I Gusti ", "Andi ", "La Ode ", "Wa Ode ", "La ",
                   "Teuku ", "Cut ", "Tengku ", "Raja ", "Wan ", "Raden ", "Raden Mas ", "Raden Roro "):
        assert names.str.startswith(prefix).any(), prefix
    assert names.str.contains(" Daeng ").any()
    nama_instansi = set(pegawai["nama_instansi"])
    assert {"Pemerintah Kabupaten Gianyar", "Pemerintah Provinsi Bali", "Pemkot Makassar", "Pemerintah Aceh",
            "Kementerian Agama"} <= nama_instansi
    units = pegawai["unit_kerja"]
    for unit in ("SD Negeri", "UPTD Puskesmas", "RSUD ", "Kecamatan ", "Dinas Pendidikan, Kepemudaan dan Olahraga",
                 "KUA Kecamatan", "MTsN "):
        assert units.str.contains(unit, regex=False).any(), unit
    # The whole government is the agency: one kode_instansi for many units.
    assert pegawai.groupby("kode_instansi")["unit_kerja"].nunique().max() > 50
    assert set(pegawai["jenis_kelamin"]) >= {"L", "P", "Laki-laki", "Perempuan"}
    assert pegawai["gelar_depan"].fillna("").str.contains(r"\b(?:T\.|R\.|Rr\.)", regex=True).any()
    assert pegawai["nama"].str.isupper().any() and (~pegawai["nama"].str.isupper()).any()
    for title in ("Ns.", "apt.", "Bd.", "dr.", "drg."):
        assert persons["gelar_depan"].fillna("").str.contains(title, regex=False).any(), title
    for title in ("A.Md.Kep.", "S.Pd.I.", "S.Tr.Kes.", "S.Pd.", "S.Kep., Ns."):
        assert persons["gelar_belakang"].fillna("").str.contains(title, regex=False).any(), title
    key = persons["kode_instansi"] + "|" + names
    assert key.duplicated(keep=False).mean() > 0.01  # namesakes inside one government
    assert persons["namesake"].any()
    assert (persons["jenis_asn"] == "PPPK").any() and persons["nip"].str[12:14].eq("21").any()
    assert persons["transfer_date"].notna().any()


def test_gender_agrees_with_prefix_and_nip(truth: dict[str, pd.DataFrame]) -> None:
    persons = truth["persons"]
    digit = persons["nip"].str[14]
    assert ((digit == "1") == (persons["jenis_kelamin"] == "L")).all()
    female = persons["nama"].str.startswith(FEMALE)
    male = persons["nama"].str.startswith(MALE) & ~female
    assert female.sum() > 50 and male.sum() > 50
    assert (persons.loc[female, "jenis_kelamin"] == "P").all()
    assert (persons.loc[male, "jenis_kelamin"] == "L").all()


def test_case_phenomena(world: Path, truth: dict[str, pd.DataFrame]) -> None:
    cases = truth["cases"]
    noise = _noise(cases)
    for tag in ("nip_number", "nip_spaced", "nip_dotted", "nip_missing", "prefix_dropped", "prefix_abbreviated",
                "title_variant", "title_dropped", "spelling_variant", "name_uppercase", "instansi_unit",
                "instansi_government", "instansi_empty", "non_asn", "non_asn_namesake", "village_head", "honorary",
                "campaign_team", "nik_as_nip", "shared_letter", "kategori_set", "record_update", "extra_field"):
        assert tag in noise, tag
    recs = jsonl(world / "bawaslu/cases_phase2.jsonl")
    terlapor = [r["terlapor"] for r in recs if isinstance(r.get("terlapor"), dict)]
    assert any(isinstance(t.get("nip"), int) for t in terlapor)
    assert any("nip" not in t for t in terlapor)
    assert any(re.fullmatch(r"\d{8} \d{6} \d \d{3}", str(t.get("nip"))) for t in terlapor)
    instansi = {t["instansi"] for t in terlapor}
    assert any(i.startswith(("SDN ", "SD Negeri ")) for i in instansi)
    assert any(i.startswith(("Pemkab ", "Pemerintah Kabupaten ", "Setda Kab. ")) for i in instansi)
    assert "" in instansi
    letters = pd.Series([r["nomor_surat_penerusan"] for r in recs if r.get("nomor_surat_penerusan")])
    assert letters.duplicated().any()  # one forwarding letter for several cases
    posts = " ".join(t["jabatan"] for t in terlapor)
    assert re.search(r"Perbekel|Keuchik|Kepala Desa", posts) and "Tenaga Honorer" in posts
    non_asn = cases[cases.respondent == "non_asn"]
    assert 0.03 < non_asn["case_id"].nunique() / cases["case_id"].nunique() < 0.15


def test_export_phenomena(world: Path, truth: dict[str, pd.DataFrame]) -> None:
    rows, files = truth["recommendations"], truth["export_files"]
    for tag in ("nip_spaced", "nip_excel_sci", "nip_excel_float", "nip_missing", "prefix_abbreviated",
                "instansi_government", "instansi_unit", "reference_letter", "category_generic"):
        assert tag in _noise(rows), tag
    for tag in ("title_rows", "merged_cells", "total_row", "signature_block", "extra_columns", "column_order",
                "csv_semicolon_bom", "republish_corrected"):
        assert tag in _noise(files), tag
    seen_ppk, seen_labels, seen_proven = set(), set(), set()
    for _, f in files[files.phase == 2].iterrows():
        sheet = read_export(world / "exports/phase2" / f.file, f)
        header = [str(c) for c in sheet[f.header_row - 1]]
        concepts = [_concept(h) for h in header]
        body = sheet[f.header_row:f.header_row + f.n_rows]
        seen_ppk |= {str(r[concepts.index("ppk")]) for r in body}
        seen_labels |= {str(r[concepts.index("pelanggaran")]) for r in body}
        seen_proven |= {str(r[concepts.index("terbukti")]) for r in body}
        if f.delimiter == ";":
            assert all(not re.fullmatch(r"\d\.\d+E\+17", str(r[concepts.index("nip")])) for r in body)
    assert any(p.startswith("Pj. Bupati") for p in seen_ppk) and any(p.startswith("Wali Kota") for p in seen_ppk)
    assert {"Gubernur Bali", "Menteri Agama"} & seen_ppk or any(p.startswith("Pj. Gubernur") for p in seen_ppk)
    assert "Medsos Interaksi" in seen_labels or "Like/Komen Medsos" in seen_labels
    assert {"Ya", "Tidak"} & seen_proven and ({"-", "Tidak terbukti", "Tidak Terbukti"} & seen_proven)
    assert rows["proven"].any() and (~rows["proven"].astype(bool)).any()


def test_follow_up_phenomena(decrees: pd.DataFrame, truth: dict[str, pd.DataFrame]) -> None:
    fu = truth["follow_ups"]
    for tag in ("decree_level_short", "decree_concrete", "rec_number_empty", "rec_number_reformatted",
                "followup_lighter", "orphan_decree"):
        assert tag in _noise(fu), tag
    jenis = set(decrees["jenis_sanksi"])
    assert jenis & {"Disiplin sedang", "Hukdis berat", "Pernyataan tertutup", "Disiplin berat", "Hukdis sedang"}
    assert any(j.startswith("Pemotongan tunjangan kinerja") or j.startswith("Penurunan jabatan") for j in jenis)
    assert decrees["nomor_rekomendasi"].isna().any()
    written = set(decrees["nomor_rekomendasi"].dropna())
    assert written - set(truth["recommendations"]["nomor_rekomendasi"])  # re-typed numbers


# --------------------------------------------------------------------------- truth

def test_truth_is_consistent(truth: dict[str, pd.DataFrame]) -> None:
    persons, cases, recs, fu = truth["persons"], truth["cases"], truth["recommendations"], truth["follow_ups"]
    nips = set(persons["nip"])
    assert persons["name_group"].notna().all() and set(persons["name_group"]) <= set(GROUPS)
    assert set(cases["respondent"]) == {"asn", "non_asn"}
    asn = cases[cases.respondent == "asn"]
    assert asn["true_nip"].notna().all() and set(asn["true_nip"]) <= nips
    outsiders = cases[cases.respondent == "non_asn"]
    assert outsiders["true_nip"].isna().all() and outsiders["true_kode_instansi"].isna().all()
    assert set(recs["true_nip"]) <= nips and set(recs["case_id"]) <= set(asn["case_id"])
    assert recs["tanggal_rekomendasi"].notna().all()
    assert set(recs["nomor_register"]) <= set(cases["nomor_register"])
    linked = fu[fu["nomor_rekomendasi"].notna()]
    assert set(linked["nomor_rekomendasi"]) <= set(recs["nomor_rekomendasi"])
    assert (fu["nomor_rekomendasi"].isna() == fu["noise"].eq("orphan_decree")).all()
    assert set(fu["true_nip"]) <= nips


def test_dialect_a_truth_gains_the_shared_columns(tmp_path: Path) -> None:
    generate_world(tmp_path, GenerateOptions(seed=3, registry_size=1500, cases=120), progress=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["dialect"] == "a" and not (tmp_path / "contacts.csv").exists()
    persons = pd.read_parquet(tmp_path / "truth/persons.parquet")
    assert persons["name_group"].notna().all()
    assert {"javanese", "common"} <= set(persons["name_group"]) <= {"javanese", "common", "sundanese", "batak", "minang",
                                                                     "bugis_buton", "manado", "balinese", "eastern"}
    assert set(pd.read_parquet(tmp_path / "truth/cases.parquet")["respondent"]) == {"asn"}
    assert pd.read_parquet(tmp_path / "truth/recommendations.parquet")["tanggal_rekomendasi"].notna().all()


# --------------------------------------------------------------------------- the switch

def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["generate", *argv])


def test_dialect_switch(tmp_path: Path) -> None:
    assert options_from_args(_parse(["--out", "x"])).dialect == "a"
    assert options_from_args(_parse(["--out", "x", "--dialect", "b", "--noise-rate-429", "0"])).dialect == "b"
    with pytest.raises(SystemExit):
        _parse(["--out", "x", "--dialect", "c"])
    with pytest.raises(ValueError, match="noise-nip-typo"):
        options_from_args(_parse(["--out", "x", "--dialect", "b", "--noise-nip-typo", "0.5"]))
    assert run(_parse(["--out", str(tmp_path / "w"), "--dialect", "b", "--registry-size", "5000000"])) == 2
