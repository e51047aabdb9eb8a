"""The fault and bad-input matrix, the probes that held (issue 12): one test per class, named by it.

These are the classes Pantau already handled when the issue was filed (invalid JSON and HTML pages,
transport faults, SQL in table names, SMTP outages, kills at five points, byte-identical re-runs, no
secret in any log or output, loopback only). They stay here so they keep holding. Everything goes over
the real protocols on 127.0.0.1: HTTP to the Bawaslu and exports simulators, SQL through SQLAlchemy
to a BKD SQLite file, S3 to the embedded server, SMTP to the sink. Each test asserts the record's fate
(staged, quarantined with its reason, or one clear error) and, where records came in, the
conservation equation per source and run: records in = staged + quarantined.
The first line of each test's docstring is its row in the README table (scripts/fault_matrix.py).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support import (
    NIP_A,
    NIP_B,
    NIP_C,
    TOKEN,
    ScriptedServer,
    assert_conserved,
    bkd_current,
    case,
    client_for,
    current,
    export_csv,
    feed_client,
    ingest_bkd,
    ingest_cases,
    ingest_recs,
    land_bkd,
    make_bkd,
    person,
    write_cases,
    write_exports,
)

from pantau.alerts.ledger import Ledger, Outgoing, deliver
from pantau.alerts.mailer import SmtpSettings
from pantau.exceptions import SourceError
from pantau.pipeline import bawaslu, bkd, recommendations
from pantau.replay import replay_all
from pantau.simulate.servers import (
    BawasluApiServer,
    ExportsServer,
    FaultConfig,
    SmtpSink,
)
from pantau.simulate.servers.faults import SimResponse
from pantau.storage import ObjectStore

CASES = [f"{i:03d}/LP/2024" for i in range(1, 13)]


def twelve_cases(world: Path) -> None:
    write_cases(world, 1, [case(n, f"2024-07-{i + 1:02d}T10:00:00+07:00") for i, n in enumerate(CASES)])


def assert_all_twelve_staged(run: dict[str, Any], store: ObjectStore) -> None:
    assert run["count"].records_in == 12 and run["count"].staged == 12 and run["quarantine"].empty
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == CASES
    assert_conserved(run["count"], run["quarantine"])


HTML = SimResponse(200, b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>", "text/html")


class Killed(Exception):
    """The process dying at a chosen point (raised from the store write that comes next)."""


def kill_before(store: ObjectStore, key: str) -> Callable[[], None]:
    """Make the next ``put_json`` of ``key`` die before it writes; returns the undo."""
    original = store.put_json

    def dying(k: str, value: Any) -> str:
        if k == key:
            raise Killed(f"killed before writing {k}")
        return original(k, value)

    store.put_json = dying  # type: ignore[method-assign]
    return lambda: setattr(store, "put_json", original)


# -- HTTP pages: bodies that are not the contract ---------------------------------------------------
def test_invalid_json_page(tmp_path, store):
    """A 200 page whose body is not JSON, once: fetched again, every record staged."""
    twelve_cases(tmp_path)
    with ScriptedServer(tmp_path, [SimResponse(200, b"{'data': [NaN,]")]) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    assert_all_twelve_staged(run, store)


def test_invalid_json_page_every_time(tmp_path, store):
    """A page that is never valid JSON: one clear error naming the page; nothing staged, no watermark."""
    twelve_cases(tmp_path)
    always = FaultConfig(rate_invalid_json=1.0, max_consecutive_faults=100)
    with BawasluApiServer(tmp_path, TOKEN, always) as api:
        with pytest.raises(SourceError, match=r"invalid JSON body for page 1 2 times .* nothing was staged"):
            bawaslu.land(client_for(api.url, json_attempts=2), store, "run1", 5)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_truncated_json_page(tmp_path, store):
    """A page cut mid-body with status 200 (half the bytes, as a dropped proxy sends): fetched again,
    every record staged once."""
    twelve_cases(tmp_path)
    cut = FaultConfig(rate_invalid_json=1.0, max_consecutive_faults=1)
    with BawasluApiServer(tmp_path, TOKEN, cut) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
        assert api.stats()["faults"]["invalid_json"] >= 3
    assert_all_twelve_staged(run, store)


def test_html_error_page(tmp_path, store):
    """An HTML error page with status 200 in front of the API, twice: fetched again, every record staged."""
    twelve_cases(tmp_path)
    with ScriptedServer(tmp_path, [HTML, HTML]) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    assert_all_twelve_staged(run, store)


def test_html_error_page_every_time(tmp_path, store):
    """Only HTML pages (a login or maintenance page): one clear error; nothing staged, no watermark."""
    twelve_cases(tmp_path)
    with ScriptedServer(tmp_path, [HTML] * 10) as api:
        with pytest.raises(SourceError, match=r"invalid JSON body for page 1 .* nothing was staged") as caught:
            bawaslu.land(client_for(api.url, json_attempts=3), store, "run1", 5)
    assert "\n" not in str(caught.value)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_json_not_an_object(tmp_path, store):
    """A page that is valid JSON but a list, not the documented envelope: one clear error; nothing staged."""
    twelve_cases(tmp_path)
    with ScriptedServer(tmp_path, [SimResponse(200, b"[1, 2, 3]")] * 5) as api:
        with pytest.raises(SourceError, match=r"JSON list, not an object.* nothing was staged"):
            bawaslu.land(client_for(api.url, json_attempts=2), store, "run1", 5)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


# -- HTTP transport faults --------------------------------------------------------------------------
def test_http_429_storm(tmp_path, store):
    """Every request first answered 429 Too Many Requests (Retry-After): retried, every record staged once."""
    twelve_cases(tmp_path)
    storm = FaultConfig(rate_429=1.0, retry_after_s=0, max_consecutive_faults=3)
    with BawasluApiServer(tmp_path, TOKEN, storm) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
        assert api.stats()["faults"]["429"] >= 9
    assert_all_twelve_staged(run, store)


def test_http_5xx_then_ok(tmp_path, store):
    """500/502/503 answers before each good one: retried, every record staged once."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN, FaultConfig(rate_5xx=1.0, max_consecutive_faults=2, seed=3)) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
        assert api.stats()["faults"]["5xx"] >= 6
    assert_all_twelve_staged(run, store)


def test_http_5xx_every_time(tmp_path, store):
    """An API answering only 5xx: one clear error naming the status; nothing staged, no watermark."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN, FaultConfig(rate_5xx=1.0, max_consecutive_faults=100)) as api:
        with pytest.raises(SourceError, match=r"answered 50[023] for page 1 after 3 attempts.* nothing was staged"):
            bawaslu.land(client_for(api.url, retries=2), store, "run1", 5)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_timeout_then_ok(tmp_path, store, caplog):
    """A page that hangs past the client's read timeout, then answers: retried, every record staged once."""
    twelve_cases(tmp_path)
    slow = FaultConfig(rate_timeout=1.0, timeout_delay_s=0.6, max_consecutive_faults=1)
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        with BawasluApiServer(tmp_path, TOKEN, slow) as api:
            run = ingest_cases(client_for(api.url, timeout_s=0.2), store, "run1")
    assert sum("Read timed out" in r.getMessage() for r in caplog.records) >= 3  # one per page at least
    assert_all_twelve_staged(run, store)


def test_wrong_token(tmp_path, store):
    """A refused bearer token (401): one clear error naming the connection, never the token; nothing staged."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN) as api:
        with pytest.raises(SourceError, match="refused the token .* connection bawaslu_api") as caught:
            bawaslu.land(client_for(api.url, token="not-the-token"), store, "run1", 5)
    assert "not-the-token" not in str(caught.value)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_page_drift_during_scan(tmp_path, store):
    """Records inserted or removed while paging (pages shifted by one): scanned again until every record
    was seen; each staged exactly once."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN, FaultConfig(rate_page_drift=0.5, seed=5)) as api:
        run = ingest_cases(client_for(api.url), store, "run1", per_page=3)
        assert api.stats()["faults"].get("page_drift", 0) >= 1
    assert_all_twelve_staged(run, store)
    assert len(current(store, "bawaslu_cases")) == 12


def test_empty_source(tmp_path, store):
    """A source with nothing to send (no cases, an empty export listing, empty tables): a run with zero
    records, nothing quarantined, no watermark moved."""
    write_cases(tmp_path, 1, [])
    write_exports(tmp_path, {})
    source = make_bkd(tmp_path / "bkd.db", [])
    with BawasluApiServer(tmp_path, TOKEN) as api, ExportsServer(tmp_path) as feed:
        cases = ingest_cases(client_for(api.url), store, "run1")
        recs = ingest_recs(feed_client(feed.url), store, "run1")
    quarantine, counts = ingest_bkd(source, store, "run1")
    for count in (cases["count"], recs["count"], *counts.values()):
        assert count.records_in == count.staged == count.quarantined == 0
    assert cases["quarantine"].empty and recs["quarantine"].empty and quarantine.empty
    assert store.get_json(bawaslu.WATERMARK_KEY) is None
    assert store.get_json(bkd.watermark_key("tst", "pegawai")) is None


# -- records that are not the contract --------------------------------------------------------------
def test_record_not_an_object(tmp_path, store):
    """A record that is a string or a number instead of an object: quarantined as wrong_type, the rest staged."""
    write_cases(tmp_path, 1, [case("001/LP/2024"), "001/LP/2024", 42])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    assert sorted(run["quarantine"]["reason_code"]) == ["wrong_type", "wrong_type"]
    assert run["count"].staged == 1
    assert_conserved(run["count"], run["quarantine"])


def test_record_missing_field(tmp_path, store):
    """A case without its register number or its accused person: quarantined as missing_field with the
    raw record."""
    missing = case("002/LP/2024")
    del missing["terlapor"]
    write_cases(tmp_path, 1, [case("001/LP/2024"), missing, case("")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    assert sorted(run["quarantine"]["reason_code"]) == ["missing_field", "missing_field"]
    assert "002/LP/2024" in " ".join(run["quarantine"]["raw"])
    assert_conserved(run["count"], run["quarantine"])


def test_unknown_record_field_reported(tmp_path, store):
    """A field the API contract does not name: the record is staged, the field is listed in the run's
    unrecognised_headers (its value stays in the raw page)."""
    write_cases(tmp_path, 1, [case("001/LP/2024", catatan_internal="cek ulang")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    assert run["count"].staged == 1
    assert {"file": "bawaslu record", "header": "catatan_internal", "records": 1} in run["count"].unrecognised_headers
    assert_conserved(run["count"], run["quarantine"])


def test_sql_text_in_a_field(tmp_path, store):
    """SQL in a name or description ("'; DROP TABLE ...; --"): staged verbatim as text, nothing executed."""
    attack = "Robert'); DROP TABLE pegawai; --"
    write_cases(tmp_path, 1, [case("001/LP/2024", uraian=attack)])
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, nama=attack)])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    quarantine, counts = ingest_bkd(source, store, "run1")
    assert current(store, "bawaslu_cases")["uraian"].tolist() == [attack]
    assert bkd_current(store, "pegawai")["nama"].str.contains("DROP TABLE").tolist() == [True]
    engine = sa.create_engine(source.url)
    assert sa.inspect(engine).has_table("pegawai")
    engine.dispose()
    assert_conserved(run["count"], run["quarantine"])
    assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


# -- BKD databases ----------------------------------------------------------------------------------
def test_sql_injection_in_table_name(tmp_path, store):
    """A BKD connection whose table name carries SQL ("pegawai; DROP TABLE tindak_lanjut; --"): the name
    is quoted, never executed; one clear error naming the table; both tables intact."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A)], pegawai_table="pegawai; DROP TABLE tindak_lanjut; --")
    with pytest.raises(SourceError, match=r"cannot read table 'pegawai; DROP TABLE tindak_lanjut; --' .* nothing "
                                          r"was staged"):
        land_bkd(source, store, "run1")
    engine = sa.create_engine(source.url)
    assert {"pegawai", "tindak_lanjut"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert store.get_json(bkd.watermark_key("tst", "pegawai")) is None


def test_bkd_table_missing(tmp_path, store):
    """A BKD database without its follow-up table: one clear error naming the table; no watermark moved."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A)], tindak_lanjut_table="tindak_lanjut_2024")
    with pytest.raises(SourceError, match=r"BKD tst: cannot read table 'tindak_lanjut_2024' .* nothing was staged"):
        land_bkd(source, store, "run1")
    assert store.get_json(bkd.watermark_key("tst", "pegawai")) is None


def test_bkd_column_missing(tmp_path, store):
    """A BKD table lacking a contract column (no jabatan): one clear error naming the table and column."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A)], drop="jabatan")
    with pytest.raises(SourceError, match=r"cannot read table 'pegawai' .*jabatan") as caught:
        land_bkd(source, store, "run1")
    assert "\n" not in str(caught.value)
    assert store.get_json(bkd.watermark_key("tst", "pegawai")) is None


def test_bkd_unknown_column_reported(tmp_path, store):
    """A BKD table with a column outside the contract: rows staged, the column listed in the run's
    unrecognised_headers, its values never extracted."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, catatan="rahasia")], extra_columns=("catatan",))
    quarantine, counts = ingest_bkd(source, store, "run1")
    assert counts["pegawai"].staged == 1
    assert "catatan" in {entry["header"] for entry in counts["pegawai"].unrecognised_headers}
    assert "catatan" not in bkd_current(store, "pegawai").columns
    assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


# -- recommendation exports -------------------------------------------------------------------------
def test_export_listing_invalid_json(tmp_path, store):
    """An export listing (index.json) that never parses: one clear error; nothing fetched or staged."""
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1"])}, index=b"[{\"name\": \"rekom")
    with ExportsServer(tmp_path) as feed:
        with pytest.raises(SourceError, match=r"index.json arrived damaged 2 times in a row .* Nothing staged"):
            recommendations.land(feed_client(feed.url, attempts=2), store, "run1")
    assert store.get_json(recommendations.CURRENT_KEY) is None


def test_export_listing_not_a_list(tmp_path, store):
    """An export listing that is JSON but not the documented list of files: one clear error."""
    write_exports(tmp_path, {}, index=b'{"files": "none"}')
    with ExportsServer(tmp_path) as feed:
        with pytest.raises(SourceError, match="index.json is not the documented list of files"):
            recommendations.land(feed_client(feed.url), store, "run1")


def test_export_file_checksum_mismatch(tmp_path, store):
    """An export whose bytes never match the sha256 the listing announced (mid-publication): one clear
    error; nothing staged, the file is fetched again next run."""
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1"])}, sha=lambda body: "0" * 64)
    with ExportsServer(tmp_path) as feed:
        with pytest.raises(SourceError, match=r"rekomendasi_2024-03.csv .* arrived damaged 2 times .* Nothing staged"):
            recommendations.land(feed_client(feed.url, attempts=2), store, "run1")
    assert store.get_json(recommendations.LEDGER_KEY) is None


def test_export_file_listed_but_missing(tmp_path, store):
    """A file in the listing that the portal does not serve (404): one clear error naming it."""
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1"])})
    (tmp_path / "exports" / "phase1" / "rekomendasi_2024-03.csv").unlink()
    with ExportsServer(tmp_path) as feed:
        with pytest.raises(SourceError, match=r"answered 404 for /exports/rekomendasi_2024-03.csv"):
            recommendations.land(feed_client(feed.url), store, "run1")


def test_export_unknown_header_reported(tmp_path, store):
    """An export with a column nobody reads ("Catatan Internal"): rows staged, the column listed in the
    run's unrecognised_headers with the rows that filled it."""
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1", "R-2"], {"Catatan Internal": "cek"})})
    with ExportsServer(tmp_path) as feed:
        run = ingest_recs(feed_client(feed.url), store, "run1")
    assert run["count"].staged == 2
    assert {"file": "rekomendasi_2024-03.csv", "header": "Catatan Internal", "records": 2} in \
        run["count"].unrecognised_headers
    assert_conserved(run["count"], run["quarantine"])


def test_export_without_header(tmp_path, store):
    """An export whose header cannot be found: every row quarantined as header_not_found, none dropped."""
    body = b"laporan bulanan\r\nR-1,Budi,2024-03-14\r\nR-2,Ani,2024-03-15\r\n"
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": body})
    with ExportsServer(tmp_path) as feed:
        run = ingest_recs(feed_client(feed.url), store, "run1")
    assert set(run["quarantine"]["reason_code"]) == {"header_not_found"} and run["count"].staged == 0
    assert run["count"].records_in >= 2
    assert_conserved(run["count"], run["quarantine"])


# -- kills at five points: the next attempt finishes the work, nothing lost or doubled ----------------
def test_kill_after_landing(tmp_path, store):
    """The process dies after landing, before staging: the retried staging task stages every record
    from raw; a later run finds nothing twice."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN) as api:
        bawaslu.land(client_for(api.url), store, "run1", 5)
        # killed here; Airflow retries the staging task, which reads only raw
        new, quarantine, count = bawaslu.stage_from_raw(store, "run1")
        bawaslu.publish_staging(store, "run1", new, quarantine, count)
        later = ingest_cases(client_for(api.url), store, "run2")
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == CASES
    assert count.records_in == 12 and later["count"].records_in == 0
    assert_conserved(count, quarantine)


def test_kill_after_landing_run_abandoned(tmp_path, store):
    """The process dies after landing and the run is never retried: the watermark did not move, so the
    next run pulls the same records again and stages each once."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN) as api:
        bawaslu.land(client_for(api.url), store, "run1", 5)
        run = ingest_cases(client_for(api.url), store, "run2")
    assert_all_twelve_staged(run, store)


def test_kill_after_staging_before_pointer(tmp_path, store):
    """The process dies after the staged file is written, before the current pointer moves: the retry
    writes the same bytes, moves the pointer, then the watermark."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN) as api:
        bawaslu.land(client_for(api.url), store, "run1", 5)
    new, quarantine, count = bawaslu.stage_from_raw(store, "run1")
    undo = kill_before(store, bawaslu.CURRENT_KEY)
    with pytest.raises(Killed):
        bawaslu.publish_staging(store, "run1", new, quarantine, count)
    undo()
    assert store.get_json(bawaslu.CURRENT_KEY) is None and store.get_json(bawaslu.WATERMARK_KEY) is None
    first_bytes = store.get_bytes("staging/bawaslu_cases/run1.parquet")
    new, quarantine, count = bawaslu.stage_from_raw(store, "run1")
    bawaslu.publish_staging(store, "run1", new, quarantine, count)
    assert store.get_bytes("staging/bawaslu_cases/run1.parquet") == first_bytes
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == CASES
    assert store.get_json(bawaslu.WATERMARK_KEY)["updated_since"].startswith("2024-07-12")
    assert_conserved(count, quarantine)
    assert all(r.identical for r in replay_all(store))


def test_kill_after_pointer_before_watermark(tmp_path, store):
    """The process dies after the pointer moved, before the watermark: the next run pulls the same
    records again; they are recognised as staged (collapsed), nothing doubled or lost."""
    twelve_cases(tmp_path)
    with BawasluApiServer(tmp_path, TOKEN) as api:
        bawaslu.land(client_for(api.url), store, "run1", 5)
        new, quarantine, count = bawaslu.stage_from_raw(store, "run1")
        undo = kill_before(store, bawaslu.WATERMARK_KEY)
        with pytest.raises(Killed):
            bawaslu.publish_staging(store, "run1", new, quarantine, count)
        undo()
        later = ingest_cases(client_for(api.url), store, "run2")
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == CASES
    assert later["quarantine"].empty and later["count"].staged == 12  # the same versions again: no change
    assert len(current(store, "bawaslu_cases")) == 12
    assert_conserved(later["count"], later["quarantine"])
    assert all(r.identical for r in replay_all(store))


def test_kill_mid_bkd_publish(tmp_path, store):
    """The process dies while a BKD's current state is written (parts written, pointer not): the retry
    writes the same state and the watermarks; the next run adds only new rows."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A), person(NIP_B)])
    land_bkd(source, store, "run1")
    tables, quarantine, counts = bkd.stage_from_raw(store, "tst", "run1")
    undo = kill_before(store, bkd.current_key("tst", "pegawai"))
    with pytest.raises(Killed):
        bkd.publish_staging(store, "tst", "run1", tables, quarantine)
    undo()
    assert store.get_json(bkd.watermark_key("tst", "pegawai")) is None
    tables, quarantine, counts = bkd.stage_from_raw(store, "tst", "run1")
    bkd.publish_staging(store, "tst", "run1", tables, quarantine)
    engine = sa.create_engine(source.url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO pegawai (nip, nama, updated_at) VALUES (:n, 'Ani', '2024-07-17 10:00:00')"),
                     {"n": NIP_C})
    engine.dispose()
    quarantine2, counts2 = ingest_bkd(source, store, "run2")
    assert sorted(bkd_current(store, "pegawai")["nip"]) == [NIP_A, NIP_B, NIP_C]
    assert counts2["pegawai"].records_in == 1
    for q, c in ((quarantine, {x.source.rsplit(":", 1)[1]: x for x in counts}), (quarantine2, counts2)):
        assert_conserved(c["pegawai"], q, "bkd:tst")
    assert all(r.identical for r in replay_all(store))


def test_kill_after_pointer_before_ledger(tmp_path, store):
    """The process dies after the recommendations pointer moved, before the file ledger: the next run
    fetches the file again and recognises every row as already staged (collapsed, not doubled)."""
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1", "R-2", "R-3"])})
    with ExportsServer(tmp_path) as feed:
        client = feed_client(feed.url)
        manifest = recommendations.land(client, store, "run1")
        new, quarantine, count = recommendations.stage_from_raw(store, "run1")
        undo = kill_before(store, recommendations.LEDGER_KEY)
        with pytest.raises(Killed):
            recommendations.publish_staging(store, "run1", manifest["files"], new, quarantine)
        undo()
        later = ingest_recs(client, store, "run2")
    assert [f["name"] for f in later["manifest"]["files"]] == ["rekomendasi_2024-03.csv"]
    assert later["count"].records_in == 0 and later["count"].duplicates_collapsed == 3
    assert sorted(current(store, "recommendations")["nomor_rekomendasi"]) == ["R-1", "R-2", "R-3"]
    assert_conserved(count, quarantine)
    assert_conserved(later["count"], later["quarantine"])


# -- re-runs ------------------------------------------------------------------------------------------
def test_byte_identical_rerun(tmp_path, store):
    """Staging the same raw data again (a retried task, or `pantau replay`) writes byte-identical files,
    for Bawaslu, the exports and a BKD."""
    twelve_cases(tmp_path)
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1", "R-2"])})
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A), person(NIP_B)])
    with BawasluApiServer(tmp_path, TOKEN) as api, ExportsServer(tmp_path) as feed:
        ingest_cases(client_for(api.url), store, "run1")
        manifest = ingest_recs(feed_client(feed.url), store, "run1")["manifest"]
    ingest_bkd(source, store, "run1")
    keys = ["staging/bawaslu_cases/run1.parquet", "staging/recommendations/run1.parquet",
            *store.get_json(bkd.current_key("tst", "pegawai"))["parts"].values()]
    before = {key: store.get_bytes(key) for key in keys}
    new, quarantine, count = bawaslu.stage_from_raw(store, "run1")
    bawaslu.publish_staging(store, "run1", new, quarantine, count)
    new, quarantine, _ = recommendations.stage_from_raw(store, "run1")
    recommendations.publish_staging(store, "run1", manifest["files"], new, quarantine)
    tables, quarantine, _ = bkd.stage_from_raw(store, "tst", "run1")
    bkd.publish_staging(store, "tst", "run1", tables, quarantine)
    assert {key: store.get_bytes(key) for key in keys} == before
    results = replay_all(store)
    assert {r.table.split("/")[0] for r in results} >= {"bawaslu_cases", "recommendations", "bkd"}
    assert all(r.identical for r in results), [r.line() for r in results if not r.identical]


# -- mail -----------------------------------------------------------------------------------------------
def _digests(count: int) -> list[Outgoing]:
    messages = []
    for i in range(count):
        recipients = (f"ppk{i}@agency{i}.example",)
        message = EmailMessage()
        message["Subject"] = f"[Pantau] rekomendasi terlambat - Instansi {i}"
        message["From"] = "Pantau <pantau@pantau.local>"
        message["To"] = recipients[0]
        message.set_content(f"R-{i}")
        messages.append(Outgoing(f"OFFICE-{i}", recipients, date(2025, 3, 3), ((f"R-{i}", "overdue"),), message))
    return messages


def test_smtp_outage(tmp_path):
    """The mail server down for a whole run: every digest stays pending (none lost, none marked sent);
    the next run sends each exactly once."""
    ledger = Ledger.open(sa.create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}"))
    messages = _digests(3)
    sink = SmtpSink(tmp_path / "outbox").start()
    port = sink.port
    sink.stop()
    settings = SmtpSettings(host="127.0.0.1", port=port, from_email="pantau@pantau.local", timeout_s=5)
    down = deliver(ledger, messages, settings)
    assert len(down.failed) == 3 and down.sent == []
    sink = SmtpSink(tmp_path / "outbox", port=port).start()
    try:
        assert len(deliver(ledger, messages, settings).sent) == 3
        assert deliver(ledger, messages, settings).sent == []
        ids = sorted(str(m["Message-ID"]) for m in sink.messages())
    finally:
        sink.stop()
    assert ids == sorted(m.message_id for m in messages)


# -- secrets and network ----------------------------------------------------------------------------
def _everything_written(store: ObjectStore) -> bytes:
    return b"\n".join(key.encode() + b"\n" + store.get_bytes(key) for key in store.list(""))


def test_no_secret_in_logs(tmp_path, s3, store, caplog, capsys):
    """A full run with credentials (API token, S3 secret key), including a refused token and a dead
    source: neither appears in any log line, printed output, error message or stored object."""
    twelve_cases(tmp_path)
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1"])})
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        with BawasluApiServer(tmp_path, TOKEN) as api, ExportsServer(tmp_path, token=TOKEN) as feed:
            ingest_cases(client_for(api.url), store, "run1")
            ingest_recs(feed_client(feed.url, token=TOKEN), store, "run1")
            errors.append(repr(client_for(api.url)))
            with pytest.raises(SourceError) as refused:
                bawaslu.land(client_for(api.url, token=TOKEN + "x"), store, "run2", 5)
            errors.append(str(refused.value))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(SourceError) as dead:
            bawaslu.land(client_for(f"http://127.0.0.1:{port}", retries=1, timeout_s=0.3), store, "run3", 5)
        errors.append(str(dead.value))
    printed = capsys.readouterr()
    text = "\n".join([caplog.text, printed.out, printed.err, *errors])
    assert len(caplog.records) > 0
    for secret in (TOKEN, s3.secret_key):
        assert secret not in text
        assert secret.encode() not in _everything_written(store)


def test_only_loopback_connections(tmp_path, store, monkeypatch):
    """Every connection a run opens (HTTP to the APIs, S3, SQL, SMTP) goes to 127.0.0.1: nothing
    leaves the machine."""
    targets: list[Any] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        targets.append(address)
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        targets.append((host, "dns"))
        return real_getaddrinfo(host, *args, **kwargs)

    twelve_cases(tmp_path)
    write_exports(tmp_path, {"rekomendasi_2024-03.csv": export_csv(["R-1"])})
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A)])
    with BawasluApiServer(tmp_path, TOKEN) as api, ExportsServer(tmp_path) as feed:
        sink = SmtpSink(tmp_path / "outbox").start()
        try:
            monkeypatch.setattr(socket.socket, "connect", connect)
            monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
            ingest_cases(client_for(api.url), store, "run1")
            ingest_recs(feed_client(feed.url), store, "run1")
            ingest_bkd(source, store, "run1")
            ledger = Ledger.open(sa.create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}"))
            report = deliver(ledger, _digests(1), SmtpSettings(host="127.0.0.1", port=sink.port,
                                                              from_email="pantau@pantau.local"))
            monkeypatch.undo()
        finally:
            sink.stop()
    assert len(report.sent) == 1
    hosts = {target[0] for target in targets if isinstance(target, tuple)}
    assert hosts and hosts <= {"127.0.0.1", "::1", "localhost"}, hosts
    assert not [t for t in targets if not isinstance(t, tuple)]  # no Unix sockets to other services

