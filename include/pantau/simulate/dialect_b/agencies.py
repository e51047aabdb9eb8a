"""Employers as a BKD keeps them: the whole regional government is the agency, the unit is where one works.

A regency's personnel system lists every civil servant under ``Pemerintah Kabupaten Gianyar`` and
puts the school, health centre, hospital, district office or department in ``unit_kerja``. The
Ministry of Religious Affairs is a single central agency whose offices, madrasahs and KUA sit in
every region. Each unit also carries the ways other people name it (``SDN 2 Ubud``,
``Disdikpora Gianyar``, ``RSUD Sanjiwani Gianyar``), and each government the ways its whole is named
(``Pemkab Gianyar``, ``Setda Kab. Gianyar``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from pantau.simulate.dialect_b.regions import PROVINCES, Province, Region, head_title


@dataclass(frozen=True)
class Job:
    jabatan: str
    kind: str  # title profile (titles._BY_JOB) and gender mix
    weight: float
    structural: bool = False
    spoken: tuple[str, ...] = ()  # how a report names the post ({unit} = the unit's short name)


@dataclass(frozen=True)
class Unit:
    name: str  # unit_kerja in the registry
    kind: str
    written: tuple[str, ...]  # how others name the unit, region included where they would add it
    short: str  # the unit's short name in speech (SDN 2 Ubud, Dinkes, RSUD Sanjiwani)
    weight: float
    district: str | None = None


@dataclass(frozen=True)
class Employer:
    key: str
    kind: str  # prov | kab | kota | kemenag
    province: Province
    region: Region | None
    kode_instansi: str
    nama_instansi: str
    kode_wilayah: str
    written: tuple[str, ...]  # the whole government as others name it
    units: tuple[Unit, ...]
    weight: float

    def ppk(self, day: str) -> str:
        """The PPK's title on ``day`` (ISO date) as a recommendation names it."""
        if self.kind == "kemenag":
            return "Menteri Agama"
        if self.region is None:
            p = self.province
            if p.acting_since and p.acting_since <= day < "2025-02-20":
                return f"Pj. {p.governor}"
            return p.governor
        r = self.region
        return head_title(r.kind, r.name, day, r.acting_since, r.incumbent_on_leave)

    @property
    def place_full(self) -> str:
        """``Kab. Gianyar``, ``Kota Makassar``, ``Prov. Bali``: what a clerk appends to a unit's name."""
        if self.region is None:
            return f"Prov. {self.province.name}"
        return f"{'Kab.' if self.region.kind == 'Kabupaten' else 'Kota'} {self.region.name}"

    @property
    def place(self) -> str:
        """The place name people attach to a unit: the region's name, or the province's short name."""
        return self.region.name if self.region else self.province.short


# --------------------------------------------------------------------------- jobs per unit kind

def _j(jabatan: str, kind: str, weight: float, *spoken: str, structural: bool = False) -> Job:
    return Job(jabatan, kind, weight, structural, spoken)


_OFFICE = (
    _j("Pengadministrasi Perkantoran", "admin", 8, "Staf {unit}", "Pegawai {unit}"),
    _j("Pengolah Data dan Informasi", "admin", 6, "Staf {unit}", "Operator {unit}"),
    _j("Penata Layanan Operasional", "admin", 6, "Staf {unit}", "ASN {unit}"),
    _j("Operator Layanan Operasional", "admin", 4, "Staf {unit}", "Sopir {unit}"),
    _j("Analis Kebijakan Ahli Muda", "admin", 3, "Analis Kebijakan {unit}", "Staf {unit}"),
    _j("Perencana Ahli Pertama", "admin", 2, "Perencana {unit}"),
    _j("Pranata Komputer Ahli Pertama", "admin", 2, "Pranata Komputer {unit}", "Staf IT {unit}"),
    _j("Kepala Subbagian Umum dan Kepegawaian", "structural", 1, "Kasubag Umum {unit}", structural=True),
    _j("Kepala Bidang", "structural", 1.5, "Kabid {unit}", "Kepala Bidang di {unit}", structural=True),
    _j("Sekretaris {name}", "structural", 0.5, "Sekretaris {unit}", "Sekdis {unit}", structural=True),
    _j("Kepala {name}", "structural", 0.4, "Kepala {unit}", "Kadis {unit}", structural=True),
)
# Offices whose head has a title of its own (the Sekretaris Daerah heads the Sekretariat Daerah).
_HEADS = {"setda": _j("Sekretaris Daerah", "structural", 0.2, "Sekda", "Sekretaris Daerah", structural=True),
          "setwan": _j("Sekretaris DPRD", "structural", 0.4, "Sekwan", "Sekretaris DPRD", structural=True),
          "inspektorat": _j("Inspektur", "structural", 0.4, "Inspektur", "Inspektur {unit}", structural=True)}
_SPECIALISTS = {
    "satpol": (_j("Polisi Pamong Praja Terampil", "field", 18, "Anggota Satpol PP", "Satpol PP"),
               _j("Polisi Pamong Praja Ahli Pertama", "field", 5, "Anggota Satpol PP")),
    "agri": (_j("Penyuluh Pertanian Terampil", "admin", 10, "Penyuluh Pertanian", "PPL"),
             _j("Penyuluh Pertanian Ahli Pertama", "admin", 6, "Penyuluh Pertanian")),
    "pupr": (_j("Teknik Pengairan Ahli Pertama", "admin", 5, "Staf {unit}"),
             _j("Pengawas Jalan dan Jembatan", "admin", 4, "Pengawas {unit}")),
    "capil": (_j("Administrator Database Kependudukan Ahli Pertama", "admin", 6, "Operator Dukcapil"),),
    "social": (_j("Pekerja Sosial Terampil", "admin", 6, "Pekerja Sosial", "Pendamping PKH"),),
    "bpkad": (_j("Analis Keuangan Pusat dan Daerah Ahli Pertama", "admin", 6, "Staf {unit}"),),
    "bkpsdm": (_j("Analis Sumber Daya Manusia Aparatur Ahli Pertama", "admin", 6, "Staf {unit}"),),
    "inspektorat": (_j("Auditor Ahli Pertama", "admin", 6, "Auditor {unit}"),
                    _j("Pengawas Penyelenggaraan Urusan Pemerintahan di Daerah Ahli Muda", "admin", 4, "P2UPD")),
    "setda": (_j("Kepala Bagian", "structural", 2, "Kabag di {unit}", structural=True),
              _j("Analis Hukum Ahli Pertama", "admin", 3, "Staf Bagian Hukum {unit}"),
              _j("Asisten Pemerintahan dan Kesejahteraan Rakyat", "structural", 0.3, "Asisten I {unit}",
                 structural=True)),
    "kominfo": (_j("Pranata Hubungan Masyarakat Ahli Pertama", "admin", 4, "Humas {unit}"),),
    "dishub": (_j("Penguji Kendaraan Bermotor Terampil", "field", 4, "Petugas Dishub"),),
    "dlh": (_j("Pengendali Dampak Lingkungan Ahli Pertama", "admin", 4, "Staf {unit}"),),
    "health_office": (_j("Epidemiolog Kesehatan Ahli Pertama", "health", 3, "Staf {unit}"),
                      _j("Administrator Kesehatan Ahli Pertama", "health", 4, "Staf {unit}")),
    "culture": (_j("Pamong Budaya Ahli Pertama", "admin", 5, "Staf {unit}"),),
    "tourism": (_j("Adyatama Kepariwisataan dan Ekonomi Kreatif Ahli Pertama", "admin", 4, "Staf {unit}"),),
    "syariat": (_j("Penyuluh Agama Ahli Pertama", "religious", 5, "Staf {unit}", "Penyuluh Syariat"),),
    "fish": (_j("Penyuluh Perikanan Terampil", "admin", 6, "Penyuluh Perikanan"),),
    "bapenda": (_j("Pengelola Pendapatan Daerah", "admin", 6, "Petugas Samsat", "Staf {unit}"),),
}
_SCHOOL = (
    _j("Guru Ahli Pertama", "teacher", 25, "Guru {unit}", "Guru", "Guru Kelas"),
    _j("Guru Ahli Muda", "teacher", 30, "Guru {unit}", "Guru", "Guru PNS"),
    _j("Guru Ahli Madya", "teacher", 12, "Guru {unit}", "Guru Senior {unit}", "Guru"),
    _j("Kepala Sekolah", "structural", 3, "Kepala {unit}", "Kepsek {unit}", "Kepala Sekolah", structural=True),
    _j("Penata Layanan Operasional", "admin", 4, "Tata Usaha {unit}", "Staf TU {unit}"),
)
_RELIGION_TEACHER = {"islam": _j("Guru Pendidikan Agama Islam Ahli Muda", "teacher_islam", 6, "Guru Agama {unit}",
                                 "Guru PAI"),
                     "hindu": _j("Guru Pendidikan Agama Hindu Ahli Muda", "teacher_hindu", 6, "Guru Agama Hindu {unit}",
                                 "Guru Agama Hindu")}
_PUSKESMAS = (
    _j("Perawat Terampil", "nurse", 15, "Perawat {unit}", "Perawat", "Nakes {unit}"),
    _j("Perawat Ahli Pertama", "nurse", 10, "Perawat {unit}", "Perawat"),
    _j("Bidan Terampil", "midwife", 15, "Bidan {unit}", "Bidan Desa", "Bidan"),
    _j("Bidan Ahli Pertama", "midwife", 5, "Bidan {unit}", "Bidan"),
    _j("Dokter Ahli Pertama", "doctor", 6, "Dokter {unit}", "Dokter Umum"),
    _j("Dokter Gigi Ahli Pertama", "dentist", 2, "Dokter Gigi {unit}"),
    _j("Apoteker Ahli Pertama", "pharmacist", 2, "Apoteker {unit}"),
    _j("Nutrisionis Terampil", "health", 3, "Petugas Gizi {unit}"),
    _j("Sanitarian Terampil", "health", 3, "Sanitarian {unit}"),
    _j("Pranata Laboratorium Kesehatan Terampil", "health", 3, "Analis Lab {unit}"),
    _j("Kepala Puskesmas", "doctor", 1, "Kepala {unit}", "Kapus {unit}", structural=True),
    _j("Pengadministrasi Perkantoran", "admin", 4, "Staf {unit}"),
)
_HOSPITAL = (
    _j("Perawat Ahli Pertama", "nurse", 20, "Perawat {unit}", "Perawat"),
    _j("Perawat Terampil", "nurse", 15, "Perawat {unit}"),
    _j("Perawat Ahli Muda", "nurse", 8, "Perawat {unit}", "Kepala Ruangan {unit}"),
    _j("Bidan Terampil", "midwife", 6, "Bidan {unit}"),
    _j("Dokter Ahli Muda", "doctor", 5, "Dokter {unit}"),
    _j("Dokter Ahli Madya", "doctor", 4, "Dokter Spesialis {unit}", "Dokter {unit}"),
    _j("Apoteker Ahli Pertama", "pharmacist", 2, "Apoteker {unit}"),
    _j("Radiografer Terampil", "health", 2, "Radiografer {unit}"),
    _j("Perekam Medis Terampil", "health", 3, "Petugas Rekam Medis {unit}"),
    _j("Pranata Laboratorium Kesehatan Terampil", "health", 3, "Analis Lab {unit}"),
    _j("Pengadministrasi Perkantoran", "admin", 5, "Staf {unit}"),
    _j("Direktur", "doctor", 0.2, "Direktur {unit}", structural=True),
)
_DISTRICT = (
    _j("Camat", "structural", 1, "Camat {district}", "Camat", structural=True),
    _j("Sekretaris Camat", "structural", 1, "Sekcam {district}", "Sekretaris Camat {district}", structural=True),
    _j("Kepala Seksi Pemerintahan", "structural", 2, "Kasi Pemerintahan Kec. {district}", structural=True),
    _j("Kepala Seksi Ketenteraman dan Ketertiban Umum", "structural", 1, "Kasi Trantib Kec. {district}",
       structural=True),
    _j("Pengadministrasi Perkantoran", "admin", 6, "Staf Kantor Camat {district}", "Staf Kecamatan"),
    _j("Pengolah Data dan Informasi", "admin", 5, "Staf Kecamatan {district}"),
    _j("Lurah", "structural", 2, "Lurah", "Lurah di Kec. {district}", structural=True),
)
_KEMENAG_OFFICE = (
    _j("Penyuluh Agama Islam Ahli Pertama", "religious", 8, "Penyuluh Agama", "Penyuluh Agama Islam"),
    _j("Analis Sumber Daya Manusia Aparatur Ahli Pertama", "admin", 3, "Staf {unit}"),
    _j("Pengadministrasi Perkantoran", "admin", 6, "Staf {unit}", "Pegawai {unit}"),
    _j("Kepala Seksi Pendidikan Madrasah", "structural", 2, "Kasi Penmad {unit}", structural=True),
)
_MADRASAH = (
    _j("Guru Ahli Muda", "teacher_islam", 30, "Guru {unit}", "Guru Madrasah"),
    _j("Guru Ahli Pertama", "teacher_islam", 20, "Guru {unit}", "Guru Madrasah"),
    _j("Kepala Madrasah", "structural", 2, "Kepala {unit}", structural=True),
    _j("Pengadministrasi Perkantoran", "admin", 4, "TU {unit}"),
)
_KUA = (
    _j("Penghulu Ahli Muda", "religious", 5, "Penghulu {unit}", "Penghulu"),
    _j("Kepala KUA", "religious", 1, "Kepala {unit}", "Ka. {unit}", structural=True),
    _j("Penyuluh Agama Islam Ahli Pertama", "religious", 4, "Penyuluh {unit}"),
    _j("Pengadministrasi Perkantoran", "admin", 3, "Staf {unit}"),
)

JOB_FEMALE_SHARE = {"teacher": 0.65, "teacher_islam": 0.6, "teacher_hindu": 0.5, "nurse": 0.75, "midwife": 1.0,
                    "doctor": 0.55, "dentist": 0.7, "pharmacist": 0.75, "health": 0.65, "admin": 0.45,
                    "structural": 0.3, "religious": 0.3, "field": 0.15}
# Share of PPPK (contract ASN, appointed since 2021 in large teacher and health intakes) per kind.
JOB_PPPK_SHARE = {"teacher": 0.35, "teacher_islam": 0.3, "teacher_hindu": 0.3, "nurse": 0.3, "midwife": 0.3,
                  "doctor": 0.05, "dentist": 0.05, "pharmacist": 0.1, "health": 0.2, "admin": 0.1, "structural": 0.0,
                  "religious": 0.1, "field": 0.1}


def jobs_for(kind: str, religion: str) -> tuple[Job, ...]:
    if kind in ("sd", "smp", "sma", "smk", "slb"):
        return _SCHOOL + (_RELIGION_TEACHER[religion],)
    if kind == "puskesmas":
        return _PUSKESMAS
    if kind == "rsud":
        return _HOSPITAL
    if kind == "kecamatan":
        return _DISTRICT
    if kind == "kankemenag":
        if religion == "hindu":  # Bali's offices have their Hindu religious counsellors too
            return _KEMENAG_OFFICE + (_j("Penyuluh Agama Hindu Ahli Pertama", "religious", 6, "Penyuluh Agama Hindu"),)
        return _KEMENAG_OFFICE
    if kind == "madrasah":
        return _MADRASAH
    if kind == "kua":
        return _KUA
    if kind in _HEADS:
        return tuple(j for j in _OFFICE if "{name}" not in j.jabatan) + (_HEADS[kind],) + _SPECIALISTS.get(kind, ())
    return _OFFICE + _SPECIALISTS.get(kind, ())


# --------------------------------------------------------------------------- naming helpers

_ABBREV = {
    "Dinas Pendidikan, Kepemudaan dan Olahraga": ("Disdikpora",),
    "Dinas Pendidikan, Pemuda dan Olahraga": ("Disdikpora",),
    "Dinas Pendidikan dan Kebudayaan": ("Disdikbud", "Dikbud"),
    "Dinas Pendidikan": ("Disdik", "Dinas Pendidikan"),
    "Dinas Kesehatan": ("Dinkes",),
    "Sekretariat Daerah": ("Setda",),
    "Sekretariat DPRD": ("Setwan", "Sekretariat DPRD"),
    "Inspektorat Daerah": ("Inspektorat",),
    "Badan Perencanaan Pembangunan Daerah": ("Bappeda",),
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia": ("BKPSDM",),
    "Badan Kepegawaian Daerah": ("BKD",),
    "Badan Pengelolaan Keuangan dan Aset Daerah": ("BPKAD",),
    "Badan Pendapatan Daerah": ("Bapenda",),
    "Dinas Pekerjaan Umum dan Penataan Ruang": ("Dinas PUPR", "DPUPR"),
    "Dinas Sosial": ("Dinsos",),
    "Dinas Kependudukan dan Pencatatan Sipil": ("Disdukcapil", "Dukcapil"),
    "Satuan Polisi Pamong Praja": ("Satpol PP",),
    "Badan Kesatuan Bangsa dan Politik": ("Kesbangpol", "Bakesbangpol"),
    "Dinas Pertanian": ("Distan", "Dinas Pertanian"),
    "Dinas Komunikasi dan Informatika": ("Diskominfo", "Kominfo"),
    "Dinas Perhubungan": ("Dishub",),
    "Dinas Lingkungan Hidup": ("DLH",),
    "Badan Penanggulangan Bencana Daerah": ("BPBD",),
    "Dinas Kebudayaan": ("Disbud",),
    "Dinas Pariwisata": ("Dispar",),
    "Dinas Syariat Islam": ("DSI", "Dinas Syariat Islam"),
    "Dinas Perikanan": ("Diskan", "Dinas Perikanan"),
}
_OFFICES_REGENCY = (  # (kind key, name, weight in the government's workforce)
    ("setda", "Sekretariat Daerah", 0.035), ("setwan", "Sekretariat DPRD", 0.01),
    ("inspektorat", "Inspektorat Daerah", 0.01), ("bappeda", "Badan Perencanaan Pembangunan Daerah", 0.01),
    ("education_office", None, 0.02), ("health_office", "Dinas Kesehatan", 0.015),
    ("bkpsdm", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", 0.01),
    ("bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah", 0.012),
    ("pupr", "Dinas Pekerjaan Umum dan Penataan Ruang", 0.02), ("social", "Dinas Sosial", 0.008),
    ("capil", "Dinas Kependudukan dan Pencatatan Sipil", 0.01), ("satpol", "Satuan Polisi Pamong Praja", 0.015),
    ("kesbangpol", "Badan Kesatuan Bangsa dan Politik", 0.005), ("agri", "Dinas Pertanian", 0.02),
    ("kominfo", "Dinas Komunikasi dan Informatika", 0.008), ("dishub", "Dinas Perhubungan", 0.01),
    ("dlh", "Dinas Lingkungan Hidup", 0.012), ("bpbd", "Badan Penanggulangan Bencana Daerah", 0.006),
)
_OFFICES_PROVINCE = (
    ("setda", "Sekretariat Daerah", 0.06), ("education_office", None, 0.03), ("health_office", "Dinas Kesehatan", 0.03),
    ("bkpsdm", "Badan Kepegawaian Daerah", 0.02), ("bapenda", "Badan Pendapatan Daerah", 0.05),
    ("bappeda", "Badan Perencanaan Pembangunan Daerah", 0.015), ("pupr", "Dinas Pekerjaan Umum dan Penataan Ruang", 0.03),
    ("social", "Dinas Sosial", 0.015), ("satpol", "Satuan Polisi Pamong Praja", 0.02),
    ("kesbangpol", "Badan Kesatuan Bangsa dan Politik", 0.008), ("inspektorat", "Inspektorat Daerah", 0.012),
)
_EXTRA_BY_PROVINCE = {
    "51": (("culture", "Dinas Kebudayaan", 0.008), ("tourism", "Dinas Pariwisata", 0.008)),
    "11": (("syariat", "Dinas Syariat Islam", 0.008),),
    "73": (("fish", "Dinas Perikanan", 0.01),), "74": (("fish", "Dinas Perikanan", 0.012),),
    "21": (("fish", "Dinas Perikanan", 0.01),),
}
_ROMAN = ("I", "II", "III")


def _kind_short(region: Region) -> str:
    return "Kab." if region.kind == "Kabupaten" else "Kota"


def _office_written(name: str, place: str, place_full: str) -> tuple[tuple[str, ...], str]:
    abbrs = _ABBREV.get(name, (name,))
    forms = [f"{a} {place}" for a in abbrs] + [f"{abbrs[0]} {place_full}", f"{name} {place_full}", name]
    return tuple(dict.fromkeys(forms)), abbrs[0]


def _religion(province: Province) -> str:
    return "hindu" if province.code == "51" else "islam"


def _school_units(region: Region, province: Province, kind: str, total: float) -> list[Unit]:
    """Numbered schools: per district in most provinces; regency-wide numbering in Sulawesi Selatan and Riau."""
    units = []
    label = {"sd": "SD", "smp": "SMP"}[kind]
    per_district = 4 if kind == "sd" else 2
    if province.code in ("73",):  # UPT SD Negeri 12 Makassar
        names = [(f"UPT {label} Negeri {n} {region.name}", None) for n in range(1, 1 + per_district * 3)]
    elif province.code in ("14", "21"):  # SD Negeri 005 Tampan
        names = [(f"{label} Negeri {n:03d} {d}", d) for i, d in enumerate(region.districts)
                 for n in (1 + 2 * i, 2 + 2 * i)[: per_district // 2 + 1]]
    else:  # SD Negeri 2 Ubud
        names = [(f"{label} Negeri {n} {d}", d) for d in region.districts for n in range(1, per_district + 1)]
    w = total / len(names)
    for name, district in names:
        core = name.removeprefix("UPT ")
        short = core.replace(f"{label} Negeri ", f"{label}N ")
        written = (short, core, core.replace(f"{label} Negeri ", f"{label} N "), f"{short} {region.name}"
                   if district else short)
        units.append(Unit(name, kind, tuple(dict.fromkeys(written)), short, w, district))
    return units


def _regency_units(region: Region, province: Province) -> list[Unit]:
    place, place_full = region.name, f"{_kind_short(region)} {region.name}"
    units: list[Unit] = []
    offices = _OFFICES_REGENCY + _EXTRA_BY_PROVINCE.get(province.code, ())
    for kind, name, weight in offices:
        name = name or region.education_office
        written, short = _office_written(name, place, place_full)
        units.append(Unit(name, kind, written, short, weight))
    units += _school_units(region, province, "sd", 0.30)
    units += _school_units(region, province, "smp", 0.10)
    pkm = []
    for i, d in enumerate(region.districts):
        for k in range(1 + (i % 3 == 0)):  # some districts have two health centres (Tegallalang I and II)
            suffix = f" {_ROMAN[k]}" if i % 3 == 0 else ""
            name = (f"UPTD Puskesmas {d}{suffix}" if province.code in ("51", "33", "34", "35")
                    else f"UPT Puskesmas {d}{suffix}" if province.code in ("73", "74") else f"Puskesmas {d}{suffix}")
            bare = f"Puskesmas {d}{suffix}"
            written = (bare, f"PKM {d}{suffix}", f"Puskesmas {d} {k + 1}" if suffix else bare, f"{bare} {region.name}")
            pkm.append((name, tuple(dict.fromkeys(written)), bare, d))
    units += [Unit(n, "puskesmas", w, s, 0.11 / len(pkm), d) for n, w, s, d in pkm]
    for h in region.hospitals:
        written = (f"{h} {region.name}", h, h.replace("RSUD ", "RS ").replace("RSD ", "RS "), f"{h} {place_full}")
        units.append(Unit(h, "rsud", tuple(dict.fromkeys(written)), h, 0.10 / len(region.hospitals)))
    for d in region.districts:
        name = f"Kecamatan {d}"
        written = (f"Kantor Camat {d}", f"Kec. {d}", name, f"Kecamatan {d} {place_full}")
        units.append(Unit(name, "kecamatan", written, f"Kec. {d}", 0.05 / len(region.districts), d))
    return units


def _province_units(province: Province) -> list[Unit]:
    place, place_full = province.short, f"Prov. {province.name}"
    edu = {"34": "Dinas Pendidikan, Pemuda dan Olahraga"}.get(province.code, "Dinas Pendidikan")
    units: list[Unit] = []
    for kind, name, weight in _OFFICES_PROVINCE:
        name = name or edu
        written, short = _office_written(name, place, place_full)
        units.append(Unit(name, kind, written, short, weight))
    towns = [r.name for r in province.regions]
    for kind, label, total, per in (("sma", "SMA", 0.28, 3), ("smk", "SMK", 0.17, 2), ("slb", "SLB", 0.02, 1)):
        names = [f"{label} Negeri {n} {t}" for t in towns for n in range(1, per + 1)]
        for n in names:
            short = n.replace(f"{label} Negeri ", f"{label}N ")
            units.append(Unit(n, kind, tuple(dict.fromkeys((short, n, n.replace(" Negeri ", " N ")))), short,
                              total / len(names)))
    for h in province.hospitals:
        units.append(Unit(h, "rsud", (h, f"{h} Provinsi {province.name}", h.replace("RSUD ", "RS ")), h,
                          0.18 / len(province.hospitals)))
    return units


def _kemenag_units(region: Region, province: Province) -> list[Unit]:
    place_full = f"{'Kabupaten' if region.kind == 'Kabupaten' else 'Kota'} {region.name}"
    office = f"Kantor Kementerian Agama {place_full}"
    units = [Unit(office, "kankemenag", (f"Kemenag {_kind_short(region)} {region.name}", f"Kantor Kemenag {region.name}",
                                         office, f"Kemenag {region.name}"), f"Kemenag {region.name}", 0.2)]
    madrasah = (("MIN", "Madrasah Ibtidaiyah Negeri", 3), ("MTsN", "Madrasah Tsanawiyah Negeri", 2),
                ("MAN", "Madrasah Aliyah Negeri", 1))
    share = 0.15 if province.code == "51" else 0.55  # few madrasahs in Hindu-majority Bali
    for abbr, full, count in madrasah:
        for n in range(1, count + 1):
            name = f"{abbr} {n} {region.name}"
            units.append(Unit(name, "madrasah", (name, f"{full} {n} {region.name}", f"{abbr} {n} {place_full}"),
                              name, share / 6))
    for d in region.districts[:4]:
        name = f"KUA Kecamatan {d}"
        units.append(Unit(name, "kua", (f"KUA Kec. {d}", f"KUA {d}", name), f"KUA {d}", 0.25 / 4))
    return units


def _guid(text: str) -> str:
    """A personnel-system agency id (32 hex digits, as SAPK/SIASN ids look): stable, not derived from codes."""
    return hashlib.md5(f"pantau-dialect-b/{text}".encode()).hexdigest().upper()


def _kode(province: Province, code: str, label: str) -> str:
    if province.kode_style == "guid":
        return _guid(label)
    return code.replace(".", "") if "." in code else f"{code}00"


def _nama(province: Province, region: Region | None) -> str:
    style = province.nama_instansi_style
    if region is None:
        full = province.government
        short = {"Pemerintah Provinsi ": "Pemprov "}
        if style == "short":
            for a, b in short.items():
                full = full.replace(a, b)
            return full.replace("Sulawesi Selatan", "Sulsel")
        return full.upper() if style == "upper" else full
    full = f"Pemerintah {region.kind} {region.name}"
    if style == "short":
        return f"{'Pemkab' if region.kind == 'Kabupaten' else 'Pemkot'} {region.name}"
    return full.upper() if style == "upper" else full


def _government_written(province: Province, region: Region | None) -> tuple[str, ...]:
    if region is None:
        if province.code == "11":
            return ("Pemerintah Aceh", "Pemprov Aceh", "Setda Aceh", "Provinsi Aceh")
        if province.code == "34":
            return ("Pemda DIY", "Pemerintah Daerah DIY", "Setda DIY", "Pemprov DIY")
        return (f"Pemprov {province.short}", f"Pemerintah Provinsi {province.name}", f"Setda Prov. {province.name}",
                f"Provinsi {province.name}", f"Pemprov {province.name}")
    n = region.name
    if region.kind == "Kabupaten":
        return (f"Pemkab {n}", f"Pemerintah Kabupaten {n}", f"Setda Kab. {n}", f"Kab. {n}", f"Pemda {n}",
                f"Kabupaten {n}", f"Setdakab {n}")
    return (f"Pemkot {n}", f"Pemerintah Kota {n}", f"Setda Kota {n}", f"Kota {n}", f"Pemda Kota {n}")


KEMENAG_KODE = _guid("Kementerian Agama")
KEMENAG_WRITTEN = ("Kementerian Agama", "Kemenag", "Kemenag RI")


@lru_cache(maxsize=1)
def employers() -> tuple[Employer, ...]:
    """Every employer: each province's and region's government, and the Ministry's office in each region."""
    out: list[Employer] = []
    for p in PROVINCES:
        out.append(Employer(f"gov:{p.code}", "prov", p, None, _kode(p, p.code, p.government), _nama(p, None), p.code,
                            _government_written(p, None), tuple(_province_units(p)),
                            1.6 * sum(r.weight for r in p.regions) / len(p.regions)))
        for r in p.regions:
            kind = "kab" if r.kind == "Kabupaten" else "kota"
            out.append(Employer(f"gov:{r.code}", kind, p, r, _kode(p, r.code, r.full_name), _nama(p, r), r.code,
                                _government_written(p, r), tuple(_regency_units(r, p)), 1.0 * r.weight))
    for p in PROVINCES:
        for r in p.regions:
            out.append(Employer(f"kemenag:{r.code}", "kemenag", p, r, KEMENAG_KODE, "Kementerian Agama", r.code,
                                KEMENAG_WRITTEN, tuple(_kemenag_units(r, p)), 0.09 * r.weight))
    return tuple(out)
