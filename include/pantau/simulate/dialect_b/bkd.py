"""Dialect b's personnel databases: the contract's tables and columns, each province's own habits.

One province's system writes names in capitals, another ``Laki-laki``/``Perempuan``, another
``III.b``; some keep a hereditary prefix (``T.``, ``R.``, ``Rr.``) in ``gelar_depan`` instead of the
name; the Ministry of Religious Affairs names its tables its own way (the names are configuration,
listed in ``bkd/bkds.json``); systems in WITA provinces write their naive timestamps in WITA.
Written through SQLAlchemy with the first world's bulk-load plumbing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from pantau.simulate.dialect_b.agencies import Employer
from pantau.simulate.dialect_b.cases import Case, reformat_number, spaced
from pantau.simulate.dialect_b.regions import PROVINCE_BY_CODE, Province
from pantau.simulate.dialect_b.registry import STATUSES, Database, RegistryB
from pantau.simulate.gen_bkd import _engine, _executemany, _insert_sql, bkd_url, create_indexes
from pantau.simulate.gen_cases import PHASE_CUTOFFS

PEGAWAI_COLUMNS = ("nip", "nama", "gelar_depan", "gelar_belakang", "tanggal_lahir", "jenis_kelamin", "jenis_asn",
                   "kode_instansi", "nama_instansi", "unit_kerja", "jabatan", "golongan", "kode_wilayah", "status",
                   "updated_at")
TINDAK_LANJUT_COLUMNS = ("id", "nomor_rekomendasi", "nip", "nomor_sk", "tanggal_sk", "jenis_sanksi", "keterangan",
                         "updated_at")
_PREFIX_AS_TITLE = {"Teuku": "T.", "Cut": "Cut", "Tengku": "Tengku", "Raja": "Raja", "Wan": "Wan", "Said": "Said",
                    "Syarifah": "Syarifah", "Raden": "R.", "Raden Mas": "R.M.", "Raden Ajeng": "R.A.",
                    "Raden Roro": "Rr.", "Raden Ayu": "R.Ay.", "Andi": "Andi"}
_CHUNK = 100_000


def table_names(db: Database) -> tuple[str, str, str]:
    if db.code == "kemenag":
        return "simpeg_pegawai", "hukdis_tindak_lanjut", "hukdis_tindak_lanjut_phase1"
    return "pegawai", "tindak_lanjut", "tindak_lanjut_phase1"


def db_timezone(db: Database) -> str:
    provinces = [PROVINCE_BY_CODE[c] for c in db.provinces if c in PROVINCE_BY_CODE]
    if provinces and all(p.offset == "+08:00" for p in provinces):
        return "Asia/Makassar"
    return "Asia/Jakarta"


def _shift(db: Database) -> dt.timedelta:
    return dt.timedelta(hours=1) if db_timezone(db) == "Asia/Makassar" else dt.timedelta(0)


def _tables(md: sa.MetaData, names: tuple[str, str, str]) -> tuple[sa.Table, list[sa.Table]]:
    s = sa.String
    pegawai = sa.Table(
        names[0], md,
        sa.Column("nip", s(18), nullable=False), sa.Column("nama", s(150)), sa.Column("gelar_depan", s(40)),
        sa.Column("gelar_belakang", s(60)), sa.Column("tanggal_lahir", sa.Date), sa.Column("jenis_kelamin", s(12)),
        sa.Column("jenis_asn", s(10)), sa.Column("kode_instansi", s(40)), sa.Column("nama_instansi", s(160)),
        sa.Column("unit_kerja", s(200)), sa.Column("jabatan", s(160)), sa.Column("golongan", s(10)),
        sa.Column("kode_wilayah", s(8)), sa.Column("status", s(20)), sa.Column("updated_at", sa.DateTime),
        sa.Index(f"ix_{names[0]}_nip", "nip"), sa.Index(f"ix_{names[0]}_updated_at", "updated_at"),
    )
    tls = [sa.Table(
        name, md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), sa.Column("nomor_rekomendasi", s(80)),
        sa.Column("nip", s(24)), sa.Column("nomor_sk", s(80)), sa.Column("tanggal_sk", sa.Date),
        sa.Column("jenis_sanksi", s(200)), sa.Column("keterangan", s(300)), sa.Column("updated_at", sa.DateTime),
        sa.Index(f"ix_{name}_nip", "nip"), sa.Index(f"ix_{name}_updated_at", "updated_at"),
    ) for name in names[1:]]
    return pegawai, tls


def _golongan(text: str, province: Province | None) -> str:
    style = province.golongan_style if province else "slash"
    if "/" not in text:
        return text
    if style == "dot":
        return text.replace("/", ".")
    if style == "upper":
        return text.upper()
    return text


def pegawai_row(reg: RegistryB, i: int, emp: Employer, unit: int, updated: Any, stale: bool,
                shift: dt.timedelta) -> tuple:
    name = reg.names[i]
    front = reg.front[i]
    province = None if emp.kind == "kemenag" else emp.province
    nama = name.full
    if province is not None and reg.prefix_in_gelar[i] and name.prefix in _PREFIX_AS_TITLE:
        front = f"{front} {_PREFIX_AS_TITLE[name.prefix]}".strip()
        nama = " ".join(p for p in (name.core, name.suffix) if p)
    if province is not None and province.names_upper:
        nama = nama.upper()
    gender = int(reg.gender[i])
    words = province.gender_words if province is not None else ("Laki-laki", "Perempuan")
    status = "aktif" if stale else STATUSES[reg.status[i]]
    if province is None:
        status = status.capitalize()
    ts = (dt.datetime.fromisoformat(str(updated)) + shift).strftime("%Y-%m-%d %H:%M:%S")
    return (reg.nip_str(i), nama, front or None, reg.back[i] or None, str(reg.birth[i])[:10], words[gender - 1],
            "PPPK" if reg.pppk[i] else "PNS", emp.kode_instansi, emp.nama_instansi, reg.units[unit].name,
            reg.jabatan(i, unit), _golongan(reg.golongan[i], province), emp.kode_wilayah, status, ts)


# --------------------------------------------------------------------------- decrees

def decree_rows(cases: list[Case], reg: RegistryB, seed: int) -> tuple[dict[int, list[tuple]], dict[int, list[tuple]],
                                                                     list[dict[str, Any]]]:
    """tindak_lanjut rows per database (latest state and phase 1) and their truth; ids by entry time."""
    entries: list[tuple[dt.datetime, int, int, dict[str, Any]]] = []
    for c in cases:
        d, rec = c.decree, c.rec
        if d is None or rec is None or d.updated_at > PHASE_CUTOFFS[2]:
            continue
        assert c.true_nip is not None
        number = {"exact": rec.nomor, "empty": None,
                  "reformatted": reformat_number(rec.nomor, (c.case_id * 0.6180339887) % 1)}[d.number_form]
        tags = [f"decree_{d.jenis_kind}"] + ([f"rec_number_{d.number_form}"] if d.number_form != "exact" else [])
        if d.lighter:
            tags.append("followup_lighter")
        if d.nip_spaced:
            tags.append("nip_spaced")
        if d.malformed:
            tags.append("followup_malformed")
        entries.append((d.updated_at, c.case_id, c.person, {
            "number": number, "nip": spaced(c.true_nip) if d.nip_spaced else c.true_nip,
            "nomor_sk": None if d.malformed else d.nomor_sk,
            "tanggal_sk": None if d.malformed else d.tanggal_sk.isoformat(), "jenis": d.jenis_sanksi,
            "ket": d.keterangan, "truth": {
                "case_id": c.case_id, "true_nip": c.true_nip, "nomor_rekomendasi": rec.nomor,
                "tanggal_rekomendasi": rec.tanggal.isoformat(), "tanggal_sk": d.tanggal_sk.isoformat(),
                "timeliness": d.timeliness, "recommended_sanction": rec.sanction, "sanction": d.sanction,
                "lighter_than_recommended": d.lighter, "noise": ";".join(tags), "reject_reason": d.malformed}}))
    entries += _orphans(reg, seed, max(1, len(entries) // 30) if entries else 0)
    entries.sort(key=lambda e: (e[0], e[1]))
    latest: dict[int, list[tuple]] = {}
    phase1: dict[int, list[tuple]] = {}
    truth: list[dict[str, Any]] = []
    next_id: dict[int, int] = {}
    for updated, _key, person, e in entries:
        b = int(reg.db[person])
        next_id[b] = next_id.get(b, 0) + 1
        shift = _shift(reg.databases[b])
        row = (next_id[b], e["number"], e["nip"], e["nomor_sk"], e["tanggal_sk"], e["jenis"], e["ket"],
               (updated + shift).strftime("%Y-%m-%d %H:%M:%S"))
        latest.setdefault(b, []).append(row)
        in_p1 = updated <= PHASE_CUTOFFS[1]
        if in_p1:
            phase1.setdefault(b, []).append(row)
        truth.append({"bkd": reg.databases[b].code, "id": next_id[b], **e["truth"], "in_phase1": in_p1})
    return latest, phase1, truth


def _orphans(reg: RegistryB, seed: int, n: int) -> list[tuple[dt.datetime, int, int, dict[str, Any]]]:
    """Decrees for neutrality breaches that reached the PPK without a KASN/BKN recommendation."""
    from pantau.simulate.dialect_b import wording as wd

    rng = np.random.default_rng([seed, 0xB, 8])
    regional = np.array([e.kind != "kemenag" for e in reg.employers])
    pool = np.flatnonzero((reg.status == 0) & regional[reg.employer])
    out = []
    for k in range(min(n, len(pool))):
        person = int(pool[int(rng.integers(0, len(pool)))])
        sk = dt.date(2020, 3, 1) + dt.timedelta(days=int(rng.integers(0, 1700)))
        updated = dt.datetime.combine(sk + dt.timedelta(days=int(rng.integers(0, 15))), dt.time(10, int(rng.integers(0, 60))))
        if updated > PHASE_CUTOFFS[2]:
            continue
        sanction = ("MORAL_TERTUTUP", "MORAL_TERBUKA", "DISIPLIN_SEDANG")[int(rng.integers(0, 3))]
        jenis = wd.DECREE_LEVEL[sanction][int(rng.integers(0, len(wd.DECREE_LEVEL[sanction])))]
        nip = reg.nip_str(person)
        out.append((updated, 10_000_000 + k, person, {
            "number": None, "nip": nip, "nomor_sk": f"862.3/{int(rng.integers(10, 900))}/BKPSDM/{sk.year}",
            "tanggal_sk": sk.isoformat(), "jenis": jenis,
            "ket": wd.ORPHAN_NOTES[int(rng.integers(0, len(wd.ORPHAN_NOTES)))], "truth": {
                "case_id": None, "true_nip": nip, "nomor_rekomendasi": None, "tanggal_rekomendasi": None,
                "tanggal_sk": sk.isoformat(), "timeliness": None, "recommended_sanction": None, "sanction": sanction,
                "lighter_than_recommended": False, "noise": "orphan_decree", "reject_reason": None}}))
    return out


# --------------------------------------------------------------------------- writing

def write_database(reg: RegistryB, db_index: int, url: str, latest: Sequence[tuple], phase1: Sequence[tuple],
                   tick: Any) -> dict[str, int]:
    db = reg.databases[db_index]
    names = table_names(db)
    engine = _engine(url)
    md = sa.MetaData()
    pegawai, (tl, tl1) = _tables(md, names)
    with engine.begin() as conn:
        md.drop_all(conn)
        for t in (pegawai, tl, tl1):
            saved = set(t.indexes)
            t.indexes.clear()
            t.create(conn)
            t.indexes.update(saved)
    shift = _shift(db)
    current = np.flatnonzero(reg.db == db_index)
    stale = np.flatnonzero(reg.tr_old_db == db_index)
    sql = _insert_sql(engine, names[0], PEGAWAI_COLUMNS)
    with engine.begin() as conn:
        for start in range(0, len(current), _CHUNK):
            idx = current[start:start + _CHUNK]
            rows = [pegawai_row(reg, int(i), reg.employers[reg.employer[i]], int(reg.unit[i]), reg.updated_at[i],
                                False, shift) for i in idx]
            _executemany(conn, engine, sql, rows)
            tick(len(idx))
        if len(stale):
            rows = [pegawai_row(reg, int(reg.tr_person[k]), reg.employers[reg.tr_old_employer[k]],
                                int(reg.tr_old_unit[k]), reg.tr_old_updated_at[k], True, shift) for k in stale]
            _executemany(conn, engine, sql, rows)
            tick(len(stale))
        for table, rows in ((tl, latest), (tl1, phase1)):
            if rows:
                _executemany(conn, engine, _insert_sql(engine, table.name, TINDAK_LANJUT_COLUMNS), list(rows))
    create_indexes(engine, (pegawai, tl, tl1))
    engine.dispose()
    return {names[0]: int(len(current) + len(stale)), names[1]: len(latest), names[2]: len(phase1)}


def write_databases(reg: RegistryB, out: Path, url_template: str, latest: dict[int, list[tuple]],
                    phase1: dict[int, list[tuple]], tick: Any) -> tuple[list[dict[str, Any]], dict[str, int],
                                                                        dict[str, int]]:
    entries, pegawai_rows, counts = [], {}, {}
    for bi, db in enumerate(reg.databases):
        recorded, connect = bkd_url(url_template, db.code, out)
        n = write_database(reg, bi, connect, latest.get(bi, []), phase1.get(bi, []), tick)
        names = table_names(db)
        pegawai_rows[db.code] = n[names[0]]
        counts.update({f"bkd/{db.code}:{t}": k for t, k in n.items()})
        entries.append({"code": db.code, "name": db.name, "url": recorded, "pegawai_table": names[0],
                        "tindak_lanjut_table": names[1], "tindak_lanjut_phase1_table": names[2],
                        "provinces": list(db.provinces), "timezone": db_timezone(db)})
    return entries, pegawai_rows, counts
