"""What a release says about quarantine: the state behind it, so a re-run with nothing new is no change."""

from __future__ import annotations

from pantau.pipeline.publication import quarantine_summary
from pantau.pipeline.runs import quarantine_frame, quarantine_row


def _put(store, key, rows):
    store.put_parquet(key, quarantine_frame([quarantine_row(*row) for row in rows]))


def test_a_record_rejected_on_every_pull_counts_once_and_validation_counts_the_current_version(store):
    keyless = ("bawaslu", "run3", None, "wrong_type", "bukan JSON", "{not json")
    record = ("bawaslu", "run1", "001/REG/2024", "empty_name", "nama kosong", {"nomor_register": "001/REG/2024"})
    _put(store, "quarantine/bawaslu/run1.parquet", [record])
    _put(store, "quarantine/bawaslu/run2.parquet", [record[:1] + ("run2",) + record[2:]])
    other = ("bawaslu", "run2", "002/REG/2024", "empty_name", "nama kosong", {"nomor_register": "002/REG/2024"})
    _put(store, "quarantine/bawaslu/run3.parquet", [other, keyless])
    # An older validated version quarantined two rows; the current one, one.
    follow_up = ("follow_ups", "v1", "bkd01|7", "unknown_reference", "tidak dikenal", {"id": 7})
    _put(store, "quarantine/validation/follow_ups/v1.parquet", [follow_up, follow_up[:2] + ("bkd01|8",) + follow_up[3:]])
    _put(store, "quarantine/validation/follow_ups/v2.parquet", [follow_up])
    store.put_json("validated/follow_ups/_current.json", {"quarantine_key": "quarantine/validation/follow_ups/v2.parquet"})
    store.put_parquet("quarantine/validation/registry/v9-rejected.parquet",
                      quarantine_frame([quarantine_row(*follow_up)]))
    summary = quarantine_summary(store, "run3")
    counts = {(r.source, r.stage, r.reason_code): r.records for r in summary.itertuples()}
    assert counts == {("bawaslu", "ingest", "empty_name"): 2, ("bawaslu", "ingest", "wrong_type"): 1,
                      ("follow_ups", "validation", "unknown_reference"): 1}
    assert summary.equals(quarantine_summary(store, "run4"))  # nothing new, nothing changed
    assert "raw" not in summary.columns and "record_key" not in summary.columns
