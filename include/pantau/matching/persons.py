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
4. ``name_agency`` / ``name_region``: names with titles stripped and spellings folded
   (``name_key``), compared with rapidfuzz inside the resolved agency (or the region when the agency
   text is too vague), one vectorised ``cdist`` per block.

Two candidates within :data:`MARGIN` points are never picked between: the record goes to the
review queue with both candidates. Every result carries a method, a score in [0, 1] and a short
explanation a steward can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

__all__ = ["MARGIN", "RegistryIndex", "match_persons"]

NAME_CONFIRM = 80.0  # a NIP hit whose name scores below this is doubted (typo onto another person)
NAME_REJECT = 55.0  # below this the NIP hit is not the person at all
REPAIR_NAME = 85.0
FUZZY_ACCEPT = 90.0
FUZZY_REVIEW = 80.0
MARGIN = 5.0
PREFIX_NAME = 80.0
LONG_PREFIX = 12  # digits from which a NIP prefix narrows the registry on its own
_POW10 = 10 ** np.arange(17, -1, -1, dtype=np.int64)
_SCI = re.compile(r"^\s*([0-9])[.,]?([0-9]*)[eE]\+?([0-9]+)\s*$")
_DIGITS = re.compile(r"[^0-9]")
RESULT_COLUMNS = ["person_nip", "person_match", "match_confidence", "match_explanation", "review_candidates"]


@dataclass
class RegistryIndex:
    """The registry sorted by NIP (for lookups and prefix ranges) and by agency (for blocks).

    Built from Arrow-backed columns without materialising 6M Python strings: agencies become
    integer codes into their sorted distinct values, NIPs int64, names stay an Arrow array.
    """

    nip_sorted: np.ndarray  # int64
    by_nip: np.ndarray  # row positions in NIP order
    nip_int: np.ndarray  # int64 per row
    agency_offsets: np.ndarray  # agency code c occupies by_agency[offsets[c]:offsets[c + 1]]
    by_agency: np.ndarray  # row positions in agency order
    agency_values: np.ndarray  # sorted distinct kode_instansi (object)
    agency_code: np.ndarray  # int per row
    region_of_agency: np.ndarray  # kode_wilayah per distinct agency (object)
    name_key: pa.Array
    name_by_agency: pa.Array  # name_key in agency order: a block's names are one zero-copy slice

    @classmethod
    def build(cls, registry: pd.DataFrame) -> RegistryIndex:
        nips = pa.array(registry["nip"].astype(str), type=pa.string())
        nip_int = pc.cast(nips, pa.int64()).to_numpy(zero_copy_only=False) if len(nips) else np.zeros(0, np.int64)
        by_nip = np.argsort(nip_int)  # NIPs are unique: no need for a stable sort
        codes, values = pd.factorize(registry["kode_instansi"].fillna(""), sort=True)
        # Agency codes fit 16 bits in practice, where numpy's stable sort is a radix sort (4x faster).
        codes = codes.astype(np.int16 if len(values) < 2**15 else np.int32)
        by_agency = np.argsort(codes, kind="stable")
        regions = (pd.DataFrame({"c": codes, "r": registry["kode_wilayah"].fillna("")})
                   .drop_duplicates("c").set_index("c")["r"].reindex(range(len(values))))
        keys = registry["name_key"] if "name_key" in registry else registry["nama"]
        names = pa.array(keys.fillna("").astype(str), type=pa.string())
        if isinstance(names, pa.ChunkedArray):
            names = names.combine_chunks()
        offsets = np.searchsorted(codes[by_agency], np.arange(len(values) + 1))
        return cls(nip_int[by_nip], by_nip, nip_int, offsets, by_agency,
                   np.asarray(values, dtype=object), codes, regions.to_numpy(dtype=object),
                   names, names.take(pa.array(by_agency)))

    def nip_text(self, rows: np.ndarray) -> np.ndarray:
        return self.nip_int[rows].astype(str).astype(object)

    def kode_instansi(self, rows: np.ndarray) -> np.ndarray:
        return self.agency_values[self.agency_code[rows]]

    def kode_wilayah(self, rows: np.ndarray) -> np.ndarray:
        return self.region_of_agency[self.agency_code[rows]]

    def lookup(self, nips: np.ndarray) -> np.ndarray:
        """Row position per int64 NIP, -1 when absent."""
        pos = np.searchsorted(self.nip_sorted, nips)
        pos = np.minimum(pos, max(len(self.nip_sorted) - 1, 0))
        hit = (len(self.nip_sorted) > 0) & (self.nip_sorted[pos] == nips)
        return np.where(hit, self.by_nip[pos], -1)

    def block(self, code: str, region: bool) -> tuple[np.ndarray, list[str]]:
        """Row positions and names of one agency, or of every agency of a region (codes share the prefix)."""
        if region:
            prefix = f"{code}.00." if "." not in code else f"{code}."
            lo = np.searchsorted(self.agency_values, prefix)
            hi = np.searchsorted(self.agency_values, prefix + "\x7f")
        else:
            lo = np.searchsorted(self.agency_values, code)
            hi = np.searchsorted(self.agency_values, code, side="right")
        start, stop = int(self.agency_offsets[lo]), int(self.agency_offsets[hi])
        return self.by_agency[start:stop], self.name_by_agency.slice(start, stop - start).to_pylist()

    def names(self, rows: np.ndarray) -> list[str]:
        return self.name_key.take(pa.array(rows)).to_pylist()


def _names_score(a: list[str], b: list[str]) -> np.ndarray:
    return np.array([fuzz.ratio(x, y) for x, y in zip(a, b, strict=True)], dtype=np.float64)


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


def _stage_exact(q: pd.DataFrame, reg: RegistryIndex, out: pd.DataFrame) -> pd.Series:
    """Returns the mask of rows whose NIP hit someone with a clearly different name (typo suspects)."""
    has = q["nip"].notna()
    rows = np.full(len(q), -1)
    if has.any():
        rows[has.to_numpy()] = reg.lookup(q.loc[has, "nip"].astype(np.int64).to_numpy())
    hit = rows >= 0
    score = np.zeros(len(q))
    if hit.any():
        score[hit] = _names_score(q["name_key"].to_numpy()[hit].tolist(), reg.names(rows[hit]))
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


def _pick(qi: np.ndarray, rows: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Best and runner-up candidate per query from long (query, row, score) arrays."""
    frame = pd.DataFrame({"qi": qi, "row": rows, "score": score}).sort_values(["qi", "score"],
                                                                              ascending=[True, False])
    frame["rank"] = frame.groupby("qi").cumcount()
    best = frame[frame["rank"] == 0].set_index("qi")
    second = frame[frame["rank"] == 1].set_index("qi")
    best = best.assign(second=second["score"].reindex(best.index).fillna(-1.0),
                       second_row=second["row"].reindex(best.index).fillna(-1).astype(np.int64))
    return best


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
    cands = [";".join(reg.nip_text(np.array([r for r in (a, b) if r >= 0], dtype=np.int64)))
             for a, b in zip(rev["row"], rev["second_row"], strict=True)]
    out.loc[target, "person_match"] = "review"
    out.loc[target, "review_candidates"] = cands
    out.loc[target, "match_confidence"] = np.round(rev["score"].to_numpy() / 100 * 0.8, 3)
    out.loc[target, "match_explanation"] = [f"{label}: two candidates too close (name {s:.0f} vs {r:.0f})"
                                            if r >= s - MARGIN else f"{label}: name only {s:.0f}/100"
                                            for s, r in zip(rev["score"], rev["second"], strict=True)]


def _stage_repair(q: pd.DataFrame, reg: RegistryIndex, out: pd.DataFrame, todo: np.ndarray) -> None:
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
    score = _names_score(q["name_key"].to_numpy()[qi].tolist(), reg.names(cand))
    keep = _context_ok(q, reg, qi, cand)
    # Same birth date (first 8 digits) as the written NIP: the typo sat in the less-checked tail.
    written_birth = np.array([int(digits[i][:8]) for i in qi], dtype=np.int64)
    same_birth = reg.nip_int[cand] // 10**10 == written_birth
    score = np.where(keep, score + same_birth * 2.0, 0.0)
    best = _pick(qi, cand, np.minimum(score, 100.0))
    _apply_pick(out, q, reg, best, "nip_repair", REPAIR_NAME, REPAIR_NAME - 10, "one-typo NIP neighbour")


def _fuzzy_block(q: pd.DataFrame, qi: np.ndarray, rows: np.ndarray,
                 names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long (query, row, score) arrays for the queries ``qi`` against one block of registry rows."""
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    scores = process.cdist(q["name_key"].to_numpy()[qi].tolist(), names, scorer=fuzz.ratio,
                           score_cutoff=FUZZY_REVIEW - MARGIN, dtype=np.uint8, workers=-1)
    a, b = np.nonzero(scores)
    return qi[a], rows[b], scores[a, b].astype(np.float64)


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


def _stage_prefix(q: pd.DataFrame, reg: RegistryIndex, out: pd.DataFrame, todo: np.ndarray,
                  prefixes: np.ndarray) -> None:
    """Excel-damaged NIPs: the trustworthy prefix narrows the whole registry, the name decides.

    A 15-digit prefix (float rounding, ``.0``) leaves the handful of persons born the same day and
    appointed the same month, wherever they now work (a transfer does not hide them); a 6-digit
    mantissa (``1.98004E+17``) is only used inside the record's agency or region.
    """
    sel = np.flatnonzero(todo & pd.notna(prefixes))
    parts_q, parts_r = [], []
    for i in sel:
        rows = _prefix_candidates(q, reg, int(i), prefixes[i])
        parts_q.append(np.full(len(rows), i, dtype=np.int64))
        parts_r.append(rows)
    if not parts_q or not sum(map(len, parts_q)):
        return
    qi, rows = np.concatenate(parts_q), np.concatenate(parts_r)
    score = _names_score(q["name_key"].to_numpy()[qi].tolist(), reg.names(rows))
    # The 18 digits a ".0" cell kept may be exact: agreeing with them breaks ties, never decides alone.
    written = _eighteen_digits(q["nip_raw"].astype(str).str.removesuffix(".0"), pd.Series(False, index=q.index))
    exact = written.to_numpy(dtype=object)[qi] == reg.nip_text(rows)
    best = _pick(qi, rows, np.minimum(score + exact * 2.0, 100.0))
    _apply_pick(out, q, reg, best, "nip_prefix", PREFIX_NAME, PREFIX_NAME - 10, "Excel-damaged NIP prefix + name")


def _stage_fuzzy(q: pd.DataFrame, reg: RegistryIndex, out: pd.DataFrame, todo: np.ndarray) -> None:
    agency = q["kode_instansi"].to_numpy(dtype=object)
    region = q["kode_wilayah"].to_numpy(dtype=object)
    key = np.where(pd.notna(agency), agency, np.where(pd.notna(region), "R:" + region.astype(str), None))
    sel = np.flatnonzero(todo & pd.notna(key) & (q["name_key"].fillna("").str.len() > 0).to_numpy())
    parts = []
    for block, group in pd.Series(sel).groupby(key[sel]):
        is_region = str(block).startswith("R:")
        rows, names = reg.block(str(block)[2:] if is_region else str(block), is_region)
        parts.append(_fuzzy_block(q, group.to_numpy(), rows, names))
    if not parts:
        return
    qi, rows, score = (np.concatenate(x) for x in zip(*parts, strict=True))
    if not len(qi):
        return
    best = _pick(qi, rows, score)
    by_agency = pd.notna(agency[best.index.to_numpy()])
    for mask, method, accept, label in (
        (by_agency, "name_agency", FUZZY_ACCEPT, "name inside the agency"),
        (~by_agency, "name_region", FUZZY_ACCEPT + 3, "name inside the region"),
    ):
        _apply_pick(out, q, reg, best[mask], method, accept, FUZZY_REVIEW, label)


def match_persons(queries: pd.DataFrame, reg: RegistryIndex) -> pd.DataFrame:
    """Match each query row to a registry person; result columns :data:`RESULT_COLUMNS`, same index.

    ``queries`` needs ``nip`` (valid 18 digits or NA), ``nip_raw``, ``nip_excel_damaged``,
    ``name_key``, and the resolved ``kode_instansi`` / ``kode_wilayah`` (NA when unknown).
    """
    # Object columns: blocks index them thousands of times, Arrow-backed columns convert each time.
    q = queries.reset_index(drop=True).astype(object)
    out = _empty_result(q.index)
    suspect = _stage_exact(q, reg, out).to_numpy()
    unmatched = (out["person_match"] == "unmatched").to_numpy()
    _stage_repair(q, reg, out, unmatched | suspect)
    prefixes = np.array([excel_prefix(r) if d else None for r, d in
                         zip(q["nip_raw"], q["nip_excel_damaged"].fillna(False), strict=True)], dtype=object)
    todo = (out["person_match"] == "unmatched").to_numpy() | (suspect & (out["person_match"] == "review").to_numpy())
    _stage_prefix(q, reg, out, todo, prefixes)
    # Whatever is still unanswered (no NIP, or a damaged NIP whose prefix found nobody, e.g. a typo
    # inside it) falls back to the name inside the agency or region.
    answered_by_prefix = pd.notna(prefixes) & (out["person_match"] != "unmatched").to_numpy()
    _stage_fuzzy(q, reg, out, todo & ~answered_by_prefix)
    out.index = queries.index
    return out
