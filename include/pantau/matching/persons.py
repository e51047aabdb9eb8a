"""Match the person named in a case or recommendation to one registry person, in stages.

1. ``exact_nip``: the normalised NIP is in the registry and the name agrees.
2. ``nip_repair``: the 18 digits are one substitution or one adjacent transposition away from a
   registry NIP whose name agrees and whose agency/region does not contradict the record. A NIP has
   no check digit, so a typo can land on another real person: that is why stage 1 also checks
   the name and hands disagreements to this stage.
3. ``nip_prefix``: Excel damage (``1.98004E+17``, ``198004112005011000``, ``...009.0``) keeps only a
   trustworthy prefix. Fifteen digits narrow the whole registry to the few persons born the same
   day and appointed the same month (found even after a transfer); a six-digit mantissa is used only
   inside the record's agency or region. The name decides. A prefix that finds nobody (a typo inside
   it) falls through to stage 4.
4. ``name_agency`` / ``name_region``: names with titles stripped, spellings folded (``name_key``)
   and leading name prefixes set aside (*I Wayan*, *Andi*, *Teuku*: compared as features, see
   :mod:`pantau.matching.evidence`), compared with rapidfuzz inside the resolved work unit or agency
   (or the region when the agency text is too vague or names the whole regional government), one
   vectorised ``cdist`` per block. Each candidate pair then gets its evidence (prefixes, gender,
   birth date and appointment in partial NIP digits, position), and the bar rises with the block
   size: a name alone in a block of thousands must be nearly exact and clearly unique, and never
   links a respondent whose position says they are not a civil servant.

Two candidates within the margin are never picked between: the record goes to the review queue
with both candidates. Every result carries a method, a score in [0, 1] and a short explanation a
steward can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from pantau.matching.evidence import PairEvidence, QueryEvidence, score_pairs, thresholds
from pantau.normalize.frames import plain
from pantau.normalize.names import PREFIX_PATTERN, SUFFIX_MARKERS, NamePrefix, PrefixArrays, split_prefixes

__all__ = ["MARGIN", "RegistryIndex", "excel_prefix", "match_persons"]

NAME_CONFIRM = 80.0  # a NIP hit whose name scores below this is doubted (typo onto another person)
NAME_REJECT = 55.0  # below this the NIP hit is not the person at all
REPAIR_NAME = 85.0
FUZZY_ACCEPT = 90.0
FUZZY_REVIEW = 80.0
MARGIN = 5.0
PREFIX_NAME = 80.0
LONG_PREFIX = 12  # digits from which a NIP prefix narrows the registry on its own
FLOAT_SPACING = 32  # float64 stores only multiples of 32 between 2^57 and 2^58, where every NIP lies
_POW10 = 10 ** np.arange(17, -1, -1, dtype=np.int64)
_SCI = re.compile(r"^\s*([0-9])[.,]?([0-9]*)[eE]\+?([0-9]+)\s*$")
_DIGITS = re.compile(r"[^0-9]")
RESULT_COLUMNS = ["person_nip", "person_match", "match_confidence", "match_explanation", "review_candidates"]
#: Joins several work units of one agency in a query's ``unit_kerja`` (a unit and its group).
UNIT_SEPARATOR = "\x1f"


@lru_cache(maxsize=1_000_000)
def _split(key: str) -> tuple[str, NamePrefix]:
    """:func:`split_prefixes` once per distinct registry name (names repeat across the registry)."""
    return split_prefixes(key)


def _with_registry_prefixes(registry: pd.DataFrame, names: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Name keys with a hereditary prefix the registry keeps in ``gelar_depan`` put back in front
    (``T.`` + Rizal = ``t rizal``, ``Andi`` + Baso), and the mask of names that carry a prefix.

    Some personnel systems file ``Teuku``/``Andi``/``Raden`` with the academic titles; the prefix
    still says gender and lineage, so it joins the name the matcher compares.
    """
    # One regex pass: a leading prefix, or a marker of a trailing part ("Dg." inside a Makassar name,
    # a "bin" patronym) that split_prefixes sets aside.
    markers = "|".join(re.escape(m) for m in SUFFIX_MARKERS)
    marked = np.asarray(pc.fill_null(pc.match_substring_regex(names, f"{PREFIX_PATTERN}|{markers}"), False)
                        .to_numpy(zero_copy_only=False), dtype=bool)
    if "gelar_depan" not in registry:
        return names, marked
    front, texts = pd.factorize(registry["gelar_depan"].astype(object).where(registry["gelar_depan"].notna(), ""))
    prefixes = np.array([_title_prefix(str(t)) for t in texts], dtype=object)
    rows = np.flatnonzero(pd.notna(prefixes[front]) & (front >= 0)) if len(texts) else np.zeros(0, np.int64)
    if not len(rows):
        return names, marked
    joined = [f"{p} {k}".strip() for p, k in zip(prefixes[front[rows]], names.take(pa.array(rows)).to_pylist(),
                                                   strict=True)]
    mask = np.zeros(len(names), bool)
    mask[rows] = True
    names = pc.replace_with_mask(names, pa.array(mask), pa.array(joined, type=names.type))
    return names, marked | mask


@lru_cache(maxsize=10_000)
def _title_prefix(text: str) -> str | None:
    """The name-prefix words in a front-title text (``T.`` → ``t``, ``Dr. Andi`` → ``andi``), or None."""
    from pantau.normalize.names import split_name

    key = split_name(text + " x").key.removesuffix(" x").removesuffix("x").strip()
    if not key:
        return None
    core, prefix = split_prefixes(key + " x")
    return key if core == "x" and (prefix.gender or prefix.order or prefix.house or prefix.initial) else None


def _dictionary(values: pd.Series | None, n: int, normalise: bool) -> tuple[np.ndarray, np.ndarray]:
    """(int32 code per row, -1 when missing; distinct values) via Arrow's dictionary encoding,
    which is several times faster than a Python-level factorize on millions of strings."""
    if values is None:
        return np.full(n, -1, np.int32), np.zeros(0, dtype=object)
    arr = pa.array(values.array if hasattr(values, "array") else values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(arr.cast(pa.large_string()))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    distinct = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    if normalise:
        distinct = np.array([" ".join(re.sub(r"[^a-z0-9]+", " ", str(v).lower()).split()) for v in distinct],
                            dtype=object)
    return codes, distinct


@dataclass
class RegistryIndex:
    """The registry sorted by NIP (for lookups and prefix ranges) and by *group* (for blocks).

    A group is one agency in one region, as the registry's rows say (``kode_instansi``,
    ``kode_wilayah``): for most agencies the agency itself, for a national agency with offices
    everywhere (Kementerian Agama) one group per region, so that "Kemenag Gianyar" searches Gianyar's
    staff, not the whole country's. Built from Arrow-backed columns without materialising 6M Python
    strings: groups, work units and positions become integer codes, NIPs int64, names stay an Arrow
    array. Blocks compare the prefix-stripped *core* of each name: one anchored regex pass marks the
    few names with a prefix (``has_prefix``), whose core and features are parsed once per distinct
    name when a block or a pair first needs them (:func:`pantau.normalize.names.split_prefixes`).
    """

    nip_sorted: np.ndarray  # int64
    by_nip: np.ndarray  # row positions in NIP order
    nip_int: np.ndarray  # int64 per row
    group_offsets: np.ndarray  # group g occupies by_group[offsets[g]:offsets[g + 1]]
    by_group: np.ndarray  # row positions in group order
    group_agency: np.ndarray  # kode_instansi per group, sorted (object)
    group_region_raw: np.ndarray  # the registry's kode_wilayah per group (object)
    group_code: np.ndarray  # group per row
    name_key: pa.Array
    name_by_group: pa.Array  # name_key in group order: a group's names are one zero-copy slice
    has_prefix: np.ndarray  # bool per row: the name starts with a name prefix (I Wayan, Andi ...)
    unit_code: np.ndarray  # int32 per row into unit_values, -1 unknown
    unit_values: np.ndarray  # distinct unit_kerja texts (object)
    jabatan_code: np.ndarray  # int32 per row into jabatan_values, -1 unknown
    jabatan_values: np.ndarray  # distinct normalised positions (object)
    group_region: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    groups_of_region: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, registry: pd.DataFrame) -> RegistryIndex:
        nips = pa.array(registry["nip"].astype(str), type=pa.string())
        nip_int = pc.cast(nips, pa.int64()).to_numpy(zero_copy_only=False) if len(nips) else np.zeros(0, np.int64)
        by_nip = np.argsort(nip_int)  # NIPs are unique: no need for a stable sort
        # As text: a dictionary-encoded column would sort by its codes, and the groups must sort by code text.
        agency, agencies = pd.factorize(plain(registry["kode_instansi"]).fillna(""), sort=True)
        region, regions = pd.factorize(plain(registry["kode_wilayah"]).fillna(""), sort=True)
        pair = agency.astype(np.int64) * (len(regions) + 1) + region
        codes, pairs = pd.factorize(pair, sort=True)  # sorted by agency, then region
        # Group codes fit 16 bits in practice, where numpy's stable sort is a radix sort (4x faster).
        codes = codes.astype(np.int16 if len(pairs) < 2**15 else np.int32)
        by_group = np.argsort(codes, kind="stable")
        group_agency = np.asarray(agencies, dtype=object)[pairs // (len(regions) + 1)]
        group_region = np.asarray(regions, dtype=object)[pairs % (len(regions) + 1)]
        keys = registry["name_key"] if "name_key" in registry else registry["nama"]
        names = pa.array(keys.fillna("").astype(str), type=pa.string())
        if isinstance(names, pa.ChunkedArray):
            names = names.combine_chunks()
        names, marked = _with_registry_prefixes(registry, names)
        offsets = np.searchsorted(codes[by_group], np.arange(len(pairs) + 1))
        n = len(registry)
        unit_code, unit_values = _dictionary(registry["unit_kerja"] if "unit_kerja" in registry else None, n, False)
        jab_code, jab_values = _dictionary(registry["jabatan"] if "jabatan" in registry else None, n, True)
        index = cls(nip_int[by_nip], by_nip, nip_int, offsets, by_group, group_agency, group_region, codes,
                    names, names.take(pa.array(by_group)), marked, unit_code, unit_values, jab_code, jab_values)
        index.use_regions(group_region)
        return index

    def use_regions(self, group_region: np.ndarray) -> None:
        """Region per group as the caller read them (the Kemendagri reading of the registry's codes,
        see :class:`pantau.matching.agencies.AgencyIndex`), for region blocks and checks."""
        self.group_region = np.asarray(group_region, dtype=object)
        by_region: dict[str, list[int]] = {}
        for g, r in enumerate(self.group_region):
            by_region.setdefault(str(r), []).append(g)
        self.groups_of_region = {r: np.array(g, dtype=np.int64) for r, g in by_region.items()}

    def nip_text(self, rows: np.ndarray) -> np.ndarray:
        return self.nip_int[rows].astype(str).astype(object)

    def kode_instansi(self, rows: np.ndarray) -> np.ndarray:
        return self.group_agency[self.group_code[rows]]

    def kode_wilayah(self, rows: np.ndarray) -> np.ndarray:
        return self.group_region[self.group_code[rows]]

    def lookup(self, nips: np.ndarray) -> np.ndarray:
        """Row position per int64 NIP, -1 when absent."""
        pos = np.searchsorted(self.nip_sorted, nips)
        pos = np.minimum(pos, max(len(self.nip_sorted) - 1, 0))
        hit = (len(self.nip_sorted) > 0) & (self.nip_sorted[pos] == nips)
        return np.where(hit, self.by_nip[pos], -1)

    def groups_of_agency(self, code: str) -> np.ndarray:
        lo = np.searchsorted(self.group_agency, code)
        hi = np.searchsorted(self.group_agency, code, side="right")
        return np.arange(lo, hi, dtype=np.int64)

    def block(self, kind: str, code: str, region: str | None = None,
              unit: str | None = None) -> tuple[np.ndarray, list[str]]:
        """Row positions and name cores of a block: ``kind`` ``R`` every agency of region ``code``;
        ``A`` agency ``code`` (only its staff in ``region`` when it has any there); ``unit`` keeps
        the rows of those work units (UNIT_SEPARATOR-joined)."""
        if kind == "R":
            groups = self.groups_of_region.get(code, np.zeros(0, np.int64))
        else:
            groups = self.groups_of_agency(code)
            if region is not None:
                local = groups[self.group_region[groups] == region]
                groups = local if len(local) else groups
        spans = [(int(self.group_offsets[g]), int(self.group_offsets[g + 1])) for g in groups]
        spans = [(a, b) for a, b in spans if b > a]
        if not spans:
            return np.zeros(0, np.int64), []
        rows = np.concatenate([self.by_group[a:b] for a, b in spans])
        if unit is not None:
            wanted = np.flatnonzero(np.isin(self.unit_values, unit.split(UNIT_SEPARATOR)))
            rows = rows[np.isin(self.unit_code[rows], wanted)]
            return rows, self.cores(rows)
        cores = [v for a, b in spans for v in self.name_by_group.slice(a, b - a).to_pylist()]
        for i in np.flatnonzero(self.has_prefix[rows]):
            cores[i] = _split(cores[i])[0]
        return rows, cores

    def spans_regions(self, code: str) -> bool:
        """Whether an agency has staff in more than one region (a national agency)."""
        return len(self.groups_of_agency(code)) > 1

    def names(self, rows: np.ndarray) -> list[str]:
        return self.name_key.take(pa.array(rows)).to_pylist()

    def cores(self, rows: np.ndarray) -> list[str]:
        cores = self.names(rows)
        for i in np.flatnonzero(self.has_prefix[rows]):
            cores[i] = _split(cores[i])[0]
        return cores

    def prefix_of(self, rows: np.ndarray) -> PrefixArrays:
        n = len(rows)
        out = PrefixArrays(pa.array([], pa.large_string()), np.zeros(n, np.int8), np.zeros(n, np.int8),
                           np.zeros(n, np.int16), np.zeros(n, np.uint8))
        marked = np.flatnonzero(self.has_prefix[rows])
        if len(marked):
            for i, key in zip(marked, self.names(rows[marked]), strict=True):
                p = _split(key)[1]
                out.gender[i], out.order[i], out.house[i] = p.gender, p.order, p.house
                out.initial[i] = ord(p.initial) if p.initial else 0
        return out

    def positions(self, rows: np.ndarray) -> list[str] | None:
        if not len(self.jabatan_values):
            return None
        codes = self.jabatan_code[rows]
        return np.where(codes >= 0, self.jabatan_values[np.maximum(codes, 0)], "").tolist()


def _pair_scores(qe: QueryEvidence, reg: RegistryIndex, qi: np.ndarray, rows: np.ndarray,
                 core_scores: np.ndarray | None = None, positions: bool = False) -> PairEvidence:
    rows = np.asarray(rows, dtype=np.int64)
    return score_pairs(qe, qi, reg.names(rows), reg.cores(rows), reg.prefix_of(rows), reg.nip_int[rows],
                       reg.positions(rows) if positions else None, core_scores)


def _eighteen_digits(raw: pd.Series, damaged: pd.Series) -> pd.Series:
    digits = raw.fillna("").astype(str).str.replace(_DIGITS, "", regex=True)
    return digits.where((digits.str.len() == 18) & ~damaged.fillna(False).astype(bool))


def excel_prefix(raw: object) -> str | None:
    """The digits of an Excel-damaged NIP that can still be trusted, or None.

    ``1.98004E+17`` keeps its 6 mantissa digits; a float cell or ``198004112005011000`` keeps 15
    (Excel's precision); ``198004112005011009.0`` kept its text, but is still cut to 15 digits
    because the same cell may have been rounded before the ``.0`` was added.
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return None
    text = str(raw).strip()
    sci = _SCI.match(text)
    if sci:
        mantissa = (sci.group(1) + sci.group(2)).rstrip("0") or sci.group(1)
        return mantissa[:15] if int(sci.group(3)) == 17 and len(mantissa) >= 4 else None
    digits = _DIGITS.sub("", text.split(".")[0] if re.fullmatch(r"[0-9]+[.,]0+", text) else text)
    return digits[:15] if len(digits) == 18 else None


def _empty_result(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"person_nip": pd.Series(None, index=index, dtype=object),
                         "person_match": "unmatched", "match_confidence": 0.0,
                         "match_explanation": "no NIP, prefix or name candidate", "review_candidates": None},
                        index=index)


def _stage_exact(q: pd.DataFrame, qe: QueryEvidence, reg: RegistryIndex, out: pd.DataFrame) -> pd.Series:
    """Returns the mask of rows whose NIP hit someone with a clearly different name (typo suspects)."""
    has = q["nip"].notna()
    rows = np.full(len(q), -1)
    if has.any():
        rows[has.to_numpy()] = reg.lookup(q.loc[has, "nip"].astype(np.int64).to_numpy())
    hit = rows >= 0
    score = np.zeros(len(q))
    if hit.any():
        score[hit] = np.clip(_pair_scores(qe, reg, np.flatnonzero(hit), rows[hit]).name, 0, 100)
    ok = hit & (score >= NAME_CONFIRM)
    doubt = hit & (score >= NAME_REJECT) & ~ok
    idx = q.index
    out.loc[idx[ok], "person_nip"] = reg.nip_text(rows[ok])
    out.loc[idx[ok], "person_match"] = "exact_nip"
    out.loc[idx[ok], "match_confidence"] = np.round(0.9 + score[ok] / 1000, 3)
    out.loc[idx[ok], "match_explanation"] = [f"NIP found; name {s:.0f}/100" for s in score[ok]]
    out.loc[idx[doubt], "person_match"] = "review"
    out.loc[idx[doubt], "review_candidates"] = reg.nip_text(rows[doubt])
    out.loc[idx[doubt], "match_confidence"] = np.round(score[doubt] / 100, 3)
    out.loc[idx[doubt], "match_explanation"] = [f"NIP found but name only {s:.0f}/100" for s in score[doubt]]
    return pd.Series(hit & ~ok, index=idx)


def _repair_variants(digits: np.ndarray) -> np.ndarray:
    """(n, 18*9 + 17) int64 NIPs one substitution or one adjacent transposition away."""
    d = digits.astype(np.int64)
    base = (d * _POW10).sum(axis=1)
    subs = []
    for i in range(18):
        for k in range(1, 10):
            subs.append(base + ((d[:, i] + k) % 10 - d[:, i]) * _POW10[i])
    for i in range(17):
        delta = (d[:, i + 1] - d[:, i]) * _POW10[i] + (d[:, i] - d[:, i + 1]) * _POW10[i + 1]
        subs.append(np.where(delta != 0, base + delta, -1))
    return np.stack(subs, axis=1)


def _context_ok(q: pd.DataFrame, reg: RegistryIndex, qi: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The candidate's agency/region must not contradict what the record says (unknown is fine)."""
    qa = q["kode_instansi"].to_numpy(dtype=object)[qi]
    qr = q["kode_wilayah"].to_numpy(dtype=object)[qi]
    agency_ok = pd.isna(qa) | (qa == reg.kode_instansi(rows))
    region_ok = pd.isna(qr) | (qr == reg.kode_wilayah(rows))
    return agency_ok & region_ok


def _pick(qi: np.ndarray, rows: np.ndarray, score: np.ndarray, nips: np.ndarray, **extra: np.ndarray) -> pd.DataFrame:
    """Best and runner-up candidate per query from long (query, row, score) arrays; ``extra``
    columns ride along with the best candidate.

    Equal scores are ordered by the candidates' NIPs (``nips``), not by their row positions: the
    answer must not depend on the order the registry arrived in, so that a match kept from an
    earlier run (:mod:`pantau.matching.incremental`) equals one recomputed today.
    """
    frame = pd.DataFrame({"qi": qi, "row": rows, "score": score, "nip_order": nips, **extra}).sort_values(
        ["qi", "score", "nip_order"], ascending=[True, False, True])
    frame["rank"] = frame.groupby("qi").cumcount()
    best = frame[frame["rank"] == 0].set_index("qi")
    second = frame[frame["rank"] == 1].set_index("qi")
    best = best.assign(second=second["score"].reindex(best.index).fillna(-1.0),
                       second_row=second["row"].reindex(best.index).fillna(-1).astype(np.int64))
    return best


def _candidates_text(reg: RegistryIndex, best: pd.DataFrame) -> list[str]:
    return [";".join(reg.nip_text(np.array([r for r in (a, b) if r >= 0], dtype=np.int64)))
            for a, b in zip(best["row"], best["second_row"], strict=True)]


def _apply_pick(out: pd.DataFrame, q: pd.DataFrame, reg: RegistryIndex, best: pd.DataFrame, method: str,
                accept: float, review: float, label: str) -> None:
    idx = q.index.to_numpy()
    clear = (best["score"] >= accept) & (best["score"] - best["second"] >= MARGIN)
    doubtful = ~clear & (best["score"] >= review)
    acc, rev = best[clear], best[doubtful]
    target = idx[acc.index.to_numpy()]
    out.loc[target, "person_nip"] = reg.nip_text(acc["row"].to_numpy())
    out.loc[target, "person_match"] = method
    out.loc[target, "match_confidence"] = np.round(acc["score"].to_numpy() / 100 * 0.95, 3)
    out.loc[target, "match_explanation"] = [f"{label}; name {s:.0f}/100, runner-up {r:.0f}"
                                            for s, r in zip(acc["score"], acc["second"], strict=True)]
    target = idx[rev.index.to_numpy()]
    out.loc[target, "person_match"] = "review"
    out.loc[target, "review_candidates"] = _candidates_text(reg, rev)
    out.loc[target, "match_confidence"] = np.round(rev["score"].to_numpy() / 100 * 0.8, 3)
    out.loc[target, "match_explanation"] = [f"{label}: two candidates too close (name {s:.0f} vs {r:.0f})"
                                            if r >= s - MARGIN else f"{label}: name only {s:.0f}/100"
                                            for s, r in zip(rev["score"], rev["second"], strict=True)]


def _stage_repair(q: pd.DataFrame, qe: QueryEvidence, reg: RegistryIndex, out: pd.DataFrame,
                  todo: np.ndarray) -> None:
    digits = _eighteen_digits(q["nip_raw"], q["nip_excel_damaged"]).to_numpy(dtype=object)
    sel = np.flatnonzero(todo & pd.notna(digits))
    if not len(sel):
        return
    mat = np.frombuffer("".join(digits[sel]).encode(), dtype=np.uint8).reshape(-1, 18) - ord("0")
    variants = _repair_variants(mat)
    rows = reg.lookup(variants.ravel()).reshape(variants.shape)
    qi_local, _ = np.nonzero(rows >= 0)
    if not len(qi_local):
        return
    qi, cand = sel[qi_local], rows[rows >= 0]
    score = _pair_scores(qe, reg, qi, cand).name
    keep = _context_ok(q, reg, qi, cand)
    # Same birth date (first 8 digits) as the written NIP: the typo sat in the less-checked tail.
    written_birth = np.array([int(digits[i][:8]) for i in qi], dtype=np.int64)
    same_birth = reg.nip_int[cand] // 10**10 == written_birth
    score = np.where(keep, score + same_birth * 2.0, 0.0)
    best = _pick(qi, cand, np.clip(score, 0.0, 100.0), reg.nip_int[cand])
    _apply_pick(out, q, reg, best, "nip_repair", REPAIR_NAME, REPAIR_NAME - 10, "one-typo NIP neighbour")


def _prefix_candidates(q: pd.DataFrame, reg: RegistryIndex, i: int, prefix: str) -> np.ndarray:
    """Registry rows whose NIP starts with ``prefix``; a short prefix is narrowed to the record's agency/region."""
    scale = 10 ** (18 - len(prefix))
    lo, hi = np.searchsorted(reg.nip_sorted, [int(prefix) * scale, (int(prefix) + 1) * scale])
    rows = reg.by_nip[lo:hi]
    if len(prefix) >= LONG_PREFIX:
        return rows
    agency, region = q.at[i, "kode_instansi"], q.at[i, "kode_wilayah"]
    if pd.notna(agency):
        return rows[reg.kode_instansi(rows) == agency]
    if pd.notna(region):
        return rows[reg.kode_wilayah(rows) == region]
    return rows[:0]  # six digits of a birth month alone say nothing: leave it to the name stage


def _float_read(q: pd.DataFrame) -> np.ndarray:
    cached = q.attrs.get("_float_read")
    if cached is None:
        cached = q.attrs["_float_read"] = _float_read_uncached(q)
    return cached


def _float_read_uncached(q: pd.DataFrame) -> np.ndarray:
    """Per row, the written 18 digits as int64 when they look like a NIP read back from a floating-point
    spreadsheet cell, else -1.

    A float64 holds about 16 significant digits: between 2^57 and 2^58 (every NIP) it only stores
    multiples of 32, so a NIP that went through a number cell and was printed exactly comes back as
    the nearest multiple of 32 (``199007082010041984`` for ``...042001``): digits 15-18, gender and
    sequence included, are then wrong, and no one-digit repair finds it. Those digits only say the
    NIP is within 32 of the written one.
    """
    digits = _eighteen_digits(q["nip_raw"], q["nip_excel_damaged"]).to_numpy(dtype=object)
    values = np.array([int(d) if isinstance(d, str) else -1 for d in digits], dtype=np.int64)
    return np.where((values > 0) & (values % FLOAT_SPACING == 0), values, -1)


def _stage_prefix(q: pd.DataFrame, qe: QueryEvidence, reg: RegistryIndex, out: pd.DataFrame, todo: np.ndarray,
                  prefixes: np.ndarray) -> None:
    """Excel-damaged NIPs: the trustworthy prefix narrows the whole registry, the name decides.

    A 15-digit prefix (float rounding, ``.0``) leaves the handful of persons born the same day and
    appointed the same month, wherever they now work (a transfer does not hide them); a 6-digit
    mantissa (``1.98004E+17``) is only used inside the record's agency or region; 18 digits read
    back from a float cell (:func:`_float_read`) search the NIPs within 32 of them.
    """
    sel = np.flatnonzero(todo & pd.notna(prefixes))
    parts_q, parts_r = [], []
    for i in sel:
        rows = _prefix_candidates(q, reg, int(i), prefixes[i])
        parts_q.append(np.full(len(rows), i, dtype=np.int64))
        parts_r.append(rows)
    floats = _float_read(q)
    for i in np.flatnonzero(todo & pd.isna(prefixes) & (floats >= 0)):
        lo, hi = np.searchsorted(reg.nip_sorted, [floats[i] - FLOAT_SPACING, floats[i] + FLOAT_SPACING + 1])
        parts_q.append(np.full(hi - lo, i, dtype=np.int64))
        parts_r.append(reg.by_nip[lo:hi])
    if not parts_q or not sum(map(len, parts_q)):
        return
    qi, rows = np.concatenate(parts_q), np.concatenate(parts_r)
    score = _pair_scores(qe, reg, qi, rows).name
    # The 18 digits a ".0" cell kept may be exact: agreeing with them breaks ties, never decides alone.
    written = _eighteen_digits(q["nip_raw"].astype(str).str.removesuffix(".0"), pd.Series(False, index=q.index))
    exact = written.to_numpy(dtype=object)[qi] == reg.nip_text(rows)
    best = _pick(qi, rows, np.clip(score + exact * 2.0, 0.0, 100.0), reg.nip_int[rows])
    _apply_pick(out, q, reg, best, "nip_prefix", PREFIX_NAME, PREFIX_NAME - 10, "Excel-damaged NIP prefix + name")


def _block_keys(q: pd.DataFrame) -> np.ndarray:
    """Per query, the narrowest block its resolved agency text allows: work units of an agency
    (``U|agency|region|units``), the agency (``A|agency|region``, its staff in that region when a
    national agency), else the region (``R|region``); None when nothing was resolved."""
    n = len(q)

    def column(name: str) -> np.ndarray:
        values = q[name].to_numpy(dtype=object) if name in q else np.full(n, None, object)
        return np.where(pd.notna(values), values, None)

    agency, unit, region = column("kode_instansi"), column("unit_kerja"), column("kode_wilayah")
    keys = np.full(n, None, dtype=object)
    for i in range(n):
        if agency[i] is not None:
            where = "" if region[i] is None else str(region[i])
            keys[i] = (f"U|{agency[i]}|{where}|{unit[i]}" if unit[i] is not None else f"A|{agency[i]}|{where}")
        elif region[i] is not None:
            keys[i] = f"R|{region[i]}"
    return keys


def _widen(key: object, reg: RegistryIndex) -> object:
    """The next wider block of a block that held no candidate: a work unit's agency in its region,
    then a national agency's staff in every region. None when there is nothing wider to try."""
    if not isinstance(key, str):
        return None
    parts = key.split("|")
    if parts[0] == "U":
        return f"A|{parts[1]}|{parts[2]}"
    if parts[0] == "A" and parts[2] and reg.spans_regions(parts[1]):
        return f"A|{parts[1]}|"
    return None


def _fuzzy_block(qe: QueryEvidence, reg: RegistryIndex, qi: np.ndarray, rows: np.ndarray,
                 cores: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long (query, row, core score) arrays for the queries ``qi`` against one block of registry rows.

    Prefix-stripped cores are compared across the whole block. The registry persons who have a name
    prefix are also compared with their whole name against the whole written name, so a prefix only
    partly written ("Agung Oka" for "Anak Agung Oka") is still a candidate; those pairs carry a NaN
    core score, which :func:`pantau.matching.evidence.score_pairs` computes.
    """
    empty = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    if not len(rows):
        return empty
    cutoff = FUZZY_REVIEW - MARGIN
    scores = process.cdist(qe.prefix.core.take(pa.array(qi)).to_pylist(), cores, scorer=fuzz.ratio,
                           score_cutoff=cutoff, dtype=np.uint8, workers=-1)
    a, b = np.nonzero(scores)
    out_q, out_r, out_s = [qi[a]], [rows[b]], [scores[a, b].astype(np.float64)]
    marked = rows[reg.has_prefix[rows]]
    if len(marked):
        whole = process.cdist(qe.full[qi].tolist(), reg.names(marked), scorer=fuzz.ratio, score_cutoff=cutoff,
                              dtype=np.uint8, workers=-1)
        a, b = np.nonzero(whole)
        out_q.append(qi[a])
        out_r.append(marked[b])
        out_s.append(np.full(len(a), np.nan))
    return np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_s)


def _stage_fuzzy(q: pd.DataFrame, reg: RegistryIndex, out: pd.DataFrame, todo: np.ndarray,
                 qe: QueryEvidence | None = None) -> None:
    """Name + evidence inside each query's block. A block that holds no candidate at all widens
    (:func:`_widen`): the registry may keep the person in another unit of the same agency, or a
    national agency's employee in another region."""
    if qe is None:
        qe = QueryEvidence.build(q, np.full(len(q), None, dtype=object))
    keys = _block_keys(q)
    _fuzzy_pass(q, reg, out, todo, qe, keys)
    for _ in range(2):
        open_rows = np.flatnonzero(todo & pd.notna(keys) & (out["person_match"] == "unmatched").to_numpy())
        wider = {k: _widen(k, reg) for k in set(keys[open_rows])}  # once per distinct block
        retry = np.zeros(len(q), dtype=bool)
        widened = keys.copy()
        for i in open_rows:
            if wider[keys[i]] is not None:
                retry[i], widened[i] = True, wider[keys[i]]
        if not retry.any():
            break
        keys = widened
        _fuzzy_pass(q, reg, out, retry, qe, keys)


def _fuzzy_pass(q: pd.DataFrame, reg: RegistryIndex, out: pd.DataFrame, todo: np.ndarray, qe: QueryEvidence,
                keys: np.ndarray) -> None:
    sel = np.flatnonzero(todo & pd.notna(keys) & (q["name_key"].fillna("").str.len() > 0).to_numpy())
    parts, sizes = [], np.zeros(len(q), np.int64)
    for block, group in pd.Series(sel).groupby(keys[sel]):
        parts_of = str(block).split("|")
        kind, code = parts_of[0], parts_of[1]
        region = parts_of[2] or None if kind != "R" else None
        unit = parts_of[3] if kind == "U" else None
        rows, cores = reg.block("R" if kind == "R" else "A", code, region, unit)
        qi = group.to_numpy()
        sizes[qi] = len(rows)
        parts.append(_fuzzy_block(qe, reg, qi, rows, cores))
    if not parts:
        return
    qi, rows, core_score = (np.concatenate(x) for x in zip(*parts, strict=True))
    if not len(qi):
        return
    # A pair found by both comparisons once, with its core score.
    first = pd.DataFrame({"q": qi, "r": rows, "nan": np.isnan(core_score)}).sort_values(
        ["q", "r", "nan"], kind="stable").drop_duplicates(["q", "r"]).index.to_numpy()
    qi, rows, core_score = qi[first], rows[first], core_score[first]
    ev = _pair_scores(qe, reg, qi, rows, core_score, positions=True)
    best = _pick(qi, rows, ev.total, reg.nip_int[rows], name=np.clip(ev.name, 0, 100), contradiction=ev.contradiction,
                 corroborated=ev.corroborated, notes=ev.notes)
    kinds = np.array([str(keys[i])[0] for i in best.index], dtype=object)
    _apply_fuzzy(out, q, qe, reg, best, sizes[best.index.to_numpy()], kinds)


def _apply_fuzzy(out: pd.DataFrame, q: pd.DataFrame, qe: QueryEvidence, reg: RegistryIndex, best: pd.DataFrame,
                 size: np.ndarray, kinds: np.ndarray) -> None:
    """Accept, review or leave unmatched, by the block-size bar and the evidence of the best candidate."""
    qi = best.index.to_numpy()
    scope_of = q["agency_scope"].to_numpy(dtype=object)[qi] if "agency_scope" in q else np.full(len(qi), None)
    government = scope_of == "government"
    region = (kinds == "R") | government
    corroborated = best["corroborated"].to_numpy(dtype=bool)
    accept, margin = thresholds(size, corroborated, region)
    total, second = best["score"].to_numpy(), best["second"].to_numpy()
    contradicted = best["contradiction"].to_numpy(dtype=bool)
    non_asn = qe.non_asn[qi]
    barred = pd.notna(non_asn) & ~corroborated
    clear = ~contradicted & ~barred & (total >= accept) & (total - second >= margin)
    doubtful = ~clear & ~barred & (total >= FUZZY_REVIEW)
    scope = np.select([government, kinds == "R", kinds == "U"],
                      ["name inside the whole regional government", "name inside the region",
                       "name inside the work unit"], "name inside the agency")
    notes = best["notes"].to_numpy(dtype=object)
    idx = q.index.to_numpy()[qi]
    detail = [f"{sc} ({n:,} persons); score {t:.0f} (name {nm:.0f}), runner-up {r:.0f}{note}"
              for sc, n, t, nm, r, note in zip(scope, size, total, best["name"], second, notes, strict=True)]
    detail = np.array(detail, dtype=object)
    out.loc[idx[clear], "person_nip"] = reg.nip_text(best["row"].to_numpy()[clear])
    out.loc[idx[clear], "person_match"] = np.where(kinds[clear] == "R", "name_region", "name_agency")
    out.loc[idx[clear], "match_confidence"] = np.round(np.minimum(total[clear], 100) / 100 * 0.95, 3)
    out.loc[idx[clear], "match_explanation"] = detail[clear]
    out.loc[idx[doubtful], "person_match"] = "review"
    out.loc[idx[doubtful], "review_candidates"] = _candidates_text(reg, best[doubtful])
    out.loc[idx[doubtful], "match_confidence"] = np.round(np.minimum(total[doubtful], 100) / 100 * 0.8, 3)
    why = np.where(contradicted, "the best candidate contradicts the record",
                   np.where(total - second < margin, "two candidates too close", "score below the bar"))
    out.loc[idx[doubtful], "match_explanation"] = [f"{w}: {d} (needs {a:.0f}, margin {m:.0f})" for w, d, a, m in
                                                   zip(why[doubtful], detail[doubtful], accept[doubtful],
                                                       margin[doubtful], strict=True)]
    out.loc[idx[barred], "match_explanation"] = [f"{r}; a name alone does not link (best {d})"
                                                 for r, d in zip(non_asn[barred], detail[barred], strict=True)]
    low = ~clear & ~doubtful & ~barred
    out.loc[idx[low], "match_explanation"] = [f"no candidate near the bar: best {d}" for d in detail[low]]


def match_persons(queries: pd.DataFrame, reg: RegistryIndex) -> pd.DataFrame:
    """Match each query row to a registry person; result columns :data:`RESULT_COLUMNS`, same index.

    ``queries`` needs ``nip`` (valid 18 digits or NA), ``nip_raw``, ``nip_excel_damaged``,
    ``name_key``, and the resolved ``kode_instansi`` / ``kode_wilayah`` (NA when unknown);
    optional: ``unit_kerja`` (a resolved registry work unit of that agency), ``jabatan`` and
    ``instansi_raw`` (evidence: position, and whether the respondent is a civil servant at all).
    """
    # Object columns: blocks index them thousands of times, Arrow-backed columns convert each time.
    q = queries.reset_index(drop=True).astype(object)
    out = _empty_result(q.index)
    prefixes = np.array([excel_prefix(r) if d else None for r, d in
                         zip(q["nip_raw"], q["nip_excel_damaged"].fillna(False), strict=True)], dtype=object)
    qe = QueryEvidence.build(q, prefixes)
    suspect = _stage_exact(q, qe, reg, out).to_numpy()
    unmatched = (out["person_match"] == "unmatched").to_numpy()
    _stage_repair(q, qe, reg, out, unmatched | suspect)
    todo = (out["person_match"] == "unmatched").to_numpy() | (suspect & (out["person_match"] == "review").to_numpy())
    _stage_prefix(q, qe, reg, out, todo, prefixes)
    # Whatever is still unanswered (no NIP, or a damaged NIP whose prefix found nobody, e.g. a typo
    # inside it) falls back to the name inside the agency or region.
    damaged = pd.notna(prefixes) | (_float_read(q) >= 0)
    answered_by_prefix = damaged & (out["person_match"] != "unmatched").to_numpy()
    _stage_fuzzy(q, reg, out, todo & ~answered_by_prefix, qe)
    out.index = queries.index
    # pandas turns the None of an object column into NaN once any row of it was assigned: one null
    # (None) whatever the batch held, so a row's answer is the same matched alone or with others.
    for column in ("person_nip", "review_candidates"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
