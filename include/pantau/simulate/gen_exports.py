"""Recommendation export files (§4.2): one spreadsheet per month, xlsx or CSV, with the quirks
people's spreadsheets have. xlsx files are byte-for-byte deterministic: document properties and
zip entry timestamps are derived from the data, never from the clock.
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

from pantau.simulate import noise as nz
from pantau.simulate import reference as ref
from pantau.simulate.gen_cases import PHASE_CUTOFFS, Case

COLUMNS = ("No", "Nomor Rekomendasi", "Tanggal Rekomendasi", "Nama", "NIP", "Jabatan", "Instansi",
           "Pejabat Pembina Kepegawaian", "Jenis Pelanggaran", "Rekomendasi Sanksi", "Referensi Bawaslu", "Terbukti")
HEADER_VARIANTS = {
    "No": ("No.", "NO", "No Urut"),
    "Nomor Rekomendasi": ("No. Rekomendasi", "NOMOR REKOMENDASI", "No Rekom", "Nomor Surat Rekomendasi"),
    "Tanggal Rekomendasi": ("Tgl Rekomendasi", "Tgl. Rekomendasi", "Tanggal", "TANGGAL REKOMENDASI"),
    "Nama": ("NAMA", "Nama ASN", "Nama Terlapor", "Nama Lengkap"),
    "NIP": ("N I P", "Nip.", "NIP.", "Nip"),
    "Jabatan": ("JABATAN", "Jabatan Terlapor"),
    "Instansi": ("INSTANSI", "Unit Kerja/Instansi", "Instansi Terlapor"),
    "Pejabat Pembina Kepegawaian": ("PPK", "Pejabat Pembina Kepegawaian (PPK)", "PEJABAT PEMBINA KEPEGAWAIAN"),
    "Jenis Pelanggaran": ("Pelanggaran", "Bentuk Pelanggaran", "JENIS PELANGGARAN"),
    "Rekomendasi Sanksi": ("Sanksi", "Rekomendasi", "Rekomendasi sanksi"),
    "Referensi Bawaslu": ("Ref. Bawaslu", "Nomor Register Bawaslu", "Referensi"),
    "Terbukti": ("Terbukti?", "TERBUKTI", "Terbukti (Ya/Tidak)"),
}
_NIP_FIXABLE = {"nip_typo", "nip_transposed", "nip_missing", "nip_excel_sci", "nip_excel_float", "nip_excel_dot0"}
_CSV_SHARE = 0.3  # share of monthly files published as CSV (a format choice, not noise)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class FileStyle:
    fmt: str
    headers: list[str]
    title_rows: int
    merged: bool
    total_row: bool
    date_style: str  # iso | id_long | dmy | serial
    delimiter: str = ","
    encoding: str = "utf-8"
    republish: bool = False
    noise: list[str] = field(default_factory=list)


def file_style(seed: int, year: int, month: int, noise: nz.NoiseConfig) -> FileStyle:
    """File-level quirks, drawn from a per-month RNG so a month looks the same in every phase."""
    rng = np.random.default_rng([seed, 3, year, month])
    fmt = "csv" if rng.random() < _CSV_SHARE else "xlsx"
    hits = {s: noise.hit(rng, s) for s in ("header_variant", "title_rows", "merged_cells", "total_row",
                                           "date_indonesian", "date_dmy", "date_excel_serial",
                                           "csv_semicolon_bom", "csv_cp1252", "republish_corrected")}
    applied = []
    headers = list(COLUMNS)
    if hits["header_variant"]:
        applied.append("header_variant")
        for i, col in enumerate(COLUMNS):
            if rng.random() < 0.5:
                v = HEADER_VARIANTS[col]
                headers[i] = v[int(rng.integers(0, len(v)))]
    merged = hits["merged_cells"] and fmt == "xlsx"
    titles = int(rng.integers(1, 4)) if (hits["title_rows"] or merged) else 0
    applied += [n for n, on in (("title_rows", titles > 0), ("merged_cells", merged), ("total_row", hits["total_row"])) if on]
    date_style = "iso"
    for name, style in (("date_indonesian", "id_long"), ("date_dmy", "dmy"), ("date_excel_serial", "serial")):
        if hits[name]:
            date_style = style
            applied.append(name)
            break
    st = FileStyle(fmt, headers, titles, merged, hits["total_row"], date_style, republish=hits["republish_corrected"])
    if fmt == "csv":
        if hits["csv_semicolon_bom"]:
            st.delimiter, st.encoding = ";", "utf-8-sig"
            applied.append("csv_semicolon_bom")
        elif hits["csv_cp1252"]:
            st.encoding = "cp1252"
            applied.append("csv_cp1252")
    st.noise = applied
    return st


# --------------------------------------------------------------------------- cell values


def _date_value(d: dt.date, style: FileStyle) -> Any:
    if style.date_style == "id_long":
        return f"{d.day} {ref.MONTHS_ID[d.month - 1]} {d.year}"
    if style.date_style == "dmy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style.date_style == "serial":
        serial = (d - _EXCEL_EPOCH).days
        return serial if style.fmt == "xlsx" else str(serial)
    return d if style.fmt == "xlsx" else d.isoformat()


def _nip_value(nip: str | None, clean: str | None, noise: list[str], style: FileStyle) -> Any:
    """xlsx cells damaged by Excel hold numbers, not text; CSV keeps what Excel displayed."""
    if nip is None:
        return ""
    if style.fmt == "xlsx" and "nip_excel_sci" in noise and clean:
        return float(f"{float(clean):.15g}")  # Excel keeps 15 significant digits, shows 1.98004E+17
    if style.fmt == "xlsx" and "nip_excel_float" in noise:
        return int(nip)
    return nip


def row_values(case: Case, no: int, style: FileStyle, corrected: bool) -> tuple[list[Any], list[str]]:
    rec = case.rec
    assert rec is not None and rec.row is not None
    row = rec.row
    noise = list(row.noise)
    nip, clean = row.nip, row.nip_clean
    if corrected and _NIP_FIXABLE & set(noise):
        nip = clean = case.true_nip
        noise = [n for n in noise if n not in _NIP_FIXABLE] + ["republish_corrected"]
    referensi = {"register": case.nomor_register, "surat": case.nomor_surat or "", "none": ""}[rec.referensi_kind]
    sanksi = ref.SANCTION_BY_CODE[rec.sanction].label if rec.sanction else "-"
    values = [no, rec.nomor, _date_value(rec.tanggal, style), row.nama, _nip_value(nip, clean, noise, style), case.jabatan,
              row.instansi, case.agency.ppk_jabatan, ref.CATEGORY_BY_CODE[case.category].label, sanksi, referensi,
              "Ya" if rec.proven else "Tidak"]
    if rec.malformed == "empty_name":
        values[3], values[4] = "", ""
        noise.append("export_malformed_row")
    elif rec.malformed == "impossible_date":
        values[2] = f"30/02/{rec.tanggal.year}" if rec.tanggal.day % 2 else f"{rec.tanggal.year}-02-30"
        noise.append("export_malformed_row")
    return values, noise


# --------------------------------------------------------------------------- writers


class _FixedZip(zipfile.ZipFile):
    """A ZipFile whose entries carry a fixed timestamp (openpyxl stamps the current time)."""

    fixed: tuple[int, int, int, int, int, int] = (2024, 1, 1, 0, 0, 0)

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: int | None = None,
                 compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zi = zipfile.ZipInfo(zinfo_or_arcname, date_time=self.fixed)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zinfo_or_arcname = zi
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # openpyxl streams worksheets through a temp file: its mtime would leak into the zip.
        self.writestr(str(arcname or filename), Path(filename).read_bytes())


def _titles(issuer: str, year: int, month: int, n: int) -> list[str]:
    lines = [f"DAFTAR REKOMENDASI {issuer} ATAS PELANGGARAN NETRALITAS ASN",
             f"BULAN {ref.MONTHS_ID[month - 1].upper()} {year}", f"Sumber: {issuer}"]
    return lines[:n]


def write_xlsx(rows: list[list[Any]], style: FileStyle, titles: list[str], trailer: list[list[Any]],
               stamp: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Rekomendasi"
    for i, t in enumerate(titles, start=1):
        ws.cell(row=i, column=1, value=t)
        if style.merged:
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(COLUMNS))
    ws.append(style.headers)
    # Track the row number ourselves: ws.max_row scans every cell (quadratic over a big sheet).
    row_no = len(titles) + 1
    for r in rows:
        ws.append(r)
        row_no += 1
        cell = ws.cell(row=row_no, column=5)
        if isinstance(cell.value, float):
            cell.number_format = "0.00E+00"
        elif isinstance(cell.value, int):
            cell.number_format = "0"
        if isinstance(r[2], dt.date):
            ws.cell(row=row_no, column=3).number_format = "DD/MM/YYYY"
    for r in trailer:
        ws.append(r)
    wb.properties.creator = "pantau-simulator"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buf = io.BytesIO()
    archive = _FixedZip(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    archive.fixed = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    ExcelWriter(wb, archive).save()  # not openpyxl's save_workbook: that stamps "modified" with now()
    return buf.getvalue()


def write_csv(rows: list[list[Any]], style: FileStyle, titles: list[str], trailer: list[list[Any]]) -> bytes:
    sio = io.StringIO()
    w = csv.writer(sio, delimiter=style.delimiter, lineterminator="\r\n")
    for t in titles:
        w.writerow([t] + [""] * (len(COLUMNS) - 1))
    w.writerow(style.headers)
    w.writerows(rows)
    w.writerows(trailer)
    return sio.getvalue().encode(style.encoding, errors="replace")


# --------------------------------------------------------------------------- per phase


def _month_cases(cases: list[Case], cutoff: dt.datetime) -> dict[tuple[int, int], list[Case]]:
    months: dict[tuple[int, int], list[Case]] = {}
    for c in cases:
        if c.rec is not None and c.rec.tanggal < cutoff.date():
            months.setdefault((c.rec.tanggal.year, c.rec.tanggal.month), []).append(c)
    for lst in months.values():
        lst.sort(key=lambda c: (c.rec.tanggal, c.rec.nomor))  # type: ignore[union-attr]
    return months


def _published_at(month_cases: list[Case], corrected: bool) -> dt.datetime:
    last = max(c.rec.tanggal for c in month_cases)  # type: ignore[union-attr]
    t = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(10, 0))
    if corrected:
        t = max(t, PHASE_CUTOFFS[1] + dt.timedelta(days=20))
    return t


def _render(month_cases: list[Case], style: FileStyle, ym: tuple[int, int], corrected: bool, stamp: dt.datetime,
            ) -> tuple[bytes, list[list[str]]]:
    issuer = month_cases[0].rec.issuer  # type: ignore[union-attr]
    titles = _titles(issuer, ym[0], ym[1], style.title_rows)
    rows, noises = [], []
    for no, c in enumerate(month_cases, start=1):
        values, noise = row_values(c, no, style, corrected)
        rows.append(values)
        noises.append(noise)
    trailer: list[list[Any]] = []
    if style.total_row:
        trailer.append(["JUMLAH", len(rows)] + [""] * (len(COLUMNS) - 2))
    if corrected:
        trailer.append([f"Keterangan: revisi data per {stamp:%d/%m/%Y}"] + [""] * (len(COLUMNS) - 1))
    data = write_xlsx(rows, style, titles, trailer, stamp) if style.fmt == "xlsx" else write_csv(rows, style, titles, trailer)
    return data, noises


def write_exports(cases: list[Case], out: Path, seed: int, noise: nz.NoiseConfig
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """Write exports/phase{N}/ files and index.json; return (row truth, file truth, counts)."""
    row_truth: list[dict[str, Any]] = []
    file_truth: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    phase1_months = set(_month_cases(cases, PHASE_CUTOFFS[1]))
    for phase, cutoff in PHASE_CUTOFFS.items():
        folder = out / "exports" / f"phase{phase}"
        folder.mkdir(parents=True, exist_ok=True)
        index = []
        for ym, mcases in sorted(_month_cases(cases, cutoff).items()):
            style = file_style(seed, ym[0], ym[1], noise)
            corrected = phase == 2 and style.republish and ym in phase1_months
            stamp = _published_at(mcases, corrected)
            data, noises = _render(mcases, style, ym, corrected, stamp)
            name = f"rekomendasi_{ym[0]:04d}-{ym[1]:02d}.{style.fmt}"
            (folder / name).write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            index.append({"name": name, "updated_at": f"{stamp:%Y-%m-%dT%H:%M:%S}+07:00", "sha256": sha})
            header_row = style.title_rows + 1
            file_truth.append({
                "file": name, "phase": phase, "format": style.fmt, "sha256": sha, "updated_at": index[-1]["updated_at"],
                "header_row": header_row, "n_rows": len(mcases), "date_style": style.date_style,
                "delimiter": style.delimiter if style.fmt == "csv" else None,
                "encoding": style.encoding if style.fmt == "csv" else None,
                "corrected": corrected, "noise": ";".join(style.noise + (["republish_corrected"] if corrected else [])) or None,
            })
            for i, (c, nzs) in enumerate(zip(mcases, noises, strict=True)):
                rec = c.rec
                assert rec is not None
                row_truth.append({
                    "file": name, "phase": phase, "row_number": header_row + 1 + i, "no": i + 1,
                    "nomor_rekomendasi": rec.nomor, "case_id": c.case_id, "true_nip": c.true_nip,
                    "nomor_register": c.nomor_register, "true_category": c.category, "proven": rec.proven,
                    "sanction": rec.sanction, "noise": ";".join(nzs) or None, "reject_reason": rec.malformed,
                })
            counts[f"exports/phase{phase}/{name}"] = len(mcases)
        (folder / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return row_truth, file_truth, counts
