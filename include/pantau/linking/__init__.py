"""Linking records of one violation across agencies: Bawaslu case ⟷ KASN/BKN recommendation ⟷ BKD
follow-up decree, and one person per linked row.

* :mod:`pantau.linking.references`: reference numbers compared the way people write them.
* :mod:`pantau.linking.cases`: case ⟷ recommendation, by reference (a forwarding letter shared by
  several cases is resolved by the person), else by the same person within a date window, else by
  the same written name when the registry could not place the person.
* :mod:`pantau.linking.follow_ups`: recommendation ⟷ decree, by recommendation number, else the
  same person's decree after the recommendation.
* :mod:`pantau.linking.persons`: one person per row from the case's and the recommendation's matches.

Plain pandas, no Airflow; :mod:`pantau.pipeline.reconcile` wires these together.
"""

from pantau.linking.cases import link_by_name, link_by_person, link_by_reference
from pantau.linking.follow_ups import attach_follow_ups
from pantau.linking.persons import reconcile_persons
from pantau.linking.references import normalize_reference

__all__ = ["attach_follow_ups", "link_by_name", "link_by_person", "link_by_reference", "normalize_reference",
           "reconcile_persons"]
