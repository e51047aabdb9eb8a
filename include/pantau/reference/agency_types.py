"""Agency-type abbreviations as data: ``Disdik`` → ``dinas pendidikan``, ``Pemkab`` → ``pemerintah kabupaten``.

The table lives in ``data/agency_types.csv`` (columns and how to extend it: ``data/README.md``); a
folder named by ``PANTAU_REFERENCE_DIR`` may hold an ``agency_types.csv`` whose rows add to or replace
the shipped ones by abbreviation. This module also owns the text tokeniser the region lookups use,
so that an agency text and a region name are cut into words the same way.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pantau.exceptions import ConfigError
from pantau.settings import reference_dir

__all__ = ["AgencyTypeEntry", "AgencyTypes", "Token", "fold", "load_agency_types", "read_reference_csv",
           "tokenize"]

DATA_DIR = Path(__file__).resolve().parent / "data"
AGENCY_TYPES_FILE = "agency_types.csv"
#: ``government``: the whole regional government (Pemkab, Setda); ``unit``: an office inside it (Dinas,
#: RSUD, SDN, Kecamatan); ``level``: the tier word (Kab., Prov.); ``name``: words abbreviated inside region
#: names (``Kep.`` for Kepulauan).
KINDS = ("government", "unit", "level", "name")
_COLUMNS = ("abbreviation", "expansion", "kind")
OPTIONAL_COLUMNS = ("note",)

_WORD = re.compile(r"[a-z0-9]+")
# Punctuation that separates two phrases: a region name never runs across it ("Kota Padang, Panjang Utara").
_BREAK = re.compile(r"[,;:()\[\]{}/|\\\n]")
_GLUED = re.compile(r"[a-z]+|[0-9]+")


class Token(NamedTuple):
    """A word of a text: its normalised form, where it came from in the original text, its phrase."""

    text: str
    start: int
    end: int
    segment: int


def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)[:1].lower()
    return base if base.isascii() and len(base) == 1 else " "


def fold(text: str) -> str:
    """Lower-case ASCII form of ``text`` with the same length (``é`` → ``e``), so offsets stay valid."""
    if text.isascii():
        return text.lower()
    return "".join(ch.lower() if ch.isascii() else _fold_char(ch) for ch in text)


def tokenize(text: object, keep: frozenset[str] = frozenset()) -> list[Token]:
    """Words of ``text`` (lower case, diacritics folded, punctuation dropped) with their offsets.

    A word gluing letters to digits (``SDN3``) is cut in two unless it is in ``keep`` (abbreviations
    such as ``DP3A`` that contain digits on purpose).
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    raw = str(text)
    folded = fold(raw)
    out: list[Token] = []
    segment = 0
    last_end = 0
    for m in _WORD.finditer(folded):
        if out and _BREAK.search(folded, last_end, m.start()):
            segment += 1
        word = m.group()
        if not word.isalpha() and not word.isdigit() and word not in keep:  # letters glued to digits
            for part in _GLUED.finditer(word):
                out.append(Token(part.group(), m.start() + part.start(), m.start() + part.end(), segment))
        else:
            out.append(Token(word, m.start(), m.end(), segment))
        last_end = m.end()
    return out


def _key(text: str) -> tuple[str, ...]:
    return tuple(t.text for t in tokenize(text, keep=frozenset(_WORD.findall(fold(text)))))


def read_reference_csv(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a reference CSV with their line numbers; a wrong header is a one-sentence ConfigError."""
    required = tuple(required)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            unknown = [h for h in header if h not in required and h not in OPTIONAL_COLUMNS]
            if missing or unknown:
                problem = (f"missing column(s) {', '.join(missing)}" if missing
                           else f"unknown column(s) {', '.join(unknown)}")
                raise ConfigError(f"{path} line 1: {problem}; the columns are {', '.join(required)} "
                                  f"(and optionally {', '.join(OPTIONAL_COLUMNS)})")
            reader.fieldnames = header
            rows = []
            for row in reader:
                if None in row:
                    raise ConfigError(f"{path} line {reader.line_num}: the row has more cells than the header")
                values = {k: (v or "").strip() for k, v in row.items()}
                if any(values.values()):
                    rows.append((reader.line_num, values))
            return rows
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise ConfigError(f"{path} is not a readable CSV file ({exc})") from exc


@dataclass(frozen=True)
class AgencyTypeEntry:
    abbreviation: str  # as written in the file ("Satpol PP")
    expansion: str  # lower case ("satuan polisi pamong praja")
    kind: str  # one of KINDS


class AgencyTypes:
    """Abbreviation expansion and whole-government detection over agency free text."""

    def __init__(self, entries: Iterable[AgencyTypeEntry]) -> None:
        self.entries: dict[tuple[str, ...], AgencyTypeEntry] = {}
        for entry in entries:
            self.entries[_key(entry.abbreviation)] = entry
        self._expansion = {k: _key(e.expansion) for k, e in self.entries.items()}
        self._max_len: dict[str, int] = {}
        for k in self.entries:
            self._max_len[k[0]] = max(self._max_len.get(k[0], 0), len(k))
        # Abbreviations mixing letters and digits ("dp3a") stay one word when tokenising.
        self._keep = frozenset(k[0] for k in self.entries if len(k) == 1 and not k[0].isalpha())
        self.government_words = frozenset(
            w for k, e in self.entries.items() if e.kind in ("government", "level") for w in self._expansion[k]
        )

    def expand_tokens(self, text: object) -> list[Token]:
        """Tokens of ``text`` with every abbreviation replaced by its expansion.

        Expanded words keep the offsets of the abbreviation they replace. A repeated head word is
        written once: ``Dinas Dukcapil`` → ``dinas kependudukan dan pencatatan sipil``, not
        ``dinas dinas …``.
        """
        tokens = tokenize(text, self._keep)
        out: list[Token] = []
        i, n = 0, len(tokens)
        while i < n:
            tok = tokens[i]
            longest = self._max_len.get(tok.text, 0)
            for length in range(min(longest, n - i), 0, -1):
                last = tokens[i + length - 1]
                if last.segment != tok.segment:
                    continue
                key = tuple(t.text for t in tokens[i : i + length])
                if key in self.entries:
                    words = self._expansion[key]
                    overlap = _overlap(out, words, tok.segment)
                    out.extend(Token(w, tok.start, last.end, tok.segment) for w in words[overlap:])
                    i += length
                    break
            else:
                out.append(tok)
                i += 1
        return out

    def expand(self, text: object) -> str:
        """Lower-case key with abbreviations expanded and punctuation removed: ``Disdik Kab. Agam`` →
        ``dinas pendidikan kabupaten agam``."""
        return " ".join(t.text for t in self.expand_tokens(text))

    def is_whole_government(self, text: object) -> bool:
        """Whether ``text`` names a regional government as a whole rather than one of its units.

        True for ``Pemerintah Kabupaten Agam``, ``Pemkab Agam``, ``Setda Kab. Agam``, ``Pemprov Jabar``,
        ``Kabupaten Agam`` or a bare region name: once region names are set aside, only words of
        ``government``/``level`` rows remain. Any other word (``dinas``, ``rumah sakit``, ``sekolah``,
        a number) makes it a unit. Empty text is not a government.
        """
        from pantau.reference.regions import load_regions  # regions builds on this module

        tokens = self.expand_tokens(text)
        if not tokens:
            return False
        covered = load_regions().covered_tokens(tokens)
        return all(i in covered or t.text in self.government_words for i, t in enumerate(tokens))


def _overlap(out: list[Token], words: tuple[str, ...], segment: int) -> int:
    """How many leading ``words`` already end ``out`` (``badan`` + ``badan kesatuan …``)."""
    for k in range(min(len(words), len(out)), 0, -1):
        tail = out[-k:]
        if tail[0].segment == segment and tuple(t.text for t in tail) == words[:k]:
            return k
    return 0


def _entries_from(path: Path) -> dict[tuple[str, ...], AgencyTypeEntry]:
    out: dict[tuple[str, ...], AgencyTypeEntry] = {}
    where: dict[tuple[str, ...], int] = {}
    for line, row in read_reference_csv(path, _COLUMNS):
        abbreviation, expansion, kind = row["abbreviation"], row["expansion"], row["kind"].lower()
        key = _key(abbreviation)
        if not key:
            raise ConfigError(f"{path} line {line}: the abbreviation {abbreviation!r} has no letters or digits")
        if not _key(expansion):
            raise ConfigError(f"{path} line {line}: the expansion of {abbreviation!r} is empty")
        if kind not in KINDS:
            raise ConfigError(f"{path} line {line}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
        if key in out:
            raise ConfigError(f"{path} line {line}: the abbreviation {abbreviation!r} is already defined "
                              f"on line {where[key]}")
        out[key] = AgencyTypeEntry(abbreviation, " ".join(_key(expansion)), kind)
        where[key] = line
    return out


@lru_cache(maxsize=4)
def _load(folder: Path | None) -> AgencyTypes:
    entries = _entries_from(DATA_DIR / AGENCY_TYPES_FILE)
    if folder is not None and (folder / AGENCY_TYPES_FILE).is_file():
        entries.update(_entries_from(folder / AGENCY_TYPES_FILE))
    return AgencyTypes(entries.values())


def load_agency_types() -> AgencyTypes:
    """The shipped table plus the ``PANTAU_REFERENCE_DIR`` override, loaded and validated once per folder."""
    return _load(reference_dir())
