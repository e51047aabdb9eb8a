"""Controlled vocabularies (categories, sanctions, proven flag, statuses, ASN types) and mapping with evidence.

Agencies do not write the official labels: exports say "Medsos Interaksi" for the long label of
``MEDSOS_INTERAKSI``, decrees say "Hukdis berat" for "Hukuman disiplin berat". The accepted
spellings are data (``data/vocabularies.csv`` plus the site's own rows under
``PANTAU_REFERENCE_DIR``), and :func:`map_values` turns any text into a code *with the evidence*:

* ``exact``: the value is the code or its official label (case, punctuation, spacing and
  diacritics ignored);
* ``synonym``: the value is a listed synonym or abbreviation;
* ``fuzzy``: no listed spelling, but one code's spellings are clearly the closest (rapidfuzz score at
  least :data:`FUZZY_ACCEPT` and :data:`FUZZY_MARGIN` points ahead of every other code);
* ``unknown``: nothing close enough; the code is null and the raw value is kept for a steward;
* ``empty``: no value (blank, or a listed "no value" spelling such as ``-`` for the proven flag).

The raw value is never replaced: callers keep it beside the code (``<column>_raw``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from pantau.exceptions import ConfigError
from pantau.reference.agency_types import read_reference_csv
from pantau.settings import reference_dir

__all__ = [
    "FUZZY_ACCEPT", "FUZZY_MARGIN", "METHODS", "VOCABULARIES", "Match", "Vocabulary", "apply_vocabularies",
    "clear_cache", "codes",
    "describe", "label", "labels", "load_vocabularies", "map_value", "map_values", "mapping_text", "normalize_key",
    "parse_mapping", "vocabulary",
]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
FILE_NAME = "vocabularies.csv"
COLUMNS = ("vocabulary", "code", "spelling", "kind", "note")
#: Every vocabulary the pipelines read; a row naming another one is a typo and fails loading.
VOCABULARIES: tuple[str, ...] = ("category", "sanction", "proven", "case_status", "case_jenis", "jenis_asn",
                                 "registry_status")
#: kind -> mapping method of a value written that way.
KINDS: dict[str, str] = {"label": "exact", "code": "exact", "synonym": "synonym", "abbreviation": "synonym",
                         "empty": "empty"}
METHODS: tuple[str, ...] = ("exact", "synonym", "fuzzy", "unknown", "empty")

#: A fuzzy candidate must score at least this (0-100) ...
FUZZY_ACCEPT = 90.0
#: ... and lead the best spelling of any *other* code by this many points; otherwise it is unknown.
#: "Hukuman disiplin sedang" and "Hukuman disiplin berat" differ by one word, so a value close to
#: both must stay unknown rather than be guessed.
FUZZY_MARGIN = 6.0
#: Values shorter than this (after normalising) are only looked up, never fuzzy-matched: "Y" and
#: "T" are one keystroke apart and mean opposite things.
FUZZY_MIN_LENGTH = 4
# token_set_ratio scores a value that merely *contains* a spelling at 100; it is discounted so a
# whole-string match always wins, and only used for spellings long enough to carry meaning.
_TOKEN_SET_WEIGHT = 0.95
_TOKEN_SET_MIN_SPELLING = 3
# Words that turn a phrase into its opposite or a different thing, folded to one form. A value and
# a spelling that differ in these are never fuzzy-matched: "Pemberhentian dengan hormat" is not
# "Pemberhentian tidak dengan hormat", "Belum terbukti" is not "Terbukti", "Diberhentikan sementara"
# (suspended, still in service) is not "Diberhentikan", "Hukuman disiplin ringan" is no listed level.
_MODIFIERS = {"tidak": "tidak", "tdk": "tidak", "tak": "tidak", "belum": "belum", "blm": "belum",
              "bukan": "bukan", "tanpa": "tanpa", "non": "non", "batal": "batal", "dibatalkan": "batal",
              "sementara": "sementara", "sebagian": "sebagian", "diduga": "diduga", "dugaan": "diduga",
              "janda": "janda", "duda": "duda", "ringan": "ringan"}
_NON_WORD = re.compile(r"[\W_]+")
_MEMO_LIMIT = 20_000


def normalize_key(value: object) -> str:
    """The comparison form of a spelling: lower case, no diacritics, words separated by one space.

    Punctuation separates words ("Like/komen/share" -> "like komen share", "25%" -> "25"). A value
    made only of punctuation keeps it ("-"), so a vocabulary can give "-" a meaning.
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    key = " ".join(_NON_WORD.sub(" ", text).split())
    return key or "".join(text.split())


def _modifiers(key: str) -> frozenset[str]:
    return frozenset(_MODIFIERS[w] for w in key.split() if w in _MODIFIERS)


@dataclass(frozen=True)
class Match:
    """How one raw value maps: its code (None unless exact/synonym/fuzzy), method and confidence.

    For an unknown value, ``suggestion`` / ``suggestion_score`` name the closest code anyway (for
    stewards deciding which synonym to add); they are never used as the value.
    """

    code: str | None
    method: str
    confidence: float
    suggestion: str | None = None
    suggestion_score: float | None = None


_EMPTY = Match(None, "empty", 0.0)


@dataclass
class Vocabulary:
    """One loaded vocabulary: its codes with official labels, and every accepted spelling."""

    name: str
    #: code -> official label, in file order.
    labels: dict[str, str]
    #: normalised spelling -> (code or None for "no value", method).
    spellings: dict[str, tuple[str | None, str]]
    _fuzzy_keys: list[str] = field(default_factory=list, repr=False)
    _fuzzy_codes: list[str] = field(default_factory=list, repr=False)
    _fuzzy_modifiers: list[frozenset[str]] = field(default_factory=list, repr=False)
    _memo: dict[str, Match] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for key, (code, _method) in self.spellings.items():
            if code is not None:
                self._fuzzy_keys.append(key)
                self._fuzzy_codes.append(code)
                self._fuzzy_modifiers.append(_modifiers(key))

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def lookup(self, raw: object) -> Match:
        """Map one raw value (any type; None and blank are empty)."""
        if raw is None or raw is pd.NA or (isinstance(raw, float) and np.isnan(raw)):
            return _EMPTY
        text = str(raw).strip()
        if not text:
            return _EMPTY
        key = normalize_key(text)
        hit = self.spellings.get(key)
        if hit is not None:
            code, method = hit
            return Match(code, method, 1.0 if code is not None else 0.0)
        memo = self._memo.get(key)
        if memo is None:
            memo = self._fuzzy(key)
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = memo
        return memo

    def _fuzzy(self, key: str) -> Match:
        if not self._fuzzy_keys:
            return Match(None, "unknown", 0.0)
        modifiers = _modifiers(key)
        best: dict[str, float] = {}
        for spelling, code, spelling_modifiers in zip(self._fuzzy_keys, self._fuzzy_codes, self._fuzzy_modifiers,
                                                      strict=True):
            if spelling_modifiers != modifiers:
                continue
            score = max(fuzz.ratio(key, spelling), fuzz.token_sort_ratio(key, spelling))
            if len(spelling) >= _TOKEN_SET_MIN_SPELLING:
                score = max(score, _TOKEN_SET_WEIGHT * fuzz.token_set_ratio(key, spelling))
            if score > best.get(code, -1.0):
                best[code] = score
        if not best:
            return Match(None, "unknown", 0.0)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        top_code, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if len(key) >= FUZZY_MIN_LENGTH and top >= FUZZY_ACCEPT and top - runner_up >= FUZZY_MARGIN:
            return Match(top_code, "fuzzy", round(top / 100.0, 4))
        return Match(None, "unknown", 0.0, top_code, round(top / 100.0, 4))


# -- loading ------------------------------------------------------------------------------------------
@dataclass
class _Draft:
    """Rows of one file, checked and turned into per-vocabulary labels and spellings."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    spellings: dict[str, dict[str, tuple[str | None, str, str]]] = field(default_factory=dict)


def _parse_file(path: Path, known_codes: Mapping[str, set[str]]) -> _Draft:
    """Check one file's rows. ``known_codes`` are codes declared before (the shipped file)."""
    draft = _Draft()
    rows = read_reference_csv(path, [c for c in COLUMNS if c != "note"])
    # Labels first: they declare the codes the other rows may use.
    for number, row in rows:
        where = f"{path}:{number}"
        name, code, spelling, kind = row["vocabulary"], row["code"], row["spelling"], row["kind"]
        if name not in VOCABULARIES:
            raise ConfigError(f"{where}: unknown vocabulary {name!r}; known: {', '.join(VOCABULARIES)}")
        if kind not in KINDS:
            raise ConfigError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        if not spelling:
            raise ConfigError(f"{where}: the spelling is empty")
        if (kind == "empty") != (code == ""):
            raise ConfigError(f"{where}: a row of kind 'empty' has no code, every other row has one")
        if kind != "label":
            continue
        if code in known_codes.get(name, set()) or code in draft.labels.get(name, {}):
            raise ConfigError(f"{where}: code {code!r} of {name} already has its official label; add the "
                              "spelling as a synonym instead")
        draft.labels.setdefault(name, {})[code] = spelling
    for number, row in rows:
        where = f"{path}:{number}"
        name, code, spelling, kind = row["vocabulary"], row["code"], row["spelling"], row["kind"]
        declared = known_codes.get(name, set()) | set(draft.labels.get(name, {}))
        if code and code not in declared:
            raise ConfigError(f"{where}: code {code!r} is not a {name} code (known: {', '.join(sorted(declared))}); "
                              "declare a new code with a row of kind 'label' first")
        key = normalize_key(spelling)
        table = draft.spellings.setdefault(name, {})
        previous = table.get(key)
        value = (code or None, KINDS[kind], where)
        if previous is not None and previous[0] != value[0]:
            raise ConfigError(f"{where}: {spelling!r} of {name} means {code or 'no value'} here but "
                              f"{previous[0] or 'no value'} at {previous[2]}; one spelling, one meaning")
        if previous is None or KINDS[kind] == "exact":
            table[key] = value
    return draft


def _merge(shipped: _Draft, site: _Draft | None) -> dict[str, Vocabulary]:
    vocabularies: dict[str, Vocabulary] = {}
    for name in VOCABULARIES:
        labels = dict(shipped.labels.get(name, {}))
        spellings = dict(shipped.spellings.get(name, {}))
        if site is not None:
            labels.update(site.labels.get(name, {}))
            for key, value in site.spellings.get(name, {}).items():
                if key in spellings and spellings[key][0] != value[0]:
                    # The site knows its own agencies' wording best: its row wins, visibly.
                    log.info("%s: %r now means %s (was %s at %s)", value[2], key, value[0], spellings[key][0],
                             spellings[key][2])
                spellings[key] = value
        # Every code is also a spelling of itself ("MEDSOS_INTERAKSI", "Medsos Interaksi", "true").
        for code in labels:
            spellings.setdefault(normalize_key(code), (code, "exact", "code"))
        if not labels:
            raise ConfigError(f"vocabulary {name} has no codes: {DATA_DIR / FILE_NAME} is incomplete")
        vocabularies[name] = Vocabulary(name, labels, {k: (c, m) for k, (c, m, _w) in spellings.items()})
    return vocabularies


@lru_cache(maxsize=8)
def _load(site_dir: str | None) -> dict[str, Vocabulary]:
    shipped = _parse_file(DATA_DIR / FILE_NAME, {})
    site = None
    if site_dir is not None and (Path(site_dir) / FILE_NAME).is_file():
        known = {name: set(codes) for name, codes in shipped.labels.items()}
        site = _parse_file(Path(site_dir) / FILE_NAME, known)
    return _merge(shipped, site)


def load_vocabularies() -> dict[str, Vocabulary]:
    """Every vocabulary: the shipped file plus ``PANTAU_REFERENCE_DIR/vocabularies.csv`` when present.

    Loaded and checked once per process and reference folder (see :func:`clear_cache`).

    Raises:
        ConfigError: a row names an unknown vocabulary, kind or code, or gives one spelling two meanings.
    """
    folder = reference_dir()
    return _load(str(folder) if folder else None)


def clear_cache() -> None:
    """Forget loaded vocabularies, so an edited file is read again (tests; a long-lived process)."""
    _load.cache_clear()


def vocabulary(name: str) -> Vocabulary:
    try:
        return load_vocabularies()[name]
    except KeyError:
        raise KeyError(f"unknown vocabulary {name!r}; known: {', '.join(VOCABULARIES)}") from None


def codes(name: str) -> tuple[str, ...]:
    """The codes of a vocabulary, in file order."""
    return vocabulary(name).codes


def labels(name: str) -> dict[str, str]:
    """Code -> official label."""
    return dict(vocabulary(name).labels)


def label(name: str, code: object) -> str | None:
    """The official label of ``code``; None when ``code`` is not one of the vocabulary's codes."""
    return vocabulary(name).labels.get(code) if isinstance(code, str) else None


# -- mapping ------------------------------------------------------------------------------------------
def map_value(name: str, value: object) -> Match:
    """Map one value; see :func:`map_values`."""
    return vocabulary(name).lookup(value)


def _map(name: str, values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(code, method, confidence, mapping text) arrays; every distinct value is looked up once."""
    vocab = vocabulary(name)
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    found = [vocab.lookup(v) for v in uniques]
    found.append(_EMPTY)  # position -1: missing values
    take = np.where(positions < 0, len(found) - 1, positions)
    return (np.array([m.code for m in found], dtype=object)[take],
            np.array([m.method for m in found], dtype=object)[take],
            np.array([m.confidence for m in found], dtype=float)[take],
            np.array([mapping_text(m.method, m.confidence) for m in found], dtype=object)[take])


def map_values(name: str, values: pd.Series) -> pd.DataFrame:
    """Map every value of ``values`` to the vocabulary's codes, with the evidence.

    Returns a frame on the same index with ``code`` (object: a code or None), ``method`` (one of
    :data:`METHODS`) and ``confidence`` (float in [0, 1]: 1 for exact and synonym, the similarity for
    fuzzy, 0 for unknown and empty). Each distinct value is evaluated once, so 50k rows holding a few
    dozen spellings cost a few dozen lookups.
    """
    code, method, confidence, _text = _map(name, values)
    return pd.DataFrame({"code": code, "method": method, "confidence": confidence}, index=values.index)


def mapping_text(method: str, confidence: float) -> str:
    """The ``<column>_mapping`` cell: ``"method:confidence"`` (``"fuzzy:0.93"``, ``"exact:1.00"``)."""
    return f"{method}:{confidence:.2f}"


def _as_raw(values: pd.Series) -> pd.Series:
    # Tables staged before vocabularies held the value itself (text, or a boolean for the proven flag).
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(object).map({True: "true", False: "false"})
    return values


def apply_vocabularies(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """Map each ``column -> vocabulary`` of a staged frame, keeping the evidence beside it.

    The source's value is read from ``<column>_raw`` (or, for rows staged before vocabularies existed,
    from ``<column>`` itself) and never changed; ``<column>`` receives the code (the proven flag a
    boolean, null when unknown or empty) and ``<column>_mapping`` the ``"method:confidence"`` text.
    Mapping again from the raw values is idempotent, and picks up synonyms added since.
    """
    updates: dict[str, Any] = {}
    for column, name in columns.items():
        raw_column = f"{column}_raw"
        if raw_column in frame:
            raw = frame[raw_column]
            if column in frame and raw.isna().any():
                raw = raw.astype(object).where(raw.notna(), _as_raw(frame[column]))
        elif column in frame:
            raw = _as_raw(frame[column])
        else:
            raise KeyError(f"neither {column} nor {raw_column} is a column of the frame")
        code, _method, _confidence, text = _map(name, raw)
        canonical: Any = code
        if name == "proven":
            canonical = pd.array([None if c is None else c == "true" for c in code], dtype="boolean")
        updates[column] = canonical
        updates[raw_column] = raw
        updates[f"{column}_mapping"] = text
    return frame.assign(**updates)


def parse_mapping(text: object) -> tuple[str | None, float | None]:
    """``"fuzzy:0.93"`` -> ``("fuzzy", 0.93)``; anything else -> ``(None, None)``."""
    if not isinstance(text, str) or ":" not in text:
        return None, None
    method, _, number = text.partition(":")
    try:
        return method, float(number)
    except ValueError:
        return method, None


def describe(name: str) -> dict[str, Any]:
    """A vocabulary as plain data (codes, labels, spelling counts) for summaries and docs."""
    vocab = vocabulary(name)
    per_code: dict[str, int] = {}
    for code, _method in vocab.spellings.values():
        if code is not None:
            per_code[code] = per_code.get(code, 0) + 1
    return {"name": name, "codes": list(vocab.codes), "labels": dict(vocab.labels), "spellings": per_code}
