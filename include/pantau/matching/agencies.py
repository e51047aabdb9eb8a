"""Resolve free-text agency names to registry agency codes and region codes.

Sources write the agency as people say it (``Disdik Kab. Agam``, ``Pemkot Padang``, ``Badan
Kesbangpol Prov Sumut``). The registry is the authority: its ``(kode_instansi, nama_instansi,
kode_wilayah)`` triples define what can be resolved. A text resolves to an *agency* when one agency
of its region clearly wins, otherwise only to the *region*, which the person matcher then uses as
a wider block. Nothing here guesses between two agencies that score alike.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from pantau.normalize.agencies import agency_key

__all__ = ["AgencyIndex"]

# Official short forms of province names (Kemendagri/press usage): "Prov Sumbar", "Pemprov Jabar".
PROVINCE_SHORT: dict[str, str] = {
    "sumut": "sumatera utara", "sumbar": "sumatera barat", "sumsel": "sumatera selatan",
    "babel": "kepulauan bangka belitung", "kepri": "kepulauan riau", "dki": "dki jakarta", "jabar": "jawa barat",
    "jateng": "jawa tengah", "diy": "di yogyakarta", "jatim": "jawa timur", "ntb": "nusa tenggara barat",
    "ntt": "nusa tenggara timur", "kalbar": "kalimantan barat", "kalteng": "kalimantan tengah",
    "kalsel": "kalimantan selatan", "kaltim": "kalimantan timur", "kaltara": "kalimantan utara",
    "sulut": "sulawesi utara", "sulteng": "sulawesi tengah", "sulsel": "sulawesi selatan",
    "sultra": "sulawesi tenggara", "sulbar": "sulawesi barat", "malut": "maluku utara", "pabar": "papua barat",
    "pbd": "papua barat daya",
}
# Agency-type synonyms not covered by normalize.agencies' abbreviation list. The whole-government
# forms ("Pemkab X", "Setdakab X") name the regional secretariat, the PPK's own office.
_TYPE_SYNONYMS: tuple[tuple[str, str], ...] = (
    (r"\bpemerintah (?:kabupaten|kota|provinsi|daerah)\b", "sekretariat daerah"),
    (r"\bsetda(?:kab|kot|prov)\b", "sekretariat daerah"),
    (r"\bdiknas\b", "dinas pendidikan"),
    (r"\bdinas pendidikan dan kebudayaan\b", "dinas pendidikan"),
    (r"\b(?:dinas )?dukcapil\b", "dinas kependudukan dan pencatatan sipil"),
    (r"\b(?:badan )?kesbangpol\b", "badan kesatuan bangsa dan politik"),
    (r"\b(?:dinas )?pu\b|\bdpupr\b|\bdinas pupr\b", "dinas pekerjaan umum dan penataan ruang"),
    (r"\bbadan keuangan\b", "badan pengelolaan keuangan dan aset daerah"),
    (r"\bbkd\b|\bbadan kepegawaian\b", "badan kepegawaian dan pengembangan sumber daya manusia"),
    (r"\bdistan\b|\bdinas pertanian dan pangan\b", "dinas pertanian"),
    (r"\bsatpol pp\b|\bsatuan pol pp\b", "satuan polisi pamong praja"),
    (r"\bkantor camat\b", "kecamatan"),
)
_TYPE_RE = tuple((re.compile(p), r) for p, r in _TYPE_SYNONYMS)
_LEVEL = re.compile(r"^(kabupaten|kota|provinsi) ")
AGENCY_ACCEPT = 85.0
AGENCY_MARGIN = 4.0


def canonical_agency_text(text: object) -> str:
    """``agency_key`` plus province short forms and agency-type synonyms expanded."""
    key = agency_key(text)
    key = re.sub(r"\bsatpol\s+pp\b", "satpol pp", key.replace("satpol-pp", "satpol pp"))
    for pattern, repl in _TYPE_RE:
        key = pattern.sub(repl, key)
    words = [PROVINCE_SHORT.get(w, w) for w in key.split()]
    return " ".join(words)


def _region_suffix(names: list[str]) -> str:
    """The region part of a region's agency names: the longest word suffix most of them share."""
    counts: Counter[str] = Counter()
    for name in names:
        words = name.split()
        for k in range(1, min(5, len(words))):
            counts[" ".join(words[-k:])] += 1
    common = [s for s, c in counts.items() if c * 2 >= len(names)]
    return max(common, key=len) if common else ""


@dataclass
class _Region:
    code: str
    key: str  # "kabupaten agam", "kota padang", "provinsi sumatera barat"
    agency_codes: np.ndarray
    agency_types: list[str]  # agency key without the region part


class AgencyIndex:
    """Agencies and regions known to the registry, with text resolution."""

    def __init__(self, registry: pd.DataFrame) -> None:
        agencies = (registry[["kode_instansi", "nama_instansi", "kode_wilayah"]].dropna()
                    .drop_duplicates("kode_instansi").sort_values("kode_instansi"))
        agencies = agencies.assign(key=[canonical_agency_text(t) for t in agencies["nama_instansi"]])
        self.regions: dict[str, _Region] = {}
        aliases: dict[str, set[str]] = {}
        for code, group in agencies.groupby("kode_wilayah", sort=True):
            keys = group["key"].tolist()
            suffix = _region_suffix(keys)
            types = [k[: -len(suffix)].strip() if suffix and k.endswith(suffix) else k for k in keys]
            self.regions[str(code)] = _Region(str(code), suffix, group["kode_instansi"].to_numpy(), types)
            for alias in self._aliases(suffix):
                aliases.setdefault(alias, set()).add(str(code))
        # Only aliases naming one region are usable; "bandung" alone is both the regency and the city.
        self.alias_to_region = {a: next(iter(c)) for a, c in aliases.items() if len(c) == 1 and a}
        self._alias_re = re.compile(r"\b(" + "|".join(re.escape(a) for a in
                                                      sorted(self.alias_to_region, key=len, reverse=True)) + r")\b")
        self.agency_region = dict(zip(agencies["kode_instansi"], agencies["kode_wilayah"], strict=True))
        self.agency_name = dict(zip(agencies["kode_instansi"], agencies["nama_instansi"], strict=True))

    @staticmethod
    def _aliases(suffix: str) -> list[str]:
        bare = _LEVEL.sub("", suffix)
        return [suffix, bare] if bare != suffix else [suffix]

    def region_of_text(self, key: str) -> str | None:
        found = self._alias_re.findall(key)
        codes = {self.alias_to_region[f] for f in found}
        if len(codes) == 1:
            return codes.pop()
        # "Kecamatan Agam Utara Kabupaten Agam" names one region twice: the longest alias decides.
        return self.alias_to_region[max(found, key=len)] if found else None

    def region_of_ppk(self, ppk: object) -> str | None:
        """The PPK's title names the region: Bupati X, Wali Kota Y, Gubernur Z."""
        if not isinstance(ppk, str) or not ppk.strip():
            return None
        key = canonical_agency_text(ppk)
        key = re.sub(r"^bupati ", "kabupaten ", key)
        key = re.sub(r"^(?:wali kota|walikota) ", "kota ", key)
        key = re.sub(r"^gubernur ", "provinsi ", key)
        return self.alias_to_region.get(key)

    def _agency_in_region(self, key: str, region: _Region) -> tuple[str | None, float]:
        rest = self._alias_re.sub(" ", key).strip() or key
        scores = process.extract(rest, region.agency_types, scorer=fuzz.token_set_ratio, limit=2)
        if not scores:
            return None, 0.0
        best = scores[0]
        second = scores[1][1] if len(scores) > 1 else 0.0
        if best[1] >= AGENCY_ACCEPT and best[1] - second >= AGENCY_MARGIN:
            return str(region.agency_codes[best[2]]), float(best[1])
        return None, float(best[1])

    def regions_of_ppk(self, ppk: pd.Series) -> pd.Series:
        """:meth:`region_of_ppk` per row, evaluated once per distinct title."""
        distinct = ppk.dropna().unique()
        return ppk.map(dict(zip(distinct, map(self.region_of_ppk, distinct), strict=True)))

    def resolve_one(self, text: object, region_hint: str | None = None) -> tuple[str | None, str | None, float]:
        """(kode_instansi or None, kode_wilayah or None, agency score 0-100) for one text."""
        key = canonical_agency_text(text)
        region = self.region_of_text(key) if key else None
        if region is None and region_hint in self.regions:
            region = region_hint
        if region is None or not key:
            return None, region, 0.0
        agency, score = self._agency_in_region(key, self.regions[region])
        return agency, region, score

    def resolve(self, texts: pd.Series, region_hints: pd.Series) -> pd.DataFrame:
        """Vectorised over distinct (text, hint) pairs; same index as ``texts``."""
        pairs = pd.DataFrame({"t": texts.fillna("").astype(str), "h": region_hints.astype(object)})
        pairs["h"] = pairs["h"].where(pairs["h"].notna(), None)
        uniq = pairs.drop_duplicates()
        solved = [self.resolve_one(t, h) for t, h in zip(uniq["t"], uniq["h"], strict=True)]
        uniq = uniq.assign(kode_instansi=[s[0] for s in solved], kode_wilayah=[s[1] for s in solved],
                           agency_score=[s[2] for s in solved])
        out = pairs.merge(uniq, on=["t", "h"], how="left")
        out.index = texts.index
        return out[["kode_instansi", "kode_wilayah", "agency_score"]]
