"""Each noise switch, turned on alone at rate 1.0, does what it says and the truth records it."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from pantau.simulate import noise as nz
from pantau.simulate.gen_cases import PHASE_CUTOFFS
from pantau.simulate.gen_readback import data_rows, header_cells, jsonl, read_export
from pantau.simulate.generate import GenerateOptions, generate_world

_ROOT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _root(tmp_path_factory: pytest.TempPathFactory) -> None:
    _ROOT[:] = [tmp_path_factory.mktemp("noise")]


@cache
def world(**rates: float) -> Path:
    name = "_".join(f"{k}{v}" for k, v in sorted(rates.items())) or "clean"
    out = _ROOT[0] / name
    generate_world(out, GenerateOptions(seed=11, registry_size=1000, cases=80, noise=nz.NoiseConfig.only(**rates)),
                   progress=False)
    return out


def terlapor_nips(w: Path) -> list[tuple[str | None, str, str]]:
    """(nip as written, true nip, noise) for every phase-2 Bawaslu record."""
    recs = jsonl(w / "bawaslu/cases_phase2.jsonl")
    t = pd.read_parquet(w / "truth/cases.parquet")
    t = t[t.phase == 2]
    return [(r["terlapor"]["nip"], tn, n) for r, tn, n in zip(recs, t.true_nip, t.noise, strict=True)]


def export_rows(w: Path, phase: int = 1) -> list[tuple[list, pd.Series, dict]]:
    files = pd.read_parquet(w / "truth/export_files.parquet")
    recs = pd.read_parquet(w / "truth/recommendations.parquet")
    out = []
    for _, f in files[files.phase == phase].iterrows():
        rows = read_export(w / f"exports/phase{phase}" / f.file, f)
        truth = recs[(recs.file == f.file) & (recs.phase == phase)].reset_index(drop=True)
        for i, row in enumerate(data_rows(rows, int(f.header_row), int(f.n_rows))):
            out.append((row, f, truth.iloc[i].to_dict()))
    return out


def _has(noise: object, name: str) -> bool:
    return isinstance(noise, str) and name in noise.split(";")


def test_clean_world_has_no_noise() -> None:
    w = world()
    for written, true, noise in terlapor_nips(w):
        assert written == true and not isinstance(noise, str)
    for row, f, t in export_rows(w):
        assert str(row[4]) == t["true_nip"] and not isinstance(f.noise, str)


NIP_CHECKS: dict[str, Callable[[str, str], bool]] = {
    "nip_spaced": lambda w, t: w == f"{t[:8]} {t[8:14]} {t[14]} {t[15:]}",
    "nip_dotted": lambda w, t: w == f"{t[:8]}.{t[8:14]}.{t[14]}.{t[15:]}",
    "nip_typo": lambda w, t: len(w) == 18 and sum(a != b for a, b in zip(w, t, strict=True)) == 1,
    "nip_transposed": lambda w, t: sorted(w) == sorted(t) and sum(a != b for a, b in zip(w, t, strict=True)) == 2,
}


@pytest.mark.parametrize("switch", sorted(NIP_CHECKS))
def test_nip_switches_in_bawaslu(switch: str) -> None:
    got = terlapor_nips(world(**{switch: 1.0}))
    assert got
    for written, true, noise in got:
        assert NIP_CHECKS[switch](written, true), (written, true)
        assert _has(noise, switch)


def test_nip_missing() -> None:
    for written, _, noise in terlapor_nips(world(nip_missing=1.0)):
        assert written is None and _has(noise, "nip_missing")


@pytest.mark.parametrize("switch,csv_re,xlsx_type", [
    ("nip_excel_sci", r"\d\.\d{1,5}E\+17", float),
    ("nip_excel_float", r"\d{15}000", (int, float)),
    ("nip_excel_dot0", r"\d{18}\.0", str),
])
def test_excel_damage(switch: str, csv_re: str, xlsx_type: type | tuple[type, ...]) -> None:
    rows = export_rows(world(**{switch: 1.0}))
    assert {f.format for _, f, _ in rows} == {"csv", "xlsx"}
    for row, f, t in rows:
        assert _has(t["noise"], switch)
        if f.format == "csv":
            assert re.fullmatch(csv_re, row[4]), row[4]
        else:
            assert isinstance(row[4], xlsx_type), row[4]
            assert str(row[4]) != t["true_nip"]
    # Bawaslu records never go through Excel.
    assert all(w == t for w, t, _ in terlapor_nips(world(**{switch: 1.0})))


def test_name_switches() -> None:
    up = terlapor_nips(world(name_uppercase=1.0))
    recs = jsonl(world(name_uppercase=1.0) / "bawaslu/cases_phase2.jsonl")
    assert all(r["terlapor"]["nama"].isupper() for r in recs) and all(_has(n, "name_uppercase") for *_, n in up)
    clean = dict(enumerate(r["terlapor"] for r in jsonl(world() / "bawaslu/cases_phase2.jsonl")))
    for switch in ("title_variant", "spelling_variant", "instansi_variant"):
        w = world(**{switch: 1.0})
        recs = jsonl(w / "bawaslu/cases_phase2.jsonl")
        t = pd.read_parquet(w / "truth/cases.parquet")
        t = t[t.phase == 2]
        changed = 0
        for i, (r, noise) in enumerate(zip(recs, t.noise, strict=True)):
            key = "instansi" if switch == "instansi_variant" else "nama"
            differs = r["terlapor"][key] != clean[i][key]  # same seed: same cases in the same order
            assert differs == _has(noise, switch), (switch, r["terlapor"], clean[i])
            changed += differs
        assert changed >= len(recs) * 0.5, switch  # not every name has a spelling variant


FILE_CHECKS: dict[str, Callable[[list, pd.Series], bool]] = {
    "header_variant": lambda rows, f: header_cells(rows, f.header_row)[4] in ("NIP", "N I P", "Nip.", "NIP.", "Nip"),
    "title_rows": lambda rows, f: f.header_row > 1 and str(rows[0][0]).startswith("DAFTAR REKOMENDASI"),
    "total_row": lambda rows, f: rows[f.header_row + f.n_rows][0] == "JUMLAH",
    "date_indonesian": lambda rows, f: bool(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", str(rows[f.header_row][2]))),
    "date_dmy": lambda rows, f: bool(re.fullmatch(r"\d\d/\d\d/\d{4}", str(rows[f.header_row][2]))),
    "date_excel_serial": lambda rows, f: 40000 < int(rows[f.header_row][2]) < 50000,
}


@pytest.mark.parametrize("switch", sorted(FILE_CHECKS))
def test_file_switches(switch: str) -> None:
    w = world(**{switch: 1.0})
    files = pd.read_parquet(w / "truth/export_files.parquet")
    assert len(files)
    for _, f in files.iterrows():
        rows = read_export(w / f"exports/phase{f.phase}" / f.file, f)
        assert FILE_CHECKS[switch](rows, f), (switch, f.file, rows[:3])
        assert _has(f.noise, switch)


def test_merged_cells() -> None:
    from openpyxl import load_workbook

    w = world(merged_cells=1.0)
    files = pd.read_parquet(w / "truth/export_files.parquet")
    xlsx = files[files.format == "xlsx"]
    assert len(xlsx)
    for _, f in xlsx.iterrows():
        ws = load_workbook(w / f"exports/phase{f.phase}" / f.file).active
        assert len(ws.merged_cells.ranges) == f.header_row - 1 >= 1
        assert _has(f.noise, "merged_cells")


@pytest.mark.parametrize("switch,prefix,encoding", [("csv_semicolon_bom", b"\xef\xbb\xbf", "utf-8-sig"),
                                                    ("csv_cp1252", b"", "cp1252")])
def test_csv_encodings(switch: str, prefix: bytes, encoding: str) -> None:
    w = world(**{switch: 1.0})
    files = pd.read_parquet(w / "truth/export_files.parquet")
    csvs = files[files.format == "csv"]
    assert len(csvs)
    for _, f in csvs.iterrows():
        data = (w / f"exports/phase{f.phase}" / f.file).read_bytes()
        assert data.startswith(prefix) and f.encoding == encoding and _has(f.noise, switch)
        if switch == "csv_semicolon_bom":
            assert data.decode("utf-8-sig").splitlines()[0].count(";") == 11
        else:
            data.decode("cp1252")


def test_republish_corrected() -> None:
    w = world(republish_corrected=1.0, nip_typo=1.0)
    files = pd.read_parquet(w / "truth/export_files.parquet")
    p1 = files[files.phase == 1].set_index("file")
    p2 = files[files.phase == 2].set_index("file")
    common = p1.index.intersection(p2.index)
    assert len(common) and (p2.loc[common, "corrected"]).all()
    assert (p1.loc[common, "sha256"] != p2.loc[common, "sha256"]).all()
    for row, f, t in export_rows(w, phase=2):
        if f.file in common:
            assert str(row[4]) == t["true_nip"] and _has(t["noise"], "republish_corrected")
    # Without the switch, unchanged months keep their bytes.
    files = pd.read_parquet(world() / "truth/export_files.parquet")
    both = files[files.phase == 1].merge(files[files.phase == 2], on="file", suffixes=("_1", "_2"))
    same = both[both.n_rows_1 == both.n_rows_2]
    assert len(same) and (same.sha256_1 == same.sha256_2).all()


def test_export_malformed_row() -> None:
    for row, _, t in export_rows(world(export_malformed_row=1.0)):
        assert t["reject_reason"] in ("empty_name", "impossible_date")
        if t["reject_reason"] == "empty_name":
            assert row[3] == "" or row[3] is None
        else:
            assert "02-30" in str(row[2]) or "30/02" in str(row[2])


def test_record_update() -> None:
    w = world(record_update=1.0)
    t = pd.read_parquet(w / "truth/cases.parquet")
    updated = t[t.noise.map(lambda n: _has(n, "record_update"))]
    assert len(updated) and (updated.phase == 2).all()
    p1 = t[t.phase == 1].set_index("case_id").updated_at
    for _, r in updated.iterrows():
        assert r.updated_at > p1[r.case_id] and r.updated_at[:19] > PHASE_CUTOFFS[1].isoformat()


def test_bawaslu_malformed_and_extra_field() -> None:
    t = pd.read_parquet(world(bawaslu_malformed=1.0) / "truth/cases.parquet")
    assert set(t.reject_reason) == set(nz.REJECT_REASONS)
    recs = jsonl(world(extra_field=1.0) / "bawaslu/cases_phase1.jsonl")
    assert all("sumber_informasi" in r for r in recs)


def _follow_ups(w: Path) -> pd.DataFrame:
    frames = []
    for b in json.loads((w / "bkd/bkds.json").read_text()):
        with sqlite3.connect(w / "bkd" / f"{b['code']}.sqlite") as con:
            frames.append(pd.read_sql("select * from tindak_lanjut", con).assign(bkd=b["code"]))
    return pd.concat(frames)


def test_follow_up_switches() -> None:
    w = world(followup_no_rec_number=1.0)
    assert _follow_ups(w).nomor_rekomendasi.isna().all()
    w = world(followup_malformed=1.0)
    fu = _follow_ups(w)
    assert fu.nomor_sk.isna().all() and fu.tanggal_sk.isna().all()
    assert (pd.read_parquet(w / "truth/follow_ups.parquet").reject_reason == "missing_field").all()
    truth = pd.read_parquet(world(followup_lighter=1.0) / "truth/follow_ups.parquet")
    lighter = truth[truth.lighter_than_recommended]
    assert len(lighter) and (lighter.sanction != lighter.recommended_sanction).all()
    assert (truth[~truth.lighter_than_recommended].recommended_sanction == "MORAL_TERTUTUP").all()


def test_registry_lists_every_switch() -> None:
    assert len(nz.NOISE_BY_NAME) == len(nz.NOISE_SWITCHES)
    assert nz.NoiseConfig.off().as_dict() == {n: 0.0 for n in nz.NOISE_BY_NAME}
    assert all(0 < s.default <= 0.6 for s in nz.NOISE_SWITCHES)
    with pytest.raises(ValueError):
        nz.NoiseConfig.only(bogus=1.0)
    assert nz.nip_excel_sci("198004112005011009") == "1.98004E+17"
    assert nz.nip_excel_float("198004112005011009") == "198004112005011000"
