"""Dialect b's recommendation sheets: the contract's twelve columns under this office's own headers,
in its own order, with its own title block, signature block, dates, labels and CSV habits.

Semicolon CSVs come from Excel set to the Indonesian locale, so a NIP that Excel turned into a
number reads ``1,97005E+17`` there (decimal comma), ``1.97005E+17`` in comma CSVs.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from pantau.simulate.dialect_b import wording as wd
from pantau.simulate.dialect_b.cases import Case, spaced
from pantau.simulate.gen_cases import PHASE_CUTOFFS
from pantau.simulate.gen_exports import _FixedZip

# Contract concepts (docs/SIMULATOR.md, export columns) -> the header spellings this dialect uses.
HEADERS: dict[str, tuple[str, ...]] = {
    "no": ("No", "NO", "No.", "No Urut"),
    "nama": ("Nama Terlapor", "NAMA", "Nama ASN", "Nama Lengkap (dengan gelar)"),
    "nip": ("NIP", "NIP/NRP", "N.I.P", "NIP Terlapor"),
    "jabatan": ("Jabatan", "JABATAN", "Jabatan Terlapor"),
    "instansi": ("Unit Kerja/Instansi", "Instansi", "Instansi/Unit Kerja", "INSTANSI"),
    "ppk": ("Pejabat Pembina Kepegawaian (PPK)", "PPK", "Pejabat Pembina Kepegawaian", "PPK Instansi"),
    "nomor": ("No. Rekomendasi", "Nomor Surat Rekomendasi", "No Rekom", "Nomor Rekomendasi KASN"),
    "tanggal": ("Tgl. Rekomendasi", "Tanggal Surat", "Tgl Rekom", "Tanggal Rekomendasi"),
    "pelanggaran": ("Jenis Pelanggaran", "Bentuk Pelanggaran", "Pelanggaran", "Jenis Pelanggaran Netralitas"),
    "sanksi": ("Rekomendasi Sanksi", "Sanksi yang Direkomendasikan", "Sanksi", "Rekomendasi"),
    "referensi": ("Referensi Bawaslu", "No. Surat Bawaslu", "Nomor Register/Surat Bawaslu", "Ref. Bawaslu"),
    "terbukti": ("Terbukti", "Terbukti/Tidak", "Ket. Terbukti", "Hasil (Terbukti/Tidak)"),
}
EXTRAS: dict[str, tuple[str, ...]] = {
    "kabkota": ("Kab/Kota", "Kabupaten/Kota"), "pemilihan": ("Pemilihan", "Jenis Pemilihan"),
    "keterangan": ("Keterangan", "Ket."),
}
_ORDERS = (
    ("no", "nama", "nip", "jabatan", "instansi", "ppk", "nomor", "tanggal", "pelanggaran", "terbukti", "sanksi",
     "referensi"),
    ("no", "nomor", "tanggal", "nama", "nip", "jabatan", "instansi", "pelanggaran", "terbukti", "sanksi", "ppk",
     "referensi"),
    ("no", "referensi", "nama", "nip", "jabatan", "instansi", "ppk", "pelanggaran", "nomor", "tanggal", "sanksi",
     "terbukti"),
)
_NIP_FIXABLE = {"nip_typo", "nip_missing", "nip_excel_sci", "nip_excel_float", "nip_excel_dot0", "nip_apostrophe"}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class Style:
    fmt: str
    columns: list[str]
    headers: list[str]
    title_rows: int
    blank_after_title: bool
    merged: bool
    group_header: bool
    total_row: bool
    signature: bool
    date_style: str
    delimiter: str
    encoding: str
    sanction_style: str
    proven: tuple[str, str]
    no_sanction: str
    spaced_share: float
    republish: bool
    sheet: str
    noise: list[str] = field(default_factory=list)


def style_for(seed: int, year: int, month: int) -> Style:
    rng = np.random.default_rng([seed, 0xB, 6, year, month])
    u = rng.random(40)
    fmt = "xlsx" if u[0] < 0.55 else "csv"
    base = 0 if u[1] < 0.6 else (1 if u[1] < 0.8 else 2)
    order = list(_ORDERS[base])
    extras = [k for k, x, rate in (("kabkota", u[2], 0.3), ("pemilihan", u[3], 0.2), ("keterangan", u[4], 0.3))
              if x < rate]
    if "kabkota" in extras:
        order.insert(order.index("instansi") + 1, "kabkota")
    if "pemilihan" in extras:
        order.insert(1, "pemilihan")
    if "keterangan" in extras:
        order.append("keterangan")
    headers = []
    for col in order:
        opts = HEADERS.get(col) or EXTRAS[col]
        headers.append(opts[int(rng.random() * len(opts))])
    titles = int(u[5] * 4) if u[6] < 0.7 else 0
    merged = fmt == "xlsx" and titles > 0 and u[7] < 0.5
    group = fmt == "xlsx" and u[8] < 0.12
    if fmt == "xlsx":
        ds = "cell" if u[9] < 0.55 else ("id_long" if u[9] < 0.75 else ("dmy_dash" if u[9] < 0.9 else "id_short"))
    else:
        ds = "dmy" if u[9] < 0.45 else ("dmy_dash" if u[9] < 0.65 else ("iso" if u[9] < 0.85 else "id_long"))
    delim, enc = ",", "utf-8"
    if fmt == "csv":
        if u[10] < 0.5:
            delim, enc = ";", "utf-8-sig"
        elif u[10] < 0.8:
            delim, enc = ",", "utf-8"
        else:
            delim, enc = ",", "cp1252"
    st = Style(fmt, order, headers, titles, bool(titles and u[11] < 0.3), merged, group, bool(u[12] < 0.3),
               bool(u[13] < 0.25), ds, delim, enc, ("short", "long", "mixed")[int(u[14] * 3) % 3],
               wd.PROVEN_STYLES[int(u[15] * len(wd.PROVEN_STYLES)) % len(wd.PROVEN_STYLES)],
               wd.NO_SANCTION[int(u[16] * 3) % 3], float(u[17] * 0.6), bool(u[18] < 0.15),
               ("Rekap", "Sheet1", "Data", "Rekomendasi")[int(u[19] * 4) % 4])
    st.noise = [n for n, on in (("extra_columns", bool(extras)), ("column_order", base != 0),
                                ("title_rows", titles > 0), ("merged_cells", merged), ("group_header", group),
                                ("total_row", st.total_row), ("signature_block", st.signature),
                                (f"date_{ds}", True), ("csv_semicolon_bom", delim == ";"),
                                ("csv_cp1252", enc == "cp1252")) if on]
    return st


# --------------------------------------------------------------------------- values

def _date(d: dt.date, st: Style) -> Any:
    if st.date_style == "cell":
        return d
    if st.date_style == "id_long":
        return f"{d.day} {wd.MONTHS_ID[d.month - 1]} {d.year}"
    if st.date_style == "id_short":
        return f"{d.day:02d} {wd.MONTHS_SHORT[d.month - 1]} {d.year}"
    if st.date_style == "dmy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if st.date_style == "dmy_dash":
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    return d.isoformat()


def _excel_float(nip: str) -> float:
    return float(f"{float(nip):.15g}")


def _nip(u: np.ndarray, nip: str, st: Style) -> tuple[Any, list[str]]:
    """The NIP cell: missing, a typo, Excel damage, an apostrophe, spaced or plain."""
    if u[0] < 0.05:
        return ("" if u[1] < 0.6 else "-"), ["nip_missing"]
    tags = []
    if u[2] < 0.015:
        i = int(u[3] * 18) % 18
        nip = nip[:i] + str((int(nip[i]) + 1 + int(u[4] * 9)) % 10) + nip[i + 1:]
        tags.append("nip_typo")
    d = u[5]
    if d < 0.035:
        tags.append("nip_excel_sci")
        if st.fmt == "xlsx":
            return _excel_float(nip), tags
        text = f"{float(nip):.5E}"  # Excel's General format: six significant digits
        mant, exp = text.split("E")
        text = f"{mant.rstrip('0').rstrip('.')}E{exp}"
        return (text.replace(".", ",") if st.delimiter == ";" else text), tags
    if d < 0.065:
        tags.append("nip_excel_float")
        if st.fmt == "xlsx":
            return _excel_float(nip), tags
        return f"{int(_excel_float(nip))}", tags
    if d < 0.075 and st.fmt == "csv":
        tags.append("nip_excel_dot0")
        return f"{nip}.0", tags
    if d < 0.095 and st.fmt == "csv":
        tags.append("nip_apostrophe")
        return f"'{nip}", tags
    if u[6] < st.spaced_share:
        tags.append("nip_spaced")
        return spaced(nip), tags
    return nip, tags


def row_values(c: Case, no: int, st: Style, corrected: bool, u: np.ndarray) -> tuple[list[Any], list[str]]:
    rec = c.rec
    assert rec is not None and c.true_nip is not None
    row = rec.row
    tags = list(row.tags)
    nip_val, nip_tags = _nip(u, c.true_nip, st)
    if corrected and _NIP_FIXABLE & set(nip_tags):
        nip_val, nip_tags = spaced(c.true_nip), ["republish_corrected"]
    tags += nip_tags
    label = (wd.GENERIC_CATEGORY[int(u[10] * 3) % 3] if rec.generic_label else
             wd.CATEGORY_LABELS[c.category][int(u[11] * len(wd.CATEGORY_LABELS[c.category]))
                                             % len(wd.CATEGORY_LABELS[c.category])])
    if rec.generic_label:
        tags.append("category_generic")
    sanksi = wd.SANCTION_LABELS[st.sanction_style][rec.sanction] if rec.sanction else st.no_sanction
    referensi = {"register": c.nomor_register, "surat": c.nomor_surat or "", "none": ""}[rec.ref_kind]
    if rec.ref_kind == "surat":
        tags.append("reference_letter")
    values = {
        "no": no if st.fmt == "xlsx" else str(no), "nama": row.nama, "nip": nip_val, "jabatan": row.jabatan,
        "instansi": row.instansi, "ppk": rec.ppk, "nomor": rec.nomor, "tanggal": _date(rec.tanggal, st),
        "pelanggaran": label, "sanksi": sanksi, "referensi": referensi,
        "terbukti": st.proven[0] if rec.proven else st.proven[1],
        "kabkota": c.region.full_name if c.region else f"Provinsi {c.province.name}",
        "pemilihan": c.election.label,
        "keterangan": ("", "Laporan masyarakat", "Temuan Bawaslu", "")[int(u[12] * 4) % 4],
    }
    if rec.malformed == "empty_name":
        values["nama"], values["nip"] = "", ""
        tags.append("export_malformed_row")
    elif rec.malformed == "impossible_date":
        values["tanggal"] = f"30/02/{rec.tanggal.year}" if rec.tanggal.day % 2 else f"31-04-{rec.tanggal.year}"
        tags.append("export_malformed_row")
    return [values[k] for k in st.columns], tags


# --------------------------------------------------------------------------- layout

def _titles(issuer: str, year: int, month: int, n: int, corrected: bool) -> list[str]:
    who = "KOMISI APARATUR SIPIL NEGARA" if issuer == "KASN" else "BADAN KEPEGAWAIAN NEGARA"
    lines = [f"REKAPITULASI REKOMENDASI {who}", "TERKAIT PELANGGARAN NETRALITAS PEGAWAI ASN",
             f"PERIODE: {wd.MONTHS_ID[month - 1].upper()} {year}{' (REVISI)' if corrected else ''}"]
    return lines[:n] if n < 3 else lines


def _signature(issuer: str, stamp: dt.datetime) -> list[str]:
    office = ("Asisten Komisioner Bidang Pengaduan dan Penyelidikan" if issuer == "KASN"
              else "Direktur Pengawasan dan Pengendalian III")
    return ["", f"Jakarta, {stamp.day} {wd.MONTHS_ID[stamp.month - 1]} {stamp.year}", office, "", "ttd", ""]


def _sheet_rows(st: Style, titles: list[str], rows: list[list[Any]], sig: list[str], total: bool,
                note: str | None) -> tuple[list[list[Any]], int]:
    """All physical rows and the 1-based row of the header."""
    width = len(st.columns)
    out: list[list[Any]] = [[t] + [""] * (width - 1) for t in titles]
    if st.blank_after_title:
        out.append([""] * width)
    if st.group_header:
        left = st.columns.index("nama")
        grp = [""] * width
        grp[left] = "IDENTITAS TERLAPOR"
        grp[st.columns.index("nomor")] = "REKOMENDASI"
        out.append(grp)
    out.append(list(st.headers))
    header_row = len(out)
    out.extend(rows)
    if total:
        out.append(["TOTAL" if st.fmt == "csv" else "JUMLAH", len(rows)] + [""] * (width - 2))
    if note:
        out.append([note] + [""] * (width - 1))
    for line in sig:
        out.append([""] * (width - 3) + [line, "", ""])
    return out, header_row


def _xlsx(all_rows: list[list[Any]], st: Style, header_row: int, n_titles: int, stamp: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = st.sheet
    width = len(st.columns)
    nip_col = st.columns.index("nip") + 1
    date_col = st.columns.index("tanggal") + 1
    for r_no, values in enumerate(all_rows, start=1):
        ws.append(values)
        if r_no > header_row:
            cell = ws.cell(row=r_no, column=nip_col)
            if isinstance(cell.value, float):
                cell.number_format = "0.00E+00" if r_no % 2 else "0"
            dcell = ws.cell(row=r_no, column=date_col)
            if isinstance(dcell.value, dt.date):
                dcell.number_format = "DD/MM/YYYY" if r_no % 3 else "D MMMM YYYY"
    if st.merged:
        for i in range(1, n_titles + 1):
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
    if st.group_header:
        g = header_row - 1
        a, b = st.columns.index("nama") + 1, st.columns.index("instansi") + 1
        if b > a:
            ws.merge_cells(start_row=g, start_column=a, end_row=g, end_column=b)
    wb.properties.creator = "Bidang Pengawasan"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buf = io.BytesIO()
    archive = _FixedZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.fixed = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    ExcelWriter(wb, archive).save()
    return buf.getvalue()


def _csv(all_rows: list[list[Any]], st: Style) -> bytes:
    sio = io.StringIO()
    w = csv.writer(sio, delimiter=st.delimiter, lineterminator="\r\n")
    w.writerows(all_rows)
    return sio.getvalue().encode(st.encoding, errors="replace")


# --------------------------------------------------------------------------- per phase

def _months(cases: list[Case], cutoff: dt.datetime) -> dict[tuple[int, int], list[Case]]:
    months: dict[tuple[int, int], list[Case]] = {}
    for c in cases:
        if c.rec is not None and c.rec.tanggal < cutoff.date():
            months.setdefault((c.rec.tanggal.year, c.rec.tanggal.month), []).append(c)
    for lst in months.values():
        lst.sort(key=lambda c: (c.rec.tanggal, c.rec.nomor))  # type: ignore[union-attr]
    return months


def file_name(issuer: str, year: int, month: int, fmt: str) -> str:
    if issuer == "KASN":
        return f"KASN_rekap_{year}_{month:02d}.{fmt}"
    return f"BKN-netralitas-{year}{month:02d}.{fmt}"


def write_exports(cases: list[Case], out: Path, seed: int
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    row_truth: list[dict[str, Any]] = []
    file_truth: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    phase1_months = set(_months(cases, PHASE_CUTOFFS[1]))
    for phase, cutoff in PHASE_CUTOFFS.items():
        folder = out / "exports" / f"phase{phase}"
        folder.mkdir(parents=True, exist_ok=True)
        index = []
        for (year, month), mcases in sorted(_months(cases, cutoff).items()):
            st = style_for(seed, year, month)
            corrected = phase == 2 and st.republish and (year, month) in phase1_months
            issuer = mcases[0].rec.issuer  # type: ignore[union-attr]
            last = max(c.rec.tanggal for c in mcases)  # type: ignore[union-attr]
            stamp = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(9, 30))
            if corrected:
                stamp = max(stamp, PHASE_CUTOFFS[1] + dt.timedelta(days=25))
            rows, tags = [], []
            for no, c in enumerate(mcases, start=1):
                u = np.random.default_rng([seed, 0xB, 7, c.case_id]).random(16)
                values, t = row_values(c, no, st, corrected, u)
                rows.append(values)
                tags.append(t)
            titles = _titles(issuer, year, month, st.title_rows, corrected)
            note = f"Catatan: data revisi per {stamp:%d-%m-%Y}" if corrected else None
            sig = _signature(issuer, stamp) if st.signature else []
            all_rows, header_row = _sheet_rows(st, titles, rows, sig, st.total_row, note)
            data = _xlsx(all_rows, st, header_row, len(titles), stamp) if st.fmt == "xlsx" else _csv(all_rows, st)
            name = file_name(issuer, year, month, st.fmt)
            (folder / name).write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            updated = f"{stamp:%Y-%m-%dT%H:%M:%S}+07:00"
            index.append({"name": name, "updated_at": updated, "sha256": sha})
            file_truth.append({
                "file": name, "phase": phase, "format": st.fmt, "sha256": sha, "updated_at": updated,
                "header_row": header_row, "n_rows": len(mcases), "date_style": st.date_style,
                "delimiter": st.delimiter if st.fmt == "csv" else None,
                "encoding": st.encoding if st.fmt == "csv" else None, "corrected": corrected,
                "noise": ";".join(st.noise + (["republish_corrected"] if corrected else [])) or None,
            })
            for i, (c, t) in enumerate(zip(mcases, tags, strict=True)):
                rec = c.rec
                assert rec is not None
                row_truth.append({
                    "file": name, "phase": phase, "row_number": header_row + 1 + i, "no": i + 1,
                    "nomor_rekomendasi": rec.nomor, "case_id": c.case_id, "true_nip": c.true_nip,
                    "nomor_register": c.nomor_register, "true_category": c.category, "proven": rec.proven,
                    "sanction": rec.sanction, "noise": ";".join(dict.fromkeys(t)) or None,
                    "reject_reason": rec.malformed, "tanggal_rekomendasi": rec.tanggal.isoformat(),
                })
            counts[f"exports/phase{phase}/{name}"] = len(mcases)
        index.sort(key=lambda e: e["name"])
        (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return row_truth, file_truth, counts
