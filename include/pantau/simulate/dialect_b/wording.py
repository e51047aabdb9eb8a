"""Dialect b's own words: how its Bawaslu officers describe a case, how its KASN/BKN clerks label
violations and sanctions, and how its BKD clerks record a decree.

The category and sanction *codes* are the truth files' (shared with the first world); every
spelling here is this dialect's. Clerks abbreviate ("Medsos Interaksi", "Hukdis berat"), use
other names for the same thing ("Timses", "APK"), and BKD clerks often record the concrete
PP 94/2021 penalty ("Pemotongan tunjangan kinerja 25% selama 9 bulan") instead of its level.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("MEDSOS_INTERAKSI", "MEDSOS_KAMPANYE", "ALAT_PERAGA", "FOTO_POSE", "HADIR_KAMPANYE", "TIM_KAMPANYE",
              "ANGGOTA_PARPOL", "DUKUNGAN_PERSEORANGAN", "ARAHAN_BAWAHAN", "FASILITAS_NEGARA", "LAINNYA")
CATEGORY_SHARE = (0.28, 0.12, 0.05, 0.14, 0.13, 0.05, 0.02, 0.03, 0.07, 0.06, 0.05)
SANCTIONS = ("MORAL_TERTUTUP", "MORAL_TERBUKA", "DISIPLIN_SEDANG", "DISIPLIN_BERAT", "PTDH")
SEVERITY = {s: i + 1 for i, s in enumerate(SANCTIONS)}
# What this dialect's examiners usually recommend per category (and the alternative they weigh).
USUAL_SANCTION = {
    "MEDSOS_INTERAKSI": ("MORAL_TERTUTUP", "MORAL_TERBUKA"), "MEDSOS_KAMPANYE": ("MORAL_TERBUKA", "DISIPLIN_SEDANG"),
    "ALAT_PERAGA": ("MORAL_TERBUKA", "DISIPLIN_SEDANG"), "FOTO_POSE": ("MORAL_TERTUTUP", "MORAL_TERBUKA"),
    "HADIR_KAMPANYE": ("DISIPLIN_SEDANG", "MORAL_TERBUKA"), "TIM_KAMPANYE": ("DISIPLIN_BERAT", "DISIPLIN_SEDANG"),
    "ANGGOTA_PARPOL": ("PTDH", "DISIPLIN_BERAT"), "DUKUNGAN_PERSEORANGAN": ("DISIPLIN_SEDANG", "MORAL_TERBUKA"),
    "ARAHAN_BAWAHAN": ("DISIPLIN_BERAT", "DISIPLIN_SEDANG"), "FASILITAS_NEGARA": ("DISIPLIN_SEDANG", "DISIPLIN_BERAT"),
    "LAINNYA": ("MORAL_TERTUTUP", "MORAL_TERBUKA"),
}

# --------------------------------------------------------------------------- recommendation sheets

CATEGORY_LABELS = {  # short labels clerks type in the "Jenis Pelanggaran" column
    "MEDSOS_INTERAKSI": ("Medsos Interaksi", "Like/Komen Medsos", "Memberi like & komentar akun paslon",
                         "Share postingan calon", "Interaksi medsos (like/share)", "Medsos - Like/Share/Follow"),
    "MEDSOS_KAMPANYE": ("Medsos Kampanye", "Posting dukungan di medsos", "Sosialisasi calon via medsos",
                        "Kampanye di Facebook/Instagram", "Admin grup WA pemenangan"),
    "ALAT_PERAGA": ("APK", "Pasang baliho/spanduk", "Memasang APK paslon", "Alat Peraga Kampanye"),
    "FOTO_POSE": ("Foto bersama paslon", "Pose jari", "Foto + simbol jari", "Swafoto dengan calon",
                  "Foto Bersama Bapaslon"),
    "HADIR_KAMPANYE": ("Hadir kampanye", "Menghadiri deklarasi", "Ikut kegiatan kampanye", "Hadir pertemuan parpol",
                       "Kampanye tatap muka"),
    "TIM_KAMPANYE": ("Timses", "Tim sukses paslon", "Anggota tim pemenangan", "Terdaftar tim kampanye"),
    "ANGGOTA_PARPOL": ("Anggota parpol", "Pengurus partai", "Terdaftar di Sipol", "Keanggotaan parpol"),
    "DUKUNGAN_PERSEORANGAN": ("Dukungan KTP calon perseorangan", "Dukung calon independen",
                              "Surat dukungan + fotokopi KTP"),
    "ARAHAN_BAWAHAN": ("Mengarahkan bawahan", "Ajakan memilih paslon", "Mobilisasi ASN/warga", "Intimidasi bawahan"),
    "FASILITAS_NEGARA": ("Fasilitas negara", "Mobil dinas utk kampanye", "Program pemda utk calon",
                         "Keputusan menguntungkan paslon"),
    "LAINNYA": ("Lain-lain", "Tidak netral (lainnya)", "Pelanggaran kode etik"),
}
GENERIC_CATEGORY = ("Netralitas ASN", "Pelanggaran netralitas", "Tidak netral")

SANCTION_LABELS = {  # per file the clerk writes short or long forms
    "short": {"MORAL_TERTUTUP": "Moral tertutup", "MORAL_TERBUKA": "Moral terbuka", "DISIPLIN_SEDANG": "Hukdis sedang",
              "DISIPLIN_BERAT": "Hukdis berat", "PTDH": "PTDH"},
    "long": {"MORAL_TERTUTUP": "Sanksi moral pernyataan secara tertutup",
             "MORAL_TERBUKA": "Sanksi moral pernyataan secara terbuka",
             "DISIPLIN_SEDANG": "Hukuman disiplin tingkat sedang", "DISIPLIN_BERAT": "Hukuman disiplin tingkat berat",
             "PTDH": "Pemberhentian Tidak Dengan Hormat"},
    "mixed": {"MORAL_TERTUTUP": "Pernyataan tertutup", "MORAL_TERBUKA": "Pernyataan terbuka",
              "DISIPLIN_SEDANG": "HD Sedang", "DISIPLIN_BERAT": "HD Berat", "PTDH": "Diberhentikan tidak dgn hormat"},
}
NO_SANCTION = ("-", "", "Tidak ada")
PROVEN_STYLES = (("Ya", "Tidak"), ("Ya", "Tidak terbukti"), ("Ya", "-"), ("YA", "TIDAK"), ("Terbukti", "Tidak Terbukti"))

# --------------------------------------------------------------------------- BKD decrees

DECREE_LEVEL = {  # "one word shorter" and other level spellings BKD clerks use
    "MORAL_TERTUTUP": ("Pernyataan tertutup", "Moral tertutup", "Sanksi moral tertutup",
                       "Pernyataan secara tertutup"),
    "MORAL_TERBUKA": ("Pernyataan terbuka", "Moral terbuka", "Sanksi moral terbuka", "Pernyataan secara terbuka"),
    "DISIPLIN_SEDANG": ("Disiplin sedang", "Hukdis sedang", "Hukuman disiplin sedang", "HD sedang"),
    "DISIPLIN_BERAT": ("Disiplin berat", "Hukdis berat", "Hukuman disiplin berat", "HD berat"),
    "PTDH": ("PTDH", "Diberhentikan tidak dengan hormat", "Pemberhentian tidak dengan hormat sebagai PNS"),
}
DECREE_CONCRETE = {  # the penalty itself (PP 42/2004 moral sanctions, PP 94/2021 disciplinary penalties)
    "MORAL_TERTUTUP": ("Pernyataan secara tertutup oleh PPK dalam ruang tertutup",),
    "MORAL_TERBUKA": ("Pernyataan secara terbuka melalui forum pertemuan resmi PNS",
                      "Pengumuman sanksi moral melalui papan pengumuman instansi"),
    "DISIPLIN_SEDANG": ("Pemotongan tunjangan kinerja sebesar 25% selama 6 bulan",
                        "Pemotongan tunjangan kinerja sebesar 25% selama 9 bulan",
                        "Pemotongan tunjangan kinerja sebesar 25% selama 12 bulan", "Potong TPP 25% selama 6 bln"),
    "DISIPLIN_BERAT": ("Penurunan jabatan setingkat lebih rendah selama 12 bulan",
                       "Pembebasan dari jabatannya menjadi jabatan pelaksana selama 12 bulan",
                       "Pemberhentian dengan hormat tidak atas permintaan sendiri sebagai PNS"),
    "PTDH": ("Pemberhentian tidak dengan hormat sebagai PNS",),
}
DECREE_NOTES = (None, "Telah dilaksanakan", "SK diserahkan langsung kepada ybs", "Sesuai rekomendasi",
                "Tindak lanjut surat rekomendasi", "Pelaksanaan mulai bulan berikutnya", "Menunggu tanda terima")
ORPHAN_NOTES = ("Hasil pemeriksaan Inspektorat", "Temuan internal OPD", "Atas laporan masyarakat langsung ke BKPSDM")

# --------------------------------------------------------------------------- Bawaslu's own description

STATUS = {"diregistrasi": "Diregistrasi", "diteruskan": "Diteruskan", "dihentikan": "Dihentikan"}
JENIS = {"laporan": "Laporan", "temuan": "Temuan"}

_ACTS = {
    "MEDSOS_INTERAKSI": (
        "memberikan tanda suka (like) dan komentar dukungan pada unggahan akun {media} milik {candidate}",
        "membagikan ulang (share) konten kampanye {candidate} melalui akun {media} pribadinya",
        "mengikuti (follow) serta mengomentari postingan akun resmi pemenangan {candidate} di {media}",
        "menuliskan komentar bernada dukungan \"lanjutkan!\" pada siaran langsung {candidate} di {media}",
    ),
    "MEDSOS_KAMPANYE": (
        "mengunggah video ajakan memilih {candidate} di akun {media} pribadinya",
        "membuat status {media} berisi visi-misi dan nomor urut {candidate}",
        "menjadi admin grup WhatsApp relawan pemenangan {candidate} dan menyebarkan materi kampanye",
    ),
    "ALAT_PERAGA": (
        "ikut memasang baliho {candidate} di depan rumahnya yang berada di pinggir jalan utama",
        "membagikan stiker dan kalender bergambar {candidate} kepada warga",
        "kedapatan menempel spanduk {candidate} di pagar kantor",
    ),
    "FOTO_POSE": (
        "berfoto bersama {candidate} sambil mengacungkan jari membentuk nomor urut pasangan tersebut",
        "berswafoto dengan {candidate} dan mengunggahnya ke {media} dengan keterangan dukungan",
        "terekam dalam foto kegiatan {candidate} dengan pose simbol dukungan",
    ),
    "HADIR_KAMPANYE": (
        "menghadiri acara deklarasi {candidate} di {place} pada jam kerja",
        "hadir dan ikut berorasi dalam kampanye tatap muka {candidate} di {place}",
        "terlihat mengikuti konvoi kampanye {candidate} di {place}",
    ),
    "TIM_KAMPANYE": (
        "tercatat sebagai anggota tim pemenangan {candidate} tingkat kecamatan",
        "diketahui menjadi koordinator relawan {candidate} di {place}",
    ),
    "ANGGOTA_PARPOL": (
        "namanya tercantum sebagai pengurus salah satu partai politik dalam Sipol",
        "diduga menjadi anggota partai politik pengusung {candidate}",
    ),
    "DUKUNGAN_PERSEORANGAN": (
        "menyerahkan fotokopi KTP dan surat pernyataan dukungan untuk bakal calon perseorangan",
        "mengumpulkan KTP warga untuk syarat dukungan calon jalur perseorangan",
    ),
    "ARAHAN_BAWAHAN": (
        "mengumpulkan pegawai di lingkungan kerjanya dan meminta mereka memilih {candidate}",
        "mengarahkan para guru dan staf untuk hadir dalam kegiatan {candidate}",
        "mengancam akan memutasi bawahan yang tidak mendukung {candidate}",
    ),
    "FASILITAS_NEGARA": (
        "menggunakan mobil dinas untuk mengantar tim {candidate} ke lokasi kampanye",
        "memakai ruang pertemuan kantor untuk rapat pemenangan {candidate}",
        "menyalurkan bantuan program pemerintah sambil menyebut nama {candidate}",
    ),
    "LAINNYA": (
        "bersikap tidak netral dengan menyampaikan dukungan kepada {candidate} dalam kegiatan resmi",
        "memberikan sambutan yang menguntungkan {candidate} pada acara desa",
    ),
}
_OPENINGS = (
    "Berdasarkan hasil pengawasan, {who} diduga {act}.",
    "Pelapor menyampaikan bahwa {who} telah {act} pada {date}.",
    "Dari penelusuran tim pengawas, ditemukan {who} {act}.",
    "{who_cap} {act} sebagaimana bukti tangkapan layar dan foto yang dilampirkan.",
    "Terlapor selaku {post} diduga {act}. Kejadian pada {date}.",
)
_MEDIA = ("Facebook", "Instagram", "TikTok", "WhatsApp", "FB", "IG")
UPDATE_SENTENCES = ("Terlapor sudah diklarifikasi dan membenarkan kejadian.",
                    "Telah dilakukan klarifikasi terhadap saksi-saksi.", "Berkas sudah dikaji oleh Gakkumdu.")


def candidate_phrase(election_key: str, place: str, u: float, n: int) -> str:
    if election_key == "pemilu2024":
        opts = (f"capres-cawapres nomor urut {n}", "salah satu caleg DPRD", f"caleg DPR RI dapil {place}",
                "salah satu partai peserta Pemilu")
    else:
        opts = (f"paslon nomor urut {n}", f"bakal calon kepala daerah {place}", f"salah satu paslon Pilkada {place}",
                f"calon petahana {place}")
    return opts[min(int(u * len(opts)), len(opts) - 1)]


def uraian(u: np.ndarray, category: str, election_key: str, place: str, post: str, date_text: str) -> str:
    """A case description in this dialect's phrasing (``u``: 6 uniforms)."""
    acts = _ACTS[category]
    act = acts[min(int(u[0] * len(acts)), len(acts) - 1)]
    candidate = candidate_phrase(election_key, place, u[1], 1 + int(u[2] * 4))
    act = act.format(candidate=candidate, media=_MEDIA[int(u[3] * len(_MEDIA)) % len(_MEDIA)], place=place)
    opening = _OPENINGS[min(int(u[4] * len(_OPENINGS)), len(_OPENINGS) - 1)]
    who = "terlapor" if u[5] < 0.6 else f"saudara/i terlapor ({post})"
    return opening.format(who=who, who_cap=who[0].upper() + who[1:], act=act, date=date_text, post=post)


MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
