"""Nine real provinces and their regencies/cities as dialect b's agencies know them.

Codes are Kemendagri's (``51.04`` Kabupaten Gianyar). Each region carries what its own staff
lists and the sources mention: districts (kecamatan) for schools, health centres and district
offices, the regional hospitals by their own names, the name of its education office (regions
name it differently), whether it held a Pilkada in 2020, and since when an acting head (Pj.)
signed as PPK (regions whose heads' terms ended in 2022/2023 were led by a Pj. until the
Pilkada 2024 winners took office in February 2025).
"""

from __future__ import annotations

from dataclasses import dataclass

INAUGURATION_2025 = "2025-02-20"  # Pilkada 2024 winners take office; acting heads end
# Incumbents running in Pilkada 2024 took campaign leave: a temporary acting head (Pjs.) signed.
CAMPAIGN_LEAVE_2024 = ("2024-09-25", "2024-11-23")


@dataclass(frozen=True)
class Region:
    code: str  # Kemendagri, dotted
    kind: str  # Kabupaten | Kota
    name: str  # without the kind word
    districts: tuple[str, ...]
    hospitals: tuple[str, ...]
    pilkada_2020: bool
    weight: float  # relative size of the government's workforce
    education_office: str = "Dinas Pendidikan"
    acting_since: str | None = None  # a Pj. head signed from this date until INAUGURATION_2025
    incumbent_on_leave: bool = False  # the head ran again in 2024 (Pjs. during the campaign leave)

    @property
    def full_name(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    short: str  # how people abbreviate it (Sulsel, Kepri, DIY)
    bawaslu_office: str  # letter code of the provincial Bawaslu office
    offset: str  # +07:00 WIB, +08:00 WITA
    government: str  # the provincial government's official name
    governor: str  # the governor's title as PPK
    hospitals: tuple[str, ...]
    governor_election_2020: bool
    acting_since: str | None
    kode_style: str  # how this province's personnel system codes an agency: guid | bps
    name_mix: tuple[tuple[str, float], ...]  # name groups of its civil servants
    regions: tuple[Region, ...]
    # How the BKD's personnel system writes things (one system per province).
    nama_instansi_style: str = "full"  # full | short | upper
    gender_words: tuple[str, str] = ("L", "P")
    golongan_style: str = "slash"  # slash (III/b) | dot (III.b) | upper (III/B)
    names_upper: bool = False
    noble_prefix_in_gelar: float = 0.0  # share of hereditary prefixes stored as gelar_depan

    @property
    def region_by_code(self) -> dict[str, Region]:
        return {r.code: r for r in self.regions}


def _r(code: str, kind: str, name: str, districts: str, hospitals: str, p2020: bool, weight: float,
       edu: str = "Dinas Pendidikan", acting: str | None = None, leave: bool = False) -> Region:
    return Region(code, kind, name, tuple(d.strip() for d in districts.split(",")),
                  tuple(h.strip() for h in hospitals.split(",")), p2020, weight, edu, acting, leave)


_DISDIKPORA = "Dinas Pendidikan, Kepemudaan dan Olahraga"
_DISDIKBUD = "Dinas Pendidikan dan Kebudayaan"

PROVINCES: tuple[Province, ...] = (
    Province(
        "11", "Aceh", "Aceh", "AC", "+07:00", "Pemerintah Aceh", "Gubernur Aceh",
        ("RSUD dr. Zainoel Abidin", "Rumah Sakit Jiwa Aceh"), False, "2022-07-06", "guid",
        (("aceh_malay", 0.78), ("common", 0.17), ("javanese", 0.05)),
        (
            _r("11.71", "Kota", "Banda Aceh", "Baiturrahman, Kuta Alam, Meuraxa, Syiah Kuala, Lueng Bata, Kuta Raja, "
               "Banda Raya, Jaya Baru, Ulee Kareng", "RSUD Meuraxa", False, 1.1, _DISDIKBUD, "2022-07-11"),
            _r("11.08", "Kabupaten", "Aceh Besar", "Kota Jantho, Ingin Jaya, Darul Imarah, Baitussalam, "
               "Krueng Barona Jaya, Darussalam, Peukan Bada, Lhoknga, Montasik, Kuta Baro", "RSUD Aceh Besar",
               False, 1.2, _DISDIKBUD, "2022-07-11"),
            _r("11.09", "Kabupaten", "Pidie", "Kota Sigli, Pidie, Indrajaya, Mutiara, Delima, Padang Tiji, Tangse, "
               "Glumpang Tiga", "RSUD Tgk. Chik Ditiro", False, 1.0, _DISDIKBUD, "2022-07-11"),
            _r("11.10", "Kabupaten", "Bireuen", "Kota Juang, Jeumpa, Peusangan, Samalanga, Jeunieb, Gandapura, Kuala",
               "RSUD dr. Fauziah", False, 0.9, _DISDIKBUD, "2022-07-11"),
            _r("11.11", "Kabupaten", "Aceh Utara", "Lhoksukon, Syamtalira Bayu, Tanah Jambo Aye, Baktiya, Dewantara, "
               "Muara Batu, Samudera", "RSUD Cut Meutia", False, 1.2, _DISDIKBUD, "2022-07-11"),
            _r("11.74", "Kota", "Lhokseumawe", "Banda Sakti, Muara Dua, Muara Satu, Blang Mangat",
               "RSUD Arun Lhokseumawe", False, 0.5, _DISDIKBUD, "2022-07-11"),
            _r("11.73", "Kota", "Langsa", "Langsa Kota, Langsa Barat, Langsa Timur, Langsa Lama, Langsa Baro",
               "RSUD Langsa", False, 0.5, _DISDIKBUD, "2022-07-11"),
        ),
        nama_instansi_style="full", names_upper=True, noble_prefix_in_gelar=0.4,
    ),
    Province(
        "14", "Riau", "Riau", "RI", "+07:00", "Pemerintah Provinsi Riau", "Gubernur Riau",
        ("RSUD Arifin Achmad", "RSJ Tampan"), False, "2024-02-20", "bps",
        (("aceh_malay", 0.45), ("common", 0.38), ("javanese", 0.17)),
        (
            _r("14.71", "Kota", "Pekanbaru", "Sukajadi, Pekanbaru Kota, Sail, Lima Puluh, Senapelan, Rumbai, "
               "Bukit Raya, Tampan, Marpoyan Damai, Tenayan Raya, Payung Sekaki", "RSUD Madani", False, 1.5,
               acting="2022-05-23"),
            _r("14.06", "Kabupaten", "Kampar", "Bangkinang, Bangkinang Kota, Kampar, Tambang, Siak Hulu, Kampar Kiri, "
               "Tapung, XIII Koto Kampar", "RSUD Bangkinang", False, 1.2, acting="2022-05-23"),
            _r("14.05", "Kabupaten", "Siak", "Siak, Sungai Apit, Minas, Tualang, Kandis, Sungai Mandau, Dayun, "
               "Kerinci Kanan", "RSUD Tengku Rafian", True, 0.8, leave=True),
            _r("14.08", "Kabupaten", "Bengkalis", "Bengkalis, Bantan, Mandau, Pinggir, Bukit Batu, Siak Kecil, Rupat",
               "RSUD Bengkalis", True, 1.0),
            _r("14.03", "Kabupaten", "Indragiri Hilir", "Tembilahan, Tembilahan Hulu, Enok, Reteh, Kuala Indragiri, "
               "Tanah Merah, Keritang", "RSUD Puri Husada Tembilahan", False, 0.9, acting="2023-12-06"),
            _r("14.73", "Kota", "Dumai", "Dumai Barat, Dumai Timur, Dumai Kota, Dumai Selatan, Bukit Kapur, "
               "Medang Kampai, Sungai Sembilan", "RSUD Kota Dumai", True, 0.6, leave=True),
            _r("14.04", "Kabupaten", "Pelalawan", "Pangkalan Kerinci, Langgam, Pelalawan, Bunut, Kuala Kampar, Ukui",
               "RSUD Selasih", True, 0.6),
        ),
        golongan_style="dot",
    ),
    Province(
        "21", "Kepulauan Riau", "Kepri", "KR", "+07:00", "Pemerintah Provinsi Kepulauan Riau",
        "Gubernur Kepulauan Riau", ("RSUD Raja Ahmad Tabib", "RSJKO Engku Haji Daud"), True, None, "bps",
        (("aceh_malay", 0.40), ("common", 0.40), ("javanese", 0.15), ("bugis_buton", 0.05)),
        (
            _r("21.71", "Kota", "Batam", "Batam Kota, Lubuk Baja, Batu Ampar, Sekupang, Sagulung, Batu Aji, Bengkong, "
               "Nongsa, Sei Beduk, Bulang, Galang, Belakang Padang", "RSUD Embung Fatimah", True, 1.5),
            _r("21.72", "Kota", "Tanjungpinang", "Tanjungpinang Kota, Tanjungpinang Barat, Tanjungpinang Timur, "
               "Bukit Bestari", "RSUD Kota Tanjungpinang", False, 0.7, acting="2023-05-23"),
            _r("21.02", "Kabupaten", "Bintan", "Bintan Timur, Gunung Kijang, Teluk Bintan, Bintan Utara, Teluk Sebong, "
               "Seri Kuala Lobam, Toapaya", "RSUD Bintan", True, 0.6, leave=True),
            _r("21.01", "Kabupaten", "Karimun", "Karimun, Meral, Tebing, Kundur, Moro, Buru", "RSUD Muhammad Sani",
               True, 0.7),
            _r("21.04", "Kabupaten", "Lingga", "Lingga, Singkep, Singkep Barat, Senayang, Lingga Utara", "RSUD Dabo",
               True, 0.4),
        ),
    ),
    Province(
        "33", "Jawa Tengah", "Jateng", "JT", "+07:00", "Pemerintah Provinsi Jawa Tengah", "Gubernur Jawa Tengah",
        ("RSUD Dr. Moewardi", "RSUD Tugurejo"), False, "2023-09-05", "guid",
        (("javanese", 0.72), ("javanese_noble", 0.10), ("common", 0.18)),
        (
            _r("33.72", "Kota", "Surakarta", "Laweyan, Serengan, Pasar Kliwon, Jebres, Banjarsari", "RSUD Bung Karno",
               True, 1.0),
            _r("33.10", "Kabupaten", "Klaten", "Klaten Tengah, Klaten Utara, Klaten Selatan, Delanggu, Pedan, "
               "Prambanan, Wedi, Jatinom, Cawas", "RSUD Bagas Waras", True, 1.3, _DISDIKBUD, leave=True),
            _r("33.11", "Kabupaten", "Sukoharjo", "Sukoharjo, Kartasura, Grogol, Baki, Mojolaban, Bendosari, Nguter, "
               "Weru", "RSUD Ir. Soekarno", True, 1.0, _DISDIKBUD),
            _r("33.09", "Kabupaten", "Boyolali", "Boyolali, Mojosongo, Teras, Banyudono, Ampel, Cepogo, Sawit, Andong",
               "RSUD Pandan Arang", True, 1.0, _DISDIKBUD),
            _r("33.74", "Kota", "Semarang", "Semarang Tengah, Semarang Barat, Semarang Utara, Candisari, Banyumanik, "
               "Tembalang, Pedurungan, Gayamsari, Ngaliyan, Gunungpati", "RSUD K.R.M.T. Wongsonegoro", True, 1.5,
               leave=True),
            _r("33.02", "Kabupaten", "Banyumas", "Purwokerto Barat, Purwokerto Timur, Purwokerto Selatan, "
               "Purwokerto Utara, Sokaraja, Ajibarang, Banyumas, Wangon", "RSUD Banyumas", False, 1.4,
               acting="2023-09-26"),
            _r("33.13", "Kabupaten", "Karanganyar", "Karanganyar, Tasikmadu, Jaten, Colomadu, Gondangrejo, Matesih, "
               "Tawangmangu", "RSUD Karanganyar", False, 1.0, _DISDIKBUD, "2023-12-20"),
        ),
        noble_prefix_in_gelar=0.5,
    ),
    Province(
        "34", "Daerah Istimewa Yogyakarta", "DIY", "YO", "+07:00", "Pemerintah Daerah Daerah Istimewa Yogyakarta",
        "Gubernur Daerah Istimewa Yogyakarta", ("RSJ Grhasia",), False, None, "bps",
        (("javanese", 0.66), ("javanese_noble", 0.16), ("common", 0.18)),
        (
            _r("34.71", "Kota", "Yogyakarta", "Gondokusuman, Jetis, Tegalrejo, Umbulharjo, Kotagede, Mergangsan, Kraton, "
               "Gondomanan, Danurejan, Gedongtengen, Ngampilan, Wirobrajan, Mantrijeron, Pakualaman",
               "RSUD Kota Yogyakarta", False, 1.0, acting="2022-05-22"),
            _r("34.04", "Kabupaten", "Sleman", "Depok, Mlati, Gamping, Ngaglik, Sleman, Kalasan, Berbah, Prambanan, "
               "Godean, Turi, Pakem", "RSUD Sleman", True, 1.5, leave=True),
            _r("34.02", "Kabupaten", "Bantul", "Bantul, Sewon, Kasihan, Banguntapan, Piyungan, Imogiri, Jetis, Pandak, "
               "Sedayu", "RSUD Panembahan Senopati", True, 1.3),
            _r("34.03", "Kabupaten", "Gunungkidul", "Wonosari, Playen, Karangmojo, Semanu, Patuk, Paliyan, Tepus, "
               "Ponjong", "RSUD Wonosari", True, 1.0, _DISDIKBUD),
            _r("34.01", "Kabupaten", "Kulon Progo", "Wates, Pengasih, Sentolo, Nanggulan, Galur, Temon, Panjatan, Kokap",
               "RSUD Wates", False, 0.8, acting="2022-05-22"),
        ),
        noble_prefix_in_gelar=0.6, golongan_style="upper",
    ),
    Province(
        "35", "Jawa Timur", "Jatim", "JI", "+07:00", "Pemerintah Provinsi Jawa Timur", "Gubernur Jawa Timur",
        ("RSUD Dr. Soetomo", "RSUD Haji Provinsi Jawa Timur", "RSUD Dr. Saiful Anwar"), False, "2024-02-14", "guid",
        (("javanese", 0.74), ("javanese_noble", 0.06), ("common", 0.20)),
        (
            _r("35.78", "Kota", "Surabaya", "Genteng, Tegalsari, Gubeng, Wonokromo, Rungkut, Sukolilo, Tambaksari, "
               "Sawahan, Wiyung, Lakarsantri, Kenjeran, Mulyorejo", "RSUD Dr. Mohamad Soewandhie", True, 2.0,
               leave=True),
            _r("35.07", "Kabupaten", "Malang", "Kepanjen, Singosari, Lawang, Turen, Pakis, Dau, Karangploso, "
               "Bululawang, Tumpang, Dampit", "RSUD Kanjuruhan", True, 1.8),
            _r("35.15", "Kabupaten", "Sidoarjo", "Sidoarjo, Buduran, Candi, Porong, Waru, Taman, Gedangan, Krian, "
               "Sukodono, Tanggulangin", "RSUD R.T. Notopuro", True, 1.5),
            _r("35.06", "Kabupaten", "Kediri", "Pare, Ngasem, Gurah, Kandat, Wates, Papar, Plosoklaten, Kras",
               "RSUD Simpang Lima Gumul", True, 1.2, leave=True),
            _r("35.10", "Kabupaten", "Banyuwangi", "Banyuwangi, Giri, Kalipuro, Glagah, Rogojampi, Genteng, Srono, "
               "Muncar, Cluring", "RSUD Blambangan", True, 1.4, leave=True),
            _r("35.77", "Kota", "Madiun", "Kartoharjo, Manguharjo, Taman", "RSUD Kota Madiun", False, 0.5,
               acting="2023-12-27"),
            _r("35.02", "Kabupaten", "Ponorogo", "Ponorogo, Babadan, Siman, Jetis, Balong, Kauman, Sukorejo, Jenangan",
               "RSUD Dr. Harjono", True, 1.0, leave=True),
        ),
        nama_instansi_style="upper", names_upper=True,
    ),
    Province(
        "51", "Bali", "Bali", "BA", "+08:00", "Pemerintah Provinsi Bali", "Gubernur Bali",
        ("RSUD Bali Mandara", "RS Mata Bali Mandara"), False, "2023-09-05", "bps",
        (("balinese", 0.88), ("javanese", 0.05), ("common", 0.07)),
        (
            _r("51.04", "Kabupaten", "Gianyar", "Sukawati, Blahbatuh, Gianyar, Tampaksiring, Ubud, Tegallalang, Payangan",
               "RSUD Sanjiwani", False, 1.2, _DISDIKPORA, "2023-09-25"),
            _r("51.03", "Kabupaten", "Badung", "Kuta, Kuta Selatan, Kuta Utara, Mengwi, Abiansemal, Petang",
               "RSD Mangusada", True, 1.4, _DISDIKPORA, leave=True),
            _r("51.71", "Kota", "Denpasar", "Denpasar Barat, Denpasar Timur, Denpasar Selatan, Denpasar Utara",
               "RSUD Wangaya", True, 1.5, _DISDIKPORA, leave=True),
            _r("51.02", "Kabupaten", "Tabanan", "Tabanan, Kediri, Marga, Penebel, Kerambitan, Selemadeg, Baturiti, Pupuan",
               "RSUD Tabanan", True, 1.1, _DISDIKPORA),
            _r("51.01", "Kabupaten", "Jembrana", "Negara, Jembrana, Mendoyo, Pekutatan, Melaya", "RSU Negara", True, 0.8,
               _DISDIKPORA),
            _r("51.05", "Kabupaten", "Klungkung", "Klungkung, Banjarangkan, Dawan, Nusa Penida", "RSUD Klungkung", False,
               0.7, _DISDIKPORA, "2023-09-25"),
            _r("51.06", "Kabupaten", "Bangli", "Bangli, Susut, Tembuku, Kintamani", "RSUD Bangli", True, 0.7,
               _DISDIKPORA, leave=True),
            _r("51.07", "Kabupaten", "Karangasem", "Karangasem, Abang, Bebandem, Manggis, Sidemen, Selat, Rendang, Kubu",
               "RSUD Karangasem", True, 0.9, _DISDIKPORA),
            _r("51.08", "Kabupaten", "Buleleng", "Buleleng, Sukasada, Sawan, Kubutambahan, Tejakula, Seririt, Banjar, "
               "Gerokgak, Busungbiu", "RSUD Kabupaten Buleleng", False, 1.3, "Dinas Pendidikan, Pemuda dan Olahraga",
               "2022-09-20"),
        ),
    ),
    Province(
        "73", "Sulawesi Selatan", "Sulsel", "SN", "+08:00", "Pemerintah Provinsi Sulawesi Selatan",
        "Gubernur Sulawesi Selatan", ("RSUD Labuang Baji", "RSUD Haji Makassar", "RSUD Sayang Rakyat"), False,
        "2023-09-05", "guid",
        (("bugis_buton", 0.62), ("toraja", 0.08), ("common", 0.30)),
        (
            _r("73.71", "Kota", "Makassar", "Mariso, Mamajang, Tamalate, Rappocini, Makassar, Ujung Pandang, Wajo, "
               "Bontoala, Ujung Tanah, Tallo, Panakkukang, Manggala, Biringkanaya, Tamalanrea", "RSUD Daya", True, 2.0),
            _r("73.11", "Kabupaten", "Bone", "Tanete Riattang, Tanete Riattang Barat, Tanete Riattang Timur, Palakka, "
               "Awangpone, Sibulue, Cina, Mare, Barebbo, Lappariaja, Kahu, Dua Boccoe", "RSUD Tenriawaru", False, 1.6,
               acting="2023-09-25"),
            _r("73.06", "Kabupaten", "Gowa", "Somba Opu, Bontomarannu, Pallangga, Bajeng, Barombong, Parangloe, "
               "Tinggimoncong, Bontonompo", "RSUD Syekh Yusuf", True, 1.3),
            _r("73.13", "Kabupaten", "Wajo", "Tempe, Tanasitolo, Maniangpajo, Sabbangparu, Pammana, Belawa",
               "RSUD Lamaddukelleng", False, 1.0, acting="2024-01-02"),
            _r("73.02", "Kabupaten", "Bulukumba", "Ujung Bulu, Gantarang, Kajang, Bontobahari, Herlang, Kindang, "
               "Rilau Ale", "RSUD H. Andi Sulthan Daeng Radja", True, 1.0),
            _r("73.14", "Kabupaten", "Sidenreng Rappang", "Watang Pulu, Maritengngae, Tellu Limpoe, Panca Rijang, "
               "Baranti, Dua Pitue, Pitu Riawa", "RSUD Nene Mallomo", False, 0.8, acting="2023-12-05"),
            _r("73.72", "Kota", "Parepare", "Bacukiki, Bacukiki Barat, Ujung, Soreang", "RSUD Andi Makkasau", False, 0.6,
               acting="2023-09-25"),
            _r("73.08", "Kabupaten", "Maros", "Turikale, Mandai, Marusu, Bantimurung, Lau, Maros Baru, Tanralili",
               "RSUD Salewangang", True, 0.9, leave=True),
            _r("73.12", "Kabupaten", "Soppeng", "Lalabata, Liliriaja, Marioriwawo, Donri-Donri, Ganra", "RSUD Latemmamala",
               True, 0.7),
        ),
        nama_instansi_style="short", gender_words=("Laki-laki", "Perempuan"), noble_prefix_in_gelar=0.1,
    ),
    Province(
        "74", "Sulawesi Tenggara", "Sultra", "SG", "+08:00", "Pemerintah Provinsi Sulawesi Tenggara",
        "Gubernur Sulawesi Tenggara", ("RSUD Bahteramas",), False, "2023-09-05", "bps",
        (("bugis_buton", 0.58), ("common", 0.42)),
        (
            _r("74.71", "Kota", "Kendari", "Mandonga, Kadia, Wua-Wua, Poasia, Abeli, Kambu, Baruga, Puuwatu, Kendari, "
               "Kendari Barat", "RSUD Kota Kendari", False, 1.4, acting="2022-05-31"),
            _r("74.72", "Kota", "Baubau", "Wolio, Betoambari, Murhum, Sorawolio, Bungi, Kokalukuna, Lea-Lea, Batupoaro",
               "RSUD Palagimata", False, 0.8, acting="2023-08-31"),
            _r("74.01", "Kabupaten", "Buton", "Pasarwajo, Kapontori, Lasalimu, Siotapina, Wabula, Wolowa", "RSUD Buton",
               False, 0.7, acting="2022-05-24"),
            _r("74.02", "Kabupaten", "Muna", "Katobu, Duruka, Batalaiworu, Lasalepa, Napabalano, Kabawo, Tongkuno, "
               "Kontunaga", "RSUD Muna", True, 0.8),
            _r("74.07", "Kabupaten", "Wakatobi", "Wangi-Wangi, Wangi-Wangi Selatan, Kaledupa, Tomia, Binongko",
               "RSUD Wakatobi", True, 0.5),
            _r("74.14", "Kabupaten", "Buton Tengah", "Lakudo, Mawasangka, Gu, Sangia Wambulu", "RSUD Buton Tengah", False,
               0.4, acting="2022-05-22"),
            _r("74.03", "Kabupaten", "Konawe", "Unaaha, Wawotobi, Pondidaha, Lambuya, Sampara, Tongauna", "RSUD Konawe",
               False, 0.9, acting="2023-10-02"),
        ),
    ),
)

PROVINCE_BY_CODE = {p.code: p for p in PROVINCES}
REGION_PROVINCE = {r.code: p for p in PROVINCES for r in p.regions}


def all_regions() -> list[Region]:
    return [r for p in PROVINCES for r in p.regions]


def head_title(kind: str, name: str, day: str, acting_since: str | None, on_leave: bool) -> str:
    """The PPK's title on ``day`` (ISO): ``Bupati Gianyar``, ``Pj. Bupati Gianyar``, ``Pjs. Wali Kota ...``."""
    base = {"Kabupaten": f"Bupati {name}", "Kota": f"Wali Kota {name}"}.get(kind, name)
    if acting_since and acting_since <= day < INAUGURATION_2025:
        return f"Pj. {base}"
    if on_leave and CAMPAIGN_LEAVE_2024[0] <= day <= CAMPAIGN_LEAVE_2024[1]:
        return f"Pjs. {base}"
    return base
