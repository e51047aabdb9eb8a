"""The alert-contacts directory as a personnel bureau keeps it: a spreadsheet saved as CSV.

Semicolon-separated with a UTF-8 BOM (Excel, Indonesian locale), its own headers, one row per
agency (``Jenis`` = ``PPK``) plus the escalation addressees (``Jenis`` = ``Eskalasi``), some cells
holding two addresses, and one address mistyped, as happens in a hand-kept list. Addresses are
fictional: they only ever reach the local mail sink.
"""

from __future__ import annotations

import csv
import io

from pantau.simulate.dialect_b.agencies import Employer, employers

HEADER = ("No", "Kode Instansi", "Instansi", "Kode Wilayah", "PPK", "E-mail PPK", "E-mail BKPSDM/BKD", "Jenis",
          "Keterangan")


def _domain(e: Employer) -> str:
    if e.region is None:
        return f"{e.province.short.lower().replace(' ', '')}prov.go.id"
    slug = e.region.name.lower().replace(" ", "").replace("-", "")
    return f"{slug}kab.go.id" if e.region.kind == "Kabupaten" else f"{slug}kota.go.id"


def contacts_csv() -> bytes:
    rows: list[list[str]] = []
    seen_kemenag = False
    for e in employers():
        if e.kind == "kemenag":
            if seen_kemenag:
                continue
            seen_kemenag = True
            rows.append(["", e.kode_instansi, "Kementerian Agama", "", "Menteri Agama", "setjen@kemenag.go.id",
                         "biroortala.kepegawaian@kemenag.go.id", "PPK", "Instansi pusat"])
            continue
        d = _domain(e)
        bureau = "bkd" if e.region is None else "bkpsdm"
        bkd_mail = f"{bureau}@{d}"
        if len(rows) % 4 == 1:  # two recipients in one cell
            bkd_mail = f"{bkd_mail}; kepegawaian.{bureau}@{d}"
        ppk_mail = f"{'gubernur' if e.region is None else 'setda'}@{d}"
        if len(rows) == 7:
            ppk_mail = f"setda@{d.replace('.go.id', '')}"  # a mistyped address: no top-level domain
        rows.append(["", e.kode_instansi, e.nama_instansi, e.kode_wilayah, e.ppk("2025-03-01"), ppk_mail, bkd_mail,
                     "PPK", ""])
    rows.append(["", "", "Badan Kepegawaian Negara", "", "Deputi Bidang Pengawasan dan Pengendalian",
                 "wasdal.netralitas@bkn.go.id", "", "Eskalasi", "Eskalasi tindak lanjut"])
    rows.append(["", "", "Kementerian Dalam Negeri", "", "Direktur Jenderal Otonomi Daerah", "otda@kemendagri.go.id",
                 "", "Eskalasi", "Teguran kepada kepala daerah"])
    for i, r in enumerate(rows, start=1):
        r[0] = str(i)
    sio = io.StringIO()
    w = csv.writer(sio, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return sio.getvalue().encode("utf-8-sig")
