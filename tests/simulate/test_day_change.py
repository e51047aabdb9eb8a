"""A day passing in a generated world (pantau.simulate.day_change): deterministic, about 1 % of every source,
and visible to the servers and in the BKD databases."""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from pantau.simulate.day_change import UPDATE_NOTE, apply_day_change, change_day
from pantau.simulate.generate import GenerateOptions, generate_world
from pantau.simulate.servers import BawasluApiServer, ExportsServer

TOKEN = "t"


@pytest.fixture(scope="module")
def base_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("day") / "world"
    generate_world(world, GenerateOptions(seed=11, registry_size=3000, cases=250), progress=False)
    return world


def _copy(base: Path, target: Path) -> Path:
    shutil.copytree(base, target)
    return target


def _sqlite_rows(world: Path, sql: str) -> list[tuple]:
    rows: list[tuple] = []
    for path in sorted((world / "bkd").glob("*.sqlite")):
        with sqlite3.connect(path) as db:
            rows += db.execute(sql).fetchall()
    return rows


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (127.0.0.1 only)
        return response.read()


def test_same_world_and_seed_give_the_same_change(base_world: Path, tmp_path: Path) -> None:
    a, b = _copy(base_world, tmp_path / "a"), _copy(base_world, tmp_path / "b")
    assert apply_day_change(a, 0.01, seed=5) == apply_day_change(b, 0.01, seed=5)
    assert (a / "bawaslu" / "cases_phase3.jsonl").read_bytes() == (b / "bawaslu" / "cases_phase3.jsonl").read_bytes()
    for table in ("pegawai", "tindak_lanjut"):
        sql = f"SELECT * FROM {table} ORDER BY rowid"  # noqa: S608
        assert _sqlite_rows(a, sql) == _sqlite_rows(b, sql)
    other = _copy(base_world, tmp_path / "c")
    apply_day_change(other, 0.01, seed=6)
    assert (other / "bawaslu" / "cases_phase3.jsonl").read_bytes() != (a / "bawaslu" / "cases_phase3.jsonl").read_bytes()


def test_about_one_percent_of_every_source_changes_and_the_servers_serve_it(base_world: Path, tmp_path: Path) -> None:
    world = _copy(base_world, tmp_path / "w")
    pegawai_before = len(_sqlite_rows(world, "SELECT nip FROM pegawai"))
    decrees_before = len(_sqlite_rows(world, "SELECT id FROM tindak_lanjut"))
    cases_before = len((world / "bawaslu" / "cases_phase2.jsonl").read_bytes().splitlines())
    phase, day = change_day(world)
    counts = apply_day_change(world, 0.01, seed=1)
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["phases"][str(phase + 1)] > manifest["phases"][str(phase)]
    assert manifest["day_changes"][-1]["counts"] == counts

    # Bawaslu: ~1 % updated or new, all dated on the change day; the earlier phase's file is untouched.
    changed = counts["bawaslu_updated"] + counts["bawaslu_new"]
    assert abs(changed - cases_before * 0.01) <= 2 and counts["bawaslu_new"] >= 1
    with BawasluApiServer(world, TOKEN) as api:
        assert api.phase == phase + 1
        body = json.loads(_get(f"{api.url}/api/v1/netralitas/kasus?per_page=1000&updated_since={day}T00:00:00%2B07:00"))
    assert body["meta"]["total"] == changed
    assert sum(UPDATE_NOTE in (r.get("uraian") or "") for r in body["data"]) == counts["bawaslu_updated"]
    assert len((world / "bawaslu" / "cases_phase2.jsonl").read_bytes().splitlines()) == cases_before

    # Recommendations: a corrected export and a new one, announced in index.json with their new sha256.
    with ExportsServer(world) as exports:
        index = json.loads(_get(f"{exports.url}/exports/index.json"))
    fresh = [e for e in index if e["updated_at"].startswith(day.isoformat())]
    assert counts["recommendations_corrected"] >= 1 and counts["recommendations_new"] >= 1
    assert any(e["name"] == f"rekomendasi_{day}.csv" for e in fresh) and len(fresh) >= 2
    previous = {e["name"]: e["sha256"] for e in json.loads(
        (world / "exports" / f"phase{phase}" / "index.json").read_text(encoding="utf-8"))}
    assert all(previous.get(e["name"]) != e["sha256"] for e in fresh)

    # BKD databases, changed in place with a later updated_at.
    on_day = _sqlite_rows(world, f"SELECT nip FROM pegawai WHERE updated_at >= '{day}'")  # noqa: S608
    assert len(on_day) == counts["pegawai_updated"] + counts["pegawai_new"]
    assert abs(len(on_day) - pegawai_before * 0.01) <= 4
    assert len(_sqlite_rows(world, "SELECT nip FROM pegawai")) == pegawai_before + counts["pegawai_new"]
    assert len(_sqlite_rows(world, "SELECT DISTINCT nip FROM pegawai")) == len(
        _sqlite_rows(world, "SELECT nip FROM pegawai"))
    new_decrees = _sqlite_rows(world, f"SELECT id FROM tindak_lanjut WHERE updated_at >= '{day}'")  # noqa: S608
    assert len(new_decrees) == counts["tindak_lanjut_new"] >= 1
    assert len(_sqlite_rows(world, "SELECT id FROM tindak_lanjut")) == decrees_before + counts["tindak_lanjut_new"]


def test_a_second_day_builds_on_the_first(base_world: Path, tmp_path: Path) -> None:
    world = _copy(base_world, tmp_path / "w")
    before = {r[0] for r in _sqlite_rows(world, "SELECT nomor_rekomendasi FROM tindak_lanjut")}
    _, day = change_day(world)
    apply_day_change(world, 0.01, seed=1)
    first_day = change_day(world)
    apply_day_change(world, 0.01, seed=1)
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    assert [c["phase"] for c in manifest["day_changes"]] == [3, 4]
    assert manifest["day_changes"][1]["day"] >= first_day[1].isoformat()
    # No recommendation is decided twice by the days' new decrees.
    new = [r[0] for r in _sqlite_rows(world, f"SELECT nomor_rekomendasi FROM tindak_lanjut WHERE updated_at >= '{day}'")]  # noqa: S608
    assert len(new) == len(set(new)) and not set(new) & before


def test_fraction_out_of_range_is_refused(base_world: Path) -> None:
    with pytest.raises(ValueError, match="fraction"):
        apply_day_change(base_world, 0.0)
