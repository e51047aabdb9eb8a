"""The Kemendagri region table (38 provinces, 416 kabupaten, 98 kota) and lookups over free text.

The table is data: ``data/regions.csv`` (columns, source and vintage in ``data/README.md``). A folder
named by ``PANTAU_REFERENCE_DIR`` may hold a ``regions.csv`` whose rows add to or replace the shipped
rows by code, so a new regency or a renamed city needs no code change.

Text lookups work on words (see :func:`pantau.reference.agency_types.tokenize`), after agency
abbreviations are expanded (``Kab.`` → ``kabupaten``, ``Pemkot`` → ``pemerintah kota``). Every region
is known under

- *qualified* names, which start with its tier word: ``kabupaten agam``, ``kota padang``,
  ``provinsi sumatera barat``, ``provinsi sumbar``, plus aliases written with a tier word in the file
  (``Kabupaten Pontianak``, the old name of Mempawah);
- *bare* names: ``agam``, ``padang``, ``sumbar``, ``jogja``.

A bare name shared by several regions (``Bandung`` is a kabupaten and a kota, ``Jambi`` a province
and a kota, ``Gorontalo`` all three) names all of them: :meth:`RegionTable.find_in_text` reports every
candidate and :meth:`RegionTable.region_of_text` answers only when the rest of the text decides.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path

from pantau.exceptions import ConfigError
from pantau.reference.agency_types import DATA_DIR, AgencyTypes, Token, load_agency_types, read_reference_csv
from pantau.settings import reference_dir

__all__ = ["Region", "RegionTable", "load_regions", "parse_region_code"]

REGIONS_FILE = "regions.csv"
COLUMNS = ("code", "level", "kind", "name", "province_code", "official_name", "aliases", "ppk_title", "timezone")
LEVELS = ("provinsi", "kabupaten", "kota")
# Province time zones (WIB, WITA, WIT) as IANA names.
TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
_CODE_SHAPE = {"provinsi": re.compile(r"[0-9]{2}"), "kabupaten": re.compile(r"[0-9]{2}\.[0-9]{2}"),
               "kota": re.compile(r"[0-9]{2}\.[0-9]{2}")}
# The heads of regional government (UU 23/2014) name their tier: "Bupati Agam" is Kabupaten Agam's.
_OFFICES = {"bupati": "kabupaten", "walikota": "kota", "gubernur": "provinsi"}
# Words before the office in an acting PPK's title: Pj./Penjabat, Plt./Pelaksana Tugas, Plh./Pelaksana Harian.
_ACTING = frozenset({"pj", "pjs", "penjabat", "sementara", "plt", "plh", "pelaksana", "tugas", "harian", "wakil"})
# Beyond this many readings of one text, it names too many places to be about one region.
_MAX_READINGS = 256


@dataclass(frozen=True)
class Region:
    """One row of the table: a province, kabupaten or kota."""

    code: str  # dotted Kemendagri code: "13", "13.06"
    level: str  # provinsi | kabupaten | kota
    kind: str  # as written officially: "Provinsi", "Kabupaten", "Kota Administrasi"
    name: str  # without the kind: "Agam"
    province_code: str
    official_name: str  # "Kabupaten Agam"
    aliases: tuple[str, ...]  # extra spellings from the file ("Sumbar", "Jogja", "Kabupaten Pontianak")
    ppk_title: str  # who executes sanctions: "Bupati Agam"; DKI's cities: "Gubernur DKI Jakarta"
    timezone: str  # IANA zone of the province

    @property
    def is_province(self) -> bool:
        return self.level == "provinsi"


def parse_region_code(code: object) -> list[str]:
    """Readings of a region code as dotted codes, most likely first; ``[]`` when it is no code.

    Accepts ``13.06``, ``1306`` (undotted, as BPS-style systems write it: read as a Kemendagri code),
    ``13,06``, ``'13.06``, numbers, and deeper codes (kecamatan ``13.06.01``, desa ``13.06.01.2001``).
    A single digit after a dot is spreadsheet damage: ``13.1`` (the float ``13.10``) reads ``13.10``
    first and ``13.01`` second; the caller keeps the first reading that exists, so ``13.6`` is
    ``13.06`` because no ``13.60`` exists.
    """
    if code is None or isinstance(code, bool):
        return []
    if isinstance(code, float):
        if math.isnan(code) or math.isinf(code):
            return []
        text = str(int(code)) if code == int(code) else f"{code:.2f}"
    else:
        text = str(code)
    text = re.sub(r"\s+", "", text).strip("'\"").replace(",", ".").rstrip(".")
    if re.fullmatch(r"[0-9]{2}(?:\.[0-9]{1,2}){1,2}(?:\.[0-9]{4})?", text):
        parts = text.split(".")
        if len(parts[-1]) == 1 and all(len(p) == 2 for p in parts[1:-1]):
            stem = ".".join(parts[:-1])
            return [f"{stem}.{parts[-1]}0", f"{stem}.0{parts[-1]}"]
        return [text] if all(len(p) >= 2 for p in parts[1:]) else []
    if len(text) in (2, 4, 6, 10) and text.isdigit():
        return [".".join(p for p in (text[:2], text[2:4], text[4:6], text[6:]) if p)]
    return []


class RegionTable:
    """All regions by dotted code, with the lookups sources need (codes, free text, PPK titles)."""

    def __init__(self, regions: dict[str, Region], agency_types: AgencyTypes) -> None:
        self.regions = dict(regions)
        self._types = agency_types
        self._keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        for region in self.regions.values():
            for key in self._names_of(region):
                codes = self._keys.get(key, ())
                if region.code not in codes:
                    self._keys[key] = (*codes, region.code)
        self._max_len: dict[str, int] = {}
        for key in self._keys:
            self._max_len[key[0]] = max(self._max_len.get(key[0], 0), len(key))

    # ------------------------------------------------------------------ names

    def _words(self, text: str) -> tuple[str, ...]:
        return tuple(_office(t.text) for t in self._types.expand_tokens(text))

    def _names_of(self, region: Region) -> set[tuple[str, ...]]:
        """Every word sequence naming ``region``: bare spellings, and each after its tier word(s)."""
        kind = self._words(region.kind)  # ("kota", "administrasi") for DKI's cities
        prefixes = {(region.level,), kind}
        official = self._words(region.official_name)
        keys = {official}
        spellings = [self._words(s) for s in (region.name, *region.aliases)]
        if official[: len(kind)] == kind and len(official) > len(kind):
            spellings.append(official[len(kind) :])  # "daerah khusus ibukota jakarta"
        for words in spellings:
            if not words:
                continue
            keys.add(words)
            if words[0] not in LEVELS:  # an alias written with its tier word is used only as written
                keys.update(p + words for p in prefixes)
        return keys

    # ------------------------------------------------------------------ codes

    def get(self, code: object) -> Region | None:
        """The region with this code, accepting ``13.06``, ``1306``, ``13.06`` as a number, ``" 13.6 "``."""
        for reading in parse_region_code(code):
            if reading in self.regions:
                return self.regions[reading]
        return None

    def containing(self, code: object) -> Region | None:
        """The deepest region of the table containing a code of any depth (``13.06.01`` → Kabupaten Agam)."""
        readings = parse_region_code(code)
        exact = self.get(code)
        if exact is not None or not readings:
            return exact
        parts = readings[0].split(".")
        for depth in range(len(parts) - 1, 0, -1):
            region = self.regions.get(".".join(parts[:depth]))
            if region is not None:
                return region
        return None

    def province_of(self, code: object) -> Region | None:
        """The province of a code of any depth (``13.06`` → Provinsi Sumatera Barat)."""
        region = self.containing(code)
        return None if region is None else self.regions.get(region.province_code)

    def ppk_title(self, code: object) -> str | None:
        """The PPK who executes sanctions for the region's agencies: ``Bupati Agam``, ``Gubernur DKI Jakarta``."""
        region = self.get(code)
        return None if region is None else region.ppk_title

    # ------------------------------------------------------------------ text

    def _tokens(self, text: object) -> list[Token]:
        return _with_offices(self._types.expand_tokens(text))

    def _matches(self, tokens: list[Token]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Non-overlapping name matches, left to right, the longest at each position."""
        out = []
        i, n = 0, len(tokens)
        while i < n:
            longest = self._max_len.get(tokens[i].text, 0)
            for length in range(min(longest, n - i), 0, -1):
                if tokens[i + length - 1].segment != tokens[i].segment:
                    continue
                codes = self._keys.get(tuple(t.text for t in tokens[i : i + length]))
                if codes:
                    out.append((i, i + length, codes))
                    i += length
                    break
            else:
                i += 1
        return out

    def covered_tokens(self, tokens: list[Token]) -> set[int]:
        """Indexes of the tokens (from ``AgencyTypes.expand_tokens``) that belong to a region name."""
        return {k for i, j, _ in self._matches(_with_offices(tokens)) for k in range(i, j)}

    def find_in_text(self, text: object) -> list[tuple[str, int, int]]:
        """``(code, start, end)`` of every region named in ``text``, offsets into the original text.

        Case, punctuation and abbreviations do not matter (``Kab. Agam``, ``Pemkab Agam``, ``Setda Prov
        Sumbar``, ``Disdik Agam``). The longest name wins over names inside it (``Padang Pariaman``, not
        ``Padang``). A name shared by several regions yields one entry per region for the same span, so
        ``Bandung`` alone gives both the kabupaten and the kota.
        """
        tokens = self._tokens(text)
        return [(code, tokens[i].start, tokens[j - 1].end) for i, j, codes in self._matches(tokens) for code in codes]

    def region_of_text(self, text: object) -> str | None:
        """The single most specific region ``text`` names, or ``None`` when it names none or is ambiguous."""
        results = self._readings(self._tokens(text))
        return next(iter(results)) if len(results) == 1 else None

    def province_of_text(self, text: object) -> str | None:
        """The province every reading of ``text`` falls in (``Bandung`` → ``32``), or ``None``."""
        provinces = {self.regions[c].province_code for c in self._readings(self._tokens(text))}
        return next(iter(provinces)) if len(provinces) == 1 else None

    def _readings(self, tokens: list[Token]) -> set[str]:
        """The deepest region of each coherent reading of the text.

        A reading picks one region per name found; it is coherent when the picks are one province and
        at most one kabupaten/kota inside it. Qualified names (with a tier word) come first: a bare name
        that fits no qualified reading is taken for something else (``Batang`` in ``Kecamatan Batang
        Kapas, Kab. Pesisir Selatan`` is a sub-district, not Kabupaten Batang), and a bare name that
        repeats a qualified one means that region (``Kota Jambi, Jambi`` is the city).
        """
        matches = self._matches(tokens)
        qualified = [codes for i, _, codes in matches if tokens[i].text in LEVELS]
        bare = [codes for i, _, codes in matches if tokens[i].text not in LEVELS]
        groups = bare
        if qualified:
            base = self._coherent_readings(qualified)
            named = {c for codes in qualified if len(codes) == 1 for c in codes}
            fitting = []
            for codes in bare:
                # "Provinsi Jambi, Jambi": a bare name repeating a qualified one means the same region.
                codes = tuple(c for c in codes if c in named) or codes
                fitting.append(tuple(c for c in codes if any(self._is_coherent((*r, c)) for r in base)))
            groups = [*qualified, *(g for g in fitting if g)]
        return {self._deepest(r) for r in self._coherent_readings(groups)} if groups else set()

    def _is_coherent(self, reading: tuple[str, ...]) -> bool:
        provinces = {self.regions[c].province_code for c in reading}
        local = {c for c in reading if not self.regions[c].is_province}
        return len(provinces) == 1 and len(local) <= 1

    def _coherent_readings(self, groups: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        if math.prod(len(g) for g in groups) > _MAX_READINGS:
            return []
        return [r for r in product(*groups) if self._is_coherent(r)]

    def _deepest(self, reading: tuple[str, ...]) -> str:
        return max(reading, key=lambda c: (not self.regions[c].is_province, c))

    def region_of_ppk(self, title: object) -> str | None:
        """The region whose head a PPK title names, or ``None``.

        ``Bupati Agam``, ``Bupati Kabupaten Agam``, ``Walikota Padang``, ``Wali Kota Padang``, ``Gubernur
        Sumbar``, ``Pj. Bupati Agam``, ``Plt. Wali Kota X``, ``Penjabat Gubernur X``. The office decides
        the tier (``Bupati Bandung`` is the kabupaten, ``Wali Kota Bandung`` the kota); a title without
        Bupati, Wali Kota or Gubernur, or naming a region of another tier, gives ``None``.
        """
        tokens = self._tokens(title)
        while tokens and tokens[0].text in _ACTING:
            tokens = tokens[1:]
        if len(tokens) > 1 and tokens[0].text == "wali" and tokens[1].text == "kota":
            tokens = tokens[1:]  # "Wali Kota" written as two words
        if not tokens or tokens[0].text not in LEVELS:
            return None
        tier = tokens[0].text
        if len(tokens) > 1 and tokens[1].text == tier:
            tokens = tokens[1:]  # "Bupati Kabupaten Agam"
        results = self._readings(tokens)
        if len(results) != 1:
            return None
        code = next(iter(results))
        return code if self.regions[code].level == tier else None


def _office(word: str) -> str:
    return _OFFICES.get(word, word)


def _with_offices(tokens: list[Token]) -> list[Token]:
    return [t._replace(text=_OFFICES[t.text]) if t.text in _OFFICES else t for t in tokens]


# ---------------------------------------------------------------------- loading


def _regions_from(path: Path) -> dict[str, tuple[int, Region]]:
    out: dict[str, tuple[int, Region]] = {}
    for line, row in read_reference_csv(path, COLUMNS):
        where = f"{path} line {line}"
        code, level = row["code"], row["level"].lower()
        if level not in LEVELS:
            raise ConfigError(f"{where}: level {row['level']!r} is not one of {', '.join(LEVELS)}")
        if not _CODE_SHAPE[level].fullmatch(code):
            shape = "NN" if level == "provinsi" else "NN.NN"
            raise ConfigError(f"{where}: code {code!r} is not a dotted Kemendagri code of a {level} ({shape})")
        if row["province_code"] != code[:2]:
            raise ConfigError(f"{where}: province_code {row['province_code']!r} does not match code {code!r}")
        for column in ("kind", "name", "official_name", "ppk_title"):
            if not row[column]:
                raise ConfigError(f"{where}: {column} is empty")
        if row["kind"].split()[0].lower() != level:
            raise ConfigError(f"{where}: kind {row['kind']!r} does not start with the level word {level!r}")
        if row["timezone"] not in TIMEZONES:
            raise ConfigError(f"{where}: timezone {row['timezone']!r} is not one of {', '.join(TIMEZONES)}")
        if code in out:
            raise ConfigError(f"{where}: code {code} is already defined on line {out[code][0]}")
        aliases = tuple(a.strip() for a in row["aliases"].split(";") if a.strip())
        out[code] = (line, Region(code, level, row["kind"], row["name"], code[:2], row["official_name"], aliases,
                                  row["ppk_title"], row["timezone"]))
    return out


@lru_cache(maxsize=4)
def _load(folder: Path | None) -> RegionTable:
    shipped = DATA_DIR / REGIONS_FILE
    rows = {code: (shipped, line, r) for code, (line, r) in _regions_from(shipped).items()}
    if folder is not None and (folder / REGIONS_FILE).is_file():
        override = folder / REGIONS_FILE
        rows.update({code: (override, line, r) for code, (line, r) in _regions_from(override).items()})
    for path, line, region in rows.values():
        if region.province_code not in rows or not rows[region.province_code][2].is_province:
            raise ConfigError(f"{path} line {line}: the province {region.province_code} of {region.code} "
                              "is not in the table")
        if not region.is_province and region.timezone != rows[region.province_code][2].timezone:
            raise ConfigError(f"{path} line {line}: timezone {region.timezone} differs from its province's")
    return RegionTable({code: r for code, (_, _, r) in sorted(rows.items())}, load_agency_types())


def load_regions() -> RegionTable:
    """The shipped table plus the ``PANTAU_REFERENCE_DIR`` override, loaded and validated once per folder."""
    return _load(reference_dir())
