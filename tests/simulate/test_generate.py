"""World generator: contract, determinism, ground truth (noise switches: test_gen_noise.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from pantau.simulate import noise as nz
from pantau.simulate import reference as ref
from pantau.simulate.cli_generate import options_from_args, register
from pantau.simulate.gen_exports import COLUMNS, HEADER_VARIANTS
from pantau.simulate.gen_readback import header_cells, jsonl, read_export
from pantau.simulate.generate import GenerateOptions, generate_world

CASE_KEYS = {"nomor_register", "jenis", "tanggal_register", "pemilihan", "kode_wilayah", "provinsi", "kabupaten_kota",
             "terlapor", "uraian", "kategori", "status", "tanggal_diteruskan", "nomor_surat_penerusan", "updated_at"}
PEGAWAI = ["nip", "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn",
           "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status", "updated_at"]
SMALL = GenerateOptions(registry_size=3000, cases=300, transfer_rate=0.02)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, SMALL, progress=False)
    return out


def test_layout(world: Path) -> None:
    for rel in ("manifest.json", "bawaslu/cases_phase1.jsonl", "bawaslu/cases_phase2.jsonl",
                "exports/phase1/index.json", "exports/phase2/index.json", "bkd/bkds.json", "contacts.json",
                "truth/persons.parquet", "truth/cases.parquet", "truth/recommendations.parquet",
                "truth/follow_ups.parquet", "truth/export_files.parquet"):
        assert (world / rel).is_file(), rel
    bkds = json.loads((world / "bkd/bkds.json").read_text())
    assert [b["code"] for b in bkds] == ["bkd01", "bkd02", "bkd03", "bkd04"]
    assert sorted(p for b in bkds for p in b["provinces"]) == sorted(p.code for p in ref.PROVINCES)
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["seed"] == 20241127 and 0 <= manifest["registry"]["shared_name_rate_within_agency"] <= 1


def test_reference_data() -> None:
    assert len(ref.PROVINCES) == 38 and len({p.code for p in ref.PROVINCES}) == 38
    assert {"91", "92", "93", "94", "95", "96"} <= {p.code for p in ref.PROVINCES}
    assert ref.PROVINCE_BY_CODE["13"].name == "Sumatera Barat"
    codes = {r.code: r.full_name for p in ref.PROVINCES for r in p.regions}
    assert codes["13.06"] == "Kabupaten Agam" and codes["13.71"] == "Kota Padang"
    agencies = {a.nama_instansi: a for a in ref.all_agencies()}
    agam = agencies["Dinas Pendidikan Kabupaten Agam"]
    assert "Disdik Kab. Agam" in agam.variants and agam.ppk_jabatan == "Bupati Agam"
    assert "Pemkot Padang" in agencies["Sekretariat Daerah Kota Padang"].variants
    assert len({a.kode_instansi for a in ref.all_agencies()}) == len(ref.all_agencies())
    assert abs(sum(c.share for c in ref.VIOLATION_CATEGORIES) - 1) < 1e-9


def test_bawaslu_records_follow_contract(world: Path) -> None:
    truth = pd.read_parquet(world / "truth/cases.parquet")
    for phase in (1, 2):
        recs = jsonl(world / f"bawaslu/cases_phase{phase}.jsonl")
        t = truth[truth.phase == phase].reset_index(drop=True)
        assert len(recs) == len(t)
        for rec, (_, row) in zip(recs, t.iterrows(), strict=True):
            if isinstance(row.reject_reason, str):
                continue
            assert CASE_KEYS <= set(rec)
            assert set(rec["terlapor"]) == {"nama", "nip", "jabatan", "instansi"}
            assert rec["jenis"] in ("laporan", "temuan") and rec["status"] in ("diregistrasi", "diteruskan", "dihentikan")
            assert re.fullmatch(r"\d{3}/Reg/(LP|TM)/(PL|PB|PG)/(Kab|Kota|Prov)/[\d.]+/[IVX]+/\d{4}", rec["nomor_register"])
            assert rec["updated_at"][-6:] in ("+07:00", "+08:00", "+09:00")
            assert rec["kategori"] is None or rec["kategori"] in ref.CATEGORY_BY_CODE
            assert (rec["status"] == "diteruskan") == (rec["nomor_surat_penerusan"] is not None)
    p2 = jsonl(world / "bawaslu/cases_phase2.jsonl")
    assert len(p2) > len(jsonl(world / "bawaslu/cases_phase1.jsonl"))  # new cases arrive in phase 2


def test_offsets_match_regions(world: Path) -> None:
    for rec in jsonl(world / "bawaslu/cases_phase2.jsonl"):
        if "kode_wilayah" in rec and "updated_at" in rec:
            assert rec["updated_at"].endswith(ref.PROVINCE_BY_CODE[rec["kode_wilayah"][:2]].offset)


def test_exports_have_all_columns(world: Path) -> None:
    files = pd.read_parquet(world / "truth/export_files.parquet")
    canonical = {v.lower(): c for c, vs in HEADER_VARIANTS.items() for v in (*vs, c)}
    for _, f in files.iterrows():
        rows = read_export(world / f"exports/phase{f.phase}" / f.file, f)
        header = header_cells(rows, int(f.header_row))
        assert [canonical[h.lower()] for h in header] == list(COLUMNS)
        index = json.loads((world / f"exports/phase{f.phase}/index.json").read_text())
        assert {"name": f.file, "updated_at": f.updated_at, "sha256": f.sha256} in index


def test_registry_nips_are_valid(world: Path) -> None:
    p = pd.read_parquet(world / "truth/persons.parquet")
    assert p.nip.is_unique and p.nip.str.fullmatch(r"\d{18}").all()
    birth = pd.to_datetime(p.tanggal_lahir)
    assert (p.nip.str[:8] == birth.dt.strftime("%Y%m%d")).all()
    year, mm = p.nip.str[8:12].astype(int), p.nip.str[12:14]
    assert (year >= birth.dt.year + 18).all()
    pns = p.jenis_asn == "PNS"
    assert mm[pns].astype(int).between(1, 12).all()
    assert mm[~pns].isin(ref.PPPK_NIP_CODES).all()
    assert 0.12 < (~pns).mean() < 0.22
    assert (p.nip.str[14] == p.jenis_kelamin.map({"L": "1", "P": "2"})).all()
    assert p.nip.str[15:].astype(int).between(1, 999).all()
    assert set(p.status) == {"aktif", "pensiun", "berhenti", "meninggal"}


def test_bkd_tables_and_transfers(world: Path) -> None:
    persons = pd.read_parquet(world / "truth/persons.parquet")
    frames = {}
    for b in json.loads((world / "bkd/bkds.json").read_text()):
        with sqlite3.connect(world / "bkd" / f"{b['code']}.sqlite") as con:
            frames[b["code"]] = pd.read_sql("select * from pegawai", con)
            tl = pd.read_sql("select * from tindak_lanjut", con)
            indexes = {r[1] for r in con.execute("select * from sqlite_master where type='index'")}
        assert list(frames[b["code"]].columns) == PEGAWAI
        assert list(tl.columns) == ["id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi",
                                    "keterangan", "updated_at"]
        assert {"ix_pegawai_nip", "ix_pegawai_updated_at"} <= indexes
    moved = persons[persons.bkd_previous.notna()]
    assert len(moved) == round(0.02 * len(persons))
    for _, m in moved.head(20).iterrows():
        new = frames[m.bkd].set_index("nip").loc[m.nip]
        old = frames[m.bkd_previous].set_index("nip").loc[m.nip]
        assert old.updated_at < new.updated_at and old.kode_instansi == m.kode_instansi_previous
    assert sum(len(f) for f in frames.values()) == len(persons) + len(moved)


def test_truth_agrees_with_data(world: Path) -> None:
    persons = set(pd.read_parquet(world / "truth/persons.parquet").nip)
    for name in ("cases", "recommendations", "follow_ups"):
        t = pd.read_parquet(world / f"truth/{name}.parquet")
        assert t.true_nip.isin(persons).all(), name
    recs = pd.read_parquet(world / "truth/recommendations.parquet")
    cases = pd.read_parquet(world / "truth/cases.parquet")
    assert recs.nomor_register.isin(cases.nomor_register).all()
    fus = pd.read_parquet(world / "truth/follow_ups.parquet")
    assert fus.nomor_rekomendasi.isin(recs.nomor_rekomendasi).all()
    assert set(fus.timeliness) <= {"on_time", "late"}
    # Malformed records are exactly the truth rows with a reject_reason.
    for phase in (1, 2):
        recs_json = jsonl(world / f"bawaslu/cases_phase{phase}.jsonl")
        t = cases[cases.phase == phase].reset_index(drop=True)
        for rec, reason in zip(recs_json, [r if isinstance(r, str) else None for r in t.reject_reason], strict=True):
            assert (_broken(rec) is not None) == (reason is not None), (rec, reason)
            assert reason is None or _broken(rec) == reason


def _broken(rec: dict) -> str | None:
    """A minimal validator as the pipeline would apply it."""
    if not CASE_KEYS <= set(rec):
        return "missing_field"
    if not isinstance(rec["tanggal_register"], str) or not isinstance(rec["terlapor"]["nip"], str | None):
        return "wrong_type"
    try:
        dt.date.fromisoformat(rec["tanggal_register"])
    except ValueError:
        return "impossible_date"
    return "empty_name" if not rec["terlapor"]["nama"].strip() else None


def test_follow_up_rate_is_realistic(world: Path) -> None:
    manifest = json.loads((world / "manifest.json").read_text())
    rates = [v["follow_up_rate"] for v in manifest["lifecycle"].values() if v["follow_up_rate"] is not None]
    assert all(0.35 <= r <= 0.95 for r in rates)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and p.suffix != ".sqlite"}


def test_deterministic(tmp_path: Path) -> None:
    opts = GenerateOptions(seed=7, registry_size=1500, cases=120)
    a, b = tmp_path / "a", tmp_path / "b"
    generate_world(a, opts, progress=False)
    time.sleep(2.1)  # zip entry times have 2-second resolution: make a clock leak visible
    generate_world(b, opts, progress=False)
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys() and any(k.endswith(".xlsx") for k in fa)
    for k in fa:
        assert fa[k] == fb[k], k
    for db in sorted((a / "bkd").glob("*.sqlite")):
        with sqlite3.connect(db) as ca, sqlite3.connect(b / "bkd" / db.name) as cb:
            for table in ("pegawai", "tindak_lanjut", "tindak_lanjut_phase1"):
                q = f"select * from {table} order by rowid"
                assert ca.execute(q).fetchall() == cb.execute(q).fetchall()
    c = tmp_path / "c"
    generate_world(c, GenerateOptions(seed=8, registry_size=1500, cases=120), progress=False)
    assert _files(c)["bawaslu/cases_phase1.jsonl"] != fa["bawaslu/cases_phase1.jsonl"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["generate", *argv])


def test_cli_options() -> None:
    opts = options_from_args(_parse(["--out", "x", "--no-noise", "--noise-nip-spaced", "1", "--registry-size", "1000"]))
    assert opts.registry_size == 1000 and opts.noise.rate("nip_spaced") == 1.0 and opts.noise.rate("nip_typo") == 0.0
    assert options_from_args(_parse(["--out", "x"])).noise.rate("nip_typo") == nz.NOISE_BY_NAME["nip_typo"].default
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    register(sub)
    text = sub.choices["generate"].format_help()
    for s in nz.NOISE_SWITCHES:
        assert f"--noise-{s.name.replace('_', '-')}" in text
    assert set(nz.HTTP_FAULTS) == {"rate_429", "rate_5xx", "rate_timeout", "rate_invalid_json", "rate_page_drift"}
    with pytest.raises(SystemExit):
        _parse(["--out", "x", "--noise-nip-typo", "1.5"])


def test_custom_url_template(tmp_path: Path) -> None:
    opts = GenerateOptions(registry_size=1000, cases=20, bkds=2, bkd_url_template=f"sqlite:///{tmp_path}/db_{{code}}.db")
    generate_world(tmp_path / "w", opts, progress=False)
    assert sorted(p.name for p in tmp_path.glob("db_*.db")) == ["db_bkd01.db", "db_bkd02.db"]
