"""Hostile recommendation exports, built byte by byte the way a clumsy or malicious source would.

Shared by the bad-input matrix (tests/faults/test_matrix_inputs.py; HEADER is support.py's EXPORT_HEADER) and
the measurement in docs/DECISIONS.md ("Hostile input"): ``python tests/faults/hostile_files.py merged OUT.xlsx``.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile

import openpyxl

HEADER = ["No", "Nomor Rekomendasi", "Tanggal Rekomendasi", "Nama", "NIP", "Jabatan", "Instansi",
          "Pejabat Pembina Kepegawaian", "Jenis Pelanggaran", "Rekomendasi Sanksi", "Referensi Bawaslu", "Terbukti"]


def record(no: int, nama: str = "Drs. H. Syafrizal, M.Si", nip: str = "196804111993031009") -> list[object]:
    return [no, f"R-{no:03d}/KASN/3/2024", "14 Maret 2024", nama, nip, "Kepala Bidang",
            "Dinas Pendidikan Kab. Agam", "Bupati Agam", "Media sosial", "Sanksi moral", None, "Ya"]


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Rekap"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def patch_sheet(content: bytes, edit: object) -> bytes:
    """The same workbook with ``edit(xml) -> xml`` applied to the first worksheet's XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = edit(body.decode("utf-8")).encode("utf-8")  # type: ignore[operator]
            target.writestr(info.filename, body)
    return out.getvalue()


def with_merges(content: bytes, refs: list[str]) -> bytes:
    cells = "".join(f'<mergeCell ref="{r}"/>' for r in refs)
    return patch_sheet(content, lambda xml: xml.replace("</sheetData>",
                                                        f'</sheetData><mergeCells count="{len(refs)}">{cells}</mergeCells>'))


def with_dimension(content: bytes, ref: str) -> bytes:
    return patch_sheet(content, lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml))


def merged_to_last_column(records: int = 1000) -> bytes:
    """The probe of issue 12: a block of records with one merge from column G to the last column (XFD)."""
    rows = [HEADER] + [record(n) for n in range(1, records + 1)]
    return with_merges(xlsx(rows), [f"G2:XFD{records + 1}"])


def far_cell(records: int = 3, row: int = 1_048_576, column: str = "XFD") -> bytes:
    """A few records and one stray cell in the sheet's last row and column."""
    content = xlsx([HEADER] + [record(n) for n in range(1, records + 1)])
    stray = f'<row r="{row}"><c r="{column}{row}" t="inlineStr"><is><t>x</t></is></c></row>'
    return patch_sheet(content, lambda xml: xml.replace("</sheetData>", stray + "</sheetData>"))


if __name__ == "__main__":
    kind, target = sys.argv[1], sys.argv[2]
    body = {"merged": merged_to_last_column, "far": far_cell}[kind]()
    with open(target, "wb") as handle:
        handle.write(body)
    print(f"{target}: {len(body)} bytes")
