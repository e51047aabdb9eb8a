"""Person matching in proportion to what changed (docs/DECISIONS.md, "Incremental reconcile").

Two things are kept in the object store under ``state/reconcile/``:

* per validated registry version, the *registry state*: per registry row its NIP, a fingerprint
  of everything else the matcher reads of the row (name key with its front-title prefix, agency,
  the registry's region code, work unit, position), its agency and its region reading, as Parquet
  (``registry/<version>/state.parquet`` and ``groups.parquet``);
* the previous run's answer per query, keyed by a hash of the query row (every column
  :func:`~pantau.matching.persons.match_persons` is given) together with the registry version it
  was computed against (``matches/``).

The :class:`~pantau.matching.persons.RegistryIndex` itself is not kept: reading it back from
Parquet costs about what building it does (docs/DECISIONS.md, "Incremental reconcile").

A run re-matches a query when it is new or changed, or when a registry row it could have seen
changed between the two versions. Which rows a query could have seen follows from the stage its
previous answer came from: an ``exact_nip`` answer read only the row holding its NIP; a
``nip_repair`` answer also every NIP one substitution or transposition away; any other answer
(prefix, name, review, unmatched) also its Excel prefix's NIP range, NIPs within 32 of a
float-read NIP, and its name block: every row of its resolved agency (blocks widen inside the
agency), or every row read as its region when only a region was resolved. That last test is
conservative on purpose: the bar rises with the block's size and the explanation prints it, so any
row added to or removed from a block may change its answers. Anything unreadable or inconsistent
in the state falls back to a full match.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import rapidfuzz

from pantau.matching import agencies, evidence, persons
from pantau.matching.persons import RESULT_COLUMNS, RegistryIndex, excel_prefix, match_persons
from pantau.normalize import names
from pantau.reference import agency_types, regions

__all__ = ["IncrementalMatcher", "RegistryChange", "query_hashes", "registry_change", "registry_version"]

log = logging.getLogger(__name__)

STATE = "state/reconcile"
FORMAT = 1
#: Previous answers that read only the registry row at their NIP (stage 1), or also its one-typo
#: neighbours (stage 2); every other answer may have read every stage's candidates.
_NIP_ONLY = "exact_nip"
_NIP_AND_REPAIR = "nip_repair"
_BATCH = 20_000
_HASH_KEY = "pantau-registry1"  # pandas wants exactly 16 bytes


class Store(Protocol):
    """The part of :class:`pantau.storage.ObjectStore` the state needs."""

    def put_bytes(self, key: str, data: bytes, content_type: str = ...) -> str: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def put_json(self, key: str, value: Any) -> str: ...
    def get_json(self, key: str, default: Any = None) -> Any: ...
    def list(self, prefix: str) -> Any: ...
    def delete(self, key: str) -> None: ...


def registry_version(pointer: dict[str, Any]) -> str:
    """A short id of a validated registry version (``validated/registry/_current.json``)."""
    text = f"{pointer.get('key')}|{pointer.get('staged_key')}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def matcher_version() -> str:
    """The matcher's code, its data files (name prefixes, non-ASN positions, unit groups, regions,
    agency types) and rapidfuzz's version: kept answers are void when any of them changes."""
    digest = hashlib.sha256(f"{FORMAT}|{rapidfuzz.__version__}".encode())
    for module in (persons, evidence, names, agencies, regions, agency_types):
        digest.update(inspect.getsource(module).encode())
        folder = Path(inspect.getfile(module)).parent / "data"
        for path in sorted(folder.glob("*")) if folder.is_dir() else ():
            if path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:24]


def query_hashes(queries: pd.DataFrame) -> np.ndarray:
    """A 128-bit hex digest per query row over every column (names and values, types included)."""
    header = repr(sorted(map(str, queries.columns))).encode()
    frame = queries[sorted(queries.columns, key=str)].astype(object)
    return np.array([hashlib.blake2b(header + repr(tuple(row)).encode(), digest_size=16).hexdigest()
                     for row in frame.itertuples(index=False, name=None)], dtype=object)


# ---------------------------------------------------------------------------------------- registry


def _hash_texts(values: np.ndarray) -> np.ndarray:
    # categorize=False: most names are distinct, and factorizing millions of strings first costs 6x.
    return pd.util.hash_array(np.asarray(values, dtype=object), hash_key=_HASH_KEY, categorize=False)


#: Name keys are hashed this many at a time: 6M of them as Python strings at once took 1.1 GB.
NAME_BLOCK = 250_000


def _hash_names(names: pa.Array) -> np.ndarray:
    """:func:`_hash_texts` of an Arrow array of texts, a block at a time (a hash reads only its own value)."""
    out = np.empty(len(names), dtype=np.uint64)
    for start in range(0, len(names), NAME_BLOCK):
        block = names.slice(start, NAME_BLOCK).to_pylist()
        out[start:start + len(block)] = _hash_texts(np.asarray(block, dtype=object))
    return out


def fingerprints(reg: RegistryIndex) -> np.ndarray:
    """A 64-bit hash per registry row (row order) of what the matcher reads of it besides its NIP
    (the row's key) and its region reading (compared apart, see :func:`registry_change`): name key
    with its front-title prefix, prefix mark, agency and the registry's region code, work unit,
    normalised position."""
    group = _hash_texts(np.array([f"{a}\x1f{r}" for a, r in zip(reg.group_agency, reg.group_region_raw, strict=True)],
                                 dtype=object))
    units = _hash_texts(np.append(reg.unit_values.astype(object), "\x00"))
    jabatan = _hash_texts(np.append(reg.jabatan_values.astype(object), "\x00"))
    parts = [_hash_names(reg.name_key), group[reg.group_code], units[np.where(reg.unit_code >= 0, reg.unit_code, -1)],
             jabatan[np.where(reg.jabatan_code >= 0, reg.jabatan_code, -1)], reg.has_prefix.astype(np.uint64)]
    combined = np.zeros(len(reg.name_key), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i, part in enumerate(parts):
            combined = (combined * np.uint64(1_000_003 + 2 * i)) ^ part.astype(np.uint64)
    return combined


def _table_bytes(columns: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def _read_table(store: Store, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(store.get_bytes(key)))


def _np(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy()


def _objects(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_pylist(), dtype=object)


@dataclass
class RegistryState:
    """One registry version as the matcher saw it, in NIP order: NIP, fingerprint and group per
    row; agency and region reading per group."""

    nip: np.ndarray  # int64
    fp: np.ndarray  # uint64
    group: np.ndarray  # int32 per row
    agency: np.ndarray  # object per group
    region: np.ndarray  # object per group (None: unread)

    @classmethod
    def of(cls, reg: RegistryIndex) -> RegistryState:
        rows = reg.by_nip
        return cls(reg.nip_int[rows], fingerprints(reg)[rows], reg.group_code[rows].astype(np.int32),
                   np.asarray(reg.group_agency, dtype=object), np.asarray(reg.group_region, dtype=object))

    def to_parquet(self) -> tuple[bytes, bytes]:
        def text(values: np.ndarray) -> pa.Array:
            return pa.array([None if v is None or v is pd.NA else str(v) for v in values], pa.string())

        return (_table_bytes({"nip": self.nip, "fp": self.fp, "group": self.group}),
                _table_bytes({"agency": text(self.agency), "region": text(self.region)}))

    @classmethod
    def from_parquet(cls, rows: bytes, groups: bytes) -> RegistryState:
        table, per_group = pq.read_table(io.BytesIO(rows)), pq.read_table(io.BytesIO(groups))
        group = _np(table, "group").astype(np.int32)
        if len(group) and (group.min() < 0 or group.max() >= per_group.num_rows):
            raise StateUnusable("the registry state's groups do not match its rows")
        return cls(_np(table, "nip").astype(np.int64), _np(table, "fp").astype(np.uint64), group,
                   _objects(per_group, "agency"), _objects(per_group, "region"))


@dataclass
class RegistryChange:
    """What changed between two registry versions, as far as the matcher can tell."""

    nips: np.ndarray  # sorted int64: NIPs added, removed, or whose row changed
    agencies: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)

    @property
    def rows(self) -> int:
        return len(self.nips)


def _group_ids(old: RegistryState, new: RegistryState) -> tuple[np.ndarray, np.ndarray]:
    """One integer per distinct (agency, region reading) across both versions, per group of each."""
    keys = [f"{a}\x1f{r}" for a, r in zip(np.concatenate([old.agency, new.agency]),
                                           np.concatenate([old.region, new.region]), strict=True)]
    ids, _ = pd.factorize(pd.Series(keys, dtype=object))
    return ids[:len(old.agency)], ids[len(old.agency):]


def registry_change(old: RegistryState, new: RegistryState) -> RegistryChange:
    """The NIPs whose row differs (added, removed, fingerprint, agency or region reading changed),
    and the agencies and region readings those rows had in either version."""
    for state in (old, new):  # NIP order: a repeated NIP sits next to itself
        if len(state.nip) > 1 and bool((state.nip[1:] == state.nip[:-1]).any()):
            raise StateUnusable("a registry version repeats a NIP: rows cannot be paired")
    old_ids, new_ids = _group_ids(old, new)
    common, i_old, i_new = np.intersect1d(old.nip, new.nip, assume_unique=True, return_indices=True)
    differs = (old.fp[i_old] != new.fp[i_new]) | (old_ids[old.group[i_old]] != new_ids[new.group[i_new]])
    only_old = np.setdiff1d(np.arange(len(old.nip)), i_old, assume_unique=True)
    only_new = np.setdiff1d(np.arange(len(new.nip)), i_new, assume_unique=True)
    old_rows = np.concatenate([only_old, i_old[differs]])
    new_rows = np.concatenate([only_new, i_new[differs]])
    nips = np.unique(np.concatenate([old.nip[old_rows], new.nip[new_rows]]))
    old_groups, new_groups = np.unique(old.group[old_rows]), np.unique(new.group[new_rows])
    agencies_ = {str(a) for a in [*old.agency[old_groups], *new.agency[new_groups]] if a is not None}
    regions = {str(r) for r in [*old.region[old_groups], *new.region[new_groups]] if r is not None}
    return RegistryChange(nips, agencies_, regions)


def _within(sorted_values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per [lo, hi) range, whether any of ``sorted_values`` falls inside."""
    return np.searchsorted(sorted_values, hi, side="left") > np.searchsorted(sorted_values, lo, side="left")


def _digits18(q: pd.DataFrame) -> np.ndarray:
    """The written 18 digits of each query as int64, -1 when there are not exactly 18 (stage 2's input)."""
    raw = q["nip_raw"].astype(object).where(q["nip_raw"].notna(), "").astype(str).str.replace(r"[^0-9]", "",
                                                                                              regex=True)
    damaged = q["nip_excel_damaged"].astype(object).fillna(False).astype(bool).to_numpy()
    ok = (raw.str.len() == 18).to_numpy() & ~damaged
    return np.array([int(d) if k else -1 for d, k in zip(raw, ok, strict=True)], dtype=np.int64)


def touched(queries: pd.DataFrame, previous_method: np.ndarray, change: RegistryChange) -> np.ndarray:
    """Per query, whether a registry row it could have seen (given the stage of its previous answer)
    is among the changed ones. Conservative: see the module docstring."""
    n = len(queries)
    hit = np.zeros(n, dtype=bool)
    if not n or (not change.rows and not change.agencies and not change.regions):
        return hit
    q = queries.reset_index(drop=True)
    changed = change.nips
    # Stage 1: the row at the query's NIP.
    nip_int = np.array([int(str(v)) if pd.notna(v) and str(v).isdigit() else -1
                        for v in q["nip"].astype(object).to_numpy()], dtype=np.int64)
    hit |= np.isin(nip_int, changed) & (nip_int >= 0)
    later = previous_method != _NIP_ONLY
    # Stage 2: the written 18 digits, and every NIP one substitution or adjacent transposition away.
    digits = _digits18(q)
    sel = np.flatnonzero(later & (digits >= 0) & ~hit)
    for start in range(0, len(sel), _BATCH):
        part = sel[start:start + _BATCH]
        text = "".join(f"{d:018d}" for d in digits[part])
        mat = np.frombuffer(text.encode(), dtype=np.uint8).reshape(-1, 18) - ord("0")
        variants = persons._repair_variants(mat)
        near = np.isin(variants, changed).any(axis=1) | np.isin(digits[part], changed)
        hit[part] |= near
    wide = later & (previous_method != _NIP_AND_REPAIR) & ~hit
    # Stage 3: the Excel prefix's NIP range, or within 32 of a NIP read back from a float cell.
    for i in np.flatnonzero(wide & q["nip_excel_damaged"].astype(object).fillna(False).astype(bool).to_numpy()):
        prefix = excel_prefix(q.at[i, "nip_raw"])
        if prefix:
            scale = 10 ** (18 - len(prefix))
            hit[i] |= bool(_within(changed, np.array([int(prefix) * scale]), np.array([(int(prefix) + 1) * scale]))[0])
    floats = persons._float_read(q.astype(object))
    sel = np.flatnonzero(wide & (floats >= 0))
    hit[sel] |= _within(changed, floats[sel] - persons.FLOAT_SPACING, floats[sel] + persons.FLOAT_SPACING + 1)
    # Stage 4: the name block (the whole agency, blocks widen inside it; or the region).
    agency = q["kode_instansi"].astype(object).to_numpy() if "kode_instansi" in q else np.full(n, None, object)
    region = q["kode_wilayah"].astype(object).to_numpy() if "kode_wilayah" in q else np.full(n, None, object)
    has_agency = pd.notna(agency)
    in_agency = np.array([str(a) in change.agencies for a in agency], dtype=bool) & has_agency
    in_region = ~has_agency & pd.notna(region) & np.array([str(r) in change.regions for r in region], dtype=bool)
    hit |= wide & (in_agency | in_region)
    return hit


# ---------------------------------------------------------------------------------------- the matcher


class StateUnusable(Exception):
    """The kept state cannot be used (missing, unreadable, other format): match in full."""


class IncrementalMatcher:
    """Person matches kept across runs in ``store`` (module docstring); ``version`` names the
    validated registry version (:func:`registry_version`).

    Pass :meth:`match` where :func:`~pantau.matching.persons.match_persons` would be called.
    ``stats`` holds the figures for the run summary: ``queries``, ``rematched``,
    ``registry_cache`` (``hit``: this version's registry state was kept; ``built``: computed now),
    ``registry_rows_changed`` and ``full_match`` (why every query was matched, or None).
    """

    def __init__(self, store: Store, version: str, prefix: str = STATE) -> None:
        self.store, self.version, self.prefix = store, version, prefix
        self.matcher = matcher_version()
        self.stats: dict[str, Any] = {"registry_version": version, "registry_cache": None, "queries": 0,
                                      "rematched": 0, "registry_rows_changed": None, "full_match": None}

    def _key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts])

    def _state_key(self, version: str) -> str:
        return self._key("registry", version, "state.parquet")

    # -- registry state ---------------------------------------------------------------------------
    def _kept_state(self, version: str) -> RegistryState:
        meta = self.store.get_json(self._key("registry", version, "state.json"))
        if not meta or meta.get("matcher") != self.matcher:
            raise StateUnusable(f"no registry state kept for version {version}")
        state = RegistryState.from_parquet(self.store.get_bytes(self._state_key(version)),
                                           self.store.get_bytes(self._key("registry", version, "groups.parquet")))
        if len(state.nip) != meta.get("rows"):
            raise StateUnusable(f"the registry state of version {version} is incomplete")
        return state

    def _current_state(self, reg: RegistryIndex, needed: bool) -> RegistryState | None:
        """This version's registry state: kept (``hit``), or computed and kept (``built``). When not
        ``needed`` now (same version as the kept matches), only its presence is checked."""
        try:
            if not needed:
                meta = self.store.get_json(self._key("registry", self.version, "state.json"))
                if meta and meta.get("matcher") == self.matcher and self.store.exists(self._state_key(self.version)):
                    self.stats["registry_cache"] = "hit"
                    return None
            else:
                state = self._kept_state(self.version)
                if len(state.nip) == len(reg.nip_int):
                    self.stats["registry_cache"] = "hit"
                    return state
        except Exception as exc:  # noqa: BLE001 - an unreadable state is computed again
            if not isinstance(exc, StateUnusable):
                log.warning("registry state of version %s unreadable (%s): computing it again", self.version,
                            type(exc).__name__)
        state = RegistryState.of(reg)
        self.stats["registry_cache"] = "built"
        try:
            rows, groups = state.to_parquet()
            self.store.put_bytes(self._state_key(self.version), rows)
            self.store.put_bytes(self._key("registry", self.version, "groups.parquet"), groups)
            # Written last: the state counts as kept only once its table is there.
            self.store.put_json(self._key("registry", self.version, "state.json"),
                                {"format": FORMAT, "matcher": self.matcher, "rows": len(state.nip)})
        except Exception as exc:  # noqa: BLE001 - a state that cannot be kept only costs a full match next run
            log.warning("could not keep the registry state of version %s (%s)", self.version, type(exc).__name__)
        return state

    # -- matching -------------------------------------------------------------------------------
    def match(self, queries: pd.DataFrame, reg: RegistryIndex) -> pd.DataFrame:
        """:func:`~pantau.matching.persons.match_persons`, re-matching only what may have changed.

        ``reg`` must carry its region readings (:meth:`RegistryIndex.use_regions`) already.
        """
        hashes = query_hashes(queries)
        self.stats["queries"] = len(queries)
        try:
            kept, previous_version = self._load_matches()
            if previous_version == self.version:
                self._current_state(reg, needed=False)
                change = RegistryChange(np.zeros(0, np.int64))
            else:
                # This version's state first: building it is the step's peak, the old one is read after.
                current = self._current_state(reg, needed=True)
                assert current is not None
                change = registry_change(self._kept_state(previous_version), current)
        except Exception as exc:  # noqa: BLE001 - no usable state: everything is matched afresh
            reason = str(exc) if isinstance(exc, StateUnusable) else f"kept matches unreadable ({type(exc).__name__})"
            self.stats["full_match"] = reason
            if self.stats["registry_cache"] is None:
                self._current_state(reg, needed=True)
            result = match_persons(queries, reg)
            self._save_matches(hashes, result)
            self.stats["rematched"] = len(queries)
            return result
        kept = kept.drop_duplicates("query_hash").set_index("query_hash")
        known = pd.Index(kept.index).get_indexer(hashes)
        previous_method = np.where(known >= 0, kept["person_match"].to_numpy(dtype=object)[np.maximum(known, 0)],
                                   None)
        redo = (known < 0) | touched(queries, previous_method, change)
        result = pd.DataFrame(index=queries.index, columns=RESULT_COLUMNS, dtype=object)
        if redo.any():
            fresh = match_persons(queries.iloc[np.flatnonzero(redo)], reg)
            result.iloc[np.flatnonzero(redo)] = fresh[RESULT_COLUMNS].astype(object).to_numpy()
        reuse = np.flatnonzero(~redo)
        if len(reuse):
            result.iloc[reuse] = kept.iloc[known[reuse]][RESULT_COLUMNS].to_numpy()
        result = _typed(result)
        self.stats["rematched"] = int(redo.sum())
        self.stats["registry_rows_changed"] = change.rows
        self._save_matches(hashes, result)
        return result

    def _load_matches(self) -> tuple[pd.DataFrame, str]:
        pointer = self.store.get_json(self._key("matches", "_current.json"))
        if not pointer:
            raise StateUnusable("no kept matches (first run)")
        if pointer.get("matcher") != self.matcher:
            raise StateUnusable("the matcher changed since the kept matches")
        kept = pq.read_table(io.BytesIO(self.store.get_bytes(pointer["key"]))).to_pandas()
        missing = {"query_hash", *RESULT_COLUMNS} - set(kept.columns)
        if missing or len(kept) != pointer.get("rows"):
            raise StateUnusable("the kept matches are incomplete")
        return kept, str(pointer["registry_version"])

    def _save_matches(self, hashes: np.ndarray, result: pd.DataFrame) -> None:
        frame = result[RESULT_COLUMNS].reset_index(drop=True).astype(object)
        frame.insert(0, "query_hash", hashes)
        key = self._key("matches", f"{uuid.uuid4().hex}.parquet")
        try:
            previous = self.store.get_json(self._key("matches", "_current.json"))
            columns = {c: pa.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                                    for v in frame[c].tolist()], pa.string())
                       for c in frame.columns if c != "match_confidence"}
            columns["match_confidence"] = pa.array(result["match_confidence"].astype(float).to_numpy(), pa.float64())
            self.store.put_bytes(key, _table_bytes(columns))
            self.store.put_json(self._key("matches", "_current.json"),
                                {"format": FORMAT, "key": key, "rows": len(frame), "matcher": self.matcher,
                                 "registry_version": self.version})
            self._prune(previous)
        except Exception as exc:  # noqa: BLE001 - next run then matches in full, nothing is lost
            log.warning("could not keep this run's matches (%s)", type(exc).__name__)

    def _prune(self, previous: dict[str, Any] | None) -> None:
        """Drop kept objects no longer needed: the previous match table, other registry versions' states."""
        if previous and previous.get("key"):
            self.store.delete(previous["key"])
        for key in list(self.store.list(self._key("registry") + "/")):
            if key.split("/")[-2] != self.version:
                self.store.delete(key)


def _typed(result: pd.DataFrame) -> pd.DataFrame:
    """The dtypes :func:`match_persons` gives, whatever mix of kept and fresh rows filled ``result``."""
    template = persons._empty_result(pd.RangeIndex(0))
    out = result.astype(object)
    for column in RESULT_COLUMNS:
        values = out[column].to_numpy(dtype=object)
        values = np.array([None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in values],
                          dtype=object)
        out[column] = pd.Series(values, index=out.index, dtype=object)
    out["match_confidence"] = out["match_confidence"].astype(float)
    return out.astype(template.dtypes.to_dict())

