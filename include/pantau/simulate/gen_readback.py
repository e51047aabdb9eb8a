"""Small readers for a generated world, for tests and for checking a world by hand.

They read files the naive way (what was written, cell by cell), not the way the pipeline must
(that is pantau.normalize's job): tests use them to check what the generator wrote.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def read_export(path: Path, file_truth: Any) -> list[list[Any]]:
    """All rows of an export file as lists of cell values (xlsx: typed values; CSV: strings).

    ``file_truth`` is the file's row of truth/export_files.parquet (format, encoding, delimiter).
    """
    if file_truth["format"] == "xlsx":
        wb = load_workbook(path, read_only=False)
        return [list(r) for r in wb.active.iter_rows(values_only=True)]
    text = Path(path).read_bytes().decode(file_truth["encoding"])
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=file_truth["delimiter"])]


def header_cells(rows: list[list[Any]], header_row: int) -> list[str]:
    return [str(c) for c in rows[header_row - 1]]


def data_rows(rows: list[list[Any]], header_row: int, n_rows: int) -> list[list[Any]]:
    return rows[header_row:header_row + n_rows]
