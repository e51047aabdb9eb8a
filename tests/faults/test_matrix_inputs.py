"""The bad-input half of the fault matrix (issue 12): one test per class of hostile or clumsy input.

Each test feeds the input the way a source would (a file in the simulator's export folder served over
HTTP on 127.0.0.1, an object in the bucket, a command line) and asserts the record's fate: staged,
quarantined with its reason code, or one clear error sentence. Where records flow, the conservation
equation of the source is asserted too (records in = staged + quarantined).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pantau.bench.runner import ingest_recommendations
from pantau.normalize import spreadsheet
from pantau.normalize.spreadsheet import read_table
from pantau.simulate.servers import EmbeddedObjectStore, ExportsServer
from pantau.sources.recommendations import RecommendationsClient
from pantau.storage import ObjectStore

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib does not add test folders
from hostile_files import HEADER, far_cell, merged_to_last_column, record, with_dimension, xlsx  # noqa: E402


@pytest.fixture(scope="module")
def s3() -> Iterator[EmbeddedObjectStore]:
    with EmbeddedObjectStore() as server:
        yield server


@pytest.fixture
def store(s3: EmbeddedObjectStore) -> ObjectStore:
    return ObjectStore.connect(s3.endpoint, s3.access_key, s3.secret_key, f"t-{uuid.uuid4().hex[:16]}")


def _feed(tmp_path: Path, store: ObjectStore, files: dict[str, bytes],
          listed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Serve ``files`` (plus index entries ``listed`` for files that are not in the folder) from the
    simulator's export server and run the recommendations ingest over HTTP."""
    folder = tmp_path / "world" / "exports" / "phase1"
    folder.mkdir(parents=True)
    index = []
    for name, body in files.items():
        (folder / name).write_bytes(body)
        index.append({"name": name, "updated_at": "2024-03-29T10:00:00+07:00",
                      "sha256": hashlib.sha256(body).hexdigest()})
    index += listed or []
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    with ExportsServer(tmp_path / "world") as feed:
        feed.set_phase(1)
        client = RecommendationsClient(feed.url, retries=0, attempts=1)
        try:
            return ingest_recommendations(client, store, "run1")
        finally:
            client.close()


def _conserved(result: dict[str, Any]) -> None:
    count = result["count"]
    assert count.records_in == count.staged + count.quarantined
    assert count.staged == len(result["new"]) and count.quarantined == len(result["quarantine"])


def _good(records: int = 3) -> bytes:
    return xlsx([HEADER] + [record(n) for n in range(1, records + 1)])


def _reasons(result: dict[str, Any]) -> list[str]:
    return sorted(result["quarantine"]["reason_code"]) if len(result["quarantine"]) else []


# --- spreadsheets --------------------------------------------------------------------------------


_BOUNDED_READ = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (700 << 20, 700 << 20))  # the probe took 1.65 GB before the bound
from pantau.normalize.spreadsheet import read_table
sheet = read_table(open(sys.argv[1], "rb").read(), "merged.xlsx")
print(len(sheet.rows), sum(1 for row in sheet.rows if "_extra" in row))
"""


def test_xlsx_merged_range_to_last_column(tmp_path, store):
    # The probe: 1000 records, one merge G2:XFD1001 (16M cells once expanded). Read within 700 MB of address
    # space and a few seconds, the merge filling only the columns that hold data; every record staged.
    body = merged_to_last_column(1000)
    assert len(body) < 60_000
    (tmp_path / "merged.xlsx").write_bytes(body)
    done = subprocess.run([sys.executable, "-c", _BOUNDED_READ, str(tmp_path / "merged.xlsx")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["1000", "0"]  # every record, and nothing beyond column L
    result = _feed(tmp_path, store, {"merged.xlsx": body, "good.xlsx": _good()})
    assert result["count"].staged == 1003
    _conserved(result)


def test_xlsx_declared_dimension_to_last_cell(tmp_path, store):
    # A <dimension ref="A1:XFD1048576"> used to pad every row to 16,384 cells; it is ignored now.
    body = with_dimension(_good(5), "A1:XFD1048576")
    sheet = read_table(body, "dim.xlsx", spreadsheet.SpreadsheetLimits(max_cells=1_000))
    assert len(sheet.rows) == 5
    assert all(len([c for c in row if c is not None]) <= 12 for _, _, row in sheet.skipped)


def test_xlsx_dimension_smaller_than_data(tmp_path, store):
    # A dimension claiming A1:L2 used to hide every record below row 2: they are read now.
    body = with_dimension(_good(4), "A1:L2")
    result = _feed(tmp_path, store, {"short-dim.xlsx": body})
    assert result["count"].staged == 4
    _conserved(result)


def test_xlsx_too_many_cells(tmp_path, store, monkeypatch):
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_CELLS", "200")
    result = _feed(tmp_path, store, {"big.xlsx": _good(40), "small.xlsx": _good(3)})
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unreadable_file"]
    assert "big.xlsx" in rows["detail"].iloc[0] and "PANTAU_SPREADSHEET_MAX_CELLS" in rows["detail"].iloc[0]
    assert result["count"].staged == 3
    _conserved(result)


def test_xlsx_too_many_bytes(tmp_path, store, monkeypatch):
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_BYTES", "5000")
    result = _feed(tmp_path, store, {"heavy.xlsx": _good(300)})
    assert _reasons(result) == ["unreadable_file"]
    assert "PANTAU_SPREADSHEET_MAX_BYTES" in result["quarantine"]["detail"].iloc[0]
    _conserved(result)


def test_xlsx_stray_cell_in_last_row(tmp_path, store, monkeypatch):
    # One cell at XFD1048576 below three records: a million blank rows; beyond a row bound the file is
    # quarantined with the bound named, within it the records are staged.
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_ROWS", "10000")
    result = _feed(tmp_path, store, {"stray.xlsx": far_cell(3)})
    assert _reasons(result) == ["unreadable_file"]
    assert "PANTAU_SPREADSHEET_MAX_ROWS" in result["quarantine"]["detail"].iloc[0]
    _conserved(result)


def test_xlsx_truncated(tmp_path, store):
    body = _good(5)
    result = _feed(tmp_path, store, {"cut.xlsx": body[: len(body) // 2], "good.xlsx": _good(2)})
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unreadable_file"]
    assert "cut.xlsx" in rows["detail"].iloc[0]
    assert result["count"].staged == 2
    _conserved(result)


def test_xlsx_not_a_workbook(tmp_path, store):
    result = _feed(tmp_path, store, {"fake.xlsx": b"<html>login required</html>"})
    assert _reasons(result) == ["unreadable_file"]
    _conserved(result)


def test_xlsx_zip_bomb(tmp_path, store, monkeypatch):
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES", "20000")
    with pytest.raises(spreadsheet.UnreadableSpreadsheet, match="PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES"):
        read_table(_good(200), "bomb.xlsx")


def test_csv_too_many_rows(tmp_path, store, monkeypatch):
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_ROWS", "1000")
    body = (";".join(HEADER) + "\n" + "\n" * 5000).encode()
    result = _feed(tmp_path, store, {"blank.csv": body})
    assert _reasons(result) == ["unreadable_file"]
    assert "blank.csv" in result["quarantine"]["detail"].iloc[0]
    _conserved(result)


# --- export names --------------------------------------------------------------------------------


def _listed(name: str) -> dict[str, Any]:
    return {"name": name, "updated_at": "2024-03-29T10:00:00+07:00", "sha256": "0" * 64}


@pytest.mark.parametrize("name", ["../secret.xlsx", "..%2Fsecret.xlsx", "sub/../../etc/passwd"])
def test_export_name_path_traversal(tmp_path, store, name):
    result = _feed(tmp_path, store, {"good.xlsx": _good(2)}, [_listed(name)])
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unsafe_file_name"]
    assert ascii(name) in rows["detail"].iloc[0]
    assert result["count"].staged == 2  # the rest of the listing is processed
    _conserved(result)


@pytest.mark.parametrize("name", ["http://127.0.0.1:1/x.xlsx", "file:///etc/passwd", "x.xlsx?redirect=y",
                                  "x.xlsx#frag"])
def test_export_name_with_scheme(tmp_path, store, name):
    result = _feed(tmp_path, store, {"good.xlsx": _good(1)}, [_listed(name)])
    assert _reasons(result) == ["unsafe_file_name"]
    assert result["count"].staged == 1
    _conserved(result)


def test_export_name_with_control_characters(tmp_path, store):
    name = "rekap\x00\u202e.xlsx"
    result = _feed(tmp_path, store, {"good.xlsx": _good(1)}, [_listed(name)])
    detail = result["quarantine"]["detail"].iloc[0]
    assert "\x00" not in detail and "\u202e" not in detail and "\\x00" in detail
    _conserved(result)


def test_export_name_plain_names_still_fetched(tmp_path, store):
    # Spaces, brackets and non-ASCII letters are plain file names.
    name = "Rekap Rekomendasi Maret 2024 (revisi) – Dinas.xlsx"
    result = _feed(tmp_path, store, {name: _good(2)})
    assert result["count"].staged == 2 and result["count"].quarantined == 0
