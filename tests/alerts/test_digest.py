"""Alert digests over real SMTP (aiosmtpd sink) with the ledger in a real S3 server (moto)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pantau.alerts.digest import build_digests, render, send_digests, tanggal
from pantau.alerts.mailer import SmtpSettings
from pantau.simulate.servers import EmbeddedObjectStore, SmtpSink
from pantau.storage import ObjectStore

AS_OF = date(2025, 3, 1)
CONTACTS = {
    "agencies": [
        {"kode_instansi": "13.06.01", "nama_instansi": "Dinas Pendidikan Kabupaten Agam", "ppk_jabatan": "Bupati Agam",
         "ppk_email": "ppk@agam.example", "bkd_email": "bkd@agam.example"},
        {"kode_instansi": "13.71.01", "nama_instansi": "Sekretariat Daerah Kota Padang",
         "ppk_jabatan": "Wali Kota Padang", "ppk_email": "ppk@padang.example", "bkd_email": "bkd@padang.example"},
    ],
    "escalation": [{"name": "BKN", "email": "netralitas@bkn.example"}],
}


def overdue_frame(states: dict[str, str]) -> pd.DataFrame:
    rows = []
    for i, (number, state) in enumerate(states.items()):
        rows.append({"nomor_rekomendasi": number, "tanggal_rekomendasi": date(2025, 1, 7),
                     "registry_kode_instansi": "13.06.01" if i % 2 == 0 else "13.71.01",
                     "registry_nama": f"Pegawai {i}", "nip": f"19700512199503100{i}", "rekomendasi_sanksi": "Sanksi moral",
                     "due_date": date(2025, 1, 30), "state": state})
    rows.append({"nomor_rekomendasi": "R-X", "tanggal_rekomendasi": date(2025, 1, 7), "registry_kode_instansi": None,
                 "registry_nama": "Tanpa Instansi", "nip": None, "rekomendasi_sanksi": "-", "due_date": date(2025, 1, 30),
                 "state": "overdue"})
    return pd.DataFrame(rows)


@pytest.fixture
def services(tmp_path):
    with EmbeddedObjectStore(None) as s3, SmtpSink(tmp_path / "outbox") as sink:
        host, port = s3.endpoint.split(":")
        store = ObjectStore.connect(f"{host}:{port}", s3.access_key, s3.secret_key, "pantau")
        smtp = SmtpSettings(host="127.0.0.1", port=sink.port, from_email="pantau@pantau.local")
        yield store, smtp, sink


def test_indonesian_dates():
    assert tanggal(date(2025, 1, 7)) == "7 Januari 2025"
    assert tanggal(None) == "-"


def test_one_digest_per_office_plus_escalation_and_unroutable_reported():
    digests, unroutable = build_digests(overdue_frame({"R-1": "overdue", "R-2": "escalated", "R-3": "overdue"}),
                                        CONTACTS, AS_OF, 3)
    assert sorted(d.office for d in digests) == ["13.06.01", "13.71.01", "ESKALASI"]
    assert [r["nomor_rekomendasi"] for r in unroutable] == ["R-X"]
    escalation = next(d for d in digests if d.kind == "escalation")
    assert escalation.recipients == ("netralitas@bkn.example",)


def test_rendered_message_is_indonesian_html_and_text():
    digests, _ = build_digests(overdue_frame({"R-1": "overdue"}), CONTACTS, AS_OF, 3)
    message = render(digests[0], "pantau@pantau.local", AS_OF)
    assert "Dinas Pendidikan Kabupaten Agam" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Yth. Bupati Agam" in text and "7 Januari 2025" in text and "Terlambat" in text
    assert "<table" in html and "R-1" in html


def test_same_state_is_never_sent_twice_and_a_new_state_is(services):
    store, smtp, sink = services
    digests, _ = build_digests(overdue_frame({"R-1": "overdue", "R-2": "overdue"}), CONTACTS, AS_OF, 3)
    first = send_digests(store, smtp, digests, AS_OF)
    again = send_digests(store, smtp, digests, AS_OF)
    assert len(first["sent"]) == 2 and again["sent"] == [] and len(again["skipped_already_sent"]) == 2
    assert len(sink.messages()) == 2
    changed, _ = build_digests(overdue_frame({"R-1": "escalated", "R-2": "overdue"}), CONTACTS, AS_OF, 3)
    third = send_digests(store, smtp, changed, AS_OF)
    assert sorted(third["sent"]) == ["13.06.01", "ESKALASI"]  # Padang's state did not change


def test_mail_server_down_loses_nothing(services):
    store, smtp, sink = services
    digests, _ = build_digests(overdue_frame({"R-1": "overdue", "R-2": "overdue"}), CONTACTS, AS_OF, 3)
    sink.fail_next(1)
    outcome = send_digests(store, smtp, digests, AS_OF)
    assert len(outcome["failed"]) == 1 and len(outcome["sent"]) == 1
    retry = send_digests(store, smtp, digests, AS_OF)
    assert retry["sent"] == [outcome["failed"][0]["office"]]
    offices = sorted(m["X-Pantau-Office"] for m in sink.messages())
    assert offices == ["13.06.01", "13.71.01"]
