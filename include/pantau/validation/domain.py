"""The canonical value lists the validation suites check against.

These are the library's lists, not the simulator's: the simulator imitates the sources, while this
module states what the pipelines accept (docs/DOMAIN.md §2, §4). A test keeps the simulator's reference data
in step with these lists, so a code added in one place and forgotten in the other fails CI.
"""

from __future__ import annotations

#: Bawaslu case status (docs/DOMAIN.md §4.1): registered, forwarded to KASN/BKN, or stopped.
CASE_STATUSES: tuple[str, ...] = ("diregistrasi", "diteruskan", "dihentikan")
#: A Bawaslu case is a public report (laporan) or the supervisor's own finding (temuan).
CASE_JENIS: tuple[str, ...] = ("laporan", "temuan")

#: Stable codes of the violation categories (docs/DOMAIN.md §2, "Violation categories and sanctions").
#: Bawaslu sets one of these in ``kategori``; recommendation exports write the label instead.
VIOLATION_CATEGORIES: dict[str, str] = {
    "MEDSOS_INTERAKSI": "Memberikan tanda suka, komentar, membagikan atau mengikuti akun kampanye di media sosial",
    "MEDSOS_KAMPANYE": "Melakukan sosialisasi/kampanye calon melalui media sosial",
    "ALAT_PERAGA": "Memasang spanduk, baliho atau alat peraga kampanye",
    "FOTO_POSE": "Berfoto bersama calon atau berpose jari yang menunjukkan dukungan",
    "HADIR_KAMPANYE": "Menghadiri deklarasi atau kampanye calon",
    "TIM_KAMPANYE": "Menjadi anggota tim kampanye atau tim pemenangan calon",
    "ANGGOTA_PARPOL": "Menjadi anggota atau pengurus partai politik",
    "DUKUNGAN_PERSEORANGAN": "Memberikan dukungan kepada calon perseorangan (surat dukungan atau fotokopi KTP)",
    "ARAHAN_BAWAHAN": "Mengarahkan atau mengajak bawahan/masyarakat mendukung calon",
    "FASILITAS_NEGARA": "Membuat keputusan atau menggunakan fasilitas negara yang menguntungkan calon",
    "LAINNYA": "Pelanggaran netralitas ASN lainnya",
}

#: Sanctions: moral statements (PP 42/2004), disciplinary penalties (PP 94/2021) and dishonourable
#: dismissal for party membership. Code → the label written in recommendations and decrees.
SANCTIONS: dict[str, str] = {
    "MORAL_TERTUTUP": "Sanksi moral berupa pernyataan secara tertutup",
    "MORAL_TERBUKA": "Sanksi moral berupa pernyataan secara terbuka",
    "DISIPLIN_SEDANG": "Hukuman disiplin sedang",
    "DISIPLIN_BERAT": "Hukuman disiplin berat",
    "PTDH": "Pemberhentian tidak dengan hormat",
}
#: What an export writes in "Rekomendasi Sanksi" when the violation was not proven.
NO_SANCTION = "-"

#: ASN types: civil servant or contract employee (PPPK).
JENIS_ASN: tuple[str, ...] = ("PNS", "PPPK")
#: Registry employment status (docs/DOMAIN.md §4.3).
REGISTRY_STATUSES: tuple[str, ...] = ("aktif", "pensiun", "berhenti", "meninggal")

#: How a consolidated row was linked (pantau.pipeline.reconcile).
# The link and match methods of pantau.pipeline.reconcile / pantau.matching (steward_* come from
# review decisions applied on later runs).
STEWARD_DECISIONS: tuple[str, ...] = ("steward_accept", "steward_reject", "steward_override")
CASE_LINKS: tuple[str, ...] = ("reference", "same_person_window", "no_bawaslu_case", "no_recommendation",
                               *STEWARD_DECISIONS)
PERSON_MATCHES: tuple[str, ...] = ("exact_nip", "nip_repair", "nip_prefix", "name_agency", "name_region", "review",
                                   "unmatched", *STEWARD_DECISIONS)
FOLLOW_UP_LINKS: tuple[str, ...] = ("reference",)
#: Overdue states, in escalation order.
OVERDUE_STATES: tuple[str, ...] = ("upcoming", "overdue", "escalated")

#: A structurally usable NIP after normalisation: 18 ASCII digits, nothing else (docs/DOMAIN.md §3).
NIP_REGEX = r"^[0-9]{18}$"


def sanction_values() -> list[str]:
    """Every accepted spelling of a sanction: the code and its label."""
    return sorted(set(SANCTIONS) | set(SANCTIONS.values()))


def category_values() -> list[str]:
    """Every accepted spelling of a violation category: the code and its label."""
    return sorted(set(VIOLATION_CATEGORIES) | set(VIOLATION_CATEGORIES.values()))


def domain_parameters() -> dict[str, object]:
    """The suite parameters (``{"$PARAMETER": name}`` in the JSON suites) that come from this module.

    The suites refer to the lists by name so each list is written once, here.
    """
    return {
        "case_statuses": list(CASE_STATUSES),
        "case_jenis": list(CASE_JENIS),
        "category_codes": sorted(VIOLATION_CATEGORIES),
        "category_values": category_values(),
        "sanction_values": sanction_values(),
        "recommended_sanction_values": [*sanction_values(), NO_SANCTION],
        "jenis_asn": list(JENIS_ASN),
        "registry_statuses": list(REGISTRY_STATUSES),
        "case_links": list(CASE_LINKS),
        "person_matches": list(PERSON_MATCHES),
        "follow_up_links": list(FOLLOW_UP_LINKS),
        "overdue_states": list(OVERDUE_STATES),
    }
