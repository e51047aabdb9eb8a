"""The fault and bad-input matrix, recommendation duplicates (issue 12): one test per class, named by it.

A recommendation's version is its ``nomor_rekomendasi`` and the ``published_at`` of the export file it
came in (index.json's ``updated_at``). Exports are CSV files served by the exports simulator on
127.0.0.1 from a world folder written here; each test asserts the record's fate and the conservation
equation for the run: records in = staged + quarantined.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
from support import (
    EXPORT_HEADER,
    PUBLISHED,
    assert_conserved,
    current,
    feed_client,
    ingest_recs,
    reasons_of,
    write_exports,
)

from pantau.replay import replay_all
from pantau.simulate.servers import ExportsServer
from pantau.storage import ObjectStore


def rec(number: str, **changes: str) -> dict[str, str]:
    row = {"Nomor Rekomendasi": number, "Tanggal Rekomendasi": "2024-03-14", "Nama": "Budi Santoso, S.Pd",
           "NIP": "196804111993031009", "Jabatan": "Guru", "Instansi": "Dinas Pendidikan Kab. Agam",
           "Pejabat Pembina Kepegawaian": "Bupati Agam", "Jenis Pelanggaran": "Medsos Interaksi",
           "Rekomendasi Sanksi": "Hukuman disiplin sedang", "Referensi Bawaslu": "001/LP/2024", "Terbukti": "Ya"}
    row.update(changes)
    return row


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for no, row in enumerate(rows, start=1):
        writer.writerow([str(no), *(row.get(h, "") for h in EXPORT_HEADER[1:])])
    return out.getvalue().encode("utf-8")


def write_rec_exports(world: Path, phase: int, files: list[tuple[str, str, list[dict[str, str]]]]) -> None:
    """``files``: (name, published_at, rows); written as the exports simulator serves them."""
    write_exports(world, {name: csv_bytes(rows) for name, _, rows in files}, phase,
                  published={name: published_at for name, published_at, _ in files})


def ingest(url: str, store: ObjectStore, run: str) -> dict[str, Any]:
    client = feed_client(url)
    try:
        return ingest_recs(client, store, run)
    finally:
        client.close()


def sanctions_of(quarantine: pd.DataFrame) -> list[str]:
    return sorted(json.loads(raw)["rekomendasi_sanksi"] for raw in quarantine["raw"])


def test_conflicting_duplicate_recommendation_same_export(tmp_path, store):
    """Two rows of one export with the same nomor_rekomendasi and different content: quarantined as
    duplicate_record, each version with its raw row; neither is staged."""
    write_rec_exports(tmp_path, 1, [("rekomendasi_2024-03.csv", PUBLISHED, [
        rec("R-001/KASN/2024", **{"Rekomendasi Sanksi": "Hukuman disiplin sedang"}),
        rec("R-002/KASN/2024"),
        rec("R-001/KASN/2024", **{"Rekomendasi Sanksi": "Hukuman disiplin berat"})])])
    with ExportsServer(tmp_path) as feed:
        run = ingest(feed.url, store, "run1")
    quarantine = run["quarantine"]
    assert reasons_of(quarantine) == ["duplicate_record", "duplicate_record"]
    assert sanctions_of(quarantine) == ["Hukuman disiplin berat", "Hukuman disiplin sedang"]
    assert current(store, "recommendations")["nomor_rekomendasi"].tolist() == ["R-002/KASN/2024"]
    assert run["count"].records_in == 3 and run["count"].staged == 1
    assert_conserved(run["count"], quarantine)


def test_conflicting_duplicate_recommendation_two_exports_one_run(tmp_path, store):
    """Two exports published at the same instant disagreeing about one recommendation: both versions
    are quarantined as duplicate_record; the other rows of both files are staged."""
    write_rec_exports(tmp_path, 1, [
        ("rekomendasi_2024-03.csv", PUBLISHED, [rec("R-001/KASN/2024", Jabatan="Guru"), rec("R-002/KASN/2024")]),
        ("rekomendasi_2024-03_revisi.csv", PUBLISHED, [rec("R-001/KASN/2024", Jabatan="Kepala Sekolah"),
                                                       rec("R-003/KASN/2024")])])
    with ExportsServer(tmp_path) as feed:
        run = ingest(feed.url, store, "run1")
    quarantine = run["quarantine"]
    assert reasons_of(quarantine) == ["duplicate_record", "duplicate_record"]
    assert sorted(json.loads(raw)["jabatan"] for raw in quarantine["raw"]) == ["Guru", "Kepala Sekolah"]
    assert sorted(current(store, "recommendations")["nomor_rekomendasi"]) == ["R-002/KASN/2024", "R-003/KASN/2024"]
    assert_conserved(run["count"], quarantine)


def test_conflicting_duplicate_recommendation_across_exports(tmp_path, store):
    """A later export repeating a staged recommendation at the same published_at with other content:
    the new version is quarantined as duplicate_record; the version staged by the earlier run stays."""
    write_rec_exports(tmp_path, 1, [("rekomendasi_2024-03.csv", PUBLISHED, [
        rec("R-001/KASN/2024", **{"Rekomendasi Sanksi": "Hukuman disiplin sedang"})])])
    write_rec_exports(tmp_path, 2, [
        ("rekomendasi_2024-03.csv", PUBLISHED, [rec("R-001/KASN/2024", **{"Rekomendasi Sanksi":
                                                                           "Hukuman disiplin sedang"})]),
        ("rekomendasi_2024-03_susulan.csv", PUBLISHED, [
            rec("R-001/KASN/2024", **{"Rekomendasi Sanksi": "Hukuman disiplin berat"}), rec("R-002/KASN/2024")])])
    with ExportsServer(tmp_path) as feed:
        feed.set_phase(1)
        first = ingest(feed.url, store, "run1")
        feed.set_phase(2)
        second = ingest(feed.url, store, "run2")
    assert first["count"].staged == 1 and first["quarantine"].empty
    assert [f["name"] for f in second["manifest"]["files"]] == ["rekomendasi_2024-03_susulan.csv"]
    assert reasons_of(second["quarantine"]) == ["duplicate_record"]
    assert sanctions_of(second["quarantine"]) == ["Hukuman disiplin berat"]
    staged = current(store, "recommendations").set_index("nomor_rekomendasi")
    assert sorted(staged.index) == ["R-001/KASN/2024", "R-002/KASN/2024"]
    assert staged.at["R-001/KASN/2024", "rekomendasi_sanksi_raw"] == "Hukuman disiplin sedang"  # it stays
    for run in (first, second):
        assert_conserved(run["count"], run["quarantine"])
    assert all(r.identical for r in replay_all(store))  # the decision is rebuilt the same from raw


def test_exact_duplicate_recommendation_collapses(tmp_path, store):
    """The same recommendation twice with the same content (within an export, or again in a later
    export at the same published_at): one record, counted in duplicates_collapsed, staged once."""
    write_rec_exports(tmp_path, 1, [("rekomendasi_2024-03.csv", PUBLISHED, [
        rec("R-001/KASN/2024"), rec("R-002/KASN/2024"), rec("R-001/KASN/2024")])])
    write_rec_exports(tmp_path, 2, [("rekomendasi_2024-03_salinan.csv", PUBLISHED, [rec("R-002/KASN/2024")])])
    with ExportsServer(tmp_path) as feed:
        feed.set_phase(1)
        first = ingest(feed.url, store, "run1")
        feed.set_phase(2)
        second = ingest(feed.url, store, "run2")
    assert first["count"].records_in == 2 and first["count"].staged == 2 and first["quarantine"].empty
    assert first["count"].duplicates_collapsed == 1
    assert second["count"].records_in == 0 and second["count"].duplicates_collapsed == 1
    staged = current(store, "recommendations")
    assert sorted(staged["nomor_rekomendasi"]) == ["R-001/KASN/2024", "R-002/KASN/2024"]
    assert staged.set_index("nomor_rekomendasi").at["R-002/KASN/2024", "source_file"] == "rekomendasi_2024-03.csv"
    for run in (first, second):
        assert_conserved(run["count"], run["quarantine"])
