"""Personal names as Indonesia's naming cultures build them, and as other people then write them.

A name is kept in three parts: the *prefix* the registry keeps in front (Balinese birth order and
caste names, Bugis ``Andi``, Butonese ``La``/``Wa``/``La Ode``/``Wa Ode``, Acehnese ``Teuku``/``Cut``,
Malay ``Tengku``/``Raja``/``Wan``, Javanese ``Raden``/``Raden Mas``/``Raden Roro``), the given names
(*core*) and a Makassar *daeng* name at the end. Prefixes agree with gender (``I``/``Ni``,
``La``/``Wa``, ``Teuku``/``Cut``, ``Raden Mas``/``Raden Ajeng``), and so does the NIP's 15th digit.

Draws take one vector of uniforms per person (``u``), so a name costs one RNG call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUPS = ("balinese", "bugis_buton", "aceh_malay", "javanese_noble", "javanese", "toraja", "common")


@dataclass(frozen=True)
class PersonName:
    prefix: str
    core: str
    suffix: str = ""

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.prefix, self.core, self.suffix) if p)


def _w(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _pick(seq: tuple[str, ...], x: float) -> str:
    return seq[min(int(x * len(seq)), len(seq) - 1)]


def _pick_zipf(seq: tuple[str, ...], x: float) -> str:
    """Earlier entries are commoner (x**1.4 skews mildly towards the head of the list)."""
    return _pick(seq, x ** 1.4)


def _compose(u: np.ndarray, firsts: tuple[str, ...], lasts: tuple[str, ...], singles: tuple[str, ...] = (),
             p_single: float = 0.0, p_mid: float = 0.25) -> str:
    """One to three given names: ``u`` holds 5 uniforms (kind, first, last, middle?, middle)."""
    if singles and u[0] < p_single:
        return _pick_zipf(singles, u[1])
    first, last = _pick_zipf(firsts, u[1]), _pick_zipf(lasts, u[2])
    parts = [first, last] if first != last else [first]
    if u[3] < p_mid:
        mid = _pick(lasts if u[4] < 0.5 else firsts, u[4] * 2 % 1)
        if mid not in parts:
            parts.insert(1, mid)
    return " ".join(parts)


# --------------------------------------------------------------------------- Bali

_BALI_ORDER = {  # birth order -> the names used for it (Wayan/Putu/Gede first-born, ... Ketut fourth)
    1: ("Wayan", "Putu", "Gede"), 2: ("Made", "Kadek", "Nengah"), 3: ("Nyoman", "Komang"), 4: ("Ketut",),
}
_BALI_ORDER_P = (0.38, 0.30, 0.18, 0.14)
_BALI_M = _w("Suartana, Mertayasa, Adnyana, Sukarta, Wiratama, Suardika, Budiasa, Astawa, Sudiarta, Widana, Suyasa, "
             "Parwata, Arsana, Antara, Sumerta, Kariasa, Darmayasa, Suwitra, Ardana, Aryawan, Sudarsana, Pradnyana, "
             "Wiguna, Artha, Mahardika, Sanjaya, Wibawa, Semara, Ariawan, Juliarta, Subagia, Karyasa, Sukerta, "
             "Diantara, Swastika, Arimbawa, Gunarta, Merta, Suparsa, Sudana, Sutapa, Budiarsa, Sedana, Wisnawa, "
             "Suarjaya, Wirawan, Sukadana, Darmawan, Adiputra, Jayadi, Mudiarta, Suwena, Ariasa, Kertayasa, Sugiarta")
_BALI_MODERN_M = _w("Agus, Eka, Dwi, Tri, Arya, Bayu, Adi, Yoga, Surya, Dharma, Putra, Andika, Krisna, Indra, Wira, "
                    "Rai, Oka, Alit, Ngurah, Wahyu, Dedy, Budi, Hendra, Angga, Gede, Suryawan, Bagus, Yudi")
_BALI_F = _w("Suarmini, Sudiarsih, Sukerti, Sumiati, Rusmini, Widiantari, Kartini, Astiti, Sukasih, Murniasih, "
             "Wulandari, Ratnadi, Sriani, Yuliani, Pradnyani, Anggreni, Purnamasari, Mahayani, Yuniari, Suartini, "
             "Sudiani, Kusumawati, Darmini, Ariasih, Wartini, Suciati, Artini, Sumerti, Suryaningsih, Budiasih, "
             "Wardani, Mertasari, Sumadewi, Kusumadewi, Suastini, Aryani, Juniantari, Sukmawati, Widiastuti, "
             "Cahyani, Pertiwi, Lestari, Rahayu, Utami, Ratnasari, Puspawati, Sulistiawati, Arini")
_BALI_MODERN_F = _w("Ayu, Sri, Eka, Dewi, Trisna, Puspita, Candra, Novita, Dwi, Tri, Indah, Mirah, Intan, Rai, Oka, "
                    "Alit, Wahyu, Yuni, Diah, Gita, Ratih, Santi, Mega, Citra, Anik, Sri Ayu")


def _bali(u: np.ndarray, gender: int) -> PersonName:
    order = int(np.searchsorted(np.cumsum(_BALI_ORDER_P), u[0] * 0.9999)) + 1
    birth = [o for o in _BALI_ORDER[order] if gender == 1 or o != "Gede"] or ["Wayan"]
    bname = _pick(tuple(birth), u[1])
    if gender == 1:
        given = _compose(u[3:8], _BALI_MODERN_M, _BALI_M, _BALI_M, 0.35, 0.2)
    else:
        given = _compose(u[3:8], _BALI_MODERN_F, _BALI_F, _BALI_F, 0.35, 0.2)
    caste = u[2]
    x = (u[6] * 7) % 1
    if caste < 0.78:  # commoners: I / Ni + birth order (Ni Luh for many women)
        if gender == 1:
            return PersonName(f"I {bname}", given)
        return PersonName(f"Ni Luh {bname}" if x < 0.35 else f"Ni {bname}", given)
    if caste < 0.86:  # Gusti
        if gender == 1:
            return PersonName(f"I Gusti {_pick(('Ngurah', 'Bagus', 'Made', 'Putu', 'Ketut', 'Ngurah Made'), x)}", given)
        return PersonName(f"I Gusti Ayu {_pick(('Made', 'Putu', 'Ketut', ''), x)}".strip(), given)
    if caste < 0.92:  # Brahmana
        bo = _pick(("Putu", "Made", "Gede", "Ketut", "Nyoman", ""), x) if gender == 1 else \
            _pick(("Putu", "Made", "Ketut", "Nyoman", ""), x)
        return PersonName(f"{'Ida Bagus' if gender == 1 else 'Ida Ayu'} {bo}".strip(), given)
    if caste < 0.97:  # Ksatria
        if gender == 1:
            return PersonName(f"Anak Agung {_pick(('Gede', 'Ngurah', 'Gede Agung', 'Made'), x)}", given)
        return PersonName(f"Anak Agung {_pick(('Ayu', 'Istri', 'Sagung'), x)}", given)
    if caste < 0.985:
        return PersonName("Cokorda Gede" if gender == 1 else "Cokorda Istri", given)
    if gender == 1:
        return PersonName(f"I Dewa {_pick(('Gede', 'Made', 'Putu', 'Ketut'), x)}", given)
    return PersonName(f"Desak {_pick(('Made', 'Putu', 'Ketut', 'Nyoman'), x)}", given)


# --------------------------------------------------------------------------- Bugis, Makassar, Buton, Muna

_BUGIS_M_FIRST = _w("Muhammad, Abdul, Ahmad, Syamsul, Nur, Andi, Arif, Rahmat, Haerul, Akbar, Ilham, Irwan, Ansar, Aswar, "
                    "Ridwan, Sudirman, Hamzah, Rusli, Basri, Asdar, Suardi, Sahrul, Takdir, Zainal, Hasbi, Yusran, "
                    "Fadli, Amir, Jufri, Mustafa, Kamal, Hendra, Syahrul, Firman, Agus, Herman")
_BUGIS_M_LAST = _w("Hasanuddin, Nurdin, Jamaluddin, Kaharuddin, Arifuddin, Mustari, Syahrir, Amiruddin, Sainal, "
                   "Burhanuddin, Syamsuddin, Nasruddin, Syarifuddin, Baso, Amir, Saleh, Rauf, Said, Tahir, Hamid, Latif, "
                   "Arsyad, Mansyur, Makmur, Muin, Pawelloi, Tang, Sulaiman, Rasyid, Karim, Mappaita, Lantara, "
                   "Pananrangi, Patongai, Mappiasse, Mattalatta, Bakri, Ramli, Jabbar, Gaffar, Majid, Yunus, Rahim, "
                   "Tamrin, Sattar, Kadir, Halim, Sanusi")
_BUGIS_M_SINGLE = _w("Hasanuddin, Nurdin, Jamaluddin, Syamsuddin, Kaharuddin, Burhanuddin, Sudirman, Baharuddin")
_BUGIS_F_FIRST = _w("Sitti, Siti, Nur, Sri, Hasmi, Rahma, Ratna, Andi, Dewi, Fitri, Nurul, Hj, Indah, Rini, Wahyuni, "
                    "Asma, Musdalifah, Kartini, Jumiati, Marwah")
_BUGIS_F_LAST = _w("Nurhaedah, Rosmiati, Hajrah, Hasmawati, Nurlina, Hamsiah, Rahmatia, Haslinda, Nurhayati, Sumarni, "
                   "Asmawati, Nurhidayah, Irmawati, Fatmawati, Hasnidar, Syamsiah, Suriani, Hasriani, Nurjannah, "
                   "Murniati, Rosdiana, Darmawati, Hartati, Aisyah, Rahmah, Hasna, Aminah, Jusmiati, Ernawati, Sukmawati, "
                   "Kasmawati, Nurbaeti, Haerani, Israwati, Mardiana, Sahriani, Rukmini, Asriani, Yusnidar")
_BUGIS_F_SINGLE = _w("Nurhaedah, Hasmawati, Hamsiah, Hajrah, Rosmiati, Syamsiah, Nurlina, Jumriati")
_ANDI_F = _w("Tenriola, Tenri Sanna, Besse Nurhaeda, Nurhaedah, Ummu Kalsum, Tenriwaru Pallawa, Sitti Aisyah, "
             "Nurul Magfirah, Ratna Sari, Dian Pratiwi, Hasnah Rauf, Tenri Abeng, Besse Kartini, Nurfadillah, "
             "Sri Wahyuni, Fatimah Azzahra, Rahmawati, Sitti Nurbaya, Tenri Ampa, Indah Sari")
_DAENG_M = _w("Ngalle, Rapi, Tompo, Sikki, Nai, Kebo, Ngemba, Sila, Lallo, Tayang, Ngai, Rate, Gassing, Sese, Jarre")
_DAENG_F = _w("Bunga, Caya, Tene, Intang, Te'ne, Kanang, Baji, Rannu")
_LA_M = _w("Hadi, Samiun, Rusli, Anto, Masri, Rahim, Ruma, Sali, Mbarani, Mudi, Bakri, Halimu, Sabara, Tamba, Ali, Umar, "
           "Ode Sau, Sudu, Juma, Rasidi, Karimu, Sarudin, Aisi, Bahari, Hamidi, Amaludin")
_LAODE_M = _w("Muhammad, Ali, Abdul, Zaenal, Mustari, Rusdin, Sabaruddin, Ahmad, Haris, Alimuddin, Saleh, Kaimuddin, "
              "Budiman, Rifai, Syarif, Imran, Taufan, Aswad, Hanan, Arsyad, Yusuf, Baharuddin")
_WA_F = _w("Ana, Sitti, Ita, Mina, Hadia, Nurma, Siri, Ane, Ida, Asia, Ode Isa, Hasina, Rahima, Saida, Nuru, Ati, Samia")
_WAODE_F = _w("Nurhayati, Sitti, Hasmia, Asrina, Fatma, Zahra, Nurmala, Hasnah, Rosdiana, Nurlia, Arfiani, Nurul, "
              "Hikmah, Sarnia, Wahida, Asma, Rahma, Nurfitri, Salmia, Halida")


def _bugis_buton(u: np.ndarray, gender: int, buton: bool) -> PersonName:
    kind = u[0]
    if buton and kind < 0.22:  # Butonese/Muna nobility: La Ode Muhammad Syarif, Wa Ode Nurhayati
        if gender == 1:
            return PersonName("La Ode", _compose(u[1:6], _LAODE_M, _LAODE_M + _BUGIS_M_LAST, p_mid=0.15))
        return PersonName("Wa Ode", _compose(u[1:6], _WAODE_F, _WAODE_F + _BUGIS_F_LAST, p_mid=0.1))
    if buton and kind < 0.45:  # La / Wa commoner prefixes
        if gender == 1:
            return PersonName("La", _compose(u[1:6], _LA_M, _BUGIS_M_LAST, _LA_M, 0.55, 0.0))
        return PersonName("Wa", _compose(u[1:6], _WA_F, _BUGIS_F_LAST, _WA_F, 0.55, 0.0))
    andi_upto = 0.50 if buton else 0.15  # Andi: ~5% among the Butonese, ~15% among Bugis/Makassar
    if (0.45 if buton else 0.0) <= kind < andi_upto:
        if gender == 1:
            return PersonName("Andi", _compose(u[1:6], _BUGIS_M_FIRST, _BUGIS_M_LAST, p_mid=0.3))
        return PersonName("Andi", _compose(u[1:6], _ANDI_F, _BUGIS_F_LAST, _ANDI_F, 0.5, 0.0))
    if gender == 1:
        core = _compose(u[1:6], _BUGIS_M_FIRST, _BUGIS_M_LAST, _BUGIS_M_SINGLE, 0.06, 0.25)
    else:
        core = _compose(u[1:6], _BUGIS_F_FIRST, _BUGIS_F_LAST, _BUGIS_F_SINGLE, 0.06, 0.2)
    # Makassar: a daeng name after the given names (Syamsuddin Daeng Ngalle), kept by the registry.
    if not buton and u[6] < 0.09:
        return PersonName("", core, f"Daeng {_pick(_DAENG_M if gender == 1 else _DAENG_F, u[7])}")
    return PersonName("", core)


# --------------------------------------------------------------------------- Toraja

_TORAJA_M = _w("Yohanis, Marthen, Petrus, Yusuf, Daniel, Simon, Paulus, Markus, Yulius, Agustinus, Frans, Benyamin, "
               "Elias, Yakob, Musa, Semuel, Andarias, Lukas, Timotius, Yosef")
_TORAJA_F = _w("Yuliana, Marlina, Maria, Herlina, Dorkas, Ester, Sarlota, Ribka, Yohana, Selvi, Agustina, Naomi, Debora, "
               "Lidia, Magdalena, Martha, Yustina, Elisabet")
_TORAJA_FAM = _w("Rante, Tandirerung, Patandianan, Sampe, Bongga, Paembonan, Tandilino, Pasulu, Tangdilintin, "
                 "Parinding, Kendek, Sarungallo, Lebang, Rombe, Sule, Tangke, Palinggi, Allo, Tulak, Datu, Pakiding, "
                 "Salurapa, Tandiara, Lumbaa, Tammu, Bokko, Pongtuluran, Mangopang")


def _toraja(u: np.ndarray, gender: int) -> PersonName:
    return PersonName("", _compose(u[1:6], _TORAJA_M if gender == 1 else _TORAJA_F, _TORAJA_FAM, p_mid=0.3))


# --------------------------------------------------------------------------- Aceh and Malay Riau

_ACEH_M_FIRST = _w("Muhammad, Teuku, Zul, Fadhli, Khairul, Saiful, Zainal, Nazar, Rizki, Teguh, Fajar, Maulana, "
                   "Mukhlis, Munawar, Iskandar, Fauzan, Azhari, Mahdi, Husaini, Bukhari, Tarmizi, Marzuki, Yusri, "
                   "Rizwan, Syahrul, Mawardi, Safrizal, Muslim, Ikhsan, Hendra, Faisal, Ramli, Razali, Irwandi, "
                   "Ridha, Hamdani, Taufiq, Junaidi, Rusydi")
_ACEH_M_FIRST = tuple(n for n in _ACEH_M_FIRST if n != "Teuku")
_ACEH_M_LAST = _w("Rizal, Hasan, Yusuf, Daud, Ibrahim, Abdullah, Usman, Ali, Amin, Hamzah, Saputra, Syahputra, Ishak, "
                  "Mahmud, Basyah, Husin, Harun, Arifin, Zulkarnaini, Nasir, Zulfikar, Fahmi, Bahri, Abidin, "
                  "Nazaruddin, Jailani, Amiruddin, Sulaiman, Khairuddin, Nurdin, Darmawan, Ismail, Mansur, Yunus, "
                  "Hasballah, Sufyan, Anwar, Armia, Ramadhan")
_ACEH_F_FIRST = _w("Nurul, Cut, Nur, Siti, Ainul, Hayatun, Ummi, Rahmi, Fitri, Intan, Ratna, Sri, Dewi, Maya, Rina, "
                   "Yusnidar, Safrida, Zahrina, Husna, Raudhah, Khairiah, Salmiah, Zuraida, Maulida, Nurjannah")
_ACEH_F_FIRST = tuple(n for n in _ACEH_F_FIRST if n != "Cut")
_ACEH_F_LAST = _w("Aini, Hayati, Nurmala, Rahmah, Fitriani, Rosmawar, Nurhasanah, Mardiah, Hikmah, Nufus, Kalsum, "
                  "Suryani, Ernawati, Juliana, Nurjannah, Darmawati, Marlina, Rosnani, Safitri, Wahyuni, Rahmawati, "
                  "Zahara, Mutia, Yulianti, Agustina, Handayani, Fatimah, Syafrina, Mulyani, Yanti, Maghfirah, Sari")
_MALAY_M_FIRST = _w("Ahmad, Abdul, Zainal, Azmi, Hamzah, Syafri, Khairul, Rusli, Jefri, Hendri, Zulkarnain, Amran, Idris, "
                    "Ismail, Fadil, Rizal, Iskandar, Hasan, Husin, Kamal, Yusri, Mahmud, Syahrial, Effendi, Azhar, "
                    "Rahmat, Masrul, Zulkifli, Erwin, Firdaus, Muhammad, Said, Dedi, Alfian, Arman")
_MALAY_M_LAST = _w("Syah, Alamsyah, Saputra, Effendi, Aziz, Hamid, Ismail, Yusuf, Rahman, Kadir, Mahmud, Hasyim, Ibrahim, "
                   "Harun, Nasution, Zainal, Abdullah, Jamil, Hasan, Umar, Bakar, Salim, Syukri, Amri, Fauzi, Taher")
_MALAY_F_FIRST = _w("Nur, Siti, Sri, Dewi, Fitri, Rahmi, Yusnita, Noraini, Rosnah, Salmah, Suhaila, Azizah, Fauziah, "
                    "Hafizah, Nurlela, Mastura, Normah, Elvi, Yuslinda, Asmah, Wan")
_MALAY_F_FIRST = tuple(n for n in _MALAY_F_FIRST if n != "Wan")
_MALAY_F_LAST = _w("Zaleha, Zubaidah, Rohani, Aminah, Zuraidah, Rahimah, Rosmiati, Rahmawati, Aini, Hasanah, Halimah, "
                   "Khadijah, Maryam, Hayati, Safitri, Wahyuni, Yanti, Marlina, Susanti, Rahayu, Lestari, Fitriani, "
                   "Juwita, Kartini, Asmara, Melati")
_PATRONYMS = _w("Abdullah, Ibrahim, Yusuf, Ismail, Hasan, Usman, Daud, Ali, Mahmud, Ahmad, Hamzah, Harun")


def _aceh_malay(u: np.ndarray, gender: int, aceh: bool) -> PersonName:
    kind = u[0]
    if aceh:
        core = _compose(u[1:6], _ACEH_M_FIRST, _ACEH_M_LAST, p_mid=0.25) if gender == 1 else \
            _compose(u[1:6], _ACEH_F_FIRST, _ACEH_F_LAST, p_mid=0.15)
        if kind < 0.11:
            return PersonName("Teuku" if gender == 1 else "Cut", core)
        if kind < 0.14:
            return PersonName("Said" if gender == 1 else "Syarifah", core)
        return PersonName("", core)
    core = _compose(u[1:6], _MALAY_M_FIRST, _MALAY_M_LAST, p_mid=0.25) if gender == 1 else \
        _compose(u[1:6], _MALAY_F_FIRST, _MALAY_F_LAST, p_mid=0.15)
    if kind < 0.08:
        return PersonName("Tengku", core)
    if kind < 0.13:
        return PersonName("Raja", core)
    if kind < 0.18:
        return PersonName("Wan", core)
    if kind < 0.21:
        return PersonName("Said" if gender == 1 else "Syarifah", core)
    return PersonName("", core)


def patronym(u: float, gender: int) -> str:
    return f"{'bin' if gender == 1 else 'binti'} {_pick(_PATRONYMS, u)}"


# --------------------------------------------------------------------------- Java

_JAVA_M_FIRST = _w("Agung, Heru, Sugeng, Wahyu, Budi, Dwi, Eko, Tri, Hari, Joko, Slamet, Sigit, Teguh, Yudi, Adi, Arif, "
                   "Bagus, Catur, Hadi, Imam, Rudy, Setyo, Toto, Wawan, Yoyok, Anton, Didik, Edy, Gatot, Kukuh, Nur, "
                   "Puguh, Rahmat, Susilo, Bowo, Danang, Ari, Aris, Bambang, Yusuf, Fajar, Galih, Ilham, Andri, Dodik, "
                   "Hendro, Purwo, Rohmad, Sapto, Totok, Wisnu, Yanto, Dimas, Rizal")
_JAVA_M_SINGLE = _w("Sutrisno, Haryono, Purnomo, Sunardi, Sukamto, Widodo, Hartono, Suparno, Suyanto, Darmanto, "
                    "Mulyadi, Sarjono, Paidi, Poniman, Tukijo, Giyanto, Sumardi, Triyono, Sukiman, Parjiyo, Suwardi, "
                    "Margono, Sugiarto, Sunaryo, Kasiman, Samidi, Tugiman, Sarwono, Wagiman, Jumadi")
_JAVA_M_LAST = _w("Prasetyo, Wibowo, Nugroho, Santoso, Kurniawan, Susanto, Saputro, Utomo, Setiawan, Wicaksono, Riyanto, "
                  "Purwanto, Hidayat, Pamungkas, Raharjo, Sulistyo, Kuncoro, Priyono, Handoko, Suryanto, Hartanto, "
                  "Sasongko, Hermawan, Wahyudi, Rahmanto, Yulianto, Subroto, Atmojo, Haryanto, Purnomo, Widodo, "
                  "Sutrisno, Sugiarto, Setiadi, Prabowo, Darmawan, Susilo, Triyono, Mulyono, Sunarto, Budiman, "
                  "Wijayanto, Firmansyah, Ardiansyah, Permadi, Prakoso, Nugraha, Adi, Kusuma")
_JAVA_F_FIRST = _w("Sri, Endah, Tri, Dwi, Puji, Siti, Retno, Dyah, Wahyu, Rini, Yuni, Tutik, Nanik, Eni, Ambar, Erna, "
                   "Lilik, Heni, Ratna, Titik, Umi, Nur, Dewi, Ani, Indah, Rina, Wiwik, Yeni, Ika, Rahayu, Endang, "
                   "Sulis, Nining, Anik, Yuli, Desi, Eka, Fitri, Novi")
_JAVA_F_SINGLE = _w("Suharti, Suratmi, Yuniarti, Sumiyati, Ngatinah, Suwarni, Parmi, Wagiyem, Sukarni, Paini, "
                    "Tumiyem, Samini, Sulastri, Kasiyem, Sumarni, Sutini, Lasmi, Jumiati, Wartini, Sarinem")
_JAVA_F_LAST = _w("Kusumawati, Handayani, Lestari, Astuti, Wulandari, Rahayu, Mulyani, Wahyuningsih, Setyaningsih, "
                  "Purwaningsih, Rahmawati, Susilowati, Kurniasih, Hastuti, Pratiwi, Anggraeni, Listyorini, Indriani, "
                  "Winarsih, Sulistyowati, Nurhayati, Rejeki, Widayati, Suprihatin, Sulistyaningsih, Puspitasari, "
                  "Ernawati, Susanti, Yuliani, Haryanti, Saraswati, Maryani, Suryani, Ningsih, Utami, Hartati, "
                  "Kristiani, Mardiyah, Rohmah, Safitri, Wahyuni, Mulyaningsih, Budiarti, Sugiyarti")
_NOBLE_M_FIRST = _w("Haryo, Bagus, Wisnu, Aryo, Bimo, Condro, Dimas, Gatot, Hanung, Jatmiko, Sasmito, Suryo, Tirto, "
                    "Adi, Danang, Hendro, Panji, Kuncoro, Bayu, Harjuno, Satrio, Kusumo, Prasetyo, Budi, Agung")
_NOBLE_LAST = _w("Hadikusumo, Prawirodirdjo, Notodiningrat, Mangunkusumo, Wiryoatmojo, Sastrowardoyo, Suryodiningrat, "
                 "Purbonegoro, Cokrodiningrat, Kartodirdjo, Hadiwijoyo, Puspoyudo, Kusumonegoro, Joyokusumo, "
                 "Wiryodiningrat, Sumodiharjo, Suryokusumo, Brotodiningrat, Condronegoro, Suryonegoro, Hadinegoro, "
                 "Sosrodiningrat, Projokusumo, Tjondrokusumo")
_NOBLE_F_FIRST = _w("Ayu, Siti, Endang, Retno, Dyah, Sri, Kartika, Galuh, Ratih, Sekar, Kusuma, Wulan, Anjani, Rara, "
                    "Nurul, Asih, Hapsari, Laras")
_NOBLE_F_LAST = _w("Kusumawardhani, Sri Rejeki, Nurhayati, Purbasari, Handayani, Rahmawati, Pratiwi, Kusumaningrum, "
                   "Widyaningsih, Larasati, Puspitasari, Hapsari, Wulandari, Kusumastuti, Sekarsari, Ayuningtyas, "
                   "Dewanti, Retnaningsih, Prameswari, Anggraini")


def _java(u: np.ndarray, gender: int, noble: bool) -> PersonName:
    if noble:
        if gender == 1:
            prefix = "Raden" if u[0] < 0.55 else "Raden Mas"
            return PersonName(prefix, _compose(u[1:6], _NOBLE_M_FIRST, _NOBLE_LAST + _JAVA_M_LAST, p_mid=0.3))
        prefix = "Raden Ajeng" if u[0] < 0.35 else ("Raden Roro" if u[0] < 0.8 else "Raden Ayu")
        return PersonName(prefix, _compose(u[1:6], _NOBLE_F_FIRST, _NOBLE_F_LAST + _JAVA_F_LAST, p_mid=0.25))
    if gender == 1:
        return PersonName("", _compose(u[1:6], _JAVA_M_FIRST, _JAVA_M_LAST, _JAVA_M_SINGLE, 0.06, 0.3))
    return PersonName("", _compose(u[1:6], _JAVA_F_FIRST, _JAVA_F_LAST, _JAVA_F_SINGLE, 0.05, 0.3))


# --------------------------------------------------------------------------- everywhere

_COMMON_M_FIRST = _w("Muhammad, Ahmad, Rizky, Fajar, Dimas, Andi, Rudi, Hendra, Dedi, Ari, Yoga, Reza, Fikri, Ilham, "
                     "Hafiz, Dani, Arif, Irfan, Aditya, Galih, Bayu, Doni, Ferry, Aldi, Yusuf, Rahmat, Taufik, Syaiful, "
                     "Khairul, Agus, Denny, Budi, Rian, Yogi, Hengki, Roni, Sandi, Wahyu, Adi, Rizal, Fadli, Hadi, "
                     "Anton, Bobby, Eko, Indra, Joni, Lukman, Rahmad, Yudha")
_COMMON_M_LAST = _w("Saputra, Pratama, Kurniawan, Ramadhan, Hidayat, Firmansyah, Setiawan, Maulana, Wijaya, Gunawan, "
                    "Hakim, Nugraha, Syahputra, Permana, Prasetya, Nasution, Harahap, Lubis, Siregar, Tanjung, "
                    "Chaniago, Halim, Santoso, Kusuma, Effendi, Fauzi, Rahman, Akbar, Anwar, Iskandar, Hasibuan, "
                    "Sinaga, Simanjuntak, Putra, Hermawan, Purba, Ginting, Tarigan, Saragih, Pane, Daulay, Rangkuti, "
                    "Sembiring, Manurung, Batubara, Koto, Piliang, Sikumbang, Tambunan, Panjaitan")
_COMMON_F_FIRST = _w("Dewi, Rina, Siti, Nur, Fitri, Putri, Indah, Ayu, Ratna, Maya, Wulan, Yulia, Novi, Desi, Lia, "
                     "Rizka, Anisa, Nabila, Citra, Mega, Eka, Sari, Vina, Linda, Dian, Yanti, Tika, Nurul, Lisa, Mira, "
                     "Ani, Evi, Fani, Irma, Lusi, Rika, Santi, Wati, Yuli, Zahra")
_COMMON_F_LAST = _w("Anggraini, Susanti, Rahmawati, Lestari, Safitri, Permatasari, Handayani, Wulandari, Maharani, "
                    "Puspitasari, Oktaviani, Novitasari, Kartika, Amelia, Febrianti, Yuliani, Septiani, Agustina, "
                    "Ramadhani, Marlina, Halim, Wijaya, Nasution, Harahap, Fitriani, Hasanah, Aprilia, Utami, Siregar, "
                    "Lubis, Sinaga, Purba, Simbolon, Rahayu, Pertiwi, Kurniasih, Andriani, Yunita, Mulyani, Dewanti")


def _common(u: np.ndarray, gender: int) -> PersonName:
    if gender == 1:
        return PersonName("", _compose(u[1:6], _COMMON_M_FIRST, _COMMON_M_LAST, p_mid=0.35))
    return PersonName("", _compose(u[1:6], _COMMON_F_FIRST, _COMMON_F_LAST, p_mid=0.3))


def draw_name(u: np.ndarray, group: str, gender: int, province_code: str) -> PersonName:
    """A name for one person of ``group`` (``u``: at least 8 uniforms)."""
    if group == "balinese":
        return _bali(u, gender)
    if group == "bugis_buton":
        return _bugis_buton(u, gender, buton=province_code == "74")
    if group == "aceh_malay":
        return _aceh_malay(u, gender, aceh=province_code == "11")
    if group == "javanese_noble":
        return _java(u, gender, noble=True)
    if group == "javanese":
        return _java(u, gender, noble=False)
    if group == "toraja":
        return _toraja(u, gender)
    return _common(u, gender)


# --------------------------------------------------------------------------- non-ASN respondents

def draw_outsider(u: np.ndarray, group: str, gender: int, province_code: str) -> PersonName:
    """A village head, honorary worker or campaign-team member: named like anyone of the region."""
    return draw_name(u, group, gender, province_code)
