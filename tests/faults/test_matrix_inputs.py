"""The bad-input half of the fault matrix (issue 12): one test per class of hostile or clumsy input.

Each test feeds the input the way a source would (a file in the simulator's export folder served over
HTTP on 127.0.0.1, an object in the bucket, a command line) and asserts the record's fate: staged,
quarantined with its reason code, or one clear error sentence. Where records flow, the conservation
equation of the source is asserted too (records in = staged + quarantined).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hostile_files import HEADER, far_cell, merged_to_last_column, record, with_dimension, xlsx
from support import write_exports

from pantau.bench.runner import ingest_recommendations
from pantau.normalize import spreadsheet
from pantau.normalize.spreadsheet import read_table
from pantau.simulate.servers import EmbeddedObjectStore, ExportsServer
from pantau.sources.recommendations import RecommendationsClient
from pantau.storage import ObjectStore

REPO = Path(__file__).resolve().parents[2]


def _feed(tmp_path: Path, store: ObjectStore, files: dict[str, bytes],
          listed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Serve ``files`` (plus index entries ``listed`` for files that are not in the folder) from the
    simulator's export server and run the recommendations ingest over HTTP."""
    write_exports(tmp_path / "world", files, published="2024-03-29T10:00:00+07:00", listed=listed or [])
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


def _good(records: int = 3, start: int = 1) -> bytes:
    return xlsx([HEADER] + [record(n) for n in range(start, start + records)])


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
    """A 48 KB xlsx whose one merged range runs to the last column (G2:XFD1001, 16M cells once expanded): read
    in under 700 MB and seconds, the merge clipped to the data; every record staged."""
    # The probe: 1000 records, one merge G2:XFD1001 (16M cells once expanded). Read within 700 MB of address
    # space and a few seconds, the merge filling only the columns that hold data; every record staged.
    body = merged_to_last_column(1000)
    assert len(body) < 60_000
    (tmp_path / "merged.xlsx").write_bytes(body)
    done = subprocess.run([sys.executable, "-c", _BOUNDED_READ, str(tmp_path / "merged.xlsx")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["1000", "0"]  # every record, and nothing beyond column L
    result = _feed(tmp_path, store, {"merged.xlsx": body, "good.xlsx": _good(3, start=5001)})
    assert result["count"].staged == 1003
    _conserved(result)


def test_xlsx_declared_dimension_to_last_cell(tmp_path, store):
    """An xlsx declaring its dimension as A1:XFD1048576: the declaration is ignored, rows are not padded to
    16,384 cells; records read."""
    # A <dimension ref="A1:XFD1048576"> used to pad every row to 16,384 cells; it is ignored now.
    body = with_dimension(_good(5), "A1:XFD1048576")
    sheet = read_table(body, "dim.xlsx", spreadsheet.SpreadsheetLimits(max_cells=1_000))
    assert len(sheet.rows) == 5
    assert all(len([c for c in row if c is not None]) <= 12 for _, _, row in sheet.skipped)


def test_xlsx_dimension_smaller_than_data(tmp_path, store):
    """An xlsx declaring a dimension smaller than its data (A1:L2): the rows beyond it are read, not silently
    dropped; staged."""
    # A dimension claiming A1:L2 used to hide every record below row 2: they are read now.
    body = with_dimension(_good(4), "A1:L2")
    result = _feed(tmp_path, store, {"short-dim.xlsx": body})
    assert result["count"].staged == 4
    _conserved(result)


def test_xlsx_too_many_cells(tmp_path, store, monkeypatch):
    """An xlsx with more cells than PANTAU_SPREADSHEET_MAX_CELLS: the file is one unreadable_file record naming
    the file and the bound; the other files staged."""
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_CELLS", "200")
    result = _feed(tmp_path, store, {"big.xlsx": _good(40), "small.xlsx": _good(3)})
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unreadable_file"]
    assert "big.xlsx" in rows["detail"].iloc[0] and "PANTAU_SPREADSHEET_MAX_CELLS" in rows["detail"].iloc[0]
    assert result["count"].staged == 3
    _conserved(result)


def test_xlsx_too_many_bytes(tmp_path, store, monkeypatch):
    """An export larger than PANTAU_SPREADSHEET_MAX_BYTES: unreadable_file naming the bound, nothing parsed."""
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_BYTES", "5000")
    result = _feed(tmp_path, store, {"heavy.xlsx": _good(300)})
    assert _reasons(result) == ["unreadable_file"]
    assert "PANTAU_SPREADSHEET_MAX_BYTES" in result["quarantine"]["detail"].iloc[0]
    _conserved(result)


def test_xlsx_stray_cell_in_last_row(tmp_path, store, monkeypatch):
    """Three records and one stray cell at XFD1048576 (a million blank rows): beyond
    PANTAU_SPREADSHEET_MAX_ROWS the file is unreadable_file naming the bound."""
    # One cell at XFD1048576 below three records: a million blank rows; beyond a row bound the file is
    # quarantined with the bound named, within it the records are staged.
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_ROWS", "10000")
    result = _feed(tmp_path, store, {"stray.xlsx": far_cell(3)})
    assert _reasons(result) == ["unreadable_file"]
    assert "PANTAU_SPREADSHEET_MAX_ROWS" in result["quarantine"]["detail"].iloc[0]
    _conserved(result)


def test_xlsx_truncated(tmp_path, store):
    """An xlsx cut in half in transit or at the source: unreadable_file naming the file (it was
    header_not_found); the other files staged."""
    body = _good(5)
    result = _feed(tmp_path, store, {"cut.xlsx": body[: len(body) // 2], "good.xlsx": _good(2)})
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unreadable_file"]
    assert "cut.xlsx" in rows["detail"].iloc[0]
    assert result["count"].staged == 2
    _conserved(result)


def test_xlsx_not_a_workbook(tmp_path, store):
    """An .xlsx that is an HTML login page: unreadable_file."""
    result = _feed(tmp_path, store, {"fake.xlsx": b"<html>login required</html>"})
    assert _reasons(result) == ["unreadable_file"]
    _conserved(result)


def test_xlsx_zip_bomb(tmp_path, store, monkeypatch):
    """An xlsx whose parts unpack beyond PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES: refused before parsing,
    with the bound named."""
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES", "20000")
    with pytest.raises(spreadsheet.UnreadableSpreadsheet, match="PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES"):
        read_table(_good(200), "bomb.xlsx")


def test_csv_too_many_rows(tmp_path, store, monkeypatch):
    """A CSV export of a header and thousands of empty lines beyond PANTAU_SPREADSHEET_MAX_ROWS:
    unreadable_file naming the file."""
    monkeypatch.setenv("PANTAU_SPREADSHEET_MAX_ROWS", "1000")
    body = (";".join(HEADER) + "\n" + "\n" * 5000).encode()
    result = _feed(tmp_path, store, {"blank.csv": body})
    assert _reasons(result) == ["unreadable_file"]
    assert "blank.csv" in result["quarantine"]["detail"].iloc[0]
    _conserved(result)


def test_export_unsupported_type(tmp_path, store):
    """A PDF in the export listing: one unreadable_file record naming it (it was header_not_found); the other
    files staged."""
    # A PDF in the listing is one unreadable file (it used to be reported as header_not_found).
    result = _feed(tmp_path, store, {"rekap.pdf": b"%PDF-1.4 not a table", "good.xlsx": _good(2)})
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unreadable_file"] and "rekap.pdf" in rows["detail"].iloc[0]
    assert result["count"].staged == 2
    _conserved(result)


def test_formula_cell_in_source_xlsx(tmp_path, store):
    """A formula typed into a name cell of an export: read as its cached value, never evaluated; without one
    the record is quarantined as empty_name, the others staged."""
    # A formula typed into the export is read as its cached value, never evaluated: with no cached value
    # the name is empty and the record is quarantined for it, the others staged.
    rows = [HEADER, record(1, nama='=HYPERLINK("http://127.0.0.1:1","x")'), record(2)]
    result = _feed(tmp_path, store, {"formula.xlsx": xlsx(rows)})
    assert _reasons(result) == ["empty_name"]
    assert result["count"].staged == 1
    _conserved(result)


# --- export names --------------------------------------------------------------------------------


def _listed(name: str) -> dict[str, Any]:
    return {"name": name, "updated_at": "2024-03-29T10:00:00+07:00", "sha256": "0" * 64}


@pytest.mark.parametrize("name", ["../secret.xlsx", "..%2Fsecret.xlsx", "sub/../../etc/passwd"])
def test_export_name_path_traversal(tmp_path, store, name):
    """An export listed as ../secret.xlsx (or percent-encoded, or a/../../x): never requested, one
    unsafe_file_name record naming it escaped; the rest of the listing staged."""
    result = _feed(tmp_path, store, {"good.xlsx": _good(2)}, [_listed(name)])
    rows = result["quarantine"]
    assert list(rows["reason_code"]) == ["unsafe_file_name"]
    assert ascii(name) in rows["detail"].iloc[0]
    assert result["count"].staged == 2  # the rest of the listing is processed
    _conserved(result)


@pytest.mark.parametrize("name", ["http://127.0.0.1:1/x.xlsx", "file:///etc/passwd", "x.xlsx?redirect=y",
                                  "x.xlsx#frag"])
def test_export_name_with_scheme(tmp_path, store, name):
    """An export listed as a URL (http:, file:) or with a query or fragment: never requested, unsafe_file_name;
    the rest staged."""
    result = _feed(tmp_path, store, {"good.xlsx": _good(1)}, [_listed(name)])
    assert _reasons(result) == ["unsafe_file_name"]
    assert result["count"].staged == 1
    _conserved(result)


def test_export_name_with_control_characters(tmp_path, store):
    """An export name holding NUL and a right-to-left override: unsafe_file_name, the name shown escaped in the
    detail."""
    name = "rekap\x00\u202e.xlsx"
    result = _feed(tmp_path, store, {"good.xlsx": _good(1)}, [_listed(name)])
    detail = result["quarantine"]["detail"].iloc[0]
    assert "\x00" not in detail and "\u202e" not in detail and "\\x00" in detail
    _conserved(result)


def test_export_name_plain_names_still_fetched(tmp_path, store):
    """An export name with spaces, brackets, a dash and non-ASCII letters: a plain file name, fetched and
    staged."""
    # Spaces, brackets and non-ASCII letters are plain file names.
    name = "Rekap Rekomendasi Maret 2024 (revisi) – Dinas.xlsx"
    result = _feed(tmp_path, store, {name: _good(2)})
    assert result["count"].staged == 2 and result["count"].quarantined == 0


# --- reconcile and publication: steward decisions and hostile names -----------------------------

HOSTILE_NAMES = [
    '=HYPERLINK("http://127.0.0.1:1/x","klik")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+62 Budi Santoso",
    "-Siti Aminah",
    "Budi\x00 San\x07toso\x1b[31m",
    "Siti \u202eharuN\u202c Aminah",
    "Ahmad\u2066 Fauzi\u2069 \u200f",
    "Rina\tWati\r\nPutri",
    "Jose\u0301 Ramos",  # decomposed: NFC gives "José"
]
#: What no published text may hold: C0/C1 controls (tab and newline are turned into spaces inside cells
#: too) and the bidi embedding, override and isolate marks.
FORBIDDEN = {chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"} | {chr(c) for c in range(0x7f, 0xa0)} \
    | {chr(c) for c in (*range(0x202a, 0x202f), *range(0x2066, 0x206a), 0x200e, 0x200f)}
AS_OF = "2026-06-30"


def _staged_world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from pantau.matching.world import load_world
    from pantau.simulate.generate import GenerateOptions, generate_world

    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, GenerateOptions(seed=7, registry_size=1000, cases=60), False)
    return load_world(folder, cache=False)


def _put_validated(store: ObjectStore, staged: Any) -> None:
    for table, frame in (("bawaslu_cases", staged.cases), ("recommendations", staged.recs),
                         ("registry", staged.registry), ("follow_ups", staged.follow_ups)):
        key = store.put_parquet(f"validated/{table}/test.parquet", frame)
        store.put_json(f"validated/{table}/_current.json", {"key": key})


def _reconcile(store: ObjectStore) -> dict[str, Any]:
    from datetime import date

    from pantau.pipeline.service import reconcile_and_publish
    from pantau.settings import FollowUpPolicy

    return reconcile_and_publish(store, "manual__test", "test", date.fromisoformat(AS_OF), FollowUpPolicy())


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, s3: EmbeddedObjectStore) -> dict[str, Any]:
    """One reconcile run over a small world whose names are hostile, with stewards' decisions that name a NIP
    no registry holds and items no record has."""
    staged = _staged_world(tmp_path_factory)
    for frame in (staged.cases, staged.recs):
        frame["nama_raw"] = [HOSTILE_NAMES[i % len(HOSTILE_NAMES)] for i in range(len(frame))]
    staged.registry["nama"] = [HOSTILE_NAMES[i % len(HOSTILE_NAMES)] + f" {i}" for i in range(len(staged.registry))]
    staged.registry["jabatan"] = "=1+1"
    # Office names travel further than person names: manifest, catalog page, extract names, digests.
    staged.registry["nama_instansi"] = staged.registry["nama_instansi"].astype(str).str.replace(
        " ", " \u202e\x00", n=1, regex=False)
    staged.recs["ppk"] = staged.recs["ppk"].astype(object).map(
        lambda v: v if not isinstance(v, str) else v.replace(" ", "\u2066\x1b ", 1))
    store = ObjectStore.connect(s3.endpoint, s3.access_key, s3.secret_key, f"t-{uuid.uuid4().hex[:16]}")
    _put_validated(store, staged)
    recs = staged.recs["nomor_rekomendasi"].astype(str).tolist()
    decisions = pd.DataFrame([
        {"item_id": f"person:rec:{recs[0]}", "decision": "override", "value": "999999999999999999",
         "decided_by": "rina@bkn", "decided_at": "2025-03-02", "note": "typo"},
        {"item_id": f"person:rec:{recs[1]}", "decision": "override", "value": str(staged.registry["nip"].iloc[3]),
         "decided_by": "rina@bkn", "decided_at": "2025-03-02", "note": "checked SK"},
        {"item_id": "person:rec:B-404/KASN/01/1999", "decision": "accept", "value": "",
         "decided_by": "rina@bkn", "decided_at": "2025-03-02", "note": ""},
        {"item_id": "case_link:NO-SUCH-REC", "decision": "reject", "value": "",
         "decided_by": "adi@bawaslu", "decided_at": "2025-03-03", "note": ""},
    ])
    store.put_bytes("review/decisions.csv", decisions.to_csv(index=False).encode(), "text/csv")
    result = _reconcile(store)
    return {"store": store, "result": result, "staged": staged, "recs": recs,
            "override_nip": str(staged.registry["nip"].iloc[3])}


def _release_dataset(published: dict[str, Any], name: str) -> pd.DataFrame:
    from pantau.publishing.release import read_dataset

    return read_dataset(published["store"], name)


def test_steward_override_unknown_nip(published):
    """A steward override to NIP 999999999999999999 (in no registry): refused, not linked, back to review with
    confidence 0, the item reopened, reported in the run summary; a valid override applied."""
    rows = _release_dataset(published, "consolidated_cases")
    bad = rows[rows["nomor_rekomendasi"] == published["recs"][0]].iloc[0]
    assert pd.isna(bad["rec_person_nip"]) and bad["nip"] != "999999999999999999"
    assert bad["rec_person_match"] == "review" and float(bad["rec_match_confidence"]) == 0.0
    assert "999999999999999999" in bad["rec_match_explanation"] and "refused" in bad["rec_match_explanation"]
    assert not rows["nip"].eq("999999999999999999").any()
    good = rows[rows["nomor_rekomendasi"] == published["recs"][1]].iloc[0]
    assert good["rec_person_nip"] == published["override_nip"] and good["rec_person_match"] == "steward_override"
    report = published["result"]["review_decisions"]
    assert report["refused"] == 1 and report["refused_items"][0]["item_id"] == f"person:rec:{published['recs'][0]}"
    queue = _release_dataset(published, "review_queue").set_index("item_id")
    assert queue.loc[f"person:rec:{published['recs'][0]}", "status"] == "open"
    summary = published["store"].get_json("runs/pantau_reconcile/test.json")
    assert summary["review_decisions"]["refused"] == 1


def test_steward_decision_unknown_item(published):
    """Decisions for item ids no record of the run has: kept in the file, counted and listed in the run
    summary's review_decisions."""
    report = published["result"]["review_decisions"]
    assert report["decisions"] == 4
    assert report["unknown_items"] == 2
    assert report["unknown_item_ids"] == ["case_link:NO-SUCH-REC", "person:rec:B-404/KASN/01/1999"]


@pytest.mark.parametrize("body, line", [
    (b'item_id,decision,value,decided_by,decided_at,note\nperson:rec:A,accept,,x,2025-01-01,\n'
     b'person:rec:B,override,1,2,3,4,5,6\n', "3"),
    (b'item_id,decision,value\nperson:rec:A,"accept,,\n', None),
    (b'\xff\xfe\x00garbage', None),
    (b'item_id,decision\nperson:rec:A,approve\n', None),
])
def test_steward_decisions_malformed(s3, body, line):
    """A decisions file that does not parse (extra fields, an open quote, binary, an unknown decision):
    reconcile fails with one sentence naming review/decisions.csv, the line when known, and what to do."""
    from pantau.exceptions import ConfigError
    from pantau.pipeline.service import _load_review_decisions

    store = ObjectStore.connect(s3.endpoint, s3.access_key, s3.secret_key, f"t-{uuid.uuid4().hex[:16]}")
    store.put_bytes("review/decisions.csv", body, "text/csv")
    with pytest.raises(ConfigError) as caught:
        _load_review_decisions(store, pd.DataFrame({"nip": ["196804111993031009"]}))
    message = str(caught.value)
    assert "review/decisions.csv" in message and "\n" not in message
    if line:
        assert f"line {line}" in message


def _published_objects(store: ObjectStore) -> dict[str, bytes]:
    names = [o.object_name for o in store.client.list_objects(store.bucket, recursive=True)]
    return {n: store.get_bytes(n) for n in names if n.startswith(("published/", "restricted/"))}


def _texts(name: str, body: bytes) -> list[str]:
    """Every text cell or document a person or tool reads from one published object."""
    import zipfile

    if name.endswith(".parquet"):
        frame = pd.read_parquet(io.BytesIO(body))
        return [v for c in frame.columns for v in frame[c].tolist() if isinstance(v, str)]
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        with zipfile.ZipFile(io.BytesIO(body)):
            pass
        sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
        return [v for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    if name.endswith(".csv"):
        import csv

        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    if name.endswith(".json"):  # escapes such as "\u202e" are characters once parsed
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for k, v in value.items():
                    walk(k)
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)

        walk(json.loads(body))
        return found
    return [body.decode("utf-8", errors="replace")]


def test_control_chars_in_name(published):
    """Person, agency and PPK names with NUL, BEL, ESC, tabs and line breaks: no control character in any
    object written (Parquet, CSV, XLSX, HTML, JSON); names kept, cleaned."""
    objects = _published_objects(published["store"])
    assert any(n.endswith("consolidated_cases/data.csv") for n in objects)
    for name, body in objects.items():
        for text in _texts(name, body):
            found = {f"U+{ord(c):04X}" for c in text if c in FORBIDDEN and not (c in "\n\r\t" and
                                                                                 not name.endswith(("csv", "xlsx", "parquet")))}
            assert not found, f"{name}: {found} in {text[:80]!r}"
    people = pd.read_csv(io.BytesIO(objects[next(n for n in objects if n.endswith("consolidated_cases/data.csv"))]),
                         dtype=str)
    assert people["rec_nama"].str.contains("Budi San", regex=False).any()  # cleaned, not dropped


def test_bidi_override_in_name(published):
    """Names with bidi overrides and isolates (U+202E, U+2066-U+2069, RLM) or a combining accent: the marks are
    dropped and text put in NFC in the published datasets."""
    rows = _release_dataset(published, "consolidated_cases")
    names = rows["rec_nama"].dropna()
    assert names.str.contains("Siti haruN Aminah", regex=False).any()
    assert not names.str.contains("[\u202a-\u202e\u2066-\u2069\u200e\u200f]").any()
    assert names.str.contains("Jos\u00e9 Ramos", regex=False).any()  # NFC


def _formula_cells(texts: list[str]) -> list[str]:
    import re

    return [t for t in texts if t[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"[+-]?[0-9]+([.,][0-9]+)?", t)]


def test_formula_in_name_csv(published):
    """Names starting with =, +, -, @ (=HYPERLINK, @SUM(...)*cmd): every published CSV cell neutralised with a
    leading apostrophe; the text kept."""
    objects = _published_objects(published["store"])
    csvs = [n for n in objects if n.endswith(".csv")]
    assert len(csvs) >= 3
    for name in csvs:
        assert not _formula_cells(_texts(name, objects[name])), name
    people = pd.read_csv(io.BytesIO(objects[next(n for n in csvs if n.endswith("consolidated_cases/data.csv"))]),
                         dtype=str)
    assert people["rec_nama"].str.startswith("'=HYPERLINK(").any()  # kept, neutralised


def test_formula_in_name_xlsx(published):
    """The same hostile names in every published XLSX: no cell a spreadsheet would run as a formula."""
    objects = _published_objects(published["store"])
    workbooks = [n for n in objects if n.endswith(".xlsx")]
    assert workbooks
    for name in workbooks:
        assert not _formula_cells(_texts(name, objects[name])), name


def test_hostile_names_in_digest(published, tmp_path):
    """Hostile names through the alert run over SMTP: the digests' text and HTML parts hold no control or bidi
    character; names shown, cleaned."""
    # The alert run over real SMTP: the digests are built from the release, whose texts are clean.
    from datetime import date
    from email import policy as email_policy
    from email.parser import BytesParser

    from pantau.alerts.mailer import SmtpSettings
    from pantau.pipeline.service import send_alerts
    from pantau.settings import FollowUpPolicy
    from pantau.simulate.servers import SmtpSink

    store = published["store"]
    overdue = _release_dataset(published, "overdue_recommendations")
    agencies = sorted(overdue["registry_kode_instansi"].dropna().unique())
    assert agencies
    lines = ["kode_instansi,nama_instansi,ppk_jabatan,ppk_email,bkd_email"]
    lines += [f"{code},Dinas Uji {i},Bupati,ppk-{i}@example.go.id,bkd-{i}@example.go.id"
              for i, code in enumerate(agencies)]
    (tmp_path / "contacts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with SmtpSink(tmp_path / "outbox") as sink:
        smtp = SmtpSettings(host="127.0.0.1", port=sink.port, from_email="pantau@pantau.local")
        result = send_alerts(store, smtp, str(tmp_path / "contacts.csv"), "alerts-test", date.fromisoformat(AS_OF),
                             FollowUpPolicy(), ledger=tmp_path / "alert-ledger.sqlite")
    messages = sorted((tmp_path / "outbox").glob("*.eml"))
    assert result["sent"] and messages
    shown = ""
    for path in messages:
        message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        for part in message.walk():
            if part.get_content_maintype() == "text":
                text = part.get_content()
                shown += text
                found = {f"U+{ord(c):04X}" for c in text if c in FORBIDDEN and c not in "\n\r\t"}
                assert not found, (path.name, found)
    assert "haruN" in shown or "Budi San" in shown or "Fauzi" in shown  # the names are there, cleaned


# --- the demo's bucket mirror ------------------------------------------------------------------------


def _mirror_round_trip(tmp_path: Path, keys: dict[str, bytes]) -> tuple[set[str], dict[str, bytes]]:
    """Put ``keys`` in an embedded store persisted to a folder, stop it (mirror), start it again (restore)."""
    folder = tmp_path / "objectstore"
    with EmbeddedObjectStore(folder) as server:
        client = server.client()
        client.make_bucket("demo")
        for key, body in keys.items():
            client.put_object("demo", key, io.BytesIO(body), len(body))
        stored = {o.object_name for o in client.list_objects("demo", recursive=True)}
    with EmbeddedObjectStore(folder) as server:
        client = server.client()
        restored = {o.object_name: client.get_object("demo", o.object_name).read()
                    for o in client.list_objects("demo", recursive=True)}
    for key, body in restored.items():
        assert key in keys and keys[key] == body, (key, body)  # nothing restored under another key
    return stored, restored


def _refused_with_sentence(refused: set[str], caplog: pytest.LogCaptureFixture) -> None:
    for key in refused:
        assert any(ascii(key)[1:-1] in r.getMessage() and "will not be restored" in r.getMessage()
                   for r in caplog.records), key


def test_demo_mirror_double_slash(tmp_path, caplog):
    """Objects a//b.txt and /lead.txt beside a/b.txt in the demo's store: mirrored and restored under their own
    keys, or refused with a sentence; never restored under another key."""
    # Keys go to files and back unchanged, or are refused with a sentence: "a//b.txt" used to come back
    # as "a/b.txt", overwriting the object of that name.
    keys = {"a/b.txt": b"plain", "a//b.txt": b"double", "/lead.txt": b"lead", "n\u00e9/ok.txt": b"accent"}
    stored, restored = _mirror_round_trip(tmp_path, keys)
    assert "a//b.txt" in stored  # the S3 server keeps the key as written, so there is something to refuse
    assert {"a/b.txt", "n\u00e9/ok.txt"} <= set(restored) and restored["a/b.txt"] == b"plain"
    _refused_with_sentence(stored - set(restored), caplog)


def test_demo_mirror_key_inside_another_key(tmp_path, caplog):
    """Objects x/y.txt and x/y.txt/z.txt in the demo's store: the second is refused with a sentence instead of
    crashing the demo's stop."""
    # "x/y.txt" is a file, so "x/y.txt/z.txt" cannot be one below it: refused, not a crash of the demo's stop.
    stored, restored = _mirror_round_trip(tmp_path, {"x/y.txt": b"file", "x/y.txt/z.txt": b"inside"})
    assert restored == {"x/y.txt": b"file"}
    _refused_with_sentence(stored - set(restored), caplog)


# --- command line ----------------------------------------------------------------------------------


def _pantau(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "pantau.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def _one_sentence(done: subprocess.CompletedProcess[str], *mentions: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-800:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for mention in mentions:
        assert mention in lines[0], lines[0]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_replay_without_server():
    """pantau replay with no S3 server at the endpoint: one sentence naming the endpoint and --endpoint, exit
    2, no traceback."""
    port = _free_port()
    _one_sentence(_pantau("replay", "--endpoint", f"127.0.0.1:{port}"), f"127.0.0.1:{port}", "--endpoint")


def test_cli_replay_bad_bucket_name():
    """pantau replay --bucket Not_A_Bucket: one sentence naming the bucket and --bucket, exit 2."""
    _one_sentence(_pantau("replay", "--bucket", "Not_A_Bucket"), "Not_A_Bucket", "--bucket")


def test_cli_generate_bad_out(tmp_path):
    """pantau simulate generate --out below a file: one sentence naming the path, exit 2, no traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _one_sentence(_pantau("simulate", "generate", "--out", str(blocker / "world"), "--cases", "10",
                          "--registry-size", "1000", "--no-progress"), str(blocker))


def test_cli_generate_bad_url_template(tmp_path):
    """pantau simulate generate --bkd-url-template that is no SQLAlchemy URL: one sentence, exit 2, nothing
    written."""
    done = _pantau("simulate", "generate", "--out", str(tmp_path / "w"), "--cases", "10", "--registry-size", "1000",
                   "--no-progress", "--bkd-url-template", "nonsense-{code}")
    _one_sentence(done, "--bkd-url-template", "nonsense-{code}")
    assert not (tmp_path / "w").exists()  # refused before anything was written


def test_cli_replay_local_without_demo(tmp_path):
    """pantau replay --local before any demo ran: one sentence pointing to make demo, exit 2."""
    _one_sentence(_pantau("replay", "--local", env={"PANTAU_HOME": str(tmp_path)}), "make demo")


def test_cli_bug_still_shows_traceback(monkeypatch):
    """An unexpected exception inside a command (a bug, not bad input): the traceback is kept."""
    # Only errors a user can cause become a sentence; anything else is a bug and keeps its traceback.
    from pantau import cli

    def broken(_args: Any) -> int:
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "_replay", broken)
    with pytest.raises(KeyError):
        cli.main(["replay", "--local"])
