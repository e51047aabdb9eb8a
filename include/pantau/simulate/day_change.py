"""A day passing in a generated world: a small share of every source changed or added (docs/DECISIONS.md,
"National scale, end to end").

``apply_day_change(world, fraction, seed)`` adds the world's next phase, dated the next counted day after the
newest phase's as-of day, as the agencies would have changed their systems over one working day:

- Bawaslu: ``bawaslu/cases_phase<N+1>.jsonl`` is the previous phase with about ``fraction / 2`` of the records
  updated (a further clarification in ``uraian``, a later ``updated_at``) and as many new forwarded cases;
- recommendations: ``exports/phase<N+1>/`` holds the previous phase's files (hard links), one or more CSV exports
  re-published with corrected rows (another sanction, a new sha256 and ``updated_at``), and a new export
  holding the recommendations for the day's new cases;
- every BKD database, updated in place (SQLite, as a BKD's own system would be): about ``fraction / 2`` of the
  ``pegawai`` rows updated (a promotion, a later ``updated_at``) and as many new hires, and new decrees in
  ``tindak_lanjut`` for recommendations that had none.

Records are chosen with a seeded generator and every change is dated within the change day, so the same world,
fraction and seed always give the same change. Files of earlier phases are never rewritten (a phase folder is
what a server serves for that phase); ``manifest.json`` gets the new phase's cut-off and the counts under
``day_changes``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pantau.simulate import reference as ref

#: The clarification appended to an updated case, as Bawaslu writes its follow-up notes.
UPDATE_NOTE = " Klarifikasi lanjutan telah dilakukan terhadap terlapor."
WIB = "+07:00"
_SANCTION_BY_LABEL = {s.label: s for s in ref.SANCTIONS}
_NEW_EXPORT_HEADER = ["No", "Nomor Rekomendasi", "Tanggal Rekomendasi", "Nama", "NIP", "Jabatan", "Instansi",
                      "Pejabat Pembina Kepegawaian", "Jenis Pelanggaran", "Rekomendasi Sanksi", "Referensi Bawaslu",
                      "Terbukti"]


def change_day(world: Path) -> tuple[int, date]:
    """The world's newest phase and the day the change happens: that phase's as-of day (the first counted day
    from its cut-off, as ``pantau demo`` judges it)."""
    from pantau.followup.calendar import is_counted_day
    from pantau.settings import FollowUpPolicy

    phases = _manifest(world).get("phases") or {}
    if not phases:
        raise ValueError(f"{world} has no phases in manifest.json; a day change needs a phased world")
    last = max(int(p) for p in phases)
    day, policy = date.fromisoformat(str(phases[str(last)])[:10]), FollowUpPolicy.from_env()
    while not is_counted_day(day, policy):
        day += timedelta(days=1)
    return last, day


def apply_day_change(world: Path, fraction: float = 0.01, seed: int = 0) -> dict[str, int]:
    """Add the world's next phase: ``fraction`` of the records of every source changed or added. Returns counts
    per source and kind (``bawaslu_updated``, ``bawaslu_new``, ...)."""
    if not 0.0 < fraction <= 0.5:
        raise ValueError(f"fraction must be within (0, 0.5], got {fraction}")
    world = Path(world)
    last, day = change_day(world)
    new_phase = last + 1
    rng = np.random.default_rng([int(seed), new_phase])
    stamps = _Stamps(day)
    counts: dict[str, int] = {}
    new_cases = _bawaslu(world, last, new_phase, fraction, rng, stamps, counts)
    _exports(world, last, new_phase, fraction, rng, stamps, day, new_cases, counts)
    _bkds(world, fraction, rng, stamps, day, counts)
    manifest = _manifest(world)
    cut_off = f"{day + timedelta(days=1)}T00:00:00{WIB}"
    manifest.setdefault("phases", {})[str(new_phase)] = cut_off
    manifest.setdefault("day_changes", []).append({"phase": new_phase, "day": day.isoformat(), "cut_off": cut_off,
                                                   "fraction": fraction, "seed": seed, "counts": counts})
    _write_replacing(world / "manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    return counts


# --------------------------------------------------------------------------- helpers


def _manifest(world: Path) -> dict[str, Any]:
    return json.loads((world / "manifest.json").read_text(encoding="utf-8"))


def _write_replacing(path: Path, data: bytes) -> None:
    """Write through a new file: a hard-linked original (a benchmark's copy of a world) stays untouched."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _share(n: int, fraction: float) -> tuple[int, int]:
    """(changed, added) for ``n`` records: ``fraction`` of them in all, at least one of each when n > 0."""
    total = max(2, round(n * fraction)) if n else 0
    return total - total // 2, total // 2


class _Stamps:
    """Distinct, increasing times within the change day's working hours (08:00-16:00 local)."""

    def __init__(self, day: date) -> None:
        self._start = datetime(day.year, day.month, day.day, 8)
        self._n = 0

    def next(self) -> datetime:
        self._n += 1
        return self._start + timedelta(seconds=(self._n * 7) % (8 * 3600))


# --------------------------------------------------------------------------- Bawaslu


def _bawaslu(world: Path, last: int, new_phase: int, fraction: float, rng: np.random.Generator, stamps: _Stamps,
             counts: dict[str, int]) -> list[dict[str, Any]]:
    folder = world / "bawaslu"
    lines = (folder / f"cases_phase{last}.jsonl").read_bytes().splitlines()
    parsed: list[dict[str, Any] | None] = []
    for raw in lines:
        try:
            record = json.loads(raw) if raw.strip() else None
        except ValueError:
            record = None
        parsed.append(record if isinstance(record, dict) and isinstance(record.get("nomor_register"), str)
                      and isinstance(record.get("updated_at"), str) else None)
    usable = [i for i, r in enumerate(parsed) if r is not None]
    n_updated, n_new = _share(len(usable), fraction)
    out = list(lines)
    for i in sorted(rng.choice(usable, size=min(n_updated, len(usable)), replace=False).tolist()):
        record = dict(parsed[i])  # type: ignore[arg-type]
        record["uraian"] = f"{record.get('uraian') or ''}{UPDATE_NOTE}".strip()
        record["updated_at"] = f"{stamps.next():%Y-%m-%dT%H:%M:%S}{WIB}"
        out[i] = json.dumps(record, ensure_ascii=False).encode()
    registers = {r["nomor_register"] for r in parsed if r is not None}
    # New cases copy a forwarded case's respondent (a repeat offender is common) under a new register number.
    forwarded = [i for i in usable if parsed[i].get("status") == "diteruskan"  # type: ignore[union-attr]
                 and isinstance(parsed[i].get("terlapor"), dict)  # type: ignore[union-attr]
                 and parsed[i]["terlapor"].get("nama") and parsed[i]["terlapor"].get("nip")]  # type: ignore[index]
    new_cases: list[dict[str, Any]] = []
    templates = rng.choice(forwarded, size=n_new, replace=len(forwarded) < n_new).tolist() if forwarded else []
    for j, i in enumerate(templates):
        record = dict(parsed[i])  # type: ignore[arg-type]
        register = _new_register(record["nomor_register"], registers, j)
        stamp = stamps.next()
        record.update({"nomor_register": register, "tanggal_register": stamp.date().isoformat(),
                       "tanggal_diteruskan": stamp.date().isoformat(),
                       "updated_at": f"{stamp:%Y-%m-%dT%H:%M:%S}{WIB}"})
        if isinstance(record.get("nomor_surat_penerusan"), str):
            record["nomor_surat_penerusan"] = re.sub(r"^\d+", f"{9000 + j}", record["nomor_surat_penerusan"])
        out.append(json.dumps(record, ensure_ascii=False).encode())
        new_cases.append(record)
    _write_replacing(folder / f"cases_phase{new_phase}.jsonl", b"\n".join(out) + b"\n")
    counts["bawaslu_updated"], counts["bawaslu_new"] = n_updated, len(new_cases)
    return new_cases


def _new_register(template: str, taken: set[str], j: int) -> str:
    rest = template.split("/", 1)[1] if "/" in template else template
    number = 9000 + j
    while f"{number}/{rest}" in taken:
        number += 1
    register = f"{number}/{rest}"
    taken.add(register)
    return register


# --------------------------------------------------------------------------- recommendation exports


def _exports(world: Path, last: int, new_phase: int, fraction: float, rng: np.random.Generator, stamps: _Stamps,
             day: date, new_cases: list[dict[str, Any]], counts: dict[str, int]) -> None:
    previous, folder = world / "exports" / f"phase{last}", world / "exports" / f"phase{new_phase}"
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(previous.iterdir()):
        if path.is_file() and path.name != "index.json":
            target = folder / path.name
            if not target.exists():
                try:
                    os.link(path, target)
                except OSError:
                    target.write_bytes(path.read_bytes())
    index = json.loads((previous / "index.json").read_text(encoding="utf-8"))
    manifest_counts = _manifest(world).get("counts", {})
    rows = sum(int(n) for k, n in manifest_counts.items() if k.startswith(f"exports/phase{last}/"))
    n_corrected, n_new = _share(rows, fraction)
    # New recommendations answer the day's new cases; when there are fewer, corrections make up the share.
    n_new = min(n_new, len(new_cases))
    n_corrected = sum(_share(rows, fraction)) - n_new
    corrected = 0
    entries = {e["name"]: e for e in index}
    for name in sorted((n for n in entries if n.lower().endswith(".csv")), reverse=True):
        if corrected >= n_corrected:
            break
        done, body = _correct_csv(folder / name, n_corrected - corrected, rng)
        if done:
            (folder / name).unlink()  # a hard link to the previous phase's file: replace, never rewrite
            (folder / name).write_bytes(body)
            entries[name] = {**entries[name], "updated_at": f"{stamps.next():%Y-%m-%dT%H:%M:%S}{WIB}",
                             "sha256": _sha256(body)}
            corrected += done
    known = _known_recommendation_numbers(world)
    rows_out, number = [], 90_000
    for i, case in enumerate(new_cases[:n_new]):
        while f"R-{number}/BKN/DP.02/{day:%m/%Y}" in known:
            number += 1
        nomor = f"R-{number}/BKN/DP.02/{day:%m/%Y}"
        known.add(nomor)
        category = ref.CATEGORY_BY_CODE.get(str(case.get("kategori")), ref.VIOLATION_CATEGORIES[int(rng.integers(
            len(ref.VIOLATION_CATEGORIES)))])
        terlapor = case["terlapor"]
        rows_out.append([i + 1, nomor, day.isoformat(), terlapor["nama"], terlapor["nip"], terlapor.get("jabatan"),
                         terlapor.get("instansi"), f"Pejabat Pembina Kepegawaian {case.get('kabupaten_kota') or ''}"
                         .strip(), category.label, ref.SANCTION_BY_CODE[category.sanction].label,
                         case["nomor_register"], "Ya"])
    if rows_out:
        name = f"rekomendasi_{day.isoformat()}.csv"
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_NEW_EXPORT_HEADER)
        writer.writerows(rows_out)
        body = buffer.getvalue().encode("utf-8")
        (folder / name).write_bytes(body)
        entries[name] = {"name": name, "updated_at": f"{stamps.next():%Y-%m-%dT%H:%M:%S}{WIB}",
                         "sha256": _sha256(body)}
    (folder / "index.json").write_text(json.dumps(list(entries.values()), indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    counts["recommendations_corrected"], counts["recommendations_new"] = corrected, len(rows_out)


def _sha256(body: bytes) -> str:
    import hashlib

    return hashlib.sha256(body).hexdigest()


def _known_recommendation_numbers(world: Path) -> set[str]:
    path = world / "truth" / "recommendations.parquet"
    if not path.exists():
        return set()
    return set(pd.read_parquet(path, columns=["nomor_rekomendasi"])["nomor_rekomendasi"].dropna().astype(str))


def _correct_csv(path: Path, wanted: int, rng: np.random.Generator) -> tuple[int, bytes]:
    """Up to ``wanted`` rows of one CSV export re-issued with another sanction; (rows corrected, new bytes)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return 0, raw
    bom = raw.startswith(b"\xef\xbb\xbf")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    hits = [(r, c) for r, row in enumerate(table) for c, cell in enumerate(row) if cell.strip() in _SANCTION_BY_LABEL]
    if not hits:
        return 0, raw
    chosen = sorted(rng.choice(len(hits), size=min(wanted, len(hits)), replace=False).tolist())
    for k in chosen:
        r, c = hits[k]
        sanction = _SANCTION_BY_LABEL[table[r][c].strip()]
        heavier = [s for s in ref.SANCTIONS if s.severity == sanction.severity + 1] or \
                  [s for s in ref.SANCTIONS if s.severity == sanction.severity - 1]
        table[r][c] = heavier[0].label
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(table)
    body = buffer.getvalue().encode(encoding if encoding != "utf-8-sig" else "utf-8")
    return len(chosen), (b"\xef\xbb\xbf" + body if bom else body)


# --------------------------------------------------------------------------- BKD databases


def _bkds(world: Path, fraction: float, rng: np.random.Generator, stamps: _Stamps, day: date,
          counts: dict[str, int]) -> None:
    from pantau.simulate.world import world_bkd_sources

    recs = _recommendations_without_decree(world)
    totals = dict.fromkeys(("pegawai_updated", "pegawai_new", "tindak_lanjut_new"), 0)
    for source in world_bkd_sources(world):
        path = source.url.removeprefix("sqlite:///")
        if not source.url.startswith("sqlite:///"):
            raise ValueError(f"{source.code}: a day change updates SQLite databases only, not {source.url}")
        with sqlite3.connect(path) as db:
            updated, added = _pegawai(db, source.pegawai_table, fraction, rng, stamps, day)
            decrees = _decrees(db, source.pegawai_table, source.tindak_lanjut_table, fraction, rng, stamps, day, recs)
        totals["pegawai_updated"] += updated
        totals["pegawai_new"] += added
        totals["tindak_lanjut_new"] += decrees
    counts.update(totals)


def _sql_time(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M:%S}"


def _pegawai(db: sqlite3.Connection, table: str, fraction: float, rng: np.random.Generator, stamps: _Stamps,
             day: date) -> tuple[int, int]:
    n = db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0  # noqa: S608 (table from bkds.json)
    n_updated, n_new = _share(n, fraction)
    ladder = ref.GOLONGAN_PNS
    rowids = np.sort(rng.choice(np.arange(1, n + 1), size=min(n_updated, n), replace=False)).tolist()
    updated = 0
    for rowid in rowids:
        row = db.execute(f"SELECT golongan FROM {table} WHERE rowid = ?", (rowid,)).fetchone()  # noqa: S608
        if row is None:
            continue
        golongan = row[0]
        promoted = ladder[ladder.index(golongan) + 1] if golongan in ladder[:-1] else golongan
        db.execute(f"UPDATE {table} SET golongan = ?, updated_at = ? WHERE rowid = ?",  # noqa: S608
                   (promoted, _sql_time(stamps.next()), rowid))
        updated += 1
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    added = 0
    for _ in range(n_new):
        # A new hire: a PNS row's shape with another row's name, a NIP whose TMT is the change day's month.
        template, donor = (db.execute(f"SELECT * FROM {table} WHERE rowid = ?",  # noqa: S608
                                      (int(rng.integers(1, n + 1)),)).fetchone() for _ in range(2))
        if template is None or donor is None:
            continue
        row = dict(zip(columns, template, strict=True))
        nip = str(row.get("nip") or "")
        if len(nip) != 18 or not nip.isdigit():
            continue
        for key in ("nama", "gelar_depan", "gelar_belakang"):
            row[key] = dict(zip(columns, donor, strict=True)).get(key)
        stem = f"{nip[:8]}{day:%Y%m}{nip[14]}"
        taken = {r[0] for r in db.execute(f"SELECT nip FROM {table} WHERE nip >= ? AND nip < ?",  # noqa: S608
                                          (stem + "000", stem + "999~"))}
        free = next((s for s in range(1, 1000) if f"{stem}{s:03d}" not in taken), None)
        if free is None:
            continue
        row.update({"nip": f"{stem}{free:03d}", "jenis_asn": "PNS", "golongan": ladder[4], "status": "aktif",
                    "updated_at": _sql_time(stamps.next())})
        db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
                   [row[c] for c in columns])
        added += 1
    return updated, added


def _recommendations_without_decree(world: Path) -> pd.DataFrame:
    truth = world / "truth"
    recs = pd.read_parquet(truth / "recommendations.parquet",
                           columns=["nomor_rekomendasi", "true_nip", "proven", "sanction"])
    decided = set(pd.read_parquet(truth / "follow_ups.parquet", columns=["nomor_rekomendasi"])["nomor_rekomendasi"]
                  .dropna())
    open_recs = recs[recs["proven"].fillna(False).astype(bool) & recs["true_nip"].notna() & recs["sanction"].notna()
                     & ~recs["nomor_rekomendasi"].isin(decided)]
    return open_recs.drop_duplicates("nomor_rekomendasi").sort_values("nomor_rekomendasi").reset_index(drop=True)


def _decrees(db: sqlite3.Connection, pegawai: str, table: str, fraction: float, rng: np.random.Generator,
             stamps: _Stamps, day: date, recs: pd.DataFrame) -> int:
    n = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    wanted = sum(_share(n, fraction))
    nips = recs["true_nip"].astype(str).tolist()
    here: set[str] = set()
    for start in range(0, len(nips), 500):
        chunk = nips[start:start + 500]
        here.update(r[0] for r in db.execute(
            f"SELECT nip FROM {pegawai} WHERE nip IN ({', '.join('?' * len(chunk))})", chunk))  # noqa: S608
    decided = {r[0] for r in db.execute(f"SELECT DISTINCT nomor_rekomendasi FROM {table}")}  # noqa: S608
    candidates = recs[recs["true_nip"].astype(str).isin(here) & ~recs["nomor_rekomendasi"].isin(decided)]
    if candidates.empty or wanted == 0:
        return 0
    picked = candidates.iloc[np.sort(rng.choice(len(candidates), size=min(wanted, len(candidates)), replace=False))]
    next_id = (db.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0) + 1  # noqa: S608
    for offset, rec in enumerate(picked.itertuples(index=False)):
        decree_id = next_id + offset
        db.execute(f"INSERT INTO {table} (id, nomor_rekomendasi, nip, nomor_sk, tanggal_sk, jenis_sanksi, "  # noqa: S608
                   "keterangan, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (decree_id, rec.nomor_rekomendasi, rec.true_nip, f"800.1.6.4/{decree_id}/BKPSDM/{day.year}",
                    day.isoformat(), ref.SANCTION_BY_CODE[rec.sanction].label, "Tindak lanjut rekomendasi",
                    _sql_time(stamps.next())))
    return len(picked)
