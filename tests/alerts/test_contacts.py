"""The alert-contacts directory as agencies keep it: CSV (';' or ',', BOM, Windows-1252) or JSON."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import replace
from datetime import date
from email.message import EmailMessage

import pandas as pd
import pytest

from pantau.alerts.contacts import (
    ContactsDirectory,
    column_for,
    directory_from_mapping,
    read_directory,
    split_addresses,
)
from pantau.alerts.digest import alert_items, build_digests, render
from pantau.alerts.ledger import Ledger, deliver
from pantau.alerts.mailer import SmtpSettings, UnsafeMessage, check_message, send
from pantau.exceptions import ConfigError
from pantau.pipeline.service import load_contacts, send_alerts
from pantau.publishing import release
from pantau.settings import FollowUpPolicy
from pantau.simulate.dialect_b.contacts import contacts_csv
from pantau.simulate.generate import contacts as simulated_contacts
from pantau.simulate.servers import EmbeddedObjectStore, SmtpSink
from pantau.storage import ObjectStore

AS_OF = date(2025, 3, 3)  # a Monday: alerts go out on working days

# As a BKD exports it from Excel: UTF-8 with BOM, ';' between cells, a title row above the header,
# its own header spellings, an unknown column, two addresses in one cell (refused: one address per
# field), a cell with a line break, an invalid address beside a valid one, a row without agency code,
# a row with only a bad address.
AGENCY_CSV = (
    "Daftar Kontak PPK Netralitas ASN 2025;;;;;;\r\n"
    "Kode Satker;Instansi;Kode Wilayah;Jabatan PPK;E-mail PPK;Email BKD;Keterangan\r\n"
    "13.06.01;Dinas Pendidikan Kabupaten Agam;13.06;Bupati Agam;ppk@agam.example, sekda@agam.example;"
    "bkpsdm@agam.example;\r\n"
    "13.71.01;Sekretariat Daerah Kota Padang;13.71;\"Wali Kota Padang\r\nBcc: all@evil.example\";ppk@padang.example;"
    "bkd@padang.example;\r\n"
    "13.72.01;Dinas Kesehatan Kota Solok;13.72;Wali Kota Solok;ppk@solok;bkd@solok.example;baru\r\n"
    ";Tanpa Kode;;;ppk@tanpakode.example;;\r\n"
    "13.73.01;Dinas Sosial Kota Sawahlunto;13.73;Wali Kota Sawahlunto;ppk at sawahlunto;;\r\n"
    ";;;;;;\r\n"
)


def _directory(text: str = AGENCY_CSV, name: str = "contacts.csv") -> ContactsDirectory:
    return read_directory(name, b"\xef\xbb\xbf" + text.encode("utf-8"))


def _messages(directory: ContactsDirectory) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for p in directory.problems:
        out.setdefault(p.row, []).append(p.message)
    return out


def test_semicolon_csv_with_bom_synonyms_and_bad_rows(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pantau.alerts.contacts"):
        directory = _directory()
    assert sorted(directory.agencies) == ["13.06.01", "13.72.01"]
    agam = directory.agencies["13.06.01"]
    # Two addresses in the PPK cell: neither receives the names and NIPs; the BKD's own field still does.
    assert agam.recipients == ("bkpsdm@agam.example",)
    assert (agam.nama_instansi, agam.kode_wilayah, agam.ppk_jabatan) == \
        ("Dinas Pendidikan Kabupaten Agam", "13.06", "Bupati Agam")
    # The invalid PPK address is reported and left out; the row still reaches the BKD.
    assert directory.agencies["13.72.01"].recipients == ("bkd@solok.example",)

    messages = _messages(directory)
    assert any("row 3 (agency '13.06.01'), field 'E-mail PPK'" in m and "holds 2 addresses" in m
               and "one address per field" in m for m in messages["row 3"])
    assert any("line break" in m and "'Jabatan PPK'" in m and "not used" in m for m in messages["row 4"])
    assert any("'ppk@solok'" in m and "not a valid e-mail address" in m for m in messages["row 5"])
    assert any("no agency code" in m for m in messages["row 6"])
    assert any("'ppk at sawahlunto' is not a valid e-mail address" in m for m in messages["row 7"])
    assert any("no valid e-mail address" in m and "not used" in m for m in messages["row 7"])
    assert any("['Keterangan']" in m for m in messages[None])
    assert any("row 1 lies above the header" in m for m in messages["row 1"])
    for row, row_messages in messages.items():
        for message in row_messages:
            assert message.startswith("contacts.csv"), message
            if row:
                assert f"contacts.csv {row}" in message
    assert sorted(p.row for p in directory.rejected_rows) == ["row 4", "row 6", "row 7"]
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert all(any(p.message in line for line in logged) for p in directory.problems)
    summary = directory.summary()
    assert summary["agencies"] == 2 and summary["rows_rejected"] == 3 and summary["fields_rejected"] == 3
    assert summary["agencies_rejected"] == ["13.71.01", "13.73.01"]
    assert sorted(summary["problems_by_agency"]) == ["", "13.06.01", "13.71.01", "13.72.01", "13.73.01"]
    assert json.loads(json.dumps(summary)) == summary


def test_control_characters_never_reach_a_mail_header() -> None:
    directory = _directory()
    overdue = pd.DataFrame([{"nomor_rekomendasi": f"R-{code}", "tanggal_rekomendasi": date(2025, 1, 7),
                             "registry_kode_instansi": code, "registry_nama": "Pegawai", "nip": None,
                             "rekomendasi_sanksi": "-", "due_date": date(2025, 1, 30), "state": "overdue"}
                            for code in ("13.06.01", "13.71.01", "13.72.01")])
    digests, unroutable = build_digests(alert_items(overdue, AS_OF, FollowUpPolicy()), directory, AS_OF, FollowUpPolicy())
    assert [r["nomor_rekomendasi"] for r in unroutable] == ["R-13.71.01"]  # its row was rejected: reported
    for digest in digests:
        message = render(digest, "pantau@pantau.local")
        for header in ("To", "Subject"):
            assert "\n" not in message[header] and "\r" not in message[header]
    agam = next(d for d in digests if d.office == "13.06.01")
    assert agam.recipients == ("bkpsdm@agam.example",)


@pytest.mark.parametrize("character", ["\n", "\r", "\x00", "\t", "\u2028", "\x1b"])
def test_any_control_character_in_any_field_rejects_the_row(character: str) -> None:
    text = ("kode_instansi,nama_instansi,ppk_jabatan,ppk_email\n"
            "13.06.01,Dinas Pendidikan,Bupati Agam,ppk@agam.example\n"
            f"13.71.01,\"Sekretariat{character}Daerah\",Wali Kota Padang,ppk@padang.example\n")
    directory = _directory(text)
    assert list(directory.agencies) == ["13.06.01"]
    assert [p.row for p in directory.rejected_rows] == ["row 3"]
    assert "'nama_instansi'" in directory.rejected_rows[0].message


def test_windows_1252_comma_csv_with_escalation_rows() -> None:
    text = ("Jenis,Kode Instansi,Nama Instansi,PPK,Email PPK,E-mail BKD\r\n"
            ",13.06.01,Dinas Pendidikan Kab. Agam \u2019Ranah Minang\u2019,Bupati Agam,ppk@agam.example,\r\n"
            "Eskalasi,,Badan Kepegawaian Negara,,netralitas@bkn.example,\r\n"
            "ESCALATION,,Kementerian Dalam Negeri,,\"otda@kemendagri.example; ditjen@kemendagri.example\",\r\n"
            "surat,13.71.01,Kota Padang,Wali Kota,ppk@padang.example,\r\n")
    directory = read_directory("kontak.csv", text.encode("cp1252"))
    assert directory.agencies["13.06.01"].nama_instansi == "Dinas Pendidikan Kab. Agam \u2019Ranah Minang\u2019"
    # Escalation rows get the same checks: the Kemendagri cell holds two addresses, so neither receives.
    assert [e.name for e in directory.escalation] == ["Badan Kepegawaian Negara"]
    assert directory.escalation_recipients == ("netralitas@bkn.example",)
    assert [p.row for p in directory.rejected_rows] == ["row 4", "row 5"]
    kemendagri, surat = directory.rejected_rows
    assert "(escalation contact 'Kementerian Dalam Negeri')" in directory.problems_by_agency()["ESKALASI"][0]
    assert "holds 2 addresses" in directory.problems_by_agency()["ESKALASI"][0]
    assert kemendagri.agency == "ESKALASI" and "no valid e-mail address" in kemendagri.message
    assert "type 'surat'" in surat.message and surat.agency == "13.71.01"


def test_the_simulated_bureau_csv_is_read_with_its_bkd_column_and_two_address_cells_refused() -> None:
    directory = read_directory("contacts.csv", contacts_csv())
    two = [p for p in directory.problems if "holds 2 addresses" in p.message]
    assert two and all(p.field == "E-mail BKPSDM/BKD" and not p.rejected for p in two)
    assert all(p.agency in directory.agencies for p in two)  # their PPK field still receives
    assert len(directory.escalation) == 2


def test_json_directory_as_before_still_works() -> None:
    document = simulated_contacts()
    directory = read_directory("contacts.json", json.dumps(document).encode())
    assert len(directory.agencies) == len({a["kode_instansi"] for a in document["agencies"]})
    first = document["agencies"][0]
    contact = directory.agencies[first["kode_instansi"]]
    assert set(contact.recipients) == {first["ppk_email"], first["bkd_email"]}
    assert contact.ppk_jabatan == first["ppk_jabatan"]
    assert directory.escalation_recipients == tuple(sorted(e["email"] for e in document["escalation"]))
    assert directory.problems == []


def test_json_with_agency_spellings_and_address_lists() -> None:
    document = {"agencies": [{"Kode Instansi": "13.06.01", "Nama Instansi": "Disdik Agam", "Jabatan PPK": "Bupati",
                              "E-mail PPK": ["ppk@agam.example"], "Email BKD": "bkd@agam.example",
                              "Telepon": "0752"},
                             {"Kode Instansi": "13.72.01", "E-mail PPK": ["ppk@solok.example", "wakil@solok.example"]},
                             {"Kode Instansi": "13.71.01", "Email BKD": "bkd\n@padang.example"},
                             "13.72.01"],
                "eskalasi": [{"nama": "BKN", "email": "netralitas@bkn.example"}]}
    directory = read_directory("kontak", json.dumps(document).encode())  # no extension: sniffed as JSON
    assert directory.agencies["13.06.01"].recipients == ("ppk@agam.example", "bkd@agam.example")
    assert directory.escalation_recipients == ("netralitas@bkn.example",)
    # A JSON list of two addresses is two addresses in one field, refused like a CSV cell holding two.
    assert any("holds 2 addresses" in p.message and p.field == "E-mail PPK" for p in directory.problems)
    assert sorted(p.row for p in directory.rejected_rows) == ["agencies[1]", "agencies[2]", "agencies[3]"]
    assert any("['Telepon']" in p.message for p in directory.problems)


def test_zero_usable_rows_is_one_actionable_sentence() -> None:
    text = "kode_instansi;ppk_email\n13.06.01;bukan-alamat\n;ppk@x.example\n"
    with pytest.raises(ConfigError) as caught:
        _directory(text)
    message = str(caught.value)
    assert "contacts.csv has no usable agency contact" in message
    assert "2 row(s) rejected" in message and "contacts.csv row 2" in message and "re-run" in message
    with pytest.raises(ConfigError, match="no header row with the contacts columns"):
        _directory("Nama;Alamat\nBudi;Padang\n")


def test_excel_workbook_is_refused_clearly() -> None:
    with pytest.raises(ConfigError, match="save it as CSV UTF-8"):
        read_directory("contacts.xlsx", b"PK\x03\x04rest-of-a-zip")


def test_header_synonyms_and_address_splitting() -> None:
    assert {column_for(h) for h in ("kode_instansi", "Kode Instansi", "Kode Satker", "KODE  SATKER")} == \
        {"kode_instansi"}
    assert {column_for(h) for h in ("ppk_email", "Email PPK", "E-mail PPK")} == {"ppk_email"}
    assert {column_for(h) for h in ("bkd_email", "Email BKD", "E-mail BKD", "E-mail BKPSDM/BKD")} == {"bkd_email"}
    assert {column_for(h) for h in ("nama_instansi", "Nama Instansi", "Instansi")} == {"nama_instansi"}
    assert {column_for(h) for h in ("ppk_jabatan", "Jabatan PPK", "PPK")} == {"ppk_jabatan"}
    assert {column_for(h) for h in ("kode_wilayah", "Kode Wilayah")} == {"kode_wilayah"}
    assert column_for("Keterangan") is None
    assert split_addresses("a@x.id; b@y.id,c@z.id  d@w.id") == ["a@x.id", "b@y.id", "c@z.id", "d@w.id"]
    assert split_addresses("Rina <rina@bkn.go.id>, Adi <adi@bkn.go.id>") == ["rina@bkn.go.id", "adi@bkn.go.id"]


@pytest.fixture
def services(tmp_path):
    with EmbeddedObjectStore(None) as s3, SmtpSink(tmp_path / "outbox") as sink:
        host, port = s3.endpoint.split(":")
        store = ObjectStore.connect(f"{host}:{port}", s3.access_key, s3.secret_key, "pantau")
        yield store, SmtpSettings(host="127.0.0.1", port=sink.port, from_email="pantau@pantau.local"), sink


def test_load_contacts_reads_csv_and_sibling_escalation_file_locally_and_from_the_bucket(services, tmp_path):
    store, _, _ = services
    escalation = "Nama,Email\nBKN,netralitas@bkn.example\n"
    (tmp_path / "contacts.csv").write_bytes(b"\xef\xbb\xbf" + AGENCY_CSV.encode())
    (tmp_path / "contacts_escalation.csv").write_text(escalation, encoding="utf-8")
    local = load_contacts(store, str(tmp_path / "contacts.csv"))
    store.put_bytes("config/contacts.csv", AGENCY_CSV.encode())
    store.put_bytes("config/contacts_escalation.csv", escalation.encode())
    remote = load_contacts(store, f"s3://{store.bucket}/config/contacts.csv")
    for directory in (local, remote):
        assert sorted(directory.agencies) == ["13.06.01", "13.72.01"]
        assert directory.escalation_recipients == ("netralitas@bkn.example",)
        assert len(directory.sources) == 2
    with pytest.raises(ConfigError, match="neither a local file nor an object"):
        load_contacts(store, "config/missing.csv")


def test_alert_run_summary_lists_the_rejected_rows(services, tmp_path):
    store, smtp, sink = services
    overdue = pd.DataFrame([{"nomor_rekomendasi": "R-1", "tanggal_rekomendasi": date(2025, 1, 7), "terbukti": True,
                             "follow_up_id": None, "registry_kode_instansi": "13.06.01", "registry_nama": "Pegawai",
                             "nip": None, "rekomendasi_sanksi": "-", "due_date": date(2025, 1, 30),
                             "escalation_date": date(2025, 2, 20), "as_of": AS_OF, "state": "escalated",
                             "days_overdue": 30}])
    release.publish_release(store, {"overdue_recommendations": overdue}, extracts={}, unassigned={}, as_of=AS_OF,
                            facts={"run_id": "run1"})
    (tmp_path / "contacts.csv").write_text(AGENCY_CSV, encoding="utf-8")
    result = send_alerts(store, smtp, str(tmp_path / "contacts.csv"), "run1", AS_OF, FollowUpPolicy(),
                         ledger=tmp_path / "alert-ledger.sqlite")
    assert [e["office"] for e in result["sent"]] == ["13.06.01"] and len(sink.messages()) == 1
    assert result["contacts"]["rows_rejected"] == 3
    assert any("row 4" in m and "line break" in m for m in result["contacts"]["problems"])
    assert result["escalated_without_escalation_contact"] == 1
    assert store.get_json("runs/pantau_alerts/run1.json")["contacts"] == result["contacts"]
    # Per agency: the offices that receive nothing this run, and every sentence about each agency's rows.
    assert result["contacts"]["agencies_rejected"] == ["13.71.01", "13.73.01"]
    by_agency = result["contacts"]["problems_by_agency"]
    assert any("holds 2 addresses" in m for m in by_agency["13.06.01"])
    assert any("line break" in m for m in by_agency["13.71.01"])
    (received,) = sink.messages()
    assert received["X-RcptTo"] == "bkpsdm@agam.example"  # the envelope: nobody from the two-address cell


# --- hostile input: one address per field, no header injection ------------------------------------

def _one_agency(ppk_email: str, bkd_email: str = "bkd@agam.example", name: str = "Dinas Pendidikan Agam",
                title: str = "Bupati Agam") -> ContactsDirectory:
    rows = [["kode_instansi", "nama_instansi", "ppk_jabatan", "ppk_email", "bkd_email"],
            ["13.06.01", name, title, ppk_email, bkd_email],
            ["13.71.01", "Sekretariat Daerah Kota Padang", "Wali Kota Padang", "ppk@padang.example", ""]]
    sio = io.StringIO()
    csv.writer(sio, lineterminator="\r\n").writerows(rows)
    return _directory(sio.getvalue())


@pytest.mark.parametrize("cell", [
    "ppk@agam.example, sekda@agam.example",
    "ppk@agam.example; sekda@agam.example",
    "ppk@agam.example sekda@agam.example",
    "ppk@agam.example,sekda@agam.example",
    "<ppk@agam.example>, <sekda@agam.example>",
    "<ppk@agam.example><sekda@agam.example>",
    "Bupati <ppk@agam.example>, Sekda <sekda@agam.example>",
    '"Bupati, Agam" <ppk@agam.example>, "Sekda; Agam" <sekda@agam.example>',
    "Bupati <ppk@agam.example> sekda@agam.example",
    "ppk@agam.example <sekda@agam.example>",
])
def test_a_field_holding_two_addresses_is_refused_and_neither_receives(cell: str) -> None:
    directory = _one_agency(cell)
    # The BKD address in its own field still receives: the office's alert is not silenced.
    assert directory.agencies["13.06.01"].recipients == ("bkd@agam.example",)
    (problem,) = [p for p in directory.problems if p.agency == "13.06.01"]
    assert (problem.field, problem.rejected, problem.row) == ("ppk_email", False, "row 2")
    message = problem.message
    assert message.startswith("contacts.csv row 2 (agency '13.06.01'), field 'ppk_email': ")
    assert "holds 2 addresses" in message and "one address per field" in message
    assert directory.summary()["problems_by_agency"] == {"13.06.01": [message]}


def test_a_row_whose_only_field_holds_two_addresses_is_rejected_and_the_other_agency_kept() -> None:
    directory = _one_agency("ppk@agam.example; sekda@agam.example", bkd_email="")
    assert list(directory.agencies) == ["13.71.01"]
    assert directory.agencies_rejected == ["13.06.01"]
    assert [p.row for p in directory.rejected_rows] == ["row 2"]


@pytest.mark.parametrize(("cell", "wire"), [
    ("ppk@agam.example", "ppk@agam.example"),
    ("  ppk@agam.example  ", "ppk@agam.example"),
    ("<ppk@agam.example>", "ppk@agam.example"),
    ("Bupati Agam <ppk@agam.example>", "ppk@agam.example"),
    ('"Bupati Agam, Sumatera Barat" <ppk@agam.example>', "ppk@agam.example"),
    ('"=?utf-8?q?Bcc=3A_leak=40evil.example?=" <ppk@agam.example>', None),  # encoded word: row refused
    ("ppk@agam.example <ppk@agam.example>", "ppk@agam.example"),  # Outlook's copy: one address
    ("ppk@AGAMKAB.GO.ID", "ppk@agamkab.go.id"),
    ("ppk@dinas.bücher.example", "ppk@dinas.xn--bcher-kva.example"),  # IDN domain in its ASCII form
    ("ppk@xn--bcher-kva.example", "ppk@xn--bcher-kva.example"),
])
def test_one_address_per_field_in_the_forms_people_write_it(cell: str, wire: str | None) -> None:
    directory = _one_agency(cell, bkd_email="")
    if wire is None:
        assert "13.06.01" not in directory.agencies
        assert "MIME encoded word" in directory.rejected_rows[0].message
        return
    assert directory.agencies["13.06.01"].recipients == (wire,)
    assert directory.problems == []


@pytest.mark.parametrize("cell", ["pégawai@agam.example", "ppk@agam", "ppk@[127.0.0.1]", '"p k"@agam.example',
                                  "mailto ppk", "ppk@agam.example>"])
def test_an_invalid_address_is_reported_with_file_row_agency_field_and_what_to_do(cell: str) -> None:
    directory = _one_agency(cell)
    assert directory.agencies["13.06.01"].recipients == ("bkd@agam.example",)
    (problem,) = directory.problems
    assert problem.message.startswith("contacts.csv row 2 (agency '13.06.01'), field 'ppk_email': ")
    assert "not a valid e-mail address" in problem.message and "correct the address" in problem.message


@pytest.mark.parametrize(("field", "value"), [
    ("nama_instansi", "=?utf-8?q?Dinas=0D=0ABcc:_leak@evil.example?="),
    ("ppk_jabatan", "Bupati =?UTF-8?B?QmNjOiBsZWFrQGV2aWwuZXhhbXBsZQ==?="),
    ("kode_instansi", "=?utf-8?q?13.06.01?="),
    ("ppk_email", "=?utf-8?q?x?=@evil.example"),  # valid RFC 5322 syntax, decoded by mail programs
    ("nama_instansi", "Dinas\x00Pendidikan"),
    ("ppk_jabatan", "Bupati\x85Agam"),
    ("ppk_jabatan", "Bupati\u2029Agam"),
])
def test_values_a_mail_program_would_decode_into_a_header_break_reject_the_row(field: str, value: str) -> None:
    columns = {"kode_instansi": "13.06.01", "nama_instansi": "Dinas Pendidikan Agam", "ppk_jabatan": "Bupati Agam",
               "ppk_email": "ppk@agam.example"}
    document = {"agencies": [{**columns, field: value},
                             {**columns, "kode_instansi": "13.71.01", "ppk_email": "ppk@padang.example"}]}
    directory = directory_from_mapping(document)
    assert list(directory.agencies) == ["13.71.01"]
    (problem,) = directory.rejected_rows
    assert problem.field == field and f"field {field!r}" in problem.message
    assert "contacts.json agencies[0]" in problem.message and "the row is not used: " in problem.message
    for line in problem.message.splitlines():
        assert line == problem.message  # the sentence itself is one log line


def test_a_line_break_in_an_ignored_notes_column_costs_nothing() -> None:
    text = ("kode_instansi;ppk_email;Keterangan\n"
            "13.06.01;ppk@agam.example;\"PPK baru\nsejak Januari\"\n")
    directory = _directory(text)
    assert directory.agencies["13.06.01"].recipients == ("ppk@agam.example",)
    assert directory.rejected_rows == []


def test_escalation_contacts_get_the_same_checks() -> None:
    document = {"agencies": [{"kode_instansi": "13.06.01", "ppk_email": "ppk@agam.example"}],
                "escalation": [{"name": "BKN", "email": "netralitas@bkn.example, wasdal@bkn.example"},
                               {"name": "Kemendagri =?utf-8?q?=0D=0ABcc:_x@evil.example?=",
                                "email": "otda@kemendagri.example"},
                               {"name": "Kemendagri", "email": "Ditjen Otda <otda@kemendagri.example>"}]}
    directory = directory_from_mapping(document)
    assert directory.escalation_recipients == ("otda@kemendagri.example",)
    escalation_problems = directory.problems_by_agency()["ESKALASI"]
    assert any("(escalation contact 'BKN'), field 'email'" in m and "holds 2 addresses" in m
               for m in escalation_problems)
    assert any("MIME encoded word" in m for m in escalation_problems)
    assert directory.agencies_rejected == []  # escalation rows are not agencies


def test_a_hostile_name_is_escaped_and_reaches_no_header_but_its_own() -> None:
    name = 'Dinas "Pendidikan" <script>alert(1)</script> & Co <leak@evil.example>, bcc@evil.example'
    directory = _one_agency("Bupati <ppk@agam.example>", bkd_email="", name=name,
                            title='"Bupati" <bupati@evil.example>')
    overdue = pd.DataFrame([{"nomor_rekomendasi": "R-1", "tanggal_rekomendasi": date(2025, 1, 7),
                             "registry_kode_instansi": "13.06.01", "registry_nama": "Pegawai", "nip": None,
                             "rekomendasi_sanksi": "-", "due_date": date(2025, 1, 30), "state": "overdue"}])
    (digest,), _ = build_digests(alert_items(overdue, AS_OF, FollowUpPolicy()), directory, AS_OF, FollowUpPolicy())
    message = render(digest, "pantau@pantau.local")
    check_message(message)
    assert [a.addr_spec for a in message["To"].addresses] == ["ppk@agam.example"]
    assert name in str(message["Subject"])  # shown as written, inside its own header
    wire = message.as_bytes()
    head = wire.split(b"\n\n", 1)[0]
    assert b"evil.example" not in b"\n".join(line for line in head.split(b"\n")
                                             if line.split(b":")[0].lower() in (b"to", b"cc", b"bcc"))
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- the mailer: last line of defence ---------------------------------------------------------------

def _message(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = headers.pop("Subject", "[Pantau] 1 rekomendasi terlambat")
    message["From"] = "Pantau <pantau@pantau.local>"
    message["X-Pantau-Office"] = headers.pop("office", "13.06.01")
    for name, value in headers.items():
        message[name] = value
    message.set_content("Nama dan NIP pegawai")
    return message


@pytest.mark.parametrize(("headers", "expected"), [
    ({"To": "ppk@agam.example", "Subject": "x =?utf-8?q?=0D=0ABcc:_leak@evil.example?="}, "line break"),
    ({"To": "ppk@agam.example", "Subject": "x \x00 y"}, "control character"),
    ({"To": "ppk@agam.example", "Subject": "x =?utf-8?b?AA==?= y"}, "control character"),
    ({"To": "ppk@bücher.example"}, "not one valid e-mail address"),
    ({"To": "ppk@agam"}, "not one valid e-mail address"),
    ({"To": "ppk@agam.example, =?utf-8?q?x?=@evil.example"}, "'To'"),
    ({"To": "ppk@agam.example <leak@evil.example>"}, "not a clean address list"),
    ({"To": '"leak@evil.example" <ppk@agam.example>'}, "display name holding another address"),
    ({"To": "ppk@agam.example", "Bcc": "leak@evil"}, "'Bcc'"),
    ({}, "no recipient"),
])
def test_the_mailer_refuses_an_unsafe_message_naming_the_agency(services, headers, expected) -> None:
    _, smtp, sink = services
    with pytest.raises(UnsafeMessage) as caught:
        send(smtp, _message(**headers))
    text = str(caught.value)
    assert expected in text and "agency '13.06.01'" in text and "mail server was not contacted" in text
    assert "leak" not in text and "NIP" not in text  # names headers and positions, not values
    assert sink.files() == []


def test_the_mailer_sends_a_clean_message_to_every_validated_recipient(services) -> None:
    _, smtp, sink = services
    send(smtp, _message(To="ppk@agam.example, bkd@xn--bcher-kva.example"))
    (received,) = sink.messages()
    assert sorted(a.addr_spec for a in received["To"].addresses) == ["bkd@xn--bcher-kva.example",
                                                                     "ppk@agam.example"]


def test_one_unsafe_digest_is_reported_by_agency_and_the_others_still_go_out(services, tmp_path) -> None:
    store, smtp, sink = services
    directory = directory_from_mapping({"agencies": [
        {"kode_instansi": "13.06.01", "nama_instansi": "Disdik Agam", "ppk_email": "ppk@agam.example"},
        {"kode_instansi": "13.71.01", "nama_instansi": "Setda Padang", "ppk_email": "ppk@padang.example"}]})
    overdue = pd.DataFrame([{"nomor_rekomendasi": f"R-{code}", "tanggal_rekomendasi": date(2025, 1, 7),
                             "registry_kode_instansi": code, "registry_nama": "Pegawai", "nip": None,
                             "rekomendasi_sanksi": "-", "due_date": date(2025, 1, 30), "state": "overdue"}
                            for code in ("13.06.01", "13.71.01")])
    digests, _ = build_digests(alert_items(overdue, AS_OF, FollowUpPolicy()), directory, AS_OF, FollowUpPolicy())
    # Whatever path a decoded line break takes into a digest (here: a name changed after the directory
    # was read), the mailer refuses that one message and the rest are sent.
    digests = [replace(d, office_name="=?utf-8?q?=0D=0ABcc:_leak@evil.example?=") if d.office == "13.71.01" else d
               for d in digests]
    ledger = Ledger.open(tmp_path / "alert-ledger.sqlite")
    outcome = deliver(ledger, [d.outgoing(smtp.from_email) for d in digests], smtp)
    assert [e["office"] for e in outcome.sent] == ["13.06.01"] and outcome.failed == []
    (refused,) = outcome.refused  # permanent: not a mail-server failure, and not retried
    assert refused["office"] == "13.71.01" and "agency '13.71.01'" in refused["error"]
    assert "line break" in refused["error"] and "leak" not in refused["error"]
    assert [m["X-Pantau-Office"] for m in sink.messages()] == ["13.06.01"]
    # Nothing of the refused message reached the ledger: once the contact is fixed it goes out as new.
    assert [d.digest_key for d in ledger.deliveries()] == ["13.06.01"]
