"""A drifted page costs a request or two, not a whole new scan (issue 14: where the Bawaslu pull spends its time)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

from pantau.pipeline import bawaslu
from pantau.sources.bawaslu import Page

RECORDS = [{"nomor_register": f"{i:03d}/Reg/LP/PB/Kab/35.24/I/2020", "updated_at": f"2024-01-01T00:00:{i:02d}+07:00"}
           for i in range(1, 11)]


class DriftingClient:
    """Ten records, pages of three; the first scan serves page 2 one record late (a record skipped and one repeated)."""

    def __init__(self, drift: dict[int, int]) -> None:
        self.drift = drift
        self.scans = 0
        self.requests = 0

    def _page(self, number: int, per_page: int, drift: int = 0) -> Page:
        self.requests += 1
        start = (number - 1) * per_page + drift
        window = RECORDS[start:start + per_page]
        body = json.dumps({"data": window, "meta": {"total": len(RECORDS)}}).encode()
        return Page(number, body, window, len(RECORDS), math.ceil(len(RECORDS) / per_page))

    def fetch_page(self, updated_since: str | None, page: int, per_page: int) -> Page:
        return self._page(page, per_page)

    def scan(self, updated_since: str | None, per_page: int) -> Iterator[Page]:
        self.scans += 1
        drift = self.drift if self.scans == 1 else {}
        for number in range(1, math.ceil(len(RECORDS) / per_page) + 1):
            yield self._page(number, per_page, drift.get(number, 0))


def test_a_drifted_page_is_fetched_again_instead_of_scanning_everything_again(store) -> None:
    client = DriftingClient({2: 1})
    manifest = bawaslu.land(client, store, "run1", 3)  # type: ignore[arg-type]
    assert client.scans == 1
    assert client.requests == 4 + 2  # the scan's four pages, then pages 2 and 3 (either side of the repeat)
    landed = [r["nomor_register"] for key in manifest["pages"] for r in json.loads(store.get_bytes(key))["data"]]
    assert {r["nomor_register"] for r in RECORDS} == set(landed)


def test_a_skip_without_a_repeat_still_scans_again(store) -> None:
    client = DriftingClient({4: 1})  # the last page one late: record 10 skipped, nothing repeated
    manifest = bawaslu.land(client, store, "run1", 3)  # type: ignore[arg-type]
    assert client.scans == 2
    landed = {r["nomor_register"] for key in manifest["pages"] for r in json.loads(store.get_bytes(key))["data"]}
    assert {r["nomor_register"] for r in RECORDS} == landed
