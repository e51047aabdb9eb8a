"""Indonesian personal names and academic/religious titles, sampled vectorised.

Names are drawn from a *catalog* per (style, gender): a list of distinct full names with
Zipf-like weights, so that common names ("Sri Wahyuni", "Muhammad Rizki") repeat inside large
agencies at a realistic rate while rare combinations stay rare. Sampling 6M persons is then
one weighted ``rng.choice`` per (style, gender) group, and a person's name is an integer code
into the catalog (cheap to keep in memory and to write as a dictionary column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Frequent full names: first in their catalog so that they get the largest weights.
_COMMON = {
    ("jawa", 1): "Agus Setiawan, Budi Santoso, Eko Prasetyo, Joko Susilo, Bambang Sutrisno, Slamet Riyadi, Heru Santoso, Agus Salim, Dwi Cahyono, Sugiyanto, Suparman, Sutrisno, Purwanto, Haryanto, Wahyudi",
    ("jawa", 2): "Sri Wahyuni, Sri Rahayu, Dwi Lestari, Siti Aminah, Endang Sulistyowati, Sri Lestari, Tri Wahyuni, Sumarni, Suryani, Sulastri, Rahayu, Sri Mulyani, Dewi Sartika, Retno Wulandari",
    ("umum", 1): "Muhammad Rizki, Muhammad Iqbal, Ahmad Fauzi, Muhammad Ridwan, Abdul Rahman, Muhammad Arif, Rudi Hartono, Muhammad Yusuf, Ahmad Syarif, Hendra Gunawan, Zulkifli, Khairul Anwar, Syaiful Bahri",
    ("umum", 2): "Siti Nurhaliza, Nur Hidayah, Siti Aminah, Siti Fatimah, Fitri Handayani, Nurul Hidayati, Rina Marlina, Dewi Kartika, Nur Aini, Siti Khadijah, Yuni Rahmawati, Indah Permatasari",
    ("sunda", 1): "Asep Saepudin, Ujang Suryana, Dede Kurniawan, Cecep Hidayat, Dadang Sunarya, Yayan Sopian, Iwan Setiawan, Ade Supriatna",
    ("sunda", 2): "Euis Komalasari, Neneng Nurhayati, Yeti Kurniasih, Imas Masitoh, Lilis Suryani, Iis Rosita, Nining Nurlaela, Cucu Sumiati",
    ("batak", 1): "Ahmad Nasution, Muhammad Lubis, Hotman Siregar, Roy Simanjuntak, Martua Harahap, Parlindungan Sinaga",
    ("batak", 2): "Rosmawati Siregar, Tiurma Simanjuntak, Lestari Nasution, Rotua Sitompul",
    ("minang", 1): "Syafrizal, Afrizal, Yusrizal, Zulkifli, Efrizal, Syahrial, Masrizal, Rahmat Hidayat",
    ("minang", 2): "Desmawati, Yusnimar, Yuliarni, Nurhayati, Rosmaniar, Elvi Susanti, Yenni Marlina",
    ("bugis", 1): "Muhammad Arsyad, Hasanuddin, Baharuddin, Syamsul Alam, Andi Muhammad Ilham, Nurdin, Rusdi",
    ("bugis", 2): "Sitti Hasnah, Hasnawati, Kasmawati, Jumriah, Andi Asriani, Nurhayati",
    ("manado", 1): "Johny Lumenta, Frans Wowor, Stevanus Sondakh, Ferry Pangemanan, Max Rumondor",
    ("manado", 2): "Meiske Mandagi, Jeane Kaunang, Novita Tumbelaka, Deisy Wenas",
    ("bali", 1): "I Made Sudarsana, I Wayan Suarjana, I Ketut Sukadana, I Nyoman Sutama, I Gede Mahendra",
    ("bali", 2): "Ni Luh Putu Ariani, Ni Made Sriasih, Ni Wayan Suryani, Ni Ketut Sukarini",
    ("timur", 1): "Yohanes Ndoen, Yosef Bire, Agustinus Wenda, Fransiskus Lay, Petrus Kogoya",
    ("timur", 2): "Maria Fanggidae, Yohana Rumbiak, Theresia Adoe, Agustina Mandowen",
}

# Parts from which the rest of each catalog is combined: (singles, first parts, last parts).
_PARTS = {
    ("jawa", 1): ("Sutrisno Suparman Sugiyanto Purwanto Haryanto Slamet Sumarno Sukardi Suwarno Bambang Wahyudi Supriyadi Sunarto Mulyono Sutarno Budiono Hartono Gunawan Teguh Sugeng Yulianto Nugroho Widodo Susanto Subagyo Priyanto Triyono Soeparman Soekardi Soetrisno Djoko Tjahjono Sudarsono Mardiyono Sukirman Paijo Parno Tukiman Sarwono",
                  "Agus Budi Eko Dwi Tri Bambang Joko Djoko Heru Hadi Slamet Teguh Bayu Dimas Yoga Rudi Andi Arif Wahyu Yudi Sigit Anton",
                  "Setiawan Santoso Prasetyo Wibowo Susilo Purnomo Hidayat Kurniawan Saputro Nugroho Wicaksono Hermawan Suharto Riyadi Cahyono Wijaya Prabowo Sutanto Raharjo Pamungkas"),
    ("jawa", 2): ("Sumarni Suryani Sulastri Sriyati Suparti Sumiyati Wartini Tuminah Ngatini Rahayu Lestari Yuliani Purwanti Sunarti Winarti Suwarni Sutinah Tumini Sukarti Djumirah",
                  "Sri Endang Dyah Retno Tutik Siti Dwi Tri Eni Yuli Rini Nanik Wahyu Ani Tatik",
                  "Wahyuni Lestari Rahayu Handayani Astuti Wulandari Rahmawati Purwanti Sulistyowati Mulyani Suprapti Utami Kusumawati Widyastuti Setyaningsih Hartati"),
    ("umum", 1): ("Zulkifli Hendra Irwan Dedi Rizky Fauzan Hasbi Syahrul Khairul Ridwan Darmawan Firdaus Nasrullah",
                  "Muhammad Mohammad Muhamad Ahmad Abdul Syaiful Khairul Nur Rizki Fajar Ilham Hasan Yusuf Arif Rahmat Taufik Irfan Ma’ruf Mu’min",
                  "Rizki Ridwan Fauzi Iqbal Hasan Arif Yusuf Ali Ilham Fadli Syarif Hidayat Zainal Rifai Rahman Karim Haris Rahim Malik Azis Anwar Bahri Huda Hakim Kholik Amin"),
    ("umum", 2): ("Fitriani Rahmawati Nurjanah Khadijah Maryam Aisyah Hasanah Mardiah Rosmiati Nuraini Syarifah",
                  "Siti Nur Nurul Rina Dewi Fitri Indah Yuni Ratna Lina Eka Wulan Rahma Aulia Syarifah",
                  "Aminah Nurhaliza Rahmah Khadijah Fatimah Maryam Aisyah Nurjanah Hidayah Aini Halimah Hidayati Marlina Kartika Handayani Rahmawati Permatasari Susanti Safitri Khairunnisa"),
    ("sunda", 1): ("Ujang Dadang Cecep Yayan Enjang Asep Ade Dede Iwan Atep Dudung Ucup",
                   "Asep Ujang Dede Cecep Yayan Iwan Dadang Ade Enjang Endang Acep Deden Yana Agus",
                   "Saepudin Sunandar Hidayat Suryana Sunarya Rukmana Supriatna Hermawan Permana Kusumah Setiadi Mulyana Sopian Gunawan Ruhiyat"),
    ("sunda", 2): ("Euis Neneng Yeti Imas Cucu Iis Nining Lilis Enok Entin",
                   "Euis Neneng Yeti Imas Lilis Iis Nining Rina Ai Cucu Tati",
                   "Nurhayati Komalasari Kurniasih Rosita Marlina Nurlaela Sumiati Suryani Masitoh Rohayati Hernawati"),
    ("batak", 1): ("Hotman Togar Maruli Sahat Bonar",
                   "Roy Hotman Parlindungan Togar Martua Rudolf Jonny Maruli Dorlan Sahat Bonar Ahmad Muhammad Riswan Pahala Binsar Juliper",
                   "Siregar Nasution Harahap Simanjuntak Sitompul Pardede Hutagalung Lubis Sinaga Panjaitan Simatupang Situmorang Sihombing Manurung Tambunan Pasaribu Hutapea Sitorus Silalahi Marpaung Damanik Purba Ginting Tarigan Sembiring"),
    ("batak", 2): ("Rosmawati Tiurma",
                   "Lestari Rosmawati Tiurma Sondang Rotua Friska Erika Dameria Hotnida Rumondang Mutiara Nurhayati",
                   "Siregar Nasution Harahap Simanjuntak Sitompul Pardede Hutagalung Lubis Sinaga Panjaitan Simatupang Situmorang Sihombing Manurung Tambunan Pasaribu Hutapea Sitorus"),
    ("minang", 1): ("Syafrizal Afrizal Yulizar Zulkifli Yusrizal Efrizal Hendri Nofrizal Defri Erianto Asmar Syahrial Masrizal Zainal Jasman Alfian Yuhendri Firdaus",
                    "Rahmat Zainal Dedi Rizal Andri Hendra Yose Doni",
                    "Hidayat Abidin Chaniago Piliang Tanjung Koto Sikumbang Putra Saputra Rahman"),
    ("minang", 2): ("Desmawati Yusnimar Elfi Yenni Yuliarni Nelfi Rosmaniar Yelmi Nurhayati Zurniati Asmanidar Yusmaniar",
                    "Elvi Yenni Rina Fitri Vivi Nelly Sri",
                    "Susanti Marlina Yanti Novita Hayati Yulianti Suryani Wahyuni"),
    ("bugis", 1): ("Hasanuddin Baharuddin Nurdin Rusdi Sahabuddin Jamaluddin Syamsuddin Kamaruddin Sulfikar Asri",
                   "Andi Muhammad Ahmad Abdul Syamsul Andi Baso Rahmat Sulaiman",
                   "Ilham Arsyad Alam Rahman Sulfikar Mappaselle Tenri Baso Amir Hamzah Makmur Jufri"),
    ("bugis", 2): ("Hasnawati Kasmawati Jumriah Nurhayati Hasnah Rosmini Haslinda Nurbaya",
                   "Andi Sitti Nur Sri Hj",
                   "Hasnah Asriani Tenriawaru Nurbaya Rahmawati Suriani Hasmiah Nurlina"),
    ("manado", 1): ("Recky Jemmy",
                    "Johny Frans Stevanus Ferry Roy Max Olly Steven Jemmy Recky Hanny Jefry Vecky Denny",
                    "Lumenta Wowor Rumondor Sondakh Pangemanan Tumbelaka Mandagi Kaunang Rorimpandey Sumampouw Tambuwun Lengkong Runtuwene Mamahit Kalangi Wenas Lumingkewas"),
    ("manado", 2): ("Meiske Deisy",
                    "Meiske Jeane Vivi Hanny Novita Deisy Rini Grace Feibe Julien Marlin",
                    "Lumenta Wowor Rumondor Sondakh Pangemanan Tumbelaka Mandagi Kaunang Rorimpandey Sumampouw Tambuwun Lengkong Runtuwene Wenas"),
    ("bali", 1): ("",
                  "I_Made I_Wayan I_Ketut I_Nyoman I_Putu I_Gede I_Komang I_Kadek Ida_Bagus Anak_Agung_Gede",
                  "Sudarsana Suarjana Wirawan Sukadana Artawan Sutama Suparta Mahendra Astawa Budiarta Suardana Wiryawan Adnyana Sudiarta"),
    ("bali", 2): ("",
                  "Ni_Made Ni_Luh Ni_Wayan Ni_Ketut Ni_Nyoman Ni_Putu Ni_Kadek Desak_Made Ni_Luh_Putu",
                  "Widiastuti Sriasih Suryani Ariani Sukarini Sumiartini Wardani Suastini Sulastri Yuliantari Darmayanti"),
    ("timur", 1): ("",
                   "Yohanes Yosef Agustinus Fransiskus Petrus Paulus Markus Yakobus Yulius Simon Lukas Herman Frederik Marthen Welem Yance Melkianus Abraham Daniel",
                   "Ndoen Bire Fanggidae Lay Adoe Latuconsina Tuasikal Pattiasina Sahetapy Matulessy Wenda Kogoya Tabuni Mandowen Rumbiak Wanggai Yikwa Wonda Kambu Rumkorem Karubaba Gebze Mahuze Manu Nenobais"),
    ("timur", 2): ("",
                   "Maria Yohana Theresia Magdalena Elisabeth Agustina Yuliana Margaretha Fransina Ester Debora Martha",
                   "Ndoen Bire Fanggidae Lay Adoe Latuconsina Pattiasina Sahetapy Matulessy Wenda Kogoya Tabuni Mandowen Rumbiak Wanggai Kambu Manu Nenobais"),
}

STYLES = ("jawa", "umum", "sunda", "batak", "minang", "bugis", "manado", "bali", "timur")
# Styles in which a two-part name is the rule; elsewhere single names are common (Java).
_SINGLE_SHARE = {"jawa": 0.35, "umum": 0.1, "sunda": 0.25, "batak": 0.02, "minang": 0.45, "bugis": 0.3,
                 "manado": 0.02, "bali": 0.0, "timur": 0.0}
_CATALOG_COMBOS = 6000  # combined names per (style, gender): plenty of rare names


@dataclass(frozen=True)
class NameCatalog:
    """All distinct clean names; ``ranges[(style, gender)]`` gives the slice and weights."""

    names: np.ndarray  # object array of str
    ranges: dict[tuple[str, int], tuple[int, np.ndarray]]  # offset, probabilities


def _build_style(rng: np.random.Generator, style: str, gender: int) -> list[str]:
    singles = [s.replace("_", " ") for s in _PARTS[(style, gender)][0].split()]
    firsts = [s.replace("_", " ") for s in _PARTS[(style, gender)][1].split()]
    lasts = [s.replace("_", " ") for s in _PARTS[(style, gender)][2].split()]
    common = [c.strip() for c in _COMMON[(style, gender)].split(",")]
    combos: list[str] = []
    n_combo = min(_CATALOG_COMBOS, len(firsts) * len(lasts) * 6)
    fi = rng.integers(0, len(firsts), n_combo)
    la = rng.integers(0, len(lasts), n_combo)
    three = rng.random(n_combo) < 0.35
    mid = rng.integers(0, len(lasts), n_combo)
    for i in range(n_combo):
        parts = [firsts[fi[i]], lasts[la[i]]]
        if three[i] and lasts[mid[i]] != lasts[la[i]]:
            parts.insert(1, lasts[mid[i]])  # three-part names ("Andi Muhammad Ilham")
        if parts[0] != parts[-1]:
            combos.append(" ".join(parts))
    rest = list(dict.fromkeys(singles + combos))
    rng.shuffle(rest)  # type: ignore[arg-type]
    return list(dict.fromkeys(common + rest))


def _weights(style: str, names: list[str], n_common: int) -> np.ndarray:
    ranks = np.arange(len(names), dtype=np.float64)
    w = 1.0 / (ranks + 30.0) ** 0.75
    w[:n_common] *= 2.0
    single = np.array([" " not in n for n in names])
    share = _SINGLE_SHARE[style]
    if single.any() and share > 0:
        w[single] *= share / w[single].sum() * w[~single].sum() / max(1e-9, 1 - share)
    return w / w.sum()


@lru_cache(maxsize=4)
def build_catalog(seed: int) -> NameCatalog:
    rng = np.random.default_rng([seed, 7])
    names: list[str] = []
    ranges: dict[tuple[str, int], tuple[int, np.ndarray]] = {}
    for style in STYLES:
        for gender in (1, 2):
            lst = _build_style(rng, style, gender)
            n_common = len(_COMMON[(style, gender)].split(","))
            ranges[(style, gender)] = (len(names), _weights(style, lst, n_common))
            names.extend(lst)
    return NameCatalog(np.array(names, dtype=object), ranges)


def sample_names(rng: np.random.Generator, catalog: NameCatalog, style: np.ndarray, gender: np.ndarray) -> np.ndarray:
    """Name codes (int32 into ``catalog.names``) for persons with the given style index and gender."""
    out = np.zeros(len(style), dtype=np.int32)
    for si, sname in enumerate(STYLES):
        for g in (1, 2):
            mask = (style == si) & (gender == g)
            k = int(mask.sum())
            if k:
                offset, p = catalog.ranges[(sname, g)]
                out[mask] = offset + rng.choice(len(p), size=k, p=p)
    return out


# --------------------------------------------------------------------------- titles

# Front titles by gender (index 0 = none). Religious titles (H./Hj.) after the Hajj, academic ones.
FRONT_TITLES = ("", "Drs.", "Dra.", "Ir.", "Dr.", "dr.", "H.", "Hj.", "Drs. H.", "Dra. Hj.", "Prof. Dr.", "H. Ir.")
_FRONT_P = {
    1: (0.78, 0.05, 0.0, 0.02, 0.02, 0.02, 0.07, 0.0, 0.03, 0.0, 0.003, 0.007),
    2: (0.80, 0.0, 0.05, 0.01, 0.015, 0.025, 0.0, 0.08, 0.0, 0.02, 0.0, 0.0),
}
BACK_TITLES = ("", "S.Pd.", "S.E.", "S.H.", "S.Sos.", "S.Kom.", "A.Md.", "S.Kep.", "S.T.", "S.Pd., M.Pd.", "S.E., M.M.",
               "S.H., M.H.", "S.Sos., M.Si.", "M.Si.", "S.Kom., M.T.", "Ph.D.", "A.Md.Kep.", "S.Farm., Apt.", "M.Kes.",
               "S.Ag.", "S.IP.", "S.Kep., Ns.", "S.P.", "M.M.")
_BACK_P = np.array((0.30, 0.20, 0.06, 0.04, 0.05, 0.03, 0.05, 0.03, 0.03, 0.04, 0.02, 0.01, 0.02, 0.02, 0.005, 0.002,
                    0.03, 0.005, 0.01, 0.02, 0.02, 0.02, 0.02, 0.008))
_BACK_P = _BACK_P / _BACK_P.sum()


def sample_titles(rng: np.random.Generator, gender: np.ndarray, senior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Front and back title codes; seniors (older, higher rank) more often carry degrees and H./Hj."""
    n = len(gender)
    front = np.zeros(n, dtype=np.int8)
    for g in (1, 2):
        mask = gender == g
        p = np.array(_FRONT_P[g])
        front[mask] = rng.choice(len(p), size=int(mask.sum()), p=p / p.sum())
    # Juniors rarely hold doctorates or have made the Hajj: drop most of their front titles.
    front[(~senior) & (rng.random(n) < 0.6)] = 0
    back = rng.choice(len(_BACK_P), size=n, p=_BACK_P).astype(np.int8)
    return front, back


def full_name(nama: str, depan: str, belakang: str) -> str:
    """``Drs. H. Syafrizal, M.Si.`` — the written form: front titles, name, comma, back titles."""
    out = f"{depan} {nama}".strip()
    return f"{out}, {belakang}" if belakang else out


# --------------------------------------------------------------------------- spelling variants

_OLD_SPELLING = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("ch", "kh"))
_MUHAMMAD = ("Muhammad", "Mohammad", "Muhamad", "M.", "Moh.", "Mochammad")


def spelling_variant(name: str, rng: np.random.Generator) -> str | None:
    """Another way the same name gets written, or None when the name has no such variant.

    Old-spelling names (Soeparman) are modernised and modern ones get the old spelling (Djoko /
    Joko both occur in the wild); Muhammad takes one of its usual spellings/abbreviations.
    """
    for v in _MUHAMMAD:
        if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", name):
            others = [o for o in _MUHAMMAD if o != v]
            return name.replace(v, others[int(rng.integers(0, len(others)))], 1)
    low = name.lower()
    for old, new in _OLD_SPELLING:
        if old in low:
            return _replace_keep_case(name, old, new)
    for old, new in (("j", "dj"), ("c", "tj"), ("sy", "sj"), ("kh", "ch"), ("u", "oe")):
        if new == "oe" and not re.search(r"[bcdfghjklmnpqrstvwxyz]u", low):
            continue
        if old in low:
            return _replace_keep_case(name, old, new)
    return None


def _replace_keep_case(name: str, old: str, new: str) -> str:
    i = name.lower().index(old)
    piece = name[i:i + len(old)]
    repl = new.capitalize() if piece[0].isupper() else new
    return name[:i] + repl + name[i + len(old):]


# --------------------------------------------------------------------------- diverse multi-part names

# Given names used across regions since the 1970s; they combine freely with regional parts, which is
# what makes real full names so diverse (a name shared inside one agency of ~2,000 is uncommon).
_MODERN = {
    1: "Adi Aditya Agung Akbar Alfian Andika Angga Anggoro Ardi Arief Aris Arya Bagus Bayu Benny Candra Danang "
       "Dani Dedy Deni Dian Dicky Dimas Doni Edi Eka Erwin Fajar Faisal Ferdi Galih Gilang Guntur Hadi Hari Hendri "
       "Heri Ikhsan Imam Indra Irfan Iwan Jaka Kurnia Lukman Mahendra Nanda Noval Oki Pandu Prima Putra Rahmat Raka "
       "Randi Reza Rian Ricky Rio Rizal Roni Satria Septian Surya Syahrul Taufik Teguh Tri Wahyu Wawan Yoga Yudha "
       "Yusuf Zaki Zainal Firman Haris Ilham Johan Krisna Lutfi Nugraha Purnama Ramadhan Ardiansyah Saputra "
       "Permana Wijaya Hidayat Kurniawan Setiadi Maulana Pratama Nugroho Firmansyah Hakim Syahputra Wibisono",
    2: "Ayu Anggun Annisa Ari Citra Dewi Diah Dian Dina Eka Elsa Endah Evi Fitri Fransiska Gita Hani Ika Indah "
       "Intan Irma Kartika Kurnia Lia Lina Lusi Maya Mega Melati Mira Nadia Nia Novi Nurul Okta Putri Puspita "
       "Ratih Ratna Reni Rini Rina Risma Rizka Sari Septi Sinta Siska Tika Tri Vina Vivi Wulan Yani Yanti Yulia "
       "Yuni Zahra Amalia Anisa Aprilia Desi Dwi Febri Handayani Hartati Kusuma Lestari Marlina Novita Oktaviani "
       "Permata Pertiwi Purnamasari Rahayu Safitri Setyawati Utami Wardani Wulandari Yuliana Agustina Andriani",
}
# Share of single names, two-part and three-part names per style; common catalog names on top.
_PART_SHARES = {"jawa": (0.004, 0.2), "umum": (0.002, 0.2), "sunda": (0.004, 0.2), "batak": (0.001, 0.2),
                "minang": (0.005, 0.2), "bugis": (0.004, 0.2), "manado": (0.001, 0.2), "bali": (0.0, 0.2),
                "timur": (0.0, 0.2)}
_COMMON_SHARE = 0.004


def _zipf(n: int, s: float = 0.6) -> np.ndarray:
    w = 1.0 / (np.arange(n) + 5.0) ** s
    return w / w.sum()


def _group_parts(style: str, gender: int) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
    singles, firsts, lasts = ([p.replace("_", " ") for p in part.split()] for part in _PARTS[(style, gender)])
    modern = _MODERN[gender].split()
    firsts = list(dict.fromkeys(firsts + modern))
    # Middle parts: every regional given name plus the modern pool; they also close two-part names.
    middles = list(dict.fromkeys(modern + [p for p in singles + lasts if " " not in p]))
    common = [c.strip() for c in _COMMON[(style, gender)].split(",")]
    return singles or firsts, firsts, middles, lasts, common


def _compose(rng: np.random.Generator, style: str, gender: int, k: int) -> tuple[np.ndarray, list[str]]:
    """(code per person into the returned distinct names, distinct names) for one group."""
    singles, firsts, middles, lasts, common = _group_parts(style, gender)
    single_share, two_share = _PART_SHARES[style]
    kind = rng.choice(4, size=k, p=(_COMMON_SHARE, single_share, two_share, 1 - _COMMON_SHARE - single_share - two_share))
    f = rng.choice(len(firsts), size=k, p=_zipf(len(firsts), 0.3))
    m = rng.choice(len(middles), size=k, p=_zipf(len(middles), 0.1))
    last = rng.choice(len(lasts), size=k, p=_zipf(len(lasts), 0.3))
    s = rng.integers(0, len(singles), k)
    c = rng.integers(0, len(common), k)
    # One integer per distinct name, so strings are built once per distinct name, not per person.
    code = np.select([kind == 0, kind == 1, kind == 2],
                     [c, s, (f * len(middles) + m)], default=(f * len(middles) + m) * len(lasts) + last)
    code = code * 4 + kind
    uniq, inverse = np.unique(code, return_inverse=True)
    names = []
    for u in uniq.tolist():
        kd, rest = u % 4, u // 4
        if kd == 0:
            names.append(common[rest])
        elif kd == 1:
            names.append(singles[rest])
        elif kd == 2:
            a, b = divmod(rest, len(middles))
            names.append(" ".join(dict.fromkeys([firsts[a], middles[b]])))
        else:
            ab, ll = divmod(rest, len(lasts))
            a, b = divmod(ab, len(middles))
            names.append(" ".join(dict.fromkeys([firsts[a], middles[b], lasts[ll]])))
    return inverse.astype(np.int64), names


def sample_diverse_names(rng: np.random.Generator, style: np.ndarray, gender: np.ndarray) -> tuple[np.ndarray, NameCatalog]:
    """Name codes and the catalog of the names actually drawn (two- and three-part combinations).

    Replaces the fixed ~11.7k-name catalog, which made 77% of persons share their name inside an
    agency at 6M; with free combinations the within-agency rate stays at a few percent.
    """
    local = np.zeros(len(style), dtype=np.int64)
    names: list[str] = []
    for si, sname in enumerate(STYLES):
        for g in (1, 2):
            mask = (style == si) & (gender == g)
            k = int(mask.sum())
            if k:
                codes, group_names = _compose(rng, sname, g, k)
                local[mask] = codes + len(names)
                names.extend(group_names)
    # The same string can come from two groups ("Adi Bayu" in two styles): one code per string.
    uniq, remap = np.unique(np.array(names, dtype=object).astype(str), return_inverse=True)
    return remap[local].astype(np.int32), NameCatalog(uniq.astype(object), {})
