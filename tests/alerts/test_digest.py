"""Alert digests: what one message carries and how it reads, sent over real SMTP (aiosmtpd sink) through
the SQL alert ledger (SQLite file)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pantau.alerts.digest import alert_items, build_digests, render, tanggal
from pantau.alerts.ledger import Ledger, deliver
from pantau.alerts.mailer import SmtpSettings
from pantau.exceptions import ConfigError
from pantau.normalize.dates import working_days_between
from pantau.settings import FollowUpPolicy, SenderSettings
from pantau.simulate.servers import EmbeddedObjectStore, SmtpSink
from pantau.storage import ObjectStore

# A Monday: under working days, alerts go out on working days only (docs/DOMAIN.md §2.4).
AS_OF = date(2025, 3, 3)
POLICY = FollowUpPolicy()
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
        ledger = Ledger.open(tmp_path / "alert-ledger.sqlite")
        yield store, smtp, sink, ledger
        ledger.close()


def digests_of(frame: pd.DataFrame, contacts=CONTACTS, as_of: date = AS_OF, last_sent=None, **kwargs):
    return build_digests(alert_items(frame, as_of, POLICY), contacts, as_of, POLICY, last_sent, **kwargs)


def test_indonesian_dates():
    assert tanggal(date(2025, 1, 7)) == "7 Januari 2025"
    assert tanggal(None) == "-"


def test_one_digest_per_office_plus_escalation_and_unroutable_reported():
    digests, unroutable = digests_of(overdue_frame({"R-1": "overdue", "R-2": "escalated", "R-3": "overdue"}))
    assert sorted(d.office for d in digests) == ["13.06.01", "13.71.01", "ESKALASI"]
    assert [r["nomor_rekomendasi"] for r in unroutable] == ["R-X"]
    escalation = next(d for d in digests if d.kind == "escalation")
    assert escalation.recipients == ("netralitas@bkn.example",)


def test_rendered_message_is_indonesian_html_and_text():
    digests, _ = digests_of(overdue_frame({"R-1": "overdue"}))
    message = render(digests[0], "pantau@pantau.local")
    assert "Dinas Pendidikan Kabupaten Agam" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Yth. Bupati Agam" in text and "7 Januari 2025" in text and "Terlambat" in text
    assert "<table" in html and "R-1" in html


def test_nothing_new_for_a_recipient_set_means_no_message_and_a_new_step_is_news(services):
    store, smtp, sink, ledger = services
    frame = overdue_frame({"R-1": "overdue", "R-2": "overdue"})
    digests, _ = digests_of(frame, last_sent=ledger.last_sent)
    assert len(deliver(ledger, [d.outgoing(smtp.from_email) for d in digests], smtp).sent) == 2
    again, _ = digests_of(frame, last_sent=ledger.last_sent)
    assert again == []  # the same day, nothing new for anyone
    changed, _ = digests_of(overdue_frame({"R-1": "escalated", "R-2": "overdue"}), last_sent=ledger.last_sent)
    assert sorted(d.office for d in changed) == ["13.06.01", "ESKALASI"]  # Padang's R-2 did not change
    (agam,) = [d for d in changed if d.office == "13.06.01"]
    assert agam.items == (("R-1", "escalated"),) and agam.rows[0]["reminder_label"] == "baru"


# --- issue 11: digests officials can act on ---------------------------------------------------------

SHARED = {
    "agencies": [
        # Two agencies of one regency share the PPK's and the BKD's addresses: one message, two sections.
        {"kode_instansi": "13.06.01", "nama_instansi": "Dinas Pendidikan Kabupaten Agam", "ppk_jabatan": "Bupati Agam",
         "ppk_email": "ppk@agam.example", "bkd_email": "bkd@agam.example"},
        {"kode_instansi": "13.06.02", "nama_instansi": "Dinas <script>alert(1)</script> & Kesehatan Agam",
         "ppk_jabatan": "Bupati Agam", "ppk_email": "PPK@agam.example", "bkd_email": "bkd@agam.example"},
        {"kode_instansi": "13.71.01", "nama_instansi": "Sekretariat Daerah Kota Padang",
         "ppk_jabatan": "Wali Kota Padang", "ppk_email": "ppk@padang.example", "bkd_email": "bkd@padang.example"},
    ],
    "escalation": [{"name": "BKN", "email": "netralitas@bkn.example"}],
}
MANIFEST = {"release": "2025-03-01-0123456789ab",
            "access": {"bupati-agam": {"name": "Bupati Agam", "prefix": "restricted/ppk/bupati-agam/"}}}


def shared_frame() -> pd.DataFrame:
    def row(number, agency, ppk, name, due, state, follow_up_state, wdo):
        return {"nomor_rekomendasi": number, "tanggal_rekomendasi": date(2025, 1, 2), "registry_kode_instansi": agency,
                "ppk": ppk, "registry_nama": name, "nip": "197005121995031001", "registry_jabatan": "Guru Ahli Muda",
                "rekomendasi_sanksi": "DISIPLIN_SEDANG", "due_date": due, "state": state,
                "follow_up_state": follow_up_state, "working_days_overdue": wdo}
    return pd.DataFrame([
        row("R-1", "13.06.01", "Bupati Agam", "Siti Aminah", date(2025, 1, 30), "overdue", "overdue", 20),
        row("R-2", "13.06.02", "Bupati Agam", "<b>Budi</b> & \"Co\"", date(2025, 1, 20), "escalated", "escalated", 27),
        row("R-3", "13.06.02", "Bupati Agam", "Rina", date(2025, 3, 3), "upcoming", "due", 0),
        row("R-4", "13.71.01", "Wali Kota Padang", "Andi", date(2025, 1, 10), "escalated", "escalated", 34),
        row("R-5", "13.06.01", "Bupati Agam", "Later", date(2025, 6, 1), "upcoming", "upcoming", 0),
    ])


def _sent(services, **kwargs):
    store, smtp, sink, ledger = services
    digests, unroutable = digests_of(shared_frame(), SHARED, last_sent=ledger.last_sent, manifest=MANIFEST,
                                     bucket="pantau", **kwargs)
    outcome = deliver(ledger, [d.outgoing(smtp.from_email) for d in digests], smtp)
    assert outcome.failed == [] and outcome.refused == [] and unroutable == []
    return digests, {m["X-Pantau-Office"]: m for m in sink.messages()}


def test_one_digest_per_recipient_set_with_a_section_per_agency(services):
    digests, received = _sent(services)
    # Agam's two agencies (addresses equal up to case) share one message; Padang has its own; BKN the escalation.
    assert sorted(received) == ["13.06.01,13.06.02", "13.71.01", "ESKALASI"] and len(digests) == 3
    agam = received["13.06.01,13.06.02"]
    assert sorted(a.strip().lower() for a in agam["To"].split(",")) == ["bkd@agam.example", "ppk@agam.example"]
    text = agam.get_body(("plain",)).get_content()
    html = agam.get_body(("html",)).get_content()
    assert "Yth. Bupati Agam" in text and "(2 instansi, 3 rekomendasi)" in text
    # One section per agency, each with its own counts; R-5 is not yet in the reminder window.
    assert "== Dinas Pendidikan Kabupaten Agam (13.06.01) - 1 rekomendasi, 1 terlambat ==" in text
    assert "(13.06.02) - 2 rekomendasi, 1 terlambat ==" in text
    assert "R-5" not in text and "Later" not in text
    for needle in ("Siti Aminah - NIP 197005121995031001", "Jabatan: Guru Ahli Muda", "Rekomendasi: R-1 (2 Januari 2025)",
                   "30 Januari 2025 - 20 hari kerja terlambat - Terlambat", "27 hari kerja terlambat - Dieskalasi",
                   "0 hari kerja terlambat - Mendekati batas waktu"):
        assert needle in text, needle
    assert "<th>Hari Kerja Terlambat</th>" in html and "<td>20</td>" in html and "<td>27</td>" in html
    link = "s3://pantau/published/releases/2025-03-01-0123456789ab/restricted/ppk/bupati-agam/"
    assert f'<a href="{link}">' in html and link in text
    assert "Padang" not in text and "Andi" not in text  # nothing of another office


def test_headers_date_message_id_sender_and_legal_basis(services):
    sender = SenderSettings(institution="Biro SDM Contoh", contact="netralitas@contoh.go.id, (021) 123")
    digests, received = _sent(services, sender=sender)
    agam = received["13.06.01,13.06.02"]
    assert agam["Date"].datetime == datetime(2025, 3, 3, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert agam["Date"].datetime.utcoffset() == timedelta(hours=7)
    assert agam["From"].addresses[0].display_name == "Pantau - Biro SDM Contoh"
    assert {part.get_content_type() for part in agam.walk()} >= {"text/plain", "text/html"}
    text = agam.get_body(("plain",)).get_content()
    assert "Biro SDM Contoh" in text and "Kontak: netralitas@contoh.go.id, (021) 123" in text
    for basis in ("Nomor 94 Tahun 2021", "(SKB) Tahun 2022", "Nomor 1 Tahun 2023"):
        assert basis in text and basis in agam.get_body(("html",)).get_content()
    # Stable: built again for the same run, same Message-ID; a changed state or another day, a new one.
    again, _ = digests_of(shared_frame(), SHARED, manifest=MANIFEST, bucket="pantau")
    assert [d.message_id for d in again] == [d.message_id for d in digests]
    assert agam["Message-ID"] == digests[0].message_id and agam["Message-ID"].endswith("@pantau.local>")
    assert len({d.message_id for d in digests}) == 3
    changed = shared_frame()
    changed.loc[0, ["state", "follow_up_state"]] = "escalated"
    later, _ = digests_of(changed, SHARED)
    next_day, _ = digests_of(shared_frame(), SHARED, date(2025, 3, 4))
    assert later[0].message_id != digests[0].message_id != next_day[0].message_id


def test_hostile_names_are_escaped_in_html_and_plain_in_text(services):
    _, received = _sent(services)
    agam = received["13.06.01,13.06.02"]
    html = agam.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>Budi</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Kesehatan" in html and "&lt;b&gt;Budi&lt;/b&gt;" in html
    assert "<b>Budi</b> & \"Co\"" in agam.get_body(("plain",)).get_content()


def test_escalation_digest_groups_by_ppk_with_counts_and_attaches_the_blocking_candidates(services):
    _, received = _sent(services)
    escalation = received["ESKALASI"]
    text = escalation.get_body(("plain",)).get_content()
    assert "oleh 2 PPK" in escalation["Subject"]
    assert "=== PPK: Bupati Agam - 1 rekomendasi ===" in text
    assert "=== PPK: Wali Kota Padang - 1 rekomendasi ===" in text
    assert "(13.06.02) - 1 rekomendasi, 1 terlambat ==" in text and "Sekretariat Daerah Kota Padang (13.71.01)" in text
    assert "R-1" not in text  # overdue, not escalated
    (attachment,) = list(escalation.iter_attachments())
    assert attachment.get_content_type() == "text/csv" and attachment.get_filename() == "kandidat-pemblokiran-2025-03-03.csv"
    candidates = pd.read_csv(io.StringIO(attachment.get_content()), dtype=str)
    assert sorted(candidates["nomor_rekomendasi"]) == ["R-2", "R-4"]


def test_escalation_attaches_the_release_csv_when_given(services):
    published = b"nama,nip,nomor_rekomendasi\nX,1,R-2\n"
    _, received = _sent(services, blocking_csv=published)
    (attachment,) = list(received["ESKALASI"].iter_attachments())
    assert attachment.get_payload(decode=True) == published


def test_working_days_overdue_computed_for_a_release_without_the_column():
    frame = shared_frame().drop(columns=["working_days_overdue", "follow_up_state"])
    digests, _ = digests_of(frame, SHARED)
    rows = {r["nomor_rekomendasi"]: r for d in digests if d.kind == "ppk" for r in d.rows}
    # 30 Jan 2025 (Thu) to 1 Mar 2025: February's 20 working days, 31 Jan, less the holidays of the calendar.
    assert rows["R-1"]["working_days_overdue"] == working_days_between(date(2025, 1, 30), AS_OF)
    assert 0 < rows["R-1"]["working_days_overdue"] < (AS_OF - date(2025, 1, 30)).days
    assert rows["R-3"]["working_days_overdue"] == 0 and rows["R-3"]["state_label"] == "Mendekati batas waktu"


def test_sender_settings_from_env(monkeypatch):
    monkeypatch.delenv("PANTAU_SENDER_INSTITUTION", raising=False)
    monkeypatch.delenv("PANTAU_SENDER_CONTACT", raising=False)
    assert SenderSettings.from_env() == SenderSettings()
    monkeypatch.setenv("PANTAU_SENDER_INSTITUTION", "  BKD Provinsi Contoh ")
    monkeypatch.setenv("PANTAU_SENDER_CONTACT", "bkd@contoh.go.id")
    assert SenderSettings.from_env() == SenderSettings("BKD Provinsi Contoh", "bkd@contoh.go.id")
    monkeypatch.setenv("PANTAU_SENDER_CONTACT", "a@contoh.go.id\nBcc: x@evil.example")
    with pytest.raises(ConfigError, match="PANTAU_SENDER_CONTACT must be one non-empty line"):
        SenderSettings.from_env()
