"""The fault and bad-input matrix, ingestion classes (issue 12): one test per class, named by it.

Each test sets up one kind of bad input or fault over the real protocols (HTTP to the Bawaslu
simulator on 127.0.0.1, SQL through SQLAlchemy to a BKD SQLite file, S3 to the embedded server) and
asserts the record's fate (staged, quarantined with its reason, or one clear error) and the
conservation equation per source and run: records in = staged + quarantined.
Inputs the simulator cannot produce are written straight into its backing files, or served by a
test subclass that changes only the page envelope.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from support import (
    NIP_A,
    NIP_B,
    NIP_C,
    TOKEN,
    ScriptedServer,
    add_rows,
    assert_conserved,
    bkd_current,
    case,
    client_for,
    current,
    ingest_bkd,
    ingest_cases,
    make_bkd,
    person,
    reasons_of,
    write_cases,
)

from pantau.exceptions import ConfigError, SourceError
from pantau.pipeline import bawaslu, bkd
from pantau.replay import replay_all
from pantau.simulate.servers import BawasluApiServer
from pantau.sources.bkd import BkdSource


def decree(row_id: str, updated_at: str, **changes: Any) -> dict[str, Any]:
    row = {"id": row_id, "nomor_rekomendasi": "R-001/KASN/2024", "nip": NIP_A, "nomor_sk": "800/101/BKD/2024",
           "tanggal_sk": "2024-05-02", "jenis_sanksi": "Hukuman disiplin ringan", "keterangan": None,
           "updated_at": updated_at}
    row.update(changes)
    return row


def finishes(target: Callable[[], Any], seconds: float = 60) -> Any:
    """Run ``target`` with a time limit: a loop that never ends is a failure, not a hung test run."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = target()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (an endless loop)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# -- 1. future updated_at ---------------------------------------------------------------------------
def test_future_updated_at_bawaslu(tmp_path, store):
    """A Bawaslu record dated 2099: quarantined as future_timestamp each run until its time comes; the
    watermark stays before it, so later records are still pulled."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00"),
                              case("002/LP/2024", "2099-01-01T00:00:00+07:00")])
    write_cases(tmp_path, 2, [case("001/LP/2024", "2024-07-16T10:00:00+07:00"),
                              case("002/LP/2024", "2099-01-01T00:00:00+07:00"),
                              case("003/LP/2024", "2024-09-01T08:00:00+07:00")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        api.set_phase(1)
        first = ingest_cases(client_for(api.url), store, "run1")
        api.set_phase(2)
        second = ingest_cases(client_for(api.url), store, "run2")
    assert reasons_of(first["quarantine"]) == ["future_timestamp"]
    assert first["count"].staged == 1
    assert datetime.fromisoformat(store.get_json(bawaslu.WATERMARK_KEY)["updated_since"]).year == 2024
    # The later record is pulled; the future one is examined again, and counted in this run only once.
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == ["001/LP/2024", "003/LP/2024"]
    assert second["count"].records_in == 2 and reasons_of(second["quarantine"]) == ["future_timestamp"]
    for run in (first, second):
        assert_conserved(run["count"], run["quarantine"])


def test_future_updated_at_bkd(tmp_path, store):
    """A BKD row dated 2099: quarantined as future_timestamp each run; the watermark stays before it, so later
    rows are still pulled."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16 10:00:00"), person(NIP_B, "2099-01-01 00:00:00")])
    quarantine1, counts1 = ingest_bkd(source, store, "run1")
    add_rows(source, "pegawai", [person(NIP_C, "2024-09-01 08:00:00")])
    quarantine2, counts2 = ingest_bkd(source, store, "run2")
    assert reasons_of(quarantine1) == ["future_timestamp"] and reasons_of(quarantine2) == ["future_timestamp"]
    assert sorted(bkd_current(store, "pegawai")["nip"]) == [NIP_A, NIP_C]
    assert counts2["pegawai"].records_in == 2  # the new row and the future one, examined again
    for quarantine, counts in ((quarantine1, counts1), (quarantine2, counts2)):
        assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


def test_future_updated_at_within_tolerance_is_staged(tmp_path, store):
    """A record a few minutes ahead of the run's start (a source clock running fast, within
    PANTAU_FUTURE_TOLERANCE_S): staged."""
    started = datetime(2024, 9, 1, 1, 0, tzinfo=UTC)
    write_cases(tmp_path, 1, [case("001/LP/2024", (started + timedelta(minutes=2)).isoformat())])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1", run_started=started)
    assert run["count"].staged == 1 and run["quarantine"].empty
    assert_conserved(run["count"], run["quarantine"])


def test_future_record_staged_once_its_time_has_come(tmp_path, store):
    """A record quarantined as future_timestamp: staged by the first run that starts after its time."""
    started = datetime(2024, 9, 1, 1, 0, tzinfo=UTC)
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-08-01T10:00:00+07:00"),
                              case("002/LP/2024", (started + timedelta(hours=1)).isoformat())])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        first = ingest_cases(client_for(api.url), store, "run1", run_started=started)
        second = ingest_cases(client_for(api.url), store, "run2", run_started=started + timedelta(hours=2))
    assert reasons_of(first["quarantine"]) == ["future_timestamp"]
    assert second["count"].staged == 1 and second["quarantine"].empty
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == ["001/LP/2024", "002/LP/2024"]
    for run in (first, second):
        assert_conserved(run["count"], run["quarantine"])


# -- 2. watermarks are typed timestamps --------------------------------------------------------------
def test_mixed_iso_watermark_bkd(tmp_path, store):
    """A BKD text column holding both ISO spellings (`T` and space): the watermark is a typed timestamp, a
    later row is pulled and staged."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16T10:00:00"), person(NIP_B, "2024-07-16 08:00:00")])
    quarantine1, counts1 = ingest_bkd(source, store, "run1")
    mark = store.get_json(bkd.watermark_key("tst", "pegawai"))["updated_at"]
    assert datetime.fromisoformat(mark) == datetime(2024, 7, 16, 3, 0, tzinfo=UTC)  # 10:00 WIB, with its offset
    add_rows(source, "pegawai", [person(NIP_C, "2024-07-16 15:00:00")])
    quarantine2, counts2 = ingest_bkd(source, store, "run2")
    assert counts2["pegawai"].records_in == 1 and counts2["pegawai"].staged == 1
    assert sorted(bkd_current(store, "pegawai")["nip"]) == [NIP_A, NIP_B, NIP_C]
    for quarantine, counts in ((quarantine1, counts1), (quarantine2, counts2)):
        assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


def test_old_text_watermark_still_reads_bkd(tmp_path, store):
    """A BKD watermark written before watermarks were typed (naive text, bare key boundary): read in the BKD's
    zone; the row at it collapsed, the next staged."""
    # A watermark written before watermarks were typed: the database's naive text, a bare key boundary.
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16T08:00:00"), person(NIP_B, "2024-07-16 09:00:00")])
    store.put_json(bkd.watermark_key("tst", "pegawai"), {"updated_at": "2024-07-16T08:00:00", "boundary": [NIP_A]})
    quarantine, counts = ingest_bkd(source, store, "run1")
    assert counts["pegawai"].records_in == 1 and counts["pegawai"].duplicates_collapsed == 1
    assert bkd_current(store, "pegawai")["nip"].tolist() == [NIP_B]
    assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


# -- 3. duplicates -----------------------------------------------------------------------------------
def test_conflicting_duplicate_bawaslu(tmp_path, store):
    """Two Bawaslu versions with the same register number and updated_at but different content: both
    quarantined as duplicate_record with their raw records; neither staged."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00", uraian="Versi pertama."),
                              case("001/LP/2024", "2024-07-16T10:00:00+07:00", uraian="Versi kedua."),
                              case("002/LP/2024", "2024-07-16T11:00:00+07:00")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    quarantine = run["quarantine"]
    assert reasons_of(quarantine) == ["duplicate_record", "duplicate_record"]
    assert {json.loads(raw)["uraian"] for raw in quarantine["raw"]} == {"Versi pertama.", "Versi kedua."}
    assert current(store, "bawaslu_cases")["nomor_register"].tolist() == ["002/LP/2024"]
    assert run["count"].records_in == 3
    assert_conserved(run["count"], quarantine)


def test_conflicting_duplicate_across_runs_bawaslu(tmp_path, store):
    """A Bawaslu version at the same updated_at as one staged by an earlier run, with other content:
    quarantined as duplicate_record; the staged one stays."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00", uraian="Versi pertama.")])
    write_cases(tmp_path, 2, [case("001/LP/2024", "2024-07-16T10:00:00+07:00", uraian="Versi kedua.")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        api.set_phase(1)
        first = ingest_cases(client_for(api.url), store, "run1")
        api.set_phase(2)
        second = ingest_cases(client_for(api.url), store, "run2")
    assert first["count"].staged == 1
    assert reasons_of(second["quarantine"]) == ["duplicate_record"]
    assert json.loads(second["quarantine"]["raw"].iloc[0])["uraian"] == "Versi kedua."
    assert current(store, "bawaslu_cases")["uraian"].tolist() == ["Versi pertama."]  # the staged one stays
    for run in (first, second):
        assert_conserved(run["count"], run["quarantine"])


def test_conflicting_duplicate_tindak_lanjut(tmp_path, store):
    """Two follow-up rows with the same id and updated_at but different decrees: both quarantined as
    duplicate_record; no decree lost silently."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-05-01 09:00:00")],
                      [decree("7", "2024-05-03 10:00:00", nomor_sk="800/101/BKD/2024"),
                       decree("7", "2024-05-03 10:00:00", nomor_sk="800/102/BKD/2024"),
                       decree("8", "2024-05-04 10:00:00", nomor_sk="800/103/BKD/2024")])
    quarantine, counts = ingest_bkd(source, store, "run1")
    follow = quarantine[quarantine["reason_code"] == "duplicate_record"]
    assert sorted(json.loads(raw)["nomor_sk"] for raw in follow["raw"]) == ["800/101/BKD/2024", "800/102/BKD/2024"]
    assert bkd_current(store, "tindak_lanjut")["id"].tolist() == ["8"]
    assert counts["tindak_lanjut"].records_in == 3 and counts["tindak_lanjut"].quarantined == 2
    assert_conserved(counts["tindak_lanjut"], quarantine[quarantine["record_key"].isin(["7", "8"])])


def test_conflicting_duplicate_pegawai(tmp_path, store):
    """Two registry rows with the same NIP and updated_at but different content: both quarantined as
    duplicate_record; neither staged."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16 10:00:00", jabatan="Guru"),
                                            person(NIP_B, "2024-07-16 10:00:00"),
                                            person(NIP_A, "2024-07-16 10:00:00", jabatan="Kepala Sekolah")])
    quarantine, counts = ingest_bkd(source, store, "run1")
    assert reasons_of(quarantine) == ["duplicate_record", "duplicate_record"]
    assert sorted(json.loads(raw)["jabatan"] for raw in quarantine["raw"]) == ["Guru", "Kepala Sekolah"]
    assert bkd_current(store, "pegawai")["nip"].tolist() == [NIP_B]
    assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


def test_conflicting_duplicate_pegawai_keeps_earlier_version(tmp_path, store):
    """A registry row at the same updated_at as one staged by an earlier run, with other content: quarantined
    as duplicate_record; the staged one stays."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16 10:00:00", jabatan="Guru")])
    ingest_bkd(source, store, "run1")
    add_rows(source, "pegawai", [person(NIP_A, "2024-07-16 10:00:00", jabatan="Kepala Sekolah")])
    quarantine, counts = ingest_bkd(source, store, "run2")
    assert reasons_of(quarantine) == ["duplicate_record"]
    assert json.loads(quarantine["raw"].iloc[0])["jabatan"] == "Kepala Sekolah"
    assert bkd_current(store, "pegawai")["jabatan"].tolist() == ["Guru"]
    assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


def test_exact_duplicate_collapses(tmp_path, store):
    """The same Bawaslu record twice: one record, counted in duplicates_collapsed, staged once."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00"),
                              case("001/LP/2024", "2024-07-16T10:00:00+07:00"),
                              case("002/LP/2024", "2024-07-16T11:00:00+07:00")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        run = ingest_cases(client_for(api.url), store, "run1")
    assert run["count"].records_in == 2 and run["count"].staged == 2 and run["quarantine"].empty
    assert run["count"].duplicates_collapsed >= 1
    assert sorted(current(store, "bawaslu_cases")["nomor_register"]) == ["001/LP/2024", "002/LP/2024"]
    assert_conserved(run["count"], run["quarantine"])


def test_exact_duplicate_collapses_pegawai(tmp_path, store):
    """The same registry row twice in a BKD table: one record, counted in duplicates_collapsed, staged once."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16 10:00:00"), person(NIP_A, "2024-07-16 10:00:00"),
                                            person(NIP_B, "2024-07-16 11:00:00")])
    quarantine, counts = ingest_bkd(source, store, "run1")
    assert counts["pegawai"].staged == 2 and counts["pegawai"].records_in == 2
    assert counts["pegawai"].duplicates_collapsed == 1 and quarantine.empty
    assert sorted(bkd_current(store, "pegawai")["nip"]) == [NIP_A, NIP_B]
    assert_conserved(counts["pegawai"], quarantine, "bkd:tst")


# -- 4. replay after a retried staging task ----------------------------------------------------------
def test_replay_after_retried_staging(tmp_path, store):
    """A retried Bawaslu staging task (the DAGs' retries): lineage never points to itself; `pantau replay`
    finishes, byte for byte."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00")])
    write_cases(tmp_path, 2, [case("002/LP/2024", "2024-08-16T10:00:00+07:00")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        api.set_phase(1)
        ingest_cases(client_for(api.url), store, "run1")
        api.set_phase(2)
        bawaslu.land(client_for(api.url), store, "run2", 10)
    for _attempt in range(2):  # the staging task, then its retry (the DAGs' retries: 2)
        new, quarantine, count = bawaslu.stage_from_raw(store, "run2")
        bawaslu.publish_staging(store, "run2", new, quarantine, count)
        assert_conserved(count, quarantine)
    lineage = store.get_json("staging/bawaslu_cases/_lineage/run2.json")
    assert lineage["previous"] == "staging/bawaslu_cases/run1.parquet"
    results = finishes(lambda: replay_all(store))
    assert {r.run_key for r in results} == {"run1", "run2"} and all(r.identical for r in results)


def test_replay_after_retried_staging_bkd(tmp_path, store):
    """A retried BKD staging task: lineage never points to itself; `pantau replay` finishes, byte for byte."""
    source = make_bkd(tmp_path / "bkd.db", [person(NIP_A, "2024-07-16 10:00:00")])
    ingest_bkd(source, store, "run1")
    add_rows(source, "pegawai", [person(NIP_B, "2024-07-17 10:00:00")])
    engine = sa.create_engine(source.url)
    bkd.land(engine, source, store, "run2", 1000)
    engine.dispose()
    for _attempt in range(2):
        tables, quarantine, counts = bkd.stage_from_raw(store, "tst", "run2")
        bkd.publish_staging(store, "tst", "run2", tables, quarantine)
    assert store.get_json("staging/bkd/tst/pegawai/_lineage/run2.json")["previous_run_key"] == "run1"
    results = finishes(lambda: replay_all(store))
    assert {r.run_key for r in results} == {"run1", "run2"} and all(r.identical for r in results)
    assert sorted(bkd_current(store, "pegawai")["nip"]) == [NIP_A, NIP_B]


def test_replay_refuses_a_lineage_cycle(tmp_path, store):
    """A lineage cycle left by a retry before the fix: `pantau replay` stops with one sentence instead of
    looping."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00")])
    with BawasluApiServer(tmp_path, TOKEN) as api:
        ingest_cases(client_for(api.url), store, "run1")
    # What a retry wrote before the fix: the run's lineage pointing to its own file.
    lineage = store.get_json("staging/bawaslu_cases/_lineage/run1.json")
    store.put_json("staging/bawaslu_cases/_lineage/run1.json", {**lineage, "previous": lineage["key"]})
    with pytest.raises(ConfigError, match="lineage of run run1 points back to itself"):
        finishes(lambda: replay_all(store))


# -- 5. paging sanity and dead sources ---------------------------------------------------------------
def test_paging_total_pages_absurd(tmp_path, store):
    """`meta.total_pages` of 10^9 for three records: one clear error before paging; nothing staged."""
    write_cases(tmp_path, 1, [case(f"{i:03d}/LP/2024", "2024-07-16T10:00:00+07:00") for i in range(3)])

    def absurd(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "meta": {**body["meta"], "total_pages": 10**9}}

    with ScriptedServer(tmp_path, rewrite=absurd) as api:
        with pytest.raises(SourceError, match=r"total_pages=1000000000 .* nothing was staged"):
            finishes(lambda: bawaslu.land(client_for(api.url), store, "run1", 10), 30)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_paging_empty_pages_in_a_row(tmp_path, store):
    """Empty pages where records were promised: the scan stops after three in a row with one clear error;
    nothing staged."""
    write_cases(tmp_path, 1, [case(f"{i:03d}/LP/2024", "2024-07-16T10:00:00+07:00") for i in range(40)])

    def hollow(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "data": body["data"] if body["meta"]["page"] == 1 else []}

    with ScriptedServer(tmp_path, rewrite=hollow) as api:
        with pytest.raises(SourceError, match="empty pages in a row"):
            finishes(lambda: bawaslu.land(client_for(api.url), store, "run1", 5), 30)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_data_null(tmp_path, store):
    """A page with `data: null`: fetched again, then one clear error naming the field; nothing staged."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00")])

    def null(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "data": None}

    with ScriptedServer(tmp_path, rewrite=null) as api:
        with pytest.raises(SourceError, match=r"'data' is null, not a list of records.* nothing was staged"):
            bawaslu.land(client_for(api.url, json_attempts=2), store, "run1", 10)
    assert store.get_json(bawaslu.WATERMARK_KEY) is None


def test_meta_total_pages_not_a_number(tmp_path, store):
    """`meta.total_pages` sent as text: one clear error naming the field and value."""
    write_cases(tmp_path, 1, [case("001/LP/2024", "2024-07-16T10:00:00+07:00")])

    def text_meta(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "meta": {**body["meta"], "total_pages": "banyak"}}

    with ScriptedServer(tmp_path, rewrite=text_meta) as api:
        with pytest.raises(SourceError, match=r"meta.total_pages is 'banyak', not a whole number"):
            bawaslu.land(client_for(api.url, json_attempts=2), store, "run1", 10)


def test_dead_source_message(store):
    """A Bawaslu API nobody answers: one sentence naming host, attempts, duration, that nothing was staged, and
    what to do."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}", retries=2, timeout_s=0.5)
    with pytest.raises(SourceError) as caught:
        bawaslu.land(client, store, "run1", 10)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "3 attempts" in message
    assert "nothing was staged" in message and "bawaslu_api" in message and "re-run" in message
    assert "\n" not in message


def test_dead_source_message_bkd(tmp_path, store):
    """A BKD database that cannot be opened: one sentence naming the BKD and table, that nothing was staged; no
    watermark moved."""
    source = BkdSource("tst", f"sqlite:///{tmp_path / 'no-such-folder' / 'bkd.db'}")
    engine = sa.create_engine(source.url)
    with pytest.raises(SourceError, match=r"BKD tst: cannot read table 'pegawai' .* nothing was staged") as caught:
        bkd.land(engine, source, store, "run1", 1000)
    engine.dispose()
    assert "\n" not in str(caught.value)
    assert store.get_json(bkd.watermark_key("tst", "pegawai")) is None
