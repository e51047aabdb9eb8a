"""Header spellings of the recommendation exports (``data/headers.csv``), loaded once.

People type the column headers of KASN/BKN exports: "No. Rekomendasi", "Tgl Rekom", "NIP/NRP",
"Pejabat Pembina Kepegawaian (PPK)". The table maps spellings to canonical columns with a strength
(a *weak* spelling such as "Nomor" loses to a strong one in the same header row), and lists header
word abbreviations ("Tgl" -> "tanggal") that are expanded before a header is looked up. How a
header cell is matched is :func:`pantau.normalize.spreadsheet.canonical_header`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pantau.exceptions import ConfigError
from pantau.reference.agency_types import read_reference_csv
from pantau.settings import reference_dir

__all__ = ["STRONG", "WEAK", "HeaderTable", "clear_cache", "header_table", "squeeze"]

DATA_DIR = Path(__file__).resolve().parent / "data"
FILE_NAME = "headers.csv"
COLUMNS = ("table", "column", "spelling", "strength", "note")
#: Tables whose headers are read from files people type; ``word`` rows are header word abbreviations.
TABLES = ("recommendations",)
WORD = "word"
STRONG, WEAK = 2, 1
_STRENGTHS = {"strong": STRONG, "weak": WEAK}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_WORDS = re.compile(r"[a-z0-9]+")


def squeeze(text: object) -> str:
    """Lower case, letters and digits only: "N I P" and "Nip." both become "nip"."""
    return _NOT_ALNUM.sub("", str(text).lower())


def words(text: object) -> list[str]:
    return _WORDS.findall(str(text).lower())


@dataclass(frozen=True)
class HeaderTable:
    """The accepted header spellings of one table."""

    table: str
    #: squeezed spelling -> (canonical column, strength).
    aliases: dict[str, tuple[str, int]]
    #: abbreviated header word -> its expansion ("tgl" -> "tanggal").
    word_expansions: dict[str, str]
    #: the canonical columns, in file order.
    columns: tuple[str, ...]
    #: every spelling as its expanded words -> (canonical column, strength), for prefix matches.
    phrases: dict[tuple[str, ...], tuple[str, int]]

    def expand(self, text: object) -> list[str]:
        """The header's words with abbreviations expanded ("Tgl. Rekom" -> ["tanggal", "rekomendasi"])."""
        out: list[str] = []
        for word in words(text):
            out.extend(self.word_expansions.get(word, word).split())
        return out


def _read(path: Path, into_aliases: dict[str, dict[str, tuple[str, int, str]]],
          into_words: dict[str, tuple[str, str]], into_spellings: dict[str, list[tuple[str, str, int]]]) -> None:
    for number, row in read_reference_csv(path, [c for c in COLUMNS if c != "note"]):
        where = f"{path}:{number}"
        table, column, spelling = row["table"], row["column"], row["spelling"]
        key = squeeze(spelling)
        if not key or not column:
            raise ConfigError(f"{where}: column and spelling must not be empty (and the spelling needs "
                              "a letter or digit)")
        if table == WORD:
            expansion = " ".join(words(column))
            previous = into_words.get(key)
            if previous and previous[0] != expansion and previous[1].startswith(str(path)):
                raise ConfigError(f"{where}: {spelling!r} expands to {expansion!r} here but to "
                                  f"{previous[0]!r} at {previous[1]}")
            into_words[key] = (expansion, where)
            continue
        if table not in TABLES:
            raise ConfigError(f"{where}: unknown table {table!r}; known: {', '.join(TABLES)} (or {WORD!r} "
                              "for a header word abbreviation)")
        strength = _STRENGTHS.get(row.get("strength") or "strong")
        if strength is None:
            raise ConfigError(f"{where}: strength must be 'strong' or 'weak', got {row['strength']!r}")
        aliases = into_aliases.setdefault(table, {})
        previous_alias = aliases.get(key)
        if (previous_alias and previous_alias[0] != column
                and previous_alias[2].startswith(str(path))):
            raise ConfigError(f"{where}: {spelling!r} names {column} here but {previous_alias[0]} at "
                              f"{previous_alias[2]}; one spelling, one column")
        aliases[key] = (column, strength, where)
        into_spellings.setdefault(table, []).append((spelling, column, strength))


@lru_cache(maxsize=8)
def _load(site_dir: str | None) -> dict[str, HeaderTable]:
    aliases: dict[str, dict[str, tuple[str, int, str]]] = {}
    expansions: dict[str, tuple[str, str]] = {}
    spellings: dict[str, list[tuple[str, str, int]]] = {}
    _read(DATA_DIR / FILE_NAME, aliases, expansions, spellings)
    shipped_columns = {t: tuple(dict.fromkeys(c for c, _s, _w in a.values())) for t, a in aliases.items()}
    if site_dir is not None and (Path(site_dir) / FILE_NAME).is_file():
        # A site row for a spelling the shipped file has overrides it (the site knows its exports).
        _read(Path(site_dir) / FILE_NAME, aliases, expansions, spellings)
    tables = {}
    for table in TABLES:
        entries = aliases.get(table, {})
        unknown = {c for c, _s, _w in entries.values()} - set(shipped_columns.get(table, ()))
        if unknown:
            where = next(w for c, _s, w in entries.values() if c in unknown)
            raise ConfigError(f"{where}: {sorted(unknown)} is not a column of {table} "
                              f"(known: {', '.join(shipped_columns.get(table, ()))})")
        words_map = {k: e for k, (e, _w) in expansions.items()}
        # "No" (row number) and "Nomor" (weak: recommendation number) expand to the same word: a
        # phrase that names two columns is useless for prefix matches and is left out.
        claims: dict[tuple[str, ...], set[tuple[str, int]]] = {}
        for spelling, column, strength in spellings.get(table, []):
            expanded = tuple(w for word in words(spelling) for w in words_map.get(word, word).split())
            if expanded:
                claims.setdefault(expanded, set()).add((column, strength))
        phrases = {p: max(c, key=lambda cs: cs[1]) for p, c in claims.items() if len({col for col, _ in c}) == 1}
        tables[table] = HeaderTable(table, {k: (c, s) for k, (c, s, _w) in entries.items()}, words_map,
                                    shipped_columns.get(table, ()), phrases)
    return tables


def header_table(table: str = "recommendations") -> HeaderTable:
    """The header spellings of ``table``: shipped rows plus ``PANTAU_REFERENCE_DIR/headers.csv``.

    Raises:
        ConfigError: a row names an unknown table or column, or gives one spelling two columns.
    """
    folder = reference_dir()
    try:
        return _load(str(folder) if folder else None)[table]
    except KeyError:
        raise KeyError(f"no header table {table!r}; known: {', '.join(TABLES)}") from None


def clear_cache() -> None:
    _load.cache_clear()
