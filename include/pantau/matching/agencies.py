"""Resolve free-text agency names to registry blocks: a work unit, an agency, or a whole region.

Sources write the agency as people say it (``Disdik Kab. Agam``, ``Pemkot Padang``, ``RSUD Lubuk
Basung``, ``SDN 3 Lubuk Basung``). Regions come from the Kemendagri table
(:func:`pantau.reference.regions.load_regions`: every kabupaten, kota and province, their short forms
and PPK titles), not from the registry's names. The registry is the authority on what agencies and
work units exist, and registries differ in where they keep the unit: some name every office as an
agency (``nama_instansi`` = ``Dinas Pendidikan Kabupaten Agam``), others name the whole regional
government (``Pemerintah Kabupaten Agam``) and keep the office in ``unit_kerja``. Both columns give
candidates.

Resolution of one text, inside its region (named in the text, else the caller's hint: the case's
region code, the recommendation's PPK):

1. the text's *type* — abbreviations expanded (:mod:`pantau.reference.agency_types`) and region
   names set aside — is compared with the type of every agency of the region and of every work unit
   of the region's whole-government agencies (or, when no agency fits, of any agency): one clear
   winner gives an agency block or a unit block. A unit heading a group (``Dinas Pendidikan`` with
   its schools, ``Dinas Kesehatan`` with its puskesmas; ``data/unit_groups.json``) brings its group;
2. a whole-government text (``Pemkab Agam``, ``Setda Agam``, ``Kabupaten Agam``: people write it
   for anyone of that government, not only the secretariat's staff) blocks on the government: the
   registry's ``Pemerintah ...`` agency of the region when it has one, else the whole region; so does
   an office the registry does not list. The person matcher raises its bar with the block's size.

Nothing here guesses between two agencies or units that score alike.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from pantau.matching.persons import UNIT_SEPARATOR, RegistryIndex
from pantau.reference.agency_types import AgencyTypes, load_agency_types
from pantau.reference.regions import RegionTable, load_regions

__all__ = ["AGENCY_ACCEPT", "AGENCY_MARGIN", "AgencyIndex", "Resolution", "UNIT_SEPARATOR"]

AGENCY_ACCEPT = 85.0
AGENCY_MARGIN = 4.0
_FOLD = re.compile(r"[^a-z0-9]+")
# What is left of a whole-government agency's name once region words are set aside.
_GOVERNMENT_TYPES = frozenset({"", "pemerintah", "pemerintah daerah"})
RESOLVED_COLUMNS = ["kode_instansi", "unit_kerja", "kode_wilayah", "agency_score", "agency_scope"]


@dataclass(frozen=True)
class Resolution:
    """Where to look for the person named with an agency text."""

    kode_instansi: str | None = None
    unit_kerja: str | None = None  # one or more units (UNIT_SEPARATOR-joined) of kode_instansi
    kode_wilayah: str | None = None
    score: float = 0.0
    scope: str | None = None  # unit | agency | government | region | None


@dataclass
class _Entry:
    kode_instansi: str
    unit: str | None
    type: str  # the name without region words, abbreviations expanded


@dataclass
class _Region:
    code: str
    agencies: list[_Entry] = field(default_factory=list)
    units: list[_Entry] = field(default_factory=list)  # units of whole-government agencies
    other_units: list[_Entry] = field(default_factory=list)  # units of the other agencies


@lru_cache(maxsize=1)
def _unit_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    data = json.loads((Path(__file__).with_name("data") / "unit_groups.json").read_text(encoding="utf-8"))
    return tuple((str(g["head"]), tuple(str(m) for m in g["members"])) for g in data["groups"])


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
          "x": "10"}
_FILLER = frozenset({"dan", "di", "serta", "negeri", "kantor"})


def _words(text: str) -> tuple[list[str], set[str]]:
    """(words, numbers) of an office type; Roman numerals are numbers (Puskesmas Tegallalang I)."""
    words, numbers = [], set()
    tokens = text.split()
    # "UPTD Puskesmas X" is the puskesmas: the technical-unit prefix says nothing about which office.
    for prefix in (["unit", "pelaksana", "teknis", "daerah"], ["unit", "pelaksana", "teknis"], ["uptd"], ["upt"]):
        if tokens[: len(prefix)] == prefix and len(tokens) > len(prefix):
            tokens = tokens[len(prefix):]
            break
    for token in tokens:
        token = _ROMAN.get(token, token)
        if token.isdigit():
            numbers.add(token.lstrip("0") or "0")
        elif token not in _FILLER:
            words.append(token)
    return words, numbers


def _found(word: str, others: list[str]) -> bool:
    return any(word == o or (len(word) > 3 and fuzz.ratio(word, o) >= 85) for o in others)


@lru_cache(maxsize=1)
def _office_phrases() -> tuple[tuple[str, ...], ...]:
    """Office types of the agency-type table (``kantor urusan agama``, ``rumah sakit umum daerah``):
    expansions of ``unit`` rows of two words or more."""
    types = load_agency_types()
    phrases = {tuple(_words(e.expansion)[0]) for e in types.entries.values() if e.kind == "unit"}
    return tuple(sorted(p for p in phrases if len(p) >= 2))


def _names_another_office(text: list[str], office: list[str]) -> bool:
    """Whether the text's words beyond ``office`` name an office type of their own: "KUA Kecamatan
    Gurah" is not a part of "Kecamatan Gurah", while "Instalasi Farmasi RSUD" is a part of the RSUD."""
    extra = [w for w in text if not _found(w, office)]
    joined = " " + " ".join(extra) + " "
    return any(" " + " ".join(p) + " " in joined for p in _office_phrases())


@lru_cache(maxsize=200_000)
def office_score(text: str, office: str) -> float:
    """How well an agency text's type names an office (0-100), word by word.

    Numbers must agree (SD Negeri 2 is not SD Negeri 12 or 3: character similarity says 95-98);
    every other word must be found, allowing a typo in words longer than three letters (SMA is not
    SMP: "atas" is not "pertama"). Agreement is the share of words found on both sides; a text whose
    words all open the office's name ("Dinas Pendidikan" for "Dinas Pendidikan, Kepemudaan dan
    Olahraga") scores 92, all found elsewhere in it ("... Bidang ... Dinas Pendidikan") 86, as does
    a text that names the office and more ("Instalasi Farmasi RSUD").
    """
    a_words, a_numbers = _words(text)
    b_words, b_numbers = _words(office)
    if a_numbers and b_numbers and a_numbers != b_numbers:
        return 0.0
    if not a_words or not b_words:
        return 0.0
    found_a = sum(_found(w, b_words) for w in a_words)
    found_b = sum(_found(w, a_words) for w in b_words)
    score = 100.0 * (found_a + found_b) / (len(a_words) + len(b_words))
    if found_a == len(a_words) and found_b < len(b_words):
        head = all(_found(w, [o]) for w, o in zip(a_words, b_words, strict=False))
        score = max(score, 92.0 if head else 86.0)
    elif found_b == len(b_words) and found_a < len(a_words) and not _names_another_office(a_words, b_words):
        score = max(score, 86.0)  # the text names the office and more ("Instalasi Farmasi RSUD ...")
    if bool(a_numbers) != bool(b_numbers):
        score -= 5.0  # "Puskesmas Tegallalang" for "Puskesmas Tegallalang I": likely, not certain
    return score


def _learn_readings(codes: pd.Series, named: list[str | None], table: RegionTable,
                    minimum: int = 2, share: float = 0.8) -> dict[str, str]:
    """How the data reads its region codes, learned from the texts beside them that name a region.

    Registries and Bawaslu offices may number regions by another scheme (BPS's, or an older decree:
    Karimun is 21.01 in one and 21.02 in the other). When the texts beside a code agree on the region
    they name (``Pemerintah Kabupaten Karimun`` on every row with 21.01), that region is the code's
    reading, whether the table agrees or not (an agreeing code is worth knowing too: it says this
    source numbers that code as the table does). A kabupaten code named by its province's texts
    teaches nothing.
    """
    votes: dict[str, Counter[str]] = {}
    for code, region in zip(codes, named, strict=True):
        if region is not None and code is not None and code is not pd.NA and str(code).strip():
            votes.setdefault(str(code).strip(), Counter())[region] += 1
    readings = {}
    for code, counter in votes.items():
        region, count = counter.most_common(1)[0]
        if count < minimum or count < share * sum(counter.values()):
            continue
        by_table = table.containing(code)
        if by_table is not None and by_table.code != region and region == by_table.code.split(".")[0]:
            continue
        readings[code] = region
    return readings


class AgencyIndex:
    """Agencies, work units and regions known to the registry, with text resolution."""

    def __init__(self, registry: pd.DataFrame, reg: RegistryIndex | None = None,
                 regions: RegionTable | None = None, types: AgencyTypes | None = None) -> None:
        self.table = regions or load_regions()
        self.types = types or load_agency_types()
        groups = self._groups(registry, reg)
        self.agency_name: dict[str, str] = dict(zip(groups["kode_instansi"], groups["nama_instansi"], strict=False))
        self.whole_government: set[str] = set()
        self.regions: dict[str, _Region] = {}
        self._type_cache: dict[str, str] = {}
        self._text_cache: dict[str, tuple[str | None, tuple[str, ...], bool]] = {}
        self._region_cache: dict[str, str | None] = {}
        self._best_cache: dict[tuple[str, tuple[str, ...]], tuple[_Entry | None, float]] = {}
        self._province_cache: dict[str, list[_Entry]] = {}
        self.hint_readings: dict[str, str] = {}
        self._national_agencies: _Region | None = None
        self._place_cache: dict[str, frozenset[str]] = {}
        named = [self._text("" if n is None else str(n))[0] for n in groups["nama_instansi"]]
        self.code_readings = _learn_readings(groups["kode_wilayah"], named, self.table, minimum=1)
        group_region: list[str | None] = []
        seen: set[tuple[str, str]] = set()
        for code, name, raw, by_name in zip(groups["kode_instansi"], groups["nama_instansi"], groups["kode_wilayah"],
                                            named, strict=True):
            region = by_name or self.read_code(raw)
            group_region.append(region)
            if region is None or (code, region) in seen:
                continue
            seen.add((code, region))
            entry = self.regions.setdefault(region, _Region(region))
            entry.agencies.append(_Entry(code, None, self.type_of(name)))
            if self._text("" if name is None else str(name))[2]:
                self.whole_government.add(code)
        #: Region per registry group (agency x the registry's region code), read against the table;
        #: give it to :meth:`RegistryIndex.use_regions`.
        self.group_region = np.array(group_region, dtype=object)
        #: Regions per agency (a national agency has staff in many).
        self.agency_regions: dict[str, list[str]] = {}
        for code, region in zip(groups["kode_instansi"], group_region, strict=True):
            if region is not None and region not in self.agency_regions.setdefault(code, []):
                self.agency_regions[code].append(region)
        # Work units are typed lazily, per region, the first time a text resolves there.
        self._pending_units: dict[str, set[tuple[str, str]]] = {}
        agency_of_group = groups["kode_instansi"].tolist()
        for group, unit in self._units(registry, reg, groups):
            region, code = group_region[group], agency_of_group[group]
            if region is not None and unit:
                self._pending_units.setdefault(region, set()).add((code, unit))

    def _region(self, code: str) -> _Region:
        region = self.regions[code]
        for agency, unit in sorted(self._pending_units.pop(code, set())):
            entry = _Entry(agency, unit, self.type_of(unit))
            (region.units if agency in self.whole_government else region.other_units).append(entry)
        return region

    # ------------------------------------------------------------------ registry

    @staticmethod
    def _groups(registry: pd.DataFrame, reg: RegistryIndex | None) -> pd.DataFrame:
        """One row per (kode_instansi, kode_wilayah) as the registry has them, in the index's group order."""
        cols = ["kode_instansi", "nama_instansi", "kode_wilayah"]
        if reg is not None:
            # The first row of each group of the index: no 6M-row deduplication.
            rows = reg.by_group[reg.group_offsets[:-1]] if len(reg.by_group) else np.zeros(0, np.int64)
            frame = pd.DataFrame({"kode_instansi": reg.group_agency,
                                  "nama_instansi": registry["nama_instansi"].iloc[rows].to_numpy(dtype=object),
                                  "kode_wilayah": reg.group_region_raw})
        else:
            frame = registry[cols].drop_duplicates(["kode_instansi", "kode_wilayah"]).sort_values(
                ["kode_instansi", "kode_wilayah"])
        frame = frame.astype(object)
        return frame.where(frame.notna(), None).reset_index(drop=True)

    @staticmethod
    def _units(registry: pd.DataFrame, reg: RegistryIndex | None, groups: pd.DataFrame) -> list[tuple[int, str]]:
        """Distinct (group position in ``groups``, unit_kerja)."""
        if "unit_kerja" not in registry:
            return []
        if reg is not None:
            width = len(reg.unit_values) + 1
            pairs = pd.unique(reg.group_code.astype(np.int64) * width + reg.unit_code + 1)
            group, unit = pairs // width, pairs % width - 1
            keep = unit >= 0
            return list(zip(group[keep].tolist(), reg.unit_values[unit[keep]].tolist(), strict=True))
        position = {(a, r): i for i, (a, r) in enumerate(zip(groups["kode_instansi"], groups["kode_wilayah"],
                                                              strict=True))}
        frame = registry[["kode_instansi", "kode_wilayah", "unit_kerja"]].dropna(subset=["unit_kerja"])
        frame = frame.drop_duplicates().astype(object)
        frame = frame.where(frame.notna(), None)
        return [(position[(a, r)], str(u)) for a, r, u in frame.itertuples(index=False) if (a, r) in position]

    def read_code(self, code: object) -> str | None:
        """A region code as this data uses it: the reading learned from agency names when the data
        numbers regions differently from the Kemendagri table, else the table's, else as written."""
        if code is None or code is pd.NA or (isinstance(code, float) and code != code):
            return None
        text = str(code).strip()
        if not text:
            return None
        if text in self.code_readings:
            return self.code_readings[text]
        region = self.table.containing(text)
        return region.code if region is not None else text

    # ------------------------------------------------------------------ text

    def type_of(self, text: object) -> str:
        """The words of ``text`` that are not a region name, abbreviations expanded (cached per text:
        unit names repeat across agencies)."""
        key = "" if text is None else str(text)
        cached = self._type_cache.get(key)
        if cached is None:
            tokens = self.types.expand_tokens(key)
            covered = self.table.covered_tokens(tokens)
            cached = self._type_cache[key] = " ".join(t.text for i, t in enumerate(tokens) if i not in covered)
        return cached

    def _text(self, text: str) -> tuple[str | None, tuple[str, ...], bool]:
        """(region named in the text, its types, whole government?), once per distinct text.

        Texts are first folded to lower-case words (``DISDIK KAB. AGAM`` = ``Disdik Kab Agam``), then
        tokenised once: the region is read from the region-name words alone (cached: a few hundred
        spellings name every region), and a text is whole-government when every word is a region
        name or a government/level word (as :meth:`AgencyTypes.is_whole_government` decides). The
        types are the remaining words, whole and, when the text has comma-separated parts, per part.
        """
        folded = _FOLD.sub(" ", text.lower()).strip()
        cached = self._text_cache.get(folded)
        if cached is not None:
            return cached
        tokens = self.types.expand_tokens(text)
        covered = self.table.covered_tokens(tokens)
        names = ", ".join(" ".join(t.text for i, t in enumerate(tokens) if i in covered and t.segment == seg)
                          for seg in sorted({tokens[i].segment for i in covered}))
        if names not in self._region_cache:
            self._region_cache[names] = self.table.region_of_text(names) if names else None
        whole = bool(tokens) and all(i in covered or t.text in self.types.government_words
                                     for i, t in enumerate(tokens))
        kept: dict[int, list[str]] = {}
        for i, t in enumerate(tokens):
            if i not in covered:
                kept.setdefault(t.segment, []).append(t.text)
        whole_type = " ".join(w for words in kept.values() for w in words)
        types = ([whole_type] if whole_type else []) + (
            [" ".join(words) for words in kept.values()] if len(kept) > 1 else [])
        cached = self._text_cache[folded] = (self._region_cache[names], tuple(types), whole)
        return cached

    def region_of_text(self, text: object) -> str | None:
        return self.table.region_of_text(text) if isinstance(text, str) and text.strip() else None

    def region_of_ppk(self, ppk: object) -> str | None:
        """The PPK's title names the region: Bupati X, Wali Kota Y, Gubernur Z."""
        if not isinstance(ppk, str) or not ppk.strip():
            return None
        return self.table.region_of_ppk(ppk)

    def regions_of_ppk(self, ppk: pd.Series) -> pd.Series:
        """:meth:`region_of_ppk` per row, evaluated once per distinct title."""
        distinct = ppk.dropna().unique()
        return ppk.map(dict(zip(distinct, map(self.region_of_ppk, distinct), strict=True)))

    @staticmethod
    def _best(types: tuple[str, ...], entries: list[_Entry]) -> tuple[_Entry | None, float]:
        """The clear winner (:data:`AGENCY_ACCEPT`, :data:`AGENCY_MARGIN`) among ``entries`` by
        :func:`office_score`; a vectorised token-set pass picks the few worth scoring exactly."""
        best: tuple[_Entry | None, float] = (None, 0.0)
        typed = [e for e in entries if e.type]
        if not typed:
            return best
        names = [e.type for e in typed]
        for text_type in types:
            rough = process.cdist([text_type], names, scorer=fuzz.token_set_ratio)[0]
            shortlist = np.argsort(-rough, kind="stable")[:12]
            shortlist = shortlist[rough[shortlist] >= 50]
            scored = sorted(((office_score(text_type, names[i]), int(i)) for i in shortlist), reverse=True)
            if not scored:
                continue
            top, second = scored[0][0], scored[1][0] if len(scored) > 1 else 0.0
            if top >= AGENCY_ACCEPT and top - second >= AGENCY_MARGIN and top > best[1]:
                best = (typed[scored[0][1]], top)
            elif best[0] is None and top > best[1]:
                best = (None, top)
        return best

    def _best_cached(self, region: _Region, types: tuple[str, ...]) -> tuple[_Entry | None, float]:
        """The clear winner among, in turn: the region's agencies and government units; the units of
        its other agencies (an office the agencies do not name may be a unit inside one); and, for a
        kabupaten/kota, the units its province runs there (senior high schools, provincial hospitals)."""
        key = (region.code, types)
        found = self._best_cache.get(key)
        if found is None:
            found = (None, 0.0)
            if types:
                for tier in (region.agencies + region.units, region.other_units, self._province_units(region)):
                    candidate = self._best(types, tier)
                    if candidate[0] is not None:
                        found = candidate
                        break
                    found = (None, max(found[1], candidate[1]))
            self._best_cache[key] = found
        return found

    def _national(self) -> _Region:
        """The agencies with staff in several regions (a ministry's offices), as one pseudo-region."""
        if self._national_agencies is None:
            self._national_agencies = _Region("")
            for code, regions in self.agency_regions.items():
                if len(regions) > 1:
                    self._national_agencies.agencies.append(_Entry(code, None, self.type_of(self.agency_name.get(code))))
        return self._national_agencies

    def _province_units(self, region: _Region) -> list[_Entry]:
        """Units of the province's agencies that lie in ``region``: their name names it, or no region."""
        province = region.code.split(".")[0]
        if province == region.code or province not in self.regions:
            return []
        cached = self._province_cache.get(region.code)
        if cached is None:
            parent = self._region(province)
            cached = [e for e in parent.units + parent.other_units
                      if not (places := self._places_of(str(e.unit))) or region.code in places]
            self._province_cache[region.code] = cached
        return cached

    def _places_of(self, unit: str) -> frozenset[str]:
        """Every region a unit's name may name ("SMA Negeri 1 Kediri": the kabupaten and the kota)."""
        if unit not in self._place_cache:
            self._place_cache[unit] = frozenset(code for code, _, _ in self.table.find_in_text(unit))
        return self._place_cache[unit]

    def _group(self, region: _Region, entry: _Entry) -> str:
        """The unit and, when it heads a group (Dinas Pendidikan), the group's units of the same agency."""
        assert entry.unit is not None
        units = [entry.unit]
        for head, members in _unit_groups():
            if entry.type == head or entry.type.startswith(head + " "):
                for other in region.units + region.other_units:
                    if other.kode_instansi == entry.kode_instansi and other.unit != entry.unit and any(
                            other.type == m or other.type.startswith(m + " ") for m in members):
                        units.append(str(other.unit))
        return UNIT_SEPARATOR.join(sorted(set(units), key=units.index))

    def resolve_one(self, text: object, region_hint: str | None = None, raw_hint: bool = True) -> Resolution:
        """Where to look for the person of one agency text (see the module docstring).

        ``region_hint``: the source's own region code (``raw_hint``: read as the texts beside such
        codes use them, else as the table reads it), or a code of the table itself (a PPK's region).
        """
        named, types, whole = self._text("" if text is None or text is pd.NA else str(text))
        region_code = named
        if region_code is None and isinstance(region_hint, str) and region_hint:
            if raw_hint:
                # The source's own reading when its texts taught it, else the registry's (sources of one
                # country tend to share a numbering), else the table's.
                region_code = self.hint_readings.get(region_hint) or self.read_code(region_hint)
            else:
                region_code = region_hint
        if region_code is None and types:
            # No region anywhere: a national agency named alone ("Kementerian Agama") is still a block.
            entry, score = self._best_cached(self._national(), types)
            if entry is not None:
                return Resolution(entry.kode_instansi, None, None, score, "agency")
        if region_code is None or region_code not in self.regions:
            return Resolution(kode_wilayah=region_code, scope="region" if region_code else None)
        region = self._region(region_code)
        # A whole-government text ("Pemkab Agam", "Setda Agam", "Sekretariat Daerah Kabupaten Agam")
        # is not read as the secretariat's own staff: people write it for anyone of that government.
        entry, score = self._best_cached(region, types) if not whole else (None, 0.0)
        if entry is not None and entry.unit is not None:
            return Resolution(entry.kode_instansi, self._group(region, entry), region_code, score, "unit")
        if entry is not None:
            scope = "government" if entry.kode_instansi in self.whole_government else "agency"
            return Resolution(entry.kode_instansi, None, region_code, score, scope)
        if whole:
            # "Kabupaten Agam" alone: the region's own government when the registry lists it as one
            # agency ("Pemerintah Kabupaten Agam"); a secretariat is not the whole government.
            governments = [e.kode_instansi for e in region.agencies if e.type in _GOVERNMENT_TYPES]
            return Resolution(governments[0] if len(governments) == 1 else None, None, region_code, score,
                              "government")
        return Resolution(None, None, region_code, score, "region")

    def resolve(self, texts: pd.Series, region_hints: pd.Series, positions: pd.Series | None = None,
                raw_hints: bool = True) -> pd.DataFrame:
        """Vectorised over distinct (text, hint) pairs; same index as ``texts``; columns
        :data:`RESOLVED_COLUMNS` (``kode_instansi``, ``unit_kerja``, ``kode_wilayah``, ``agency_score``,
        ``agency_scope``).

        ``positions`` (the ``jabatan`` column): people write the workplace into the position ("Guru
        SDN 2 Ubud", "Kepala Puskesmas Tegallalang I"). When the agency text only names a whole
        government or a region, a position naming one of that region's work units or agencies narrows
        the block to it (scope ``unit`` / ``agency`` as usual).
        """
        pairs = pd.DataFrame({"t": texts.astype(object).where(texts.notna(), "").astype(str),
                              "h": region_hints.astype(object)}, index=texts.index)
        pairs["h"] = pairs["h"].where(pairs["h"].notna(), None)
        if raw_hints:
            # The source's region codes (Bawaslu's kode_wilayah) read as the texts beside them name them.
            distinct = pairs.drop_duplicates()
            self.hint_readings.update(_learn_readings(distinct["h"], [self._text(t)[0] for t in distinct["t"]],
                                                      self.table, minimum=3))
        out = self._resolve_pairs(pairs, raw_hints)
        if positions is not None:
            wide = out["agency_scope"].isin(["government", "region"]) & positions.notna().to_numpy()
            if wide.any():
                again = pd.DataFrame({"t": positions[wide].astype(str), "h": out.loc[wide, "kode_wilayah"]})
                narrowed = self._resolve_pairs(again, False)
                better = narrowed["agency_scope"].isin(["unit", "agency"]) & narrowed["kode_wilayah"].eq(again["h"])
                out.loc[better[better].index] = narrowed.loc[better[better].index]
        return out

    def _resolve_pairs(self, pairs: pd.DataFrame, raw_hints: bool) -> pd.DataFrame:
        uniq = pairs.drop_duplicates()
        solved: list[Any] = [self.resolve_one(t, h, raw_hints) for t, h in zip(uniq["t"], uniq["h"], strict=True)]
        uniq = uniq.assign(kode_instansi=[s.kode_instansi for s in solved], unit_kerja=[s.unit_kerja for s in solved],
                           kode_wilayah=[s.kode_wilayah for s in solved], agency_score=[s.score for s in solved],
                           agency_scope=[s.scope for s in solved])
        out = pairs.merge(uniq, on=["t", "h"], how="left")
        out.index = pairs.index
        return out[RESOLVED_COLUMNS]
