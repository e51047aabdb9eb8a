"""Free-text case descriptions (``uraian``) per violation category.

Several templates per category with varied vocabulary, so that keyword rules deriving the
category from the text can be measured against the truth (and fail sometimes, as in reality:
an ``ARAHAN_BAWAHAN`` text may mention WhatsApp too).
"""

from __future__ import annotations

import numpy as np

PLATFORMS = ("Facebook", "Instagram", "TikTok", "WhatsApp", "X (Twitter)", "YouTube", "status WhatsApp", "grup WhatsApp")
_INTERAKSI = ("membagikan ulang", "menyukai (like)", "mengomentari", "memberikan tanda suka pada", "men-share",
              "memberi komentar dukungan pada", "me-repost")
_PLACES = ("balai desa", "lapangan kecamatan", "gedung serbaguna", "rumah makan", "posko pemenangan", "pasar",
           "halaman masjid", "aula kantor")

TEMPLATES: dict[str, tuple[str, ...]] = {
    "MEDSOS_INTERAKSI": (
        "Terlapor {interaksi} unggahan kampanye {calon} melalui akun {platform} pribadinya.",
        "Terlapor diketahui mengikuti (follow) akun {platform} resmi tim pemenangan {calon} dan {interaksi} postingannya.",
        "Melalui akun {platform} miliknya, terlapor menyukai dan membagikan postingan {calon} pada {tanggal}.",
        "Terlapor memberi like dan komentar 'lanjutkan!' pada unggahan {calon} di {platform}.",
    ),
    "MEDSOS_KAMPANYE": (
        "Terlapor mengunggah foto dan video ajakan memilih {calon} di akun {platform} miliknya.",
        "Terlapor membuat status {platform} berisi ajakan untuk mendukung {calon}.",
        "Terlapor memposting konten kampanye {calon} berupa visi misi di {platform} disertai tagar dukungan.",
    ),
    "ALAT_PERAGA": (
        "Terlapor memasang spanduk bergambar {calon} di pagar rumahnya dekat {tempat}.",
        "Terlapor ikut memasang baliho dan stiker {calon} di sepanjang jalan menuju {tempat}.",
        "Terlapor membagikan kalender dan stiker bergambar {calon} kepada warga di {tempat}.",
    ),
    "FOTO_POSE": (
        "Terlapor berfoto bersama {calon} dengan pose jari membentuk nomor urut {nomor}.",
        "Beredar foto terlapor berpose {nomor} jari bersama {calon} saat kunjungan ke {tempat}.",
        "Terlapor berswafoto dengan {calon} sambil mengacungkan jari simbol nomor urut, lalu diunggah ke {platform}.",
    ),
    "HADIR_KAMPANYE": (
        "Terlapor menghadiri deklarasi {calon} di {tempat} pada {tanggal}.",
        "Terlapor hadir dalam kegiatan kampanye terbuka {calon} dan mengenakan atribut kampanye.",
        "Terlapor terlihat ikut dalam rapat umum dan konvoi kampanye {calon}.",
    ),
    "TIM_KAMPANYE": (
        "Terlapor tercatat sebagai anggota tim kampanye {calon} yang didaftarkan ke KPU.",
        "Terlapor menjadi koordinator tim pemenangan {calon} di tingkat kecamatan.",
        "Nama terlapor tercantum dalam SK tim sukses {calon}.",
    ),
    "ANGGOTA_PARPOL": (
        "Terlapor terdaftar sebagai anggota partai politik dalam Sipol KPU.",
        "Terlapor diketahui menjadi pengurus partai politik di tingkat kabupaten.",
        "Terlapor memiliki kartu tanda anggota (KTA) partai politik.",
    ),
    "DUKUNGAN_PERSEORANGAN": (
        "Terlapor memberikan surat dukungan dan fotokopi KTP kepada bakal calon perseorangan.",
        "Terlapor mengumpulkan fotokopi KTP warga untuk syarat dukungan calon perseorangan.",
        "Terlapor menandatangani formulir dukungan bagi bakal pasangan calon perseorangan.",
    ),
    "ARAHAN_BAWAHAN": (
        "Terlapor mengarahkan bawahannya untuk memilih {calon} dalam rapat dinas.",
        "Terlapor mengajak para guru dan staf untuk mendukung {calon} melalui grup WhatsApp kantor.",
        "Terlapor menginstruksikan para lurah dan kepala desa agar mengajak warga memilih {calon}.",
    ),
    "FASILITAS_NEGARA": (
        "Terlapor menggunakan kendaraan dinas untuk mengantar logistik kampanye {calon}.",
        "Terlapor menggunakan gedung kantor untuk pertemuan dengan tim {calon}.",
        "Terlapor membuat keputusan penyaluran bantuan sosial yang menguntungkan {calon}.",
    ),
    "LAINNYA": (
        "Terlapor diduga tidak netral dalam pelaksanaan {pemilihan} sebagaimana dilaporkan masyarakat.",
        "Terlapor menyampaikan pernyataan yang menunjukkan keberpihakan kepada {calon} dalam sebuah acara di {tempat}.",
        "Terlapor diduga melakukan tindakan yang mengarah pada keberpihakan kepada peserta pemilihan.",
    ),
}

_OPENING = {"laporan": ("Pelapor melaporkan bahwa ", "Berdasarkan laporan masyarakat, ", ""),
            "temuan": ("Berdasarkan hasil pengawasan, ", "Dari hasil patroli siber ditemukan bahwa ", "")}


def calon(pemilihan: str, region: str, rng: np.random.Generator) -> str:
    """The candidate as a report describes it (never a real person's name)."""
    nomor = int(rng.integers(1, 5))
    if pemilihan.startswith("Pemilu"):
        opts = (f"pasangan calon presiden dan wakil presiden nomor urut {min(nomor, 3)}",
                "salah satu calon anggota DPRD", "salah satu calon anggota DPR RI", "salah satu peserta pemilu")
    else:
        head = "Gubernur" if region.startswith("Provinsi") else ("Bupati" if region.startswith("Kabupaten") else "Wali Kota")
        place = region.split(" ", 1)[1]
        opts = (f"pasangan calon {head} {place} nomor urut {nomor}", f"bakal calon {head} {place}",
                "salah satu calon kepala daerah", f"pasangan calon nomor urut {nomor}")
    return opts[int(rng.integers(0, len(opts)))]


def uraian(category: str, jenis: str, pemilihan: str, region: str, tanggal: str, rng: np.random.Generator) -> str:
    templates = TEMPLATES[category]
    text = templates[int(rng.integers(0, len(templates)))].format(
        interaksi=_INTERAKSI[int(rng.integers(0, len(_INTERAKSI)))],
        platform=PLATFORMS[int(rng.integers(0, len(PLATFORMS)))],
        calon=calon(pemilihan, region, rng), tempat=_PLACES[int(rng.integers(0, len(_PLACES)))],
        tanggal=tanggal, nomor=int(rng.integers(1, 5)), pemilihan=pemilihan,
    )
    opening = _OPENING[jenis][int(rng.integers(0, 3))]
    if opening:
        text = opening + text[0].lower() + text[1:]
    return text
