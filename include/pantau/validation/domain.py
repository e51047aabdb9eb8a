"""The canonical value lists the validation suites check against.

These are the library's lists, not the simulator's: the simulator imitates the sources, while this
module states what the pipelines accept (docs/DOMAIN.md §2, §4). The controlled vocabularies
(categories, sanctions, statuses, case and ASN types) are data, read from
``include/pantau/reference/data/vocabularies.csv`` plus the site's rows under
``PANTAU_REFERENCE_DIR`` (:mod:`pantau.reference.vocabularies`); the names below are derived from
them on access, so existing imports keep working and always see the current data. A test keeps the
simulator's reference data in step with them.

Staged and published vocabulary columns hold *codes* (or null when the source's value mapped to
nothing; the raw value stays in ``<column>_raw``), so the suites check codes only.
"""

from __future__ import annotations

from typing import Any

from pantau.reference import vocabularies as _vocabularies

#: The code a recommendation or decree carries when it imposes no sanction (an export writes "-").
NO_SANCTION = "TANPA_SANKSI"

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
#: How a vocabulary value was mapped (``<column>_mapping`` holds ``"method:confidence"``).
MAPPING_METHODS: tuple[str, ...] = _vocabularies.METHODS

#: A structurally usable NIP after normalisation: 18 ASCII digits, nothing else (docs/DOMAIN.md §3).
NIP_REGEX = r"^[0-9]{18}$"


def case_statuses() -> tuple[str, ...]:
    """Bawaslu case status (docs/DOMAIN.md §4.1): registered, forwarded to KASN/BKN, or stopped."""
    return _vocabularies.codes("case_status")


def case_jenis() -> tuple[str, ...]:
    """A Bawaslu case is a public report (laporan) or the supervisor's own finding (temuan)."""
    return _vocabularies.codes("case_jenis")


def violation_categories() -> dict[str, str]:
    """Stable codes of the violation categories (docs/DOMAIN.md §2) -> official label."""
    return _vocabularies.labels("category")


def sanctions() -> dict[str, str]:
    """Sanctions that punish: moral statements (PP 42/2004), disciplinary penalties (PP 94/2021) and
    dishonourable dismissal. Code -> official label; "no sanction" (:data:`NO_SANCTION`) is not one."""
    return {c: lbl for c, lbl in _vocabularies.labels("sanction").items() if c != NO_SANCTION}


def jenis_asn() -> tuple[str, ...]:
    """ASN types: civil servant or contract employee (PPPK)."""
    return _vocabularies.codes("jenis_asn")


def registry_statuses() -> tuple[str, ...]:
    """Registry employment status (docs/DOMAIN.md §4.3)."""
    return _vocabularies.codes("registry_status")


def __getattr__(name: str) -> Any:
    # CASE_STATUSES, SANCTIONS, ... are derived from the vocabulary data on access (PEP 562), so they are
    # never frozen at import time and follow PANTAU_REFERENCE_DIR.
    getters = {"CASE_STATUSES": case_statuses, "CASE_JENIS": case_jenis, "VIOLATION_CATEGORIES": violation_categories,
               "SANCTIONS": sanctions, "JENIS_ASN": jenis_asn, "REGISTRY_STATUSES": registry_statuses}
    if name in getters:
        return getters[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sanction_values() -> list[str]:
    """Every sanction written as its code or its official label (no-sanction excluded)."""
    punishing = sanctions()
    return sorted(set(punishing) | set(punishing.values()))


def category_values() -> list[str]:
    """Every violation category written as its code or its official label."""
    categories = violation_categories()
    return sorted(set(categories) | set(categories.values()))


def domain_parameters() -> dict[str, object]:
    """The suite parameters (``{"$PARAMETER": name}`` in the JSON suites) that come from this module.

    The suites refer to the lists by name so each list is written once (in the data).
    """
    sanction_codes = sorted(sanctions())
    return {
        "case_statuses": list(case_statuses()),
        "case_jenis": list(case_jenis()),
        "category_codes": sorted(violation_categories()),
        # Recommendations and decrees may both say "no sanction".
        "sanction_codes": [*sanction_codes, NO_SANCTION],
        "recommended_sanction_codes": [*sanction_codes, NO_SANCTION],
        "category_values": category_values(),
        "sanction_values": sanction_values(),
        "recommended_sanction_values": [*sanction_values(), NO_SANCTION],
        "jenis_asn": list(jenis_asn()),
        "registry_statuses": list(registry_statuses()),
        "mapping_methods": list(MAPPING_METHODS),
        "case_links": list(CASE_LINKS),
        "person_matches": list(PERSON_MATCHES),
        "follow_up_links": list(FOLLOW_UP_LINKS),
        "overdue_states": list(OVERDUE_STATES),
    }
