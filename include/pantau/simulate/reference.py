"""Reference data for the simulated world: regions, agencies, violation categories, sanctions.

Region codes follow Kemendagri (``13`` Sumatera Barat, ``13.06`` Kabupaten Agam). Each province lists
its capital and a handful of real regencies/cities, not all 514: the simulators need realistic
variety, not a full gazetteer. The Papua provinces created in 2022 carry the codes used by
Kemendagri since then (91 Papua, 92 Papua Barat, 93 Papua Selatan, 94 Papua Tengah, 95 Papua
Pegunungan, 96 Papua Barat Daya). Every code here agrees with the product's full table
(``pantau/reference/data/regions.csv``), which tests/reference/test_regions.py checks; some were BPS
codes (Kota Medan as ``12.75``) until that test existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

# --------------------------------------------------------------------------- regions

TZ_OFFSET = {"WIB": "+07:00", "WITA": "+08:00", "WIT": "+09:00"}


@dataclass(frozen=True)
class Region:
    """A regency (``Kabupaten``) or city (``Kota``)."""

    code: str
    kind: str  # "Kabupaten" | "Kota"
    name: str  # without the kind: "Agam"

    @property
    def full_name(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    short: str  # the abbreviation people write: "Sumbar"
    tz: str  # WIB | WITA | WIT
    weight: float  # population in millions: drives how many ASN and cases it gets
    name_styles: tuple[tuple[str, float], ...]  # name styles (see names.py) and their shares
    regions: tuple[Region, ...] = field(default_factory=tuple)
    admin_regions: bool = False  # DKI Jakarta: cities are administrative, the governor is PPK

    @property
    def offset(self) -> str:
        return TZ_OFFSET[self.tz]


def _r(spec: str) -> tuple[Region, ...]:
    """Parse ``"13.71 Kota Padang; 13.06 Kabupaten Agam"`` into regions (compact to read and edit)."""
    out = []
    for part in spec.split(";"):
        code, kind, name = part.strip().split(" ", 2)
        out.append(Region(code, kind, name))
    return tuple(out)


_MELAYU = (("umum", 0.75), ("jawa", 0.2), ("minang", 0.05))
_JAWA = (("jawa", 0.85), ("umum", 0.15))
_SUNDA = (("sunda", 0.75), ("umum", 0.15), ("jawa", 0.1))
_BUGIS = (("bugis", 0.7), ("umum", 0.2), ("jawa", 0.1))
_TIMUR = (("timur", 0.8), ("umum", 0.1), ("jawa", 0.1))
_PAPUA = (("timur", 0.75), ("umum", 0.1), ("jawa", 0.1), ("bugis", 0.05))

PROVINCES: tuple[Province, ...] = (
    Province("11", "Aceh", "Aceh", "WIB", 5.4, (("umum", 0.9), ("jawa", 0.1)),
             _r("11.71 Kota Banda Aceh; 11.06 Kabupaten Aceh Besar; 11.08 Kabupaten Aceh Utara; 11.07 Kabupaten Pidie; 11.73 Kota Lhokseumawe")),
    Province("12", "Sumatera Utara", "Sumut", "WIB", 15.1, (("batak", 0.6), ("umum", 0.25), ("jawa", 0.15)),
             _r("12.71 Kota Medan; 12.07 Kabupaten Deli Serdang; 12.08 Kabupaten Simalungun; 12.02 Kabupaten Tapanuli Utara; 12.05 Kabupaten Langkat")),
    Province("13", "Sumatera Barat", "Sumbar", "WIB", 5.6, (("minang", 0.85), ("umum", 0.1), ("jawa", 0.05)),
             _r("13.71 Kota Padang; 13.06 Kabupaten Agam; 13.04 Kabupaten Tanah Datar; 13.05 Kabupaten Padang Pariaman; 13.75 Kota Bukittinggi")),
    Province("14", "Riau", "Riau", "WIB", 6.6, _MELAYU,
             _r("14.71 Kota Pekanbaru; 14.01 Kabupaten Kampar; 14.03 Kabupaten Bengkalis; 14.04 Kabupaten Indragiri Hilir; 14.72 Kota Dumai")),
    Province("15", "Jambi", "Jambi", "WIB", 3.6, _MELAYU,
             _r("15.71 Kota Jambi; 15.01 Kabupaten Kerinci; 15.02 Kabupaten Merangin; 15.05 Kabupaten Muaro Jambi")),
    Province("16", "Sumatera Selatan", "Sumsel", "WIB", 8.6, _MELAYU,
             _r("16.71 Kota Palembang; 16.01 Kabupaten Ogan Komering Ulu; 16.02 Kabupaten Ogan Komering Ilir; 16.03 Kabupaten Muara Enim; 16.04 Kabupaten Lahat")),
    Province("17", "Bengkulu", "Bengkulu", "WIB", 2.0, _MELAYU,
             _r("17.71 Kota Bengkulu; 17.01 Kabupaten Bengkulu Selatan; 17.02 Kabupaten Rejang Lebong; 17.03 Kabupaten Bengkulu Utara")),
    Province("18", "Lampung", "Lampung", "WIB", 9.1, (("jawa", 0.6), ("umum", 0.35), ("sunda", 0.05)),
             _r("18.71 Kota Bandar Lampung; 18.01 Kabupaten Lampung Selatan; 18.02 Kabupaten Lampung Tengah; 18.07 Kabupaten Lampung Timur; 18.72 Kota Metro")),
    Province("19", "Kepulauan Bangka Belitung", "Babel", "WIB", 1.5, _MELAYU,
             _r("19.71 Kota Pangkalpinang; 19.01 Kabupaten Bangka; 19.02 Kabupaten Belitung; 19.03 Kabupaten Bangka Selatan")),
    Province("21", "Kepulauan Riau", "Kepri", "WIB", 2.1, _MELAYU,
             _r("21.72 Kota Tanjungpinang; 21.71 Kota Batam; 21.02 Kabupaten Karimun; 21.01 Kabupaten Bintan")),
    Province("31", "DKI Jakarta", "DKI", "WIB", 10.7, (("jawa", 0.4), ("umum", 0.3), ("sunda", 0.15), ("batak", 0.1), ("manado", 0.05)),
             _r("31.71 Kota Jakarta Pusat; 31.74 Kota Jakarta Selatan; 31.75 Kota Jakarta Timur; 31.73 Kota Jakarta Barat; 31.72 Kota Jakarta Utara"),
             admin_regions=True),
    Province("32", "Jawa Barat", "Jabar", "WIB", 49.9, _SUNDA,
             _r("32.73 Kota Bandung; 32.01 Kabupaten Bogor; 32.04 Kabupaten Bandung; 32.03 Kabupaten Cianjur; 32.16 Kabupaten Bekasi; 32.75 Kota Bekasi; 32.71 Kota Bogor")),
    Province("33", "Jawa Tengah", "Jateng", "WIB", 37.5, _JAWA,
             _r("33.74 Kota Semarang; 33.72 Kota Surakarta; 33.01 Kabupaten Cilacap; 33.02 Kabupaten Banyumas; 33.10 Kabupaten Klaten; 33.22 Kabupaten Semarang; 33.19 Kabupaten Kudus")),
    Province("34", "DI Yogyakarta", "DIY", "WIB", 3.7, _JAWA,
             _r("34.71 Kota Yogyakarta; 34.04 Kabupaten Sleman; 34.02 Kabupaten Bantul; 34.03 Kabupaten Gunungkidul; 34.01 Kabupaten Kulon Progo")),
    Province("35", "Jawa Timur", "Jatim", "WIB", 41.4, _JAWA,
             _r("35.78 Kota Surabaya; 35.73 Kota Malang; 35.07 Kabupaten Malang; 35.15 Kabupaten Sidoarjo; 35.09 Kabupaten Jember; 35.25 Kabupaten Gresik; 35.24 Kabupaten Lamongan")),
    Province("36", "Banten", "Banten", "WIB", 12.3, _SUNDA,
             _r("36.73 Kota Serang; 36.71 Kota Tangerang; 36.03 Kabupaten Tangerang; 36.04 Kabupaten Serang; 36.01 Kabupaten Pandeglang; 36.02 Kabupaten Lebak")),
    Province("51", "Bali", "Bali", "WITA", 4.4, (("bali", 0.85), ("jawa", 0.1), ("umum", 0.05)),
             _r("51.71 Kota Denpasar; 51.03 Kabupaten Badung; 51.04 Kabupaten Gianyar; 51.02 Kabupaten Tabanan; 51.08 Kabupaten Buleleng")),
    Province("52", "Nusa Tenggara Barat", "NTB", "WITA", 5.5, (("umum", 0.85), ("bali", 0.05), ("jawa", 0.1)),
             _r("52.71 Kota Mataram; 52.01 Kabupaten Lombok Barat; 52.02 Kabupaten Lombok Tengah; 52.03 Kabupaten Lombok Timur; 52.06 Kabupaten Bima")),
    Province("53", "Nusa Tenggara Timur", "NTT", "WITA", 5.5, _TIMUR,
             _r("53.71 Kota Kupang; 53.01 Kabupaten Kupang; 53.11 Kabupaten Sumba Timur; 53.02 Kabupaten Timor Tengah Selatan; 53.08 Kabupaten Ende")),
    Province("61", "Kalimantan Barat", "Kalbar", "WIB", 5.5, _MELAYU,
             _r("61.71 Kota Pontianak; 61.72 Kota Singkawang; 61.01 Kabupaten Sambas; 61.03 Kabupaten Sanggau; 61.04 Kabupaten Ketapang")),
    Province("62", "Kalimantan Tengah", "Kalteng", "WIB", 2.7, _MELAYU,
             _r("62.71 Kota Palangka Raya; 62.01 Kabupaten Kotawaringin Barat; 62.02 Kabupaten Kotawaringin Timur; 62.03 Kabupaten Kapuas")),
    Province("63", "Kalimantan Selatan", "Kalsel", "WITA", 4.2, _MELAYU,
             _r("63.71 Kota Banjarmasin; 63.72 Kota Banjarbaru; 63.03 Kabupaten Banjar; 63.01 Kabupaten Tanah Laut; 63.02 Kabupaten Kotabaru")),
    Province("64", "Kalimantan Timur", "Kaltim", "WITA", 3.9, (("umum", 0.4), ("jawa", 0.3), ("bugis", 0.3)),
             _r("64.72 Kota Samarinda; 64.71 Kota Balikpapan; 64.02 Kabupaten Kutai Kartanegara; 64.03 Kabupaten Berau; 64.08 Kabupaten Kutai Timur")),
    Province("65", "Kalimantan Utara", "Kaltara", "WITA", 0.7, (("umum", 0.5), ("bugis", 0.3), ("jawa", 0.2)),
             _r("65.01 Kabupaten Bulungan; 65.71 Kota Tarakan; 65.02 Kabupaten Malinau; 65.03 Kabupaten Nunukan")),
    Province("71", "Sulawesi Utara", "Sulut", "WITA", 2.6, (("manado", 0.85), ("umum", 0.15)),
             _r("71.71 Kota Manado; 71.72 Kota Bitung; 71.02 Kabupaten Minahasa; 71.05 Kabupaten Minahasa Selatan; 71.01 Kabupaten Bolaang Mongondow")),
    Province("72", "Sulawesi Tengah", "Sulteng", "WITA", 3.0, (("bugis", 0.5), ("umum", 0.4), ("manado", 0.1)),
             _r("72.71 Kota Palu; 72.01 Kabupaten Banggai; 72.02 Kabupaten Poso; 72.03 Kabupaten Donggala")),
    Province("73", "Sulawesi Selatan", "Sulsel", "WITA", 9.2, _BUGIS,
             _r("73.71 Kota Makassar; 73.72 Kota Parepare; 73.06 Kabupaten Gowa; 73.08 Kabupaten Bone; 73.09 Kabupaten Maros")),
    Province("74", "Sulawesi Tenggara", "Sultra", "WITA", 2.7, _BUGIS,
             _r("74.71 Kota Kendari; 74.72 Kota Baubau; 74.02 Kabupaten Konawe; 74.01 Kabupaten Kolaka; 74.03 Kabupaten Muna")),
    Province("75", "Gorontalo", "Gorontalo", "WITA", 1.2, (("umum", 0.85), ("bugis", 0.15)),
             _r("75.71 Kota Gorontalo; 75.01 Kabupaten Gorontalo; 75.02 Kabupaten Boalemo")),
    Province("76", "Sulawesi Barat", "Sulbar", "WITA", 1.4, _BUGIS,
             _r("76.02 Kabupaten Mamuju; 76.04 Kabupaten Polewali Mandar; 76.05 Kabupaten Majene; 76.03 Kabupaten Mamasa")),
    Province("81", "Maluku", "Maluku", "WIT", 1.9, _TIMUR,
             _r("81.71 Kota Ambon; 81.72 Kota Tual; 81.01 Kabupaten Maluku Tengah; 81.02 Kabupaten Maluku Tenggara")),
    Province("82", "Maluku Utara", "Malut", "WIT", 1.3, (("umum", 0.7), ("timur", 0.2), ("bugis", 0.1)),
             _r("82.72 Kota Tidore Kepulauan; 82.71 Kota Ternate; 82.01 Kabupaten Halmahera Barat; 82.02 Kabupaten Halmahera Tengah")),
    Province("91", "Papua", "Papua", "WIT", 1.0, _PAPUA,
             _r("91.71 Kota Jayapura; 91.03 Kabupaten Jayapura; 91.05 Kabupaten Kepulauan Yapen; 91.06 Kabupaten Biak Numfor")),
    Province("92", "Papua Barat", "Pabar", "WIT", 0.6, _PAPUA,
             _r("92.02 Kabupaten Manokwari; 92.03 Kabupaten Fakfak; 92.08 Kabupaten Kaimana; 92.06 Kabupaten Teluk Bintuni")),
    Province("93", "Papua Selatan", "Papua Selatan", "WIT", 0.5, _PAPUA,
             _r("93.01 Kabupaten Merauke; 93.02 Kabupaten Boven Digoel; 93.03 Kabupaten Mappi; 93.04 Kabupaten Asmat")),
    Province("94", "Papua Tengah", "Papua Tengah", "WIT", 1.4, _PAPUA,
             _r("94.01 Kabupaten Nabire; 94.04 Kabupaten Mimika; 94.02 Kabupaten Puncak Jaya; 94.03 Kabupaten Paniai")),
    Province("95", "Papua Pegunungan", "Papua Pegunungan", "WIT", 1.4, _PAPUA,
             _r("95.01 Kabupaten Jayawijaya; 95.02 Kabupaten Pegunungan Bintang; 95.03 Kabupaten Yahukimo; 95.04 Kabupaten Tolikara")),
    Province("96", "Papua Barat Daya", "PBD", "WIT", 0.6, _PAPUA,
             _r("96.71 Kota Sorong; 96.01 Kabupaten Sorong; 96.02 Kabupaten Sorong Selatan; 96.03 Kabupaten Raja Ampat")),
)

PROVINCE_BY_CODE = {p.code: p for p in PROVINCES}

# --------------------------------------------------------------------------- agencies


@dataclass(frozen=True)
class AgencyType:
    key: str
    number: int  # the last segment of kode_instansi
    canonical: str  # "Dinas Pendidikan"; "{region}" is replaced for names that embed it
    abbreviations: tuple[str, ...]  # what people write instead of ``canonical``
    weight: float  # share of a region's ASN working there (teachers dominate)
    levels: tuple[str, ...]  # "prov", "kab" (Kabupaten/Kota)
    jabatan: tuple[tuple[str, float], ...]
    units: tuple[str, ...]  # ``{n}`` becomes a small number (school or health-centre number)


AGENCY_TYPES: tuple[AgencyType, ...] = (
    AgencyType("setda", 1, "Sekretariat Daerah", ("Setda", "Sekretariat Daerah", "Setda."), 6, ("prov", "kab"),
               (("Pengadministrasi Umum", 4), ("Analis Kebijakan", 2), ("Kepala Bagian Umum", 0.5),
                ("Kepala Sub Bagian Tata Usaha", 1), ("Asisten Pemerintahan", 0.2), ("Pranata Komputer", 1)),
               ("Bagian Umum", "Bagian Pemerintahan", "Bagian Hukum", "Bagian Organisasi",
                "Bagian Kesejahteraan Rakyat", "Bagian Protokol dan Komunikasi Pimpinan")),
    AgencyType("disdik", 2, "Dinas Pendidikan", ("Disdik", "Dinas Pendidikan", "Diknas", "Dinas Pendidikan dan Kebudayaan"),
               38, ("prov", "kab"),
               (("Guru Ahli Pertama", 10), ("Guru Ahli Muda", 8), ("Guru Ahli Madya", 5), ("Kepala Sekolah", 1.5),
                ("Pengawas Sekolah", 0.5), ("Kepala Bidang Pembinaan SD", 0.05), ("Pengadministrasi Umum", 2),
                ("Guru", 3)),
               ("SD Negeri {n}", "SD Negeri {n}", "SMP Negeri {n}", "SMA Negeri {n}", "SMK Negeri {n}",
                "Bidang Pembinaan SD", "Sekretariat")),
    AgencyType("dinkes", 3, "Dinas Kesehatan", ("Dinkes", "Dinas Kesehatan"), 12, ("prov", "kab"),
               (("Perawat Terampil", 4), ("Perawat Ahli Pertama", 3), ("Bidan Terampil", 4), ("Bidan Ahli Pertama", 2),
                ("Dokter Ahli Pertama", 1), ("Kepala Puskesmas", 0.3), ("Sanitarian Terampil", 1),
                ("Nutrisionis", 1), ("Apoteker", 0.5)),
               ("UPTD Puskesmas {n}", "UPTD Puskesmas {n}", "Bidang Pelayanan Kesehatan",
                "Bidang Kesehatan Masyarakat", "Sekretariat")),
    AgencyType("rsud", 4, "Rumah Sakit Umum Daerah", ("RSUD", "Rumah Sakit Umum Daerah", "RSUD."), 8, ("prov", "kab"),
               (("Perawat Ahli Pertama", 5), ("Perawat Terampil", 3), ("Dokter Spesialis", 1), ("Bidan Terampil", 2),
                ("Apoteker", 0.5), ("Perekam Medis", 1), ("Pranata Laboratorium Kesehatan", 1)),
               ("Instalasi Gawat Darurat", "Instalasi Rawat Inap", "Instalasi Rawat Jalan", "Instalasi Farmasi",
                "Bagian Tata Usaha")),
    AgencyType("bpkad", 5, "Badan Pengelolaan Keuangan dan Aset Daerah", ("BPKAD", "Badan Keuangan"), 3, ("prov", "kab"),
               (("Analis Keuangan", 3), ("Bendahara", 1), ("Pengelola Barang Milik Daerah", 2), ("Kepala Bidang Anggaran", 0.1)),
               ("Bidang Anggaran", "Bidang Perbendaharaan", "Bidang Aset", "Sekretariat")),
    AgencyType("pupr", 6, "Dinas Pekerjaan Umum dan Penataan Ruang", ("Dinas PUPR", "DPUPR", "Dinas PU", "PUPR"), 4,
               ("prov", "kab"),
               (("Teknik Jalan dan Jembatan Ahli Pertama", 2), ("Pengawas Bangunan", 2), ("Pengadministrasi Umum", 2),
                ("Kepala Seksi Jalan", 0.3)),
               ("Bidang Bina Marga", "Bidang Sumber Daya Air", "Bidang Cipta Karya", "Sekretariat")),
    AgencyType("bkpsdm", 7, "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", ("BKPSDM", "BKD", "Badan Kepegawaian"),
               2, ("prov", "kab"),
               (("Analis Kepegawaian", 3), ("Pengadministrasi Kepegawaian", 2), ("Kepala Bidang Mutasi", 0.1)),
               ("Bidang Mutasi dan Promosi", "Bidang Pengembangan Kompetensi", "Sekretariat")),
    AgencyType("dinsos", 8, "Dinas Sosial", ("Dinsos", "Dinas Sosial"), 2, ("prov", "kab"),
               (("Pekerja Sosial", 2), ("Penyuluh Sosial", 1), ("Pengadministrasi Umum", 1)),
               ("Bidang Rehabilitasi Sosial", "Bidang Perlindungan dan Jaminan Sosial", "Sekretariat")),
    AgencyType("distan", 9, "Dinas Pertanian", ("Distan", "Dinas Pertanian", "Dinas Pertanian dan Pangan"), 4, ("prov", "kab"),
               (("Penyuluh Pertanian", 5), ("Pengawas Benih Tanaman", 1), ("Pengadministrasi Umum", 1)),
               ("UPT Balai Penyuluhan Pertanian", "Bidang Tanaman Pangan", "Bidang Peternakan", "Sekretariat")),
    AgencyType("satpolpp", 10, "Satuan Polisi Pamong Praja", ("Satpol PP", "Satpol-PP", "Satuan Pol PP"), 3, ("prov", "kab"),
               (("Polisi Pamong Praja Terampil", 4), ("Kepala Seksi Operasi", 0.3), ("Pengadministrasi Umum", 1)),
               ("Bidang Penegakan Perda", "Bidang Ketertiban Umum", "Sekretariat")),
    AgencyType("bappeda", 11, "Badan Perencanaan Pembangunan Daerah", ("Bappeda", "BAPPEDA"), 2, ("prov", "kab"),
               (("Perencana Ahli Pertama", 2), ("Perencana Ahli Muda", 1), ("Pengadministrasi Umum", 1)),
               ("Bidang Perencanaan Ekonomi", "Bidang Infrastruktur dan Kewilayahan", "Sekretariat")),
    AgencyType("dukcapil", 12, "Dinas Kependudukan dan Pencatatan Sipil", ("Disdukcapil", "Dukcapil", "Dinas Dukcapil"), 2,
               ("kab",),
               (("Administrator Database Kependudukan", 2), ("Pengadministrasi Kependudukan", 3)),
               ("Bidang Pelayanan Pendaftaran Penduduk", "Bidang Pencatatan Sipil", "Sekretariat")),
    AgencyType("kesbangpol", 13, "Badan Kesatuan Bangsa dan Politik", ("Kesbangpol", "Badan Kesbangpol"), 1, ("prov", "kab"),
               (("Analis Politik", 1), ("Pengadministrasi Umum", 1)),
               ("Bidang Politik Dalam Negeri", "Sekretariat")),
    # Two sub-district offices per regency/city; their name is built from the region name.
    AgencyType("kecamatan", 21, "Kecamatan", ("Kantor Camat", "Kecamatan", "Kec."), 3, ("kab",),
               (("Camat", 0.2), ("Sekretaris Camat", 0.2), ("Lurah", 0.6), ("Kepala Seksi Pemerintahan", 0.5),
                ("Pengadministrasi Umum", 3)),
               ("Kantor Camat", "Kelurahan {n}", "Seksi Pemerintahan")),
)

AGENCY_TYPE_BY_KEY = {t.key: t for t in AGENCY_TYPES}
KECAMATAN_SUFFIXES = ("Utara", "Selatan")


@dataclass(frozen=True)
class Agency:
    kode_instansi: str
    nama_instansi: str
    type_key: str
    kode_wilayah: str  # "13" for provincial agencies, "13.06" for regency/city ones
    province_code: str
    level: str  # "prov" | "kab"
    region_name: str  # "Provinsi Sumatera Barat" | "Kabupaten Agam"
    ppk_jabatan: str
    weight: float
    variants: tuple[str, ...]  # free-text spellings people use for the agency


def ppk_for(province: Province, region: Region | None) -> str:
    """Who must execute sanctions (the PPK): governor, regent or mayor."""
    if region is None or province.admin_regions:
        return f"Gubernur {province.name}"
    return f"Bupati {region.name}" if region.kind == "Kabupaten" else f"Wali Kota {region.name}"


def _region_spellings(province: Province, region: Region | None) -> tuple[str, ...]:
    if region is None:
        spell = [f"Provinsi {province.name}", f"Prov. {province.name}", f"Prov {province.short}"]
        return tuple(dict.fromkeys(spell))
    if region.kind == "Kabupaten":
        return (f"Kabupaten {region.name}", f"Kab. {region.name}", f"Kab {region.name}", region.name)
    return (f"Kota {region.name}", region.name, f"Kota {region.name}")


def _government_spellings(province: Province, region: Region | None) -> tuple[str, ...]:
    """Whole-government spellings ("Pemkab Agam") that people use for the secretariat."""
    if region is None:
        return (f"Pemprov {province.short}", f"Setda Prov. {province.name}", f"Pemerintah Provinsi {province.name}")
    if region.kind == "Kabupaten":
        return (f"Pemkab {region.name}", f"Setda Kab. {region.name}", f"Setdakab {region.name}")
    return (f"Pemkot {region.name}", f"Setda Kota {region.name}", f"Setdakot {region.name}")


def _make_agency(province: Province, region: Region | None, atype: AgencyType, suffix: str = "") -> Agency:
    level = "prov" if region is None else "kab"
    region_full = f"Provinsi {province.name}" if region is None else region.full_name
    wilayah = province.code if region is None else region.code
    if atype.key == "kecamatan":
        assert region is not None
        place = f"{region.name} {suffix}"
        nama = f"Kecamatan {place}"
        variants = (f"Kantor Camat {place}", f"Kec. {place}", f"Kecamatan {place} {region.full_name}")
        number = atype.number + KECAMATAN_SUFFIXES.index(suffix)
    else:
        nama = f"{atype.canonical} {region_full}"
        variants = tuple(f"{a} {r}" for a in atype.abbreviations for r in _region_spellings(province, region))
        if atype.key == "setda":
            variants += _government_spellings(province, region)
        number = atype.number
    kode = f"{province.code}.00.{number:02d}" if region is None else f"{region.code}.{number:02d}"
    variants = tuple(v for v in dict.fromkeys(variants) if v != nama)
    return Agency(kode, nama, atype.key, wilayah, province.code, level, region_full, ppk_for(province, region),
                  atype.weight, variants)


@lru_cache(maxsize=1)
def all_agencies() -> tuple[Agency, ...]:
    """Every agency of the simulated world, in a stable order (the order defines agency ids).

    Weights: a province's provincial agencies get a third of its ASN, its regencies/cities
    share the rest equally (a simplification; real regional staff sizes vary far more).
    """
    out: list[Agency] = []
    for prov in PROVINCES:
        prov_w = prov.weight / 3.0
        region_w = prov.weight * 2.0 / 3.0 / max(len(prov.regions), 1)
        for atype in AGENCY_TYPES:
            if "prov" in atype.levels:
                a = _make_agency(prov, None, atype)
                out.append(_reweight(a, prov_w))
        for region in prov.regions:
            for atype in AGENCY_TYPES:
                if "kab" not in atype.levels:
                    continue
                if prov.admin_regions and atype.key in ("bkpsdm", "bpkad", "bappeda", "kesbangpol"):
                    continue  # DKI's administrative cities have no own finance/HR/planning body
                suffixes = KECAMATAN_SUFFIXES if atype.key == "kecamatan" else ("",)
                for suffix in suffixes:
                    out.append(_reweight(_make_agency(prov, region, atype, suffix), region_w))
    return tuple(out)


def _reweight(agency: Agency, scale: float) -> Agency:
    return Agency(**{**agency.__dict__, "weight": agency.weight * scale})


# --------------------------------------------------------------------------- elections


@dataclass(frozen=True)
class Election:
    name: str
    code: str  # the election segment of a register number
    register_start: str  # ISO dates: window in which cases get registered
    register_end: str
    share: float  # share of all generated cases
    proven_rate: float  # of forwarded cases, the share KASN/BKN finds proven
    follow_up_rate: float  # of proven ones, the share the PPK follows up (published figures)


ELECTIONS: tuple[Election, ...] = (
    # Pilkada 2020 final: 1,596 proven, 1,413 followed up (88.5%).
    Election("Pilkada 2020", "PB", "2020-01-15", "2020-12-31", 0.30, 0.80, 0.88),
    # Pemilu 2024 (KASN): 403 reported, 183 proven, 97 sanctioned (53%).
    Election("Pemilu 2024", "PL", "2023-06-01", "2024-04-15", 0.40, 0.55, 0.55),
    # Pilkada 2024 (Bawaslu): 433 cases, 314 ruled violations.
    Election("Pilkada 2024", "PB", "2024-08-15", "2025-01-20", 0.30, 0.75, 0.65),
)

# KASN was dissolved by UU 20/2023; Perpres 91-92/2024 moved its tasks to BKN. Recommendations dated
# on or after this day are issued by BKN.
BKN_TAKEOVER = "2024-10-01"

# --------------------------------------------------------------------------- violations and sanctions


@dataclass(frozen=True)
class Sanction:
    code: str
    label: str  # as written in recommendations and decrees
    severity: int  # higher is heavier: a follow-up with lower severity is "lighter than recommended"


SANCTIONS: tuple[Sanction, ...] = (
    Sanction("MORAL_TERTUTUP", "Sanksi moral berupa pernyataan secara tertutup", 1),
    Sanction("MORAL_TERBUKA", "Sanksi moral berupa pernyataan secara terbuka", 2),
    Sanction("DISIPLIN_SEDANG", "Hukuman disiplin sedang", 3),
    Sanction("DISIPLIN_BERAT", "Hukuman disiplin berat", 4),
    Sanction("PTDH", "Pemberhentian tidak dengan hormat", 5),
)
SANCTION_BY_CODE = {s.code: s for s in SANCTIONS}


@dataclass(frozen=True)
class ViolationCategory:
    code: str
    label: str  # Indonesian, as in the "Jenis Pelanggaran" column
    sanction: str  # Sanction.code typically recommended
    share: float  # share of cases


VIOLATION_CATEGORIES: tuple[ViolationCategory, ...] = (
    ViolationCategory("MEDSOS_INTERAKSI",
                      "Memberikan tanda suka, komentar, membagikan atau mengikuti akun kampanye di media sosial",
                      "MORAL_TERTUTUP", 0.24),
    ViolationCategory("MEDSOS_KAMPANYE", "Melakukan sosialisasi/kampanye calon melalui media sosial", "MORAL_TERBUKA", 0.13),
    ViolationCategory("ALAT_PERAGA", "Memasang spanduk, baliho atau alat peraga kampanye", "MORAL_TERBUKA", 0.06),
    ViolationCategory("FOTO_POSE", "Berfoto bersama calon atau berpose jari yang menunjukkan dukungan", "MORAL_TERTUTUP", 0.12),
    ViolationCategory("HADIR_KAMPANYE", "Menghadiri deklarasi atau kampanye calon", "DISIPLIN_SEDANG", 0.12),
    ViolationCategory("TIM_KAMPANYE", "Menjadi anggota tim kampanye atau tim pemenangan calon", "DISIPLIN_BERAT", 0.05),
    ViolationCategory("ANGGOTA_PARPOL", "Menjadi anggota atau pengurus partai politik", "PTDH", 0.02),
    ViolationCategory("DUKUNGAN_PERSEORANGAN",
                      "Memberikan dukungan kepada calon perseorangan (surat dukungan atau fotokopi KTP)",
                      "DISIPLIN_SEDANG", 0.05),
    ViolationCategory("ARAHAN_BAWAHAN", "Mengarahkan atau mengajak bawahan/masyarakat mendukung calon",
                      "DISIPLIN_SEDANG", 0.08),
    ViolationCategory("FASILITAS_NEGARA",
                      "Membuat keputusan atau menggunakan fasilitas negara yang menguntungkan calon",
                      "DISIPLIN_BERAT", 0.07),
    ViolationCategory("LAINNYA", "Pelanggaran netralitas ASN lainnya", "MORAL_TERTUTUP", 0.06),
)
CATEGORY_BY_CODE = {c.code: c for c in VIOLATION_CATEGORIES}

# --------------------------------------------------------------------------- calendar words

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember")
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# PNS ranks and PPPK grades.
GOLONGAN_PNS = ("II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c", "IV/d", "IV/e")
GOLONGAN_PPPK = ("V", "VII", "IX", "X", "XI")
PPPK_NIP_CODES = ("21", "22", "23", "24")  # digits 13-14 of a PPPK NIP instead of the month

ESCALATION_CONTACTS = (
    {"name": "Badan Kepegawaian Negara (Deputi Bidang Pengawasan dan Pengendalian)", "email": "netralitas@bkn.go.id"},
    {"name": "Kementerian Dalam Negeri (Ditjen Otonomi Daerah)", "email": "otda@kemendagri.go.id"},
)
