"""Reading a generated world's source descriptions (shared by the demo, the tests and the benchmarks)."""

from __future__ import annotations

import json
from pathlib import Path

from pantau.sources.bkd import BkdSource


def world_bkd_sources(world: Path, *, phase1_follow_ups: bool = False) -> list[BkdSource]:
    """The BKDs of a generated world; ``phase1_follow_ups`` reads each database as at phase 1.

    Relative SQLite URLs in ``bkd/bkds.json`` are relative to the world folder."""
    sources = []
    for entry in json.loads((world / "bkd" / "bkds.json").read_text(encoding="utf-8")):
        url = entry["url"]
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = f"sqlite:///{(world / url.removeprefix('sqlite:///')).resolve()}"
        follow_table = entry["tindak_lanjut_phase1_table"] if phase1_follow_ups else entry["tindak_lanjut_table"]
        sources.append(BkdSource(entry["code"], url, entry["pegawai_table"], follow_table,
                                 entry.get("timezone", "Asia/Jakarta")))
    return sources
