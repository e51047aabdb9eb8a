"""Read recommendation exports (KASN/BKN spreadsheets, docs/DOMAIN.md §4.2) into text rows.

The files are typed by people: title rows above the header, header spelling variants (``N I P``,
``Tgl Rekomendasi``), merged cells, total rows at the bottom, CSV with ``;`` and a BOM or
Windows-1252 text. :func:`read_table` finds the header, maps columns to canonical names and
returns every other row either as a data row or as a skipped row with a reason code, so the
caller can reconcile counts (rows in = data rows + skipped rows).

Decisions:

* Cells stay text. xlsx numbers are rendered so no digit is invented or lost: ints as their
  digits, integral floats below 10^15 as their digits (``1.0`` → ``1``), anything larger in
  Python's float repr (``1.98004112005011e+17``) so :func:`pantau.normalize.nip.parse_nip` flags
  it as Excel damage; other floats by repr. xlsx date cells become ISO dates. Empty cells are None.
* Merged cells: openpyxl's read-only mode yields None for the non-anchor cells of a merge. The
  merge ranges are read from the sheet XML and the anchor value is copied into the whole range
  (the typical case is an Instansi/PPK cell merged over a block of rows). Nothing is forward-filled
  on guesswork, so CSV files (which have no merges) are never filled.
* Row numbers are the sheet's 1-based row numbers (xlsx) or 1-based record numbers (CSV).
* Reading is bounded (:class:`SpreadsheetLimits`): a workbook's declared dimension and merge ranges
  cost memory whatever the file's size (a 44 KB file with one merge to the last column, XFD, once
  expanded into 16M cells and took 1.65 GB), so the declared dimension is ignored, merges are clipped
  to the range that holds data, and a file beyond the byte, cell or merge bounds raises
  :class:`UnreadableSpreadsheet` naming the file and the bound, as does a file that is not a readable
  workbook at all (truncated, not a zip). The caller quarantines it as ``unreadable_file``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import openpyxl
from openpyxl.utils import range_boundaries

from pantau.reference.headers import STRONG, WEAK, HeaderTable, header_table, squeeze
from pantau.settings import SpreadsheetLimits

__all__ = ["EXPECTED_COLUMNS", "HEADER_SCAN_ROWS", "SheetRead", "SpreadsheetLimits", "UnreadableSpreadsheet",
           "canonical_header", "read_table"]

Cell = str | None

EXPECTED_COLUMNS: tuple[str, ...] = (
    "no",
    "nomor_rekomendasi",
    "tanggal_rekomendasi",
    "nama",
    "nip",
    "jabatan",
    "instansi",
    "pejabat_pembina_kepegawaian",
    "jenis_pelanggaran",
    "rekomendasi_sanksi",
    "referensi_bawaslu",
    "terbukti",
)
HEADER_SCAN_ROWS = 15
# A header must name at least this many expected columns; title rows rarely hit more than one.
MIN_HEADER_MATCHES = 3

# Header spellings are data (include/pantau/reference/data/headers.csv, extendable per site through
# PANTAU_REFERENCE_DIR). A matched spelling's strength settles two headers claiming one column:
# "Nomor Rekomendasi" (strong) beats "Nomor" (weak).
_STRONG, _WEAK = STRONG, WEAK
#: Extra words a header may carry after a known strong spelling ("Jenis Pelanggaran Netralitas").
MAX_EXTRA_HEADER_WORDS = 3
_BRACKETED = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_TOTAL_WORD = re.compile(r"\s*(?:jumlah|total|grand\s*total|sub\s*total)\b", re.IGNORECASE)
_NUMBER_ONLY = re.compile(r"\s*[0-9]+(?:[.,][0-9]+)?\s*")
# Python floats are exact integers below 2**53; beyond 10**15 Excel itself has already rounded.
_EXACT_FLOAT_LIMIT = 10**15


class UnreadableSpreadsheet(ValueError):
    """The file cannot be read as a spreadsheet, or reading it would pass a bound; the message names the
    file and says which bound or what is wrong. Callers quarantine the file as ``unreadable_file``."""


@dataclass
class _Budget:
    filename: str
    limits: SpreadsheetLimits
    cells: int = field(default=0)
    rows: int = field(default=0)

    def row(self, cells: int, what: str) -> None:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise UnreadableSpreadsheet(
                f"{self.filename!r} holds more than {self.limits.max_rows:,} rows ({what}); not read "
                "(bound PANTAU_SPREADSHEET_MAX_ROWS)")
        self.spend(max(cells, 1), what)

    def spend(self, cells: int, what: str) -> None:
        self.cells += cells
        if self.cells > self.limits.max_cells:
            raise UnreadableSpreadsheet(
                f"{self.filename!r} holds more than {self.limits.max_cells:,} cells ({what}); not read "
                "(bound PANTAU_SPREADSHEET_MAX_CELLS)")


@dataclass(frozen=True)
class SheetRead:
    """The result of :func:`read_table`.

    ``rows`` hold canonical column -> text (or None), plus ``row_number`` (int) and, when cells
    outside the mapped columns are filled, ``_extra`` (original header or column number -> text).
    ``skipped`` lists every other row as ``(row_number, reason_code, raw_values)``. When no header
    is found, ``header_row`` is 0, ``problem`` is ``header_not_found`` and every non-blank row is
    in ``skipped`` with that code.
    """

    header_row: int
    columns: dict[str, str]
    rows: list[dict[str, Any]]
    skipped: list[tuple[int, str, tuple[Cell, ...]]]
    unmapped_columns: tuple[str, ...] = ()
    sheet_name: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    merged_ranges: tuple[str, ...] = ()
    problem: str | None = None


def canonical_header(text: object, table: HeaderTable | None = None) -> tuple[str, int] | None:
    """Map a header cell to ``(canonical column, strength)``; ``None`` when unknown.

    Tried in order: the cell squeezed to letters and digits ("N I P" -> "nip"); the same after
    expanding abbreviated words ("Tgl Rekom" -> "tanggal rekomendasi"); the text outside and inside
    brackets ("Pejabat Pembina Kepegawaian (PPK)"); each side of a slash when all recognised sides
    agree ("NIP/NRP"); a strong spelling followed by up to three extra words ("Jenis Pelanggaran
    Netralitas"), which counts as weak so an exact spelling elsewhere in the row wins.
    """
    if text is None:
        return None
    table = table or header_table()
    raw = str(text)
    hit = table.aliases.get(squeeze(raw))
    if hit is not None or not squeeze(raw):
        return hit
    outside = _BRACKETED.sub(" ", raw)
    inside = [a or b for a, b in _BRACKETED.findall(raw)]
    hits = [h for variant in (raw, outside, *inside) if (h := _by_words(variant, table)) is not None]
    if hits:
        return max(hits, key=lambda h: h[1])  # the first of the strongest
    if "/" in outside:
        hits = [h for part in outside.split("/") if (h := _by_words(part, table) or _by_prefix(part, table))]
        if hits and len({c for c, _ in hits}) == 1:
            return hits[0][0], min(s for _, s in hits)
    return _by_prefix(outside, table)


def _by_words(text: str, table: HeaderTable) -> tuple[str, int] | None:
    squeezed = squeeze(text)
    if not squeezed:
        return None
    return table.aliases.get(squeezed) or table.aliases.get("".join(table.expand(text)))


def _by_prefix(text: str, table: HeaderTable) -> tuple[str, int] | None:
    expanded = tuple(table.expand(text))
    for length in range(len(expanded) - 1, max(0, len(expanded) - MAX_EXTRA_HEADER_WORDS - 1), -1):
        hit = table.phrases.get(expanded[:length])
        if hit is not None and hit[1] == _STRONG:
            return hit[0], _WEAK
    return None


# --------------------------------------------------------------------------------------------
# Cell rendering and file decoding
# --------------------------------------------------------------------------------------------


def _render_xlsx(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")
_SCAN_CHUNK = 1 << 20
_SCAN_OVERLAP = 4096


def _merged_ranges(archive: zipfile.ZipFile, worksheet_path: str | None, budget: _Budget) -> list[str]:
    # Read-only worksheets do not expose merges; the ranges are plain attributes in the sheet XML,
    # scanned in chunks so a large sheet is never held as one string.
    if not worksheet_path:
        return []
    try:
        handle = archive.open(worksheet_path.lstrip("/"))
    except KeyError:
        return []
    ranges: list[str] = []
    tail = b""
    with handle:
        while chunk := handle.read(_SCAN_CHUNK):
            buffer = tail + chunk
            # A match wholly inside the kept tail was counted with the previous chunk.
            ranges.extend(m.group(1).decode("ascii") for m in _MERGE_REF.finditer(buffer) if m.end() > len(tail))
            if len(ranges) > budget.limits.max_merged_ranges:
                raise UnreadableSpreadsheet(
                    f"{budget.filename!r} declares more than {budget.limits.max_merged_ranges:,} merged ranges; "
                    "not read (bound PANTAU_SPREADSHEET_MAX_MERGED_RANGES)")
            tail = buffer[-_SCAN_OVERLAP:]
    return ranges


def _used_range(grid: list[list[Cell]]) -> tuple[int, int]:
    """(last row, last column) holding a value, 1-based; rows are already trimmed of trailing Nones."""
    rows = max((i + 1 for i, row in enumerate(grid) if row), default=0)
    return rows, max((len(row) for row in grid), default=0)


def _fill_merges(grid: list[list[Cell]], ranges: list[str], budget: _Budget | None = None) -> None:
    """Copy each merge's anchor value over the merge, clipped to the rows and columns that hold data:
    a merge reaching the last column (XFD) or row adds nothing beyond the data."""
    used_rows, used_cols = _used_range(grid)
    for ref in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_row is None or min_col is None or max_row is None or max_col is None:
            continue
        if min_row > used_rows or min_col > used_cols:
            continue
        max_row, max_col = min(max_row, used_rows), min(max_col, used_cols)
        if budget is not None:
            budget.spend((max_row - min_row + 1) * (max_col - min_col + 1), f"merged range {ref}")
        anchor_row = grid[min_row - 1]
        anchor = anchor_row[min_col - 1] if min_col - 1 < len(anchor_row) else None
        for r in range(min_row, max_row + 1):
            row = grid[r - 1]
            if len(row) < max_col:
                row.extend([None] * (max_col - len(row)))
            for c in range(min_col, max_col + 1):
                row[c - 1] = anchor


def _trimmed(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row if end == len(row) else row[:end]


def _xlsx_sheets(content: bytes, filename: str,
                 limits: SpreadsheetLimits) -> Iterator[tuple[str, list[list[Cell]], list[str]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableSpreadsheet(f"{filename!r} is not a readable .xlsx workbook (truncated or not a zip "
                                    f"archive: {exc})") from exc
    if declared > limits.max_uncompressed_bytes:
        archive.close()
        raise UnreadableSpreadsheet(
            f"{filename!r} unpacks to {declared:,} bytes, more than {limits.max_uncompressed_bytes:,}; not read "
            "(bound PANTAU_SPREADSHEET_MAX_UNCOMPRESSED_BYTES)")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, zipfile, XML and ValueError alike for a damaged file
        archive.close()
        raise UnreadableSpreadsheet(f"{filename!r} is not a readable .xlsx workbook "
                                    f"({type(exc).__name__}: {exc})") from exc
    budget = _Budget(filename, limits)
    try:
        for sheet in workbook.worksheets:
            # The declared <dimension> is the file's claim, not its content: read-only openpyxl pads every row
            # to it (A1:XFD1048576 makes each row 16,384 cells), and a too-small one hides the rows beyond it.
            sheet.reset_dimensions()
            grid: list[list[Cell]] = []
            try:
                for values in sheet.iter_rows(min_row=1, values_only=True):
                    budget.row(len(values), f"sheet {sheet.title!r} up to row {len(grid) + 1}")
                    grid.append(_trimmed([_render_xlsx(v) for v in values]))
                ranges = _merged_ranges(archive, getattr(sheet, "_worksheet_path", None), budget)
            except UnreadableSpreadsheet:
                raise
            except Exception as exc:  # truncated XML inside an intact zip, a bad shared-string index, ...
                raise UnreadableSpreadsheet(f"{filename!r}: sheet {sheet.title!r} cannot be read "
                                            f"({type(exc).__name__}: {exc})") from exc
            _fill_merges(grid, ranges, budget)
            yield sheet.title, grid, ranges
    finally:
        workbook.close()
        archive.close()


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", errors="replace"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Excel on Indonesian Windows saves "CSV" in the ANSI code page, Windows-1252.
        return content.decode("cp1252", errors="replace"), "cp1252"


def _pick_delimiter(text: str) -> str:
    """Choose ``;``, ``,`` or tab: the one that splits some early line into the most fields.

    Field counts beat ``csv.Sniffer`` here: title rows have one field and names contain commas
    (``Syafrizal, M.Si``), which mislead frequency-based sniffing. Ties go to ``;``, the
    separator Excel uses in the Indonesian locale.
    """
    sample = text.splitlines()[: HEADER_SCAN_ROWS + 10]
    best, best_width = ";", 0
    for delimiter in (";", ",", "\t"):
        width = max((len(r) for r in csv.reader(sample, delimiter=delimiter)), default=0)
        if width > best_width:
            best, best_width = delimiter, width
    return best


def _csv_grid(content: bytes, budget: _Budget) -> tuple[list[list[Cell]], str, str]:
    text, encoding = _decode(content)
    delimiter = _pick_delimiter(text)
    grid: list[list[Cell]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            budget.row(len(row), f"up to record {len(grid) + 1}")
            grid.append([cell if cell != "" else None for cell in row])
    except csv.Error as exc:  # a field over csv's size limit, an unterminated quote at the end
        raise UnreadableSpreadsheet(f"{budget.filename!r} is not readable CSV near record {len(grid) + 1}: "
                                    f"{exc}") from exc
    return grid, encoding, delimiter


# --------------------------------------------------------------------------------------------
# Header detection and row classification
# --------------------------------------------------------------------------------------------


def _map_header(row: list[Cell], table: HeaderTable,
                quick: bool = False) -> tuple[dict[str, int], dict[str, str], list[int]]:
    """Return (canonical -> column index, canonical -> original text, unmapped indexes).

    ``quick`` only looks up the squeezed cell (no abbreviation, bracket or prefix rules): enough to
    recognise a copy of the header inside the data, and cheap on every data row.
    """
    chosen: dict[str, tuple[int, int]] = {}
    unmapped: list[int] = []
    for index, cell in enumerate(row):
        hit = (table.aliases.get(squeeze(cell)) if cell is not None else None) if quick \
            else canonical_header(cell, table)
        if hit is None:
            if cell is not None and cell.strip():
                unmapped.append(index)
            continue
        canonical, strength = hit
        previous = chosen.get(canonical)
        if previous is None or strength > previous[1]:
            if previous is not None:
                unmapped.append(previous[0])
            chosen[canonical] = (index, strength)
        else:
            unmapped.append(index)
    indexes = {c: i for c, (i, _) in chosen.items()}
    return indexes, {c: str(row[i]) for c, i in indexes.items()}, sorted(unmapped)


def _find_header(grid: list[list[Cell]], table: HeaderTable) -> tuple[int, int]:
    """Return (0-based row index, score) of the best header candidate in the first rows."""
    best_index, best_score = -1, 0
    for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        score = len(_map_header(row, table)[0])
        if score > best_score:
            best_index, best_score = index, score
    return best_index, best_score


def _is_blank(row: list[Cell]) -> bool:
    return all(cell is None or not cell.strip() for cell in row)


def _is_total(row: list[Cell]) -> bool:
    filled = [cell for cell in row if cell is not None and cell.strip()]
    return any(_TOTAL_WORD.match(cell) for cell in filled[:3])


def _is_number_only(row: list[Cell]) -> bool:
    filled = [cell for cell in row if cell is not None and cell.strip()]
    return len(filled) == 1 and bool(_NUMBER_ONLY.fullmatch(filled[0]))


def _is_repeated_header(row: list[Cell], header: dict[str, int], table: HeaderTable) -> bool:
    # Exports split over printed pages sometimes repeat the header row.
    mapped = _map_header(row, table, quick=True)[0]
    return len(mapped) >= MIN_HEADER_MATCHES and set(mapped) <= set(header)


def _classify(grid: list[list[Cell]], start: int, header: dict[str, int],
              table: HeaderTable) -> list[tuple[int, str | None]]:
    """Reason code (None = data) for each row index from ``start``."""
    labels: list[tuple[int, str | None]] = []
    for index in range(start, len(grid)):
        row = grid[index]
        if _is_blank(row):
            labels.append((index, "blank_row"))
        elif _is_total(row):
            labels.append((index, "total_row"))
        elif _is_repeated_header(row, header, table):
            labels.append((index, "repeated_header"))
        else:
            labels.append((index, None))
    # A lone number is a total only at the bottom; higher up it is a data row with empty cells,
    # which the caller quarantines for its missing fields.
    for position in range(len(labels) - 1, -1, -1):
        index, label = labels[position]
        if label is None and _is_number_only(grid[index]):
            labels[position] = (index, "total_row")
        elif label is None:
            break
    return _signature_block(grid, labels)


def _signature_block(grid: list[list[Cell]], labels: list[tuple[int, str | None]]) -> list[tuple[int, str | None]]:
    """Mark the signing block an official letter ends with (place and date, office, "ttd", name, NIP).

    Such rows hold one cell each, below the last record; a record always fills several columns. The
    block is only recognised at the bottom and below at least one record, so a half-empty record higher
    up is still a record (and is quarantined for its missing fields).
    """
    block: list[int] = []
    for position in range(len(labels) - 1, -1, -1):
        index, label = labels[position]
        if label is not None:
            continue
        if sum(1 for cell in grid[index] if cell is not None and cell.strip()) != 1:
            break
        block.append(position)
    else:
        return labels  # every row had one cell: no record above, so these are not a signature
    for position in block:
        labels[position] = (labels[position][0], "signature_block")
    return labels


def _data_row(row: list[Cell], number: int, header: dict[str, int], names: dict[int, str]) -> dict[str, Any]:
    record: dict[str, Any] = {c: (row[i] if i < len(row) else None) for c, i in header.items()}
    record["row_number"] = number
    used = set(header.values())
    extra = {
        names.get(i, str(i + 1)): cell
        for i, cell in enumerate(row)
        if i not in used and cell is not None and cell.strip()
    }
    if extra:
        record["_extra"] = extra
    return record


def _read_grid(grid: list[list[Cell]], table: HeaderTable, **meta: Any) -> SheetRead:
    header_index, score = _find_header(grid, table)
    if score < MIN_HEADER_MATCHES:
        skipped = [
            (i + 1, "header_not_found", tuple(row)) for i, row in enumerate(grid) if not _is_blank(row)
        ]
        return SheetRead(
            header_row=0, columns={}, rows=[], skipped=skipped, problem="header_not_found", **meta
        )

    header_cells = grid[header_index]
    indexes, originals, unmapped = _map_header(header_cells, table)
    names = {i: str(header_cells[i]) for i in unmapped}
    skipped: list[tuple[int, str, tuple[Cell, ...]]] = [
        (i + 1, "blank_row" if _is_blank(row) else "title_row", tuple(row))
        for i, row in enumerate(grid[:header_index])
    ]
    rows: list[dict[str, Any]] = []
    for index, label in _classify(grid, header_index + 1, indexes, table):
        if label is None:
            rows.append(_data_row(grid[index], index + 1, indexes, names))
        else:
            skipped.append((index + 1, label, tuple(grid[index])))
    return SheetRead(
        header_row=header_index + 1,
        columns=originals,
        rows=rows,
        skipped=skipped,
        unmapped_columns=tuple(names[i] for i in unmapped),
        **meta,
    )


def read_table(content: bytes, filename: str, limits: SpreadsheetLimits | None = None) -> SheetRead:
    """Read a recommendation export (``.xlsx`` or ``.csv``, chosen by ``filename``).

    For a workbook with several sheets, the sheet whose header matches best is read.

    Raises:
        UnreadableSpreadsheet: the extension is neither ``.xlsx`` nor ``.csv``, the file is not a
            readable workbook (truncated, corrupt), or it passes a bound of ``limits`` (default
            :meth:`SpreadsheetLimits.from_env`); the message names the file and the bound. The caller
            quarantines the file as ``unreadable_file``.
    """
    limits = limits or SpreadsheetLimits.from_env()
    if len(content) > limits.max_bytes:
        raise UnreadableSpreadsheet(f"{filename!r} is {len(content):,} bytes, more than {limits.max_bytes:,}; "
                                    "not read (bound PANTAU_SPREADSHEET_MAX_BYTES)")
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    table = header_table()
    if suffix == "csv":
        grid, encoding, delimiter = _csv_grid(content, _Budget(filename, limits))
        return _read_grid(grid, table, encoding=encoding, delimiter=delimiter)
    if suffix in ("xlsx", "xlsm"):
        best: tuple[int, str, list[list[Cell]], list[str]] | None = None
        for title, grid, ranges in _xlsx_sheets(content, filename, limits):
            score = _find_header(grid, table)[1]
            if best is None or score > best[0]:
                best = (score, title, grid, ranges)
        if best is None:
            return SheetRead(header_row=0, columns={}, rows=[], skipped=[], problem="header_not_found")
        _, title, grid, ranges = best
        return _read_grid(grid, table, sheet_name=title, merged_ranges=tuple(ranges))
    raise UnreadableSpreadsheet(f"unsupported spreadsheet type for {filename!r}: expected .xlsx or .csv")
