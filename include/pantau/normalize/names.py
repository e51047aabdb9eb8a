"""Split Indonesian names into titles and core, and build a matching key.

Names arrive with academic and religious titles (``Drs. H. Syafrizal, M.Si``), in old or new
spelling (*Soekarno*/*Sukarno*), and with variants of Muhammad. The *key* folds all of that away
so that the same person written two ways compares equal; the fuzzy matcher works on keys.

Decisions (see the tests for the table of cases):

* Front titles are recognised only as the words in :data:`FRONT_TITLES` followed by a dot or a
  space and more text. The pilgrimage honorific goes in every spelling (``H.``, ``Hj.``, ``Haji``,
  ``Hajjah``): sources add and drop it, and "Hajjah Rini Mardiyah" must meet "Rini Mardiyah" (an
  earlier version kept a written-out *Haji* as part of the name: 79/100 against the name without
  it). A bare ``Ir`` or ``Haji`` with nothing after it is a name, not a title; ``Hendra`` is never
  touched.
* Back titles are stripped when they follow a comma (any known title, or anything shaped like a
  degree abbreviation, e.g. ``S.Tr.Keb``) or end the name after a space (known titles written with
  dots, or the dot-less forms in :data:`_SAFE_DOTLESS` that are not plausible name parts).
* Spelling reform folds (key only). The 1947 and 1972 (EYD) reforms replaced ``oe`` by ``u``,
  ``dj`` by ``j``, ``tj`` by ``c``, ``sj`` by ``sy`` and ``ch`` by ``kh``. ``ch`` is the delicate
  one: in Arabic-origin names it stood for /x/ and before a consonant modern spelling drops it to
  ``h`` (*Achmad* → *Ahmad*, *Rachmat* → *Rahmat*), so ``ch``/``kh`` before a consonant become
  ``h``; ``Chr-`` is Greek/European (*Christina* → *Kristina*) and ``Chandr-`` is Sanskrit
  (*Candra*); every other ``ch`` becomes ``kh`` (*Chairul* → *Khairul*). The old ``j`` = ``y``
  (*Jusuf*/*Yusuf*) is *not* folded: after ``dj`` → ``j`` the two ``j`` can no longer be told apart,
  so that variant is left to fuzzy matching.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["BACK_TITLES", "FRONT_TITLES", "HOUSES", "WEAK_HOUSES", "NamePrefix", "NameParts", "PrefixArrays", "name_key_series",
           "prefix_arrays", "split_name", "split_prefixes"]

FRONT_TITLES: tuple[str, ...] = (
    "Prof.", "Dr.", "Drs.", "Dra.", "Drg.", "dr.", "Hj.", "H.", "Ir.", "K.H.", "KH.", "Ust.", "Ustadz", "Ustazah",
    "Haji", "Hajjah", "Hajah", "Hajji",
    # Health professions put their title in front since the 2014/2019 professional-title rules
    # ("Ns. Siti Aminah, S.Kep.", "apt. Budi, S.Farm.", "Bd. Sri Rahayu"); "Bidan" is also written out.
    "Ns.", "Apt.", "Bd.", "Bidan",
)  # fmt: skip
BACK_TITLES: tuple[str, ...] = (
    "S.Pd.I.", "S.Pd.", "M.Pd.I.", "M.Pd.", "M.Si.", "S.Si.", "S.H.", "M.H.", "M.M.", "S.Kom.", "M.Kom.",
    "A.Md.Kep.", "A.Md.Keb.", "A.Md.", "Ph.D.", "S.E.", "M.E.", "S.Sos.", "S.Kep.", "Ns.", "S.T.", "M.T.",
    "S.IP.", "M.A.P.", "M.AP.", "S.Ag.", "M.Ag.", "Lc.", "S.Psi.", "M.Psi.", "S.Farm.", "Apt.", "M.Kes.",
    "S.K.M.", "S.KM.", "S.Hut.", "S.P.", "S.Pt.", "S.Sn.", "S.Th.", "M.Sc.", "M.A.", "S.Stp.", "M.Ak.",
    "Ak.", "S.Ked.", "Sp.A.", "Sp.PD.", "Sp.OG.", "S.Tr.Keb.", "S.Gz.", "M.Eng.", "MBA.",
    "S.Tr.Kes.", "S.Tr.Kep.", "S.Keb.", "Bd.", "M.Kep.", "S.Kes.", "A.Md.Kes.", "A.Md.Farm.", "A.Md.Gz.",
    "S.I.Kom.", "S.Ds.",
)  # fmt: skip

_FRONT_WORDS = sorted({t.lower().rstrip(".") for t in FRONT_TITLES}, key=len, reverse=True)
_KNOWN_BACK = sorted({t.lower().rstrip(".") for t in BACK_TITLES}, key=len, reverse=True)
# Dot-less spellings accepted at the very end of a name without a comma ("Budi Santoso SE"):
# only those that are not plausible name parts ("Ns", "Lc", "Ak", "Apt", "Ma" ... are left out).
_SAFE_DOTLESS = ("spdi", "spd", "mpd", "msi", "ssi", "sh", "mh", "mm", "skom", "mkom", "amd", "phd",
                 "se", "ssos", "skep", "st", "mt", "sip", "sag", "spsi", "sfarm", "mkes", "skm")  # fmt: skip


def _title_regex(title: str) -> str:
    # "s.pd.i" -> "s\.?\s?pd\.?\s?i": dots and a space after them are optional as people type them.
    parts = [re.escape(p) for p in title.split(".") if p]
    return r"\.?\s?".join(parts)


def _dotted_regex(title: str) -> str:
    # Without a comma only the dotted spelling counts; a one-part title ("Ns.", "Lc.") needs its
    # dot, or a name ending in a word like "Ak" or "Apt" would lose it.
    parts = [re.escape(p) for p in title.split(".") if p]
    return r"\.\s?".join(parts) if len(parts) > 1 else parts[0] + r"\."


_KNOWN_DOTTED_RE = "|".join(_dotted_regex(t) for t in _KNOWN_BACK)
_KNOWN_RE = "|".join(_title_regex(t) for t in _KNOWN_BACK)
_GENERIC_RE = r"(?:[a-z]{1,4}\.\s?){1,4}[a-z]{0,5}"
# One back title at the end: after a comma (any known or degree-shaped), or after a space (dotted
# known, or safe dot-less). Applied repeatedly, so "X, S.Pd., M.Si." loses both. RE2-compatible
# (no look-around) because the vectorised path runs it in Arrow.
_BACK_PATTERN = (
    rf"(?:\s*,\s*(?:{_KNOWN_RE}|{_GENERIC_RE})|\s+(?:{_KNOWN_DOTTED_RE}|{'|'.join(_SAFE_DOTLESS)}))[\s.,]*$"
)
_FRONT_PATTERN = r"^(?:" + "|".join(_title_regex(t) for t in _FRONT_WORDS) + r")(?:\.\s*|\s+)"
_MAX_TITLE_PASSES = 6

_BACK_RE = re.compile(_BACK_PATTERN, re.IGNORECASE)
_FRONT_RE = re.compile(_FRONT_PATTERN, re.IGNORECASE)

_MUHAMMAD_VARIANTS = (
    "muhammad", "muhammat", "muhamad", "muhammed", "mohammad", "mohamad", "mohammed", "mohamed",
    "mochammad", "mochamad", "mochamat", "muchammad", "muchamad", "mukhammad", "mohd", "moch", "moh",
    "muh", "mhd", "m",
)  # fmt: skip

# The key folds, in order. Each is (pattern, replacement) valid for both Python `re` and RE2.
_KEY_FOLDS: tuple[tuple[str, str], ...] = (
    (r"['`]", ""),  # Ma'ruf, Nu'man: the apostrophe is often omitted
    (r"\b(?:" + "|".join(_MUHAMMAD_VARIANTS) + r")\b\.?", " muhammad "),
    (r"[^a-z]+", " "),
    (r"sj", "sy"),
    (r"dj", "j"),
    (r"\bchr", "kr"),
    (r"\bchandr", "candr"),
    (r"[ck]h([bcdfgjklmnpqrstvwxyz])", r"h\1"),
    (r"ch", "kh"),
    (r"tj", "c"),
    (r"oe", "u"),
    (r"\s+", " "),
    (r"^ | $", ""),
)
_KEY_FOLDS_RE = tuple((re.compile(p), r) for p, r in _KEY_FOLDS)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class NameParts:
    """A name split into titles and core, plus its matching key."""

    raw: str
    front_titles: tuple[str, ...]
    core: str
    back_titles: tuple[str, ...]
    key: str


def _ascii_lower(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return _SPACES.sub(" ", _NON_ASCII.sub("", folded).lower()).strip()


def _fold_key(lowered: str) -> str:
    for pattern, repl in _KEY_FOLDS_RE:
        lowered = pattern.sub(repl, lowered)
    return lowered


def _title_case(text: str) -> str:
    # str.title() would give "Ma'Ruf"; capitalise only after spaces and hyphens.
    return re.sub(r"(^|[\s\-])([a-z])", lambda m: m.group(1) + m.group(2).upper(), text.lower())


def _clean_title(text: str) -> str:
    return _SPACES.sub(" ", text.strip(" ,"))


def _strip_titles_text(text: str) -> tuple[list[str], str, list[str]]:
    """Return (front titles, remaining text, back titles) using the shared title patterns."""
    back: list[str] = []
    for _ in range(_MAX_TITLE_PASSES):
        m = _BACK_RE.search(text)
        if not m:
            break
        back.insert(0, _clean_title(m.group(0)))
        text = text[: m.start()]
    front: list[str] = []
    for _ in range(_MAX_TITLE_PASSES):
        m = _FRONT_RE.match(text)
        if not m:
            break
        front.append(_clean_title(m.group(0)))
        text = text[m.end() :]
    return front, text, back


def _name_key(text: str) -> str:
    # Titles are stripped again on the ASCII-folded text, exactly as name_key_series does, so the
    # scalar and vectorised keys agree even when accented letters sit next to a title.
    return _fold_key(_strip_titles_text(_ascii_lower(text))[1])


def split_name(raw: object) -> NameParts:
    """Split ``raw`` into front titles, core name and back titles; never raises.

    ``None`` and NaN give empty parts and an empty key (the caller quarantines ``empty_name``).
    """
    text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw)
    work = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    front, core, back = _strip_titles_text(work)
    return NameParts(
        raw=text,
        front_titles=tuple(front),
        core=_title_case(_SPACES.sub(" ", core).strip(" ,")),
        back_titles=tuple(back),
        key=_name_key(text),
    )


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _on_subset(arr: pa.Array, mask: np.ndarray, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """Apply ``fn`` only to the rows in ``mask``: most names need no work for most steps."""
    if not mask.any():
        return arr
    changed = fn(arr.filter(pa.array(mask)))
    return pc.replace_with_mask(arr, pa.array(mask), changed.cast(arr.type))


def _strip_titles(arr: pa.Array, pattern: str) -> pa.Array:
    for _ in range(_MAX_TITLE_PASSES):
        hit = _mask(pc.match_substring_regex(arr, pattern))
        if not hit.any():
            break
        arr = _on_subset(arr, hit, lambda a: pc.replace_substring_regex(a, pattern, "", max_replacements=1))
    return arr


def _fold_key_arrow(arr: pa.Array) -> pa.Array:
    """Arrow version of :func:`_fold_key`; same result, cheaper operations (literals, subsets)."""
    arr = pc.replace_substring(pc.replace_substring(arr, "'", ""), "`", "")
    muhammad, muhammad_repl = _KEY_FOLDS[1]
    arr = _on_subset(
        arr,
        _mask(pc.match_substring_regex(arr, muhammad)),
        lambda a: pc.replace_substring_regex(a, muhammad, muhammad_repl),
    )
    arr = _on_subset(
        arr,
        _mask(pc.match_substring_regex(arr, "[^a-z ]")),
        lambda a: pc.replace_substring_regex(a, "[^a-z ]+", " "),
    )
    arr = pc.replace_substring(pc.replace_substring(arr, "sj", "sy"), "dj", "j")
    has_ch = _mask(pc.match_substring(arr, "ch")) | _mask(pc.match_substring(arr, "kh"))

    def ch_rules(a: pa.Array) -> pa.Array:
        for pattern, repl in _KEY_FOLDS[5:8]:
            a = pc.replace_substring_regex(a, pattern, repl)
        return pc.replace_substring(a, "ch", "kh")

    arr = _on_subset(arr, has_ch, ch_rules)
    arr = pc.replace_substring(pc.replace_substring(arr, "tj", "c"), "oe", "u")
    arr = _on_subset(
        arr, _mask(pc.match_substring(arr, "  ")), lambda a: pc.replace_substring_regex(a, " +", " ")
    )
    return pc.utf8_trim(arr, characters=" ")


SLICE_ROWS = 500_000


def name_key_series(s: pd.Series) -> pd.Series:
    """Vectorised ``split_name(x).key`` over a Series (``str`` dtype, same index).

    Runs the same RE2-compatible title patterns as :func:`split_name` in Arrow over the whole
    column, restricting each step to the rows it can change; missing values give an empty key,
    as in the scalar function. Equivalence with the scalar path is tested on a fuzzed corpus.
    """
    if len(s) > SLICE_ROWS:
        # Arrow kernels hand back ChunkedArrays on very large inputs, which the masked replacements
        # below cannot take; slices keep every step on one contiguous array (and memory flat).
        return pd.concat([name_key_series(s.iloc[i:i + SLICE_ROWS]) for i in range(0, len(s), SLICE_ROWS)])
    if isinstance(s.dtype, pd.StringDtype):
        arr = pa.array(s.array, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):  # pyarrow-backed columns after a concat
            arr = arr.combine_chunks()
    else:
        values = s.astype(object).where(s.notna(), None).to_numpy(dtype=object)
        arr = pa.array([v if v is None else str(v) for v in values], type=pa.large_string())
    arr = pc.fill_null(arr.cast(pa.large_string()), "")
    arr = _on_subset(
        arr,
        ~_mask(pc.string_is_ascii(arr)),
        lambda a: pc.replace_substring_regex(pc.utf8_normalize(a, form="NFKD"), r"[^\x00-\x7f]", ""),
    )
    arr = pc.ascii_lower(arr)
    arr = _on_subset(
        arr,
        _mask(pc.match_substring_regex(arr, r"\s\s|[\t\n\r\f\v]")),
        lambda a: pc.replace_substring_regex(a, r"\s+", " "),
    )
    arr = pc.utf8_trim(arr, characters=" ")
    arr = _strip_titles(arr, _BACK_PATTERN)
    arr = _strip_titles(arr, _FRONT_PATTERN)
    return pd.Series(_fold_key_arrow(arr), index=s.index, dtype="str", name=s.name)


# --- Name prefixes ------------------------------------------------------------------------------
# Prefixes of Indonesian naming traditions (Balinese I/Ni + birth order, Ida Bagus, Anak Agung; Bugis
# Andi; Buton La/Wa (Ode); Aceh Teuku/Cut; Malay Tengku, Raja, Wan; Javanese Raden (Mas/Ajeng/Roro);
# Arab-Indonesian Said/Syarifah) carry gender, birth order and lineage, and one source often drops or
# abbreviates them ("Wayan Sudarsana" for "I Wayan Sudarsana", "T. Rizal" for "Teuku Rizal"). They
# are data (data/name_prefixes.json), parsed off the *key* so both sides of a comparison agree, and
# compared as weighted features by the matcher instead of as characters.

GENDER_CODES = {"L": 1, "P": 2}


@dataclass(frozen=True)
class NamePrefix:
    """What a name's leading prefixes say: 0 = nothing said.

    ``gender`` 1 male / 2 female (the NIP's digit-15 convention), ``order`` Balinese birth order
    1-4, ``house`` an index into :data:`HOUSES` (1-based), ``initial`` the letter of an abbreviated
    prefix ("T." -> ``t``) when no full form was written.
    """

    text: str = ""
    gender: int = 0
    order: int = 0
    house: int = 0
    initial: str = ""


def _load_prefixes() -> tuple[dict[str, dict[str, object]], tuple[str, ...], frozenset[str]]:
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).with_name("data") / "name_prefixes.json").read_text(encoding="utf-8"))
    forms = {str(f["form"]): f for f in data["forms"]}
    houses = tuple(sorted({str(f["house"]) for f in data["forms"] if f.get("house")}))
    return forms, houses, frozenset(data["initials"]["letters"])


_PREFIX_FORMS, HOUSES, _PREFIX_INITIALS = _load_prefixes()
#: Houses only implied by a prefix (Balinese I/Ni: a commoner), which any explicit house overrides.
WEAK_HOUSES: frozenset[int] = frozenset(HOUSES.index(str(f["house"])) + 1 for f in _PREFIX_FORMS.values()
                                        if f.get("weak") and f.get("house"))
#: Letters an abbreviated prefix of each house starts with ("a" for andi and anak agung).
HOUSE_LETTERS: dict[int, frozenset[str]] = {
    i + 1: frozenset(f[0] for f, d in _PREFIX_FORMS.items() if d.get("house") == h) | {h[0]}
    for i, h in enumerate(HOUSES)
}
_FORM_ALTERNATION = "|".join(re.escape(f) for f in sorted(_PREFIX_FORMS, key=len, reverse=True))
_INITIAL_ALTERNATION = "|".join(sorted(_PREFIX_INITIALS))
# Leading run of prefix forms (or a prefix initial), each followed by a space. RE2-compatible.
PREFIX_PATTERN = rf"^((?:(?:{_FORM_ALTERNATION}|{_INITIAL_ALTERNATION}) )+)"
_PREFIX_RE = re.compile(PREFIX_PATTERN)
# "Dg." inside a Makassar name ("Baso Dg. Nai") is the same word as "Daeng".
_DAENG_RE = re.compile(r"\bdg\b")
# Trailing parts set aside: a patronym ("bin Yusuf") and a daeng name after the given names.
_PATRONYM_RE = re.compile(r" (bin|binti) .+$")
_DAENG_NAME_RE = re.compile(r" daeng [a-z]+$")
#: Literal markers of keys :func:`split_prefixes` may change beyond a leading prefix.
SUFFIX_MARKERS = (" bin ", " binti ", "daeng", "dg")


def _parse_prefix_text(text: str) -> NamePrefix:
    """Features of a run of prefix tokens (the text :data:`PREFIX_PATTERN` captured)."""
    tokens = text.split()
    gender = order = house = 0
    initial = ""
    i = 0
    while i < len(tokens):
        for width in (3, 2, 1):
            form = " ".join(tokens[i:i + width])
            if len(tokens) - i >= width and form in _PREFIX_FORMS:
                found = _PREFIX_FORMS[form]
                gender = GENDER_CODES.get(str(found.get("gender", "")), gender) or gender
                order = int(found.get("order", 0) or 0) or order  # type: ignore[call-overload]
                if found.get("house") and (not house or house in WEAK_HOUSES):
                    code = HOUSES.index(str(found["house"])) + 1
                    house = house if house and code in WEAK_HOUSES else code
                i += width
                break
        else:
            if not initial and not house:
                initial = tokens[i]
            i += 1
    return NamePrefix(text.strip(), gender, order, house, initial if not house or house in WEAK_HOUSES else "")


def split_prefixes(key: str) -> tuple[str, NamePrefix]:
    """(core key without leading prefixes and trailing name parts, their features) for one name key.

    Besides the leading prefixes, two trailing parts are set aside because sources add or drop them:
    a patronym (``bin Yusuf``, ``binti Yusuf``: male / female) and a Makassar daeng name
    (``Daeng Nai``, ``Dg. Nai``), which counts as the ``daeng`` house. A name made only of prefix
    words ("I Ketut") keeps its last word as core: something must be compared.
    """
    key = _DAENG_RE.sub("daeng", key)
    m = _PREFIX_RE.match(key)
    core, prefix = (key, NamePrefix()) if not m else (key[len(m.group(1)):].strip() or key,
                                                      _parse_prefix_text(m.group(1)))
    gender, house = prefix.gender, prefix.house
    patronym = _PATRONYM_RE.search(core)
    if patronym:
        core = core[: patronym.start()]
        gender = gender or GENDER_CODES["P" if patronym.group(1) == "binti" else "L"]
    daeng = _DAENG_NAME_RE.search(core)
    if daeng:
        core = core[: daeng.start()]
        house = house or HOUSES.index("daeng") + 1
    if (gender, house) != (prefix.gender, prefix.house):
        prefix = NamePrefix(prefix.text, gender, prefix.order, house, prefix.initial if not house else "")
    return core, prefix


@dataclass
class PrefixArrays:
    """:func:`split_prefixes` over many keys, as columns (see :class:`NamePrefix` for the codes)."""

    core: pa.Array  # large_string: core keys
    gender: np.ndarray  # int8
    order: np.ndarray  # int8
    house: np.ndarray  # int16
    initial: np.ndarray  # uint8, 0 or the ASCII code of the initial's letter

    def take(self, rows: np.ndarray) -> PrefixArrays:
        return PrefixArrays(self.core.take(pa.array(rows)), self.gender[rows], self.order[rows],
                            self.house[rows], self.initial[rows])




def prefix_arrays(keys: pa.Array | pd.Series | list[str]) -> PrefixArrays:
    """:func:`split_prefixes` over many keys: one anchored regex pass and a few literal searches in
    Arrow find the keys it can change; those are parsed once per distinct key."""
    if isinstance(keys, pd.Series):
        arr = pa.array(keys.fillna("").astype(str).to_numpy(dtype=object), type=pa.large_string())
    elif isinstance(keys, list):
        arr = pa.array(keys, type=pa.large_string())
    else:
        arr = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        arr = pc.fill_null(arr.cast(pa.large_string()), "")
    n = len(arr)
    gender, order = np.zeros(n, np.int8), np.zeros(n, np.int8)
    house, initial = np.zeros(n, np.int16), np.zeros(n, np.uint8)
    hit = _mask(pc.match_substring_regex(arr, PREFIX_PATTERN))
    for marker in SUFFIX_MARKERS:
        hit |= _mask(pc.match_substring(arr, marker))
    core = arr
    if hit.any():
        rows = np.flatnonzero(hit)
        codes, distinct = pd.factorize(arr.filter(pa.array(hit)).to_numpy(zero_copy_only=False))
        parsed = [split_prefixes(str(k)) for k in distinct]
        gender[rows] = np.array([p.gender for _, p in parsed], np.int8)[codes]
        order[rows] = np.array([p.order for _, p in parsed], np.int8)[codes]
        house[rows] = np.array([p.house for _, p in parsed], np.int16)[codes]
        initial[rows] = np.array([ord(p.initial) if p.initial else 0 for _, p in parsed], np.uint8)[codes]
        cores = pa.array([c for c, _ in parsed], type=pa.large_string()).take(pa.array(codes))
        core = pc.replace_with_mask(arr, pa.array(hit), cores)
    return PrefixArrays(core, gender, order, house, initial)
