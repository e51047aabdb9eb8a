"""Per-agency access: which PPK office each restricted row belongs to, its extracts, its IAM policy.

A restricted dataset goes to BKN/KASN whole (``restricted/national/``) and to each PPK office
(*pejabat pembina kepegawaian*, the official who executes the sanction, docs/DOMAIN.md §1 and §3.3)
split by office (``restricted/ppk/<slug>/``). Sending a row to the wrong office discloses a civil
servant's name and case to officials with no authority over them, so a row goes to an office only
on evidence that the office is responsible for it; a row without such evidence stays in the national
file only and is counted as unassigned (never dropped).

Evidence, strongest first (:func:`assign_offices`):

1. ``ppk``, the recommendation's addressee: KASN/BKN wrote the recommendation to this official, so
   the office already holds the row's content. A regional title (``Pj. Bupati Agam``, ``Walikota
   Padang``, ``Gubernur Sumbar``) is read with :meth:`RegionTable.region_of_ppk` and replaced by the
   table's ``ppk_title`` of that region: acting prefixes and spellings collapse to one office, and
   DKI's administrative cities go to ``Gubernur DKI Jakarta``. A central title (``Menteri Agama``,
   ``Kepala BKN``: a minister or agency head, naming no region) is its own office. A title that is
   neither (a typo, a ``Kepala Dinas``) is not evidence; the next rule decides.
2. The registry person's agency, when rule 1 tied it to one office: every row of this frame (or of
   ``learn_from``) with that ``registry_kode_instansi`` and a readable ``ppk`` names the same office.
   This carries a central agency's office (its staff sit under regional region codes) and a BKD's
   own region numbering to rows whose case has not reached a recommendation yet.
3. The registry agency's name: ``Kementerian X`` (``Kemenag``, ``Kantor Kementerian Agama ...``) is a
   central agency whose PPK is ``Menteri X``; central agencies are not in BKD registries
   (docs/DOMAIN.md §3.3), but a ministry's own personnel system may feed one.
4. The registry agency's region: the region its name states (``Dinas Pendidikan Provinsi Aceh``)
   and the region its ``registry_kode_wilayah`` reads as (the reading the agency names beside that
   code teach, as the matcher reads a BKD's own numbering, else the Kemendagri table's). When both
   are known they must agree or one must contain the other (a provincial office sited in a kabupaten
   belongs to the governor, as its name says); otherwise the row is unassigned
   (``registry_conflict``) rather than sent to a neighbour. A sub-district's or village's name
   (``Kecamatan Konawe Utara``, in Kabupaten Konawe) states no region: it is named after itself.

The case's own region (``case_kode_wilayah``, ``case_instansi``) is never used: Bawaslu registers a
case where the election is, not where the person works (a provincial teacher reported to a regency
Bawaslu), and its codes follow Bawaslu's numbering.

Slugs (:func:`office_slug`) depend only on the title, so they are stable across runs. Titles that
differ only in case, spacing or hyphenation (``Bupati Toli-Toli``, ``BUPATI TOLI TOLI``) are one
office; any other difference gives a different slug.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import pandas as pd

from pantau.matching.agencies import _learn_readings as learn_readings
from pantau.reference.agency_types import AgencyTypes, Token, load_agency_types
from pantau.reference.regions import RegionTable, load_regions

__all__ = [
    "BASES",
    "OFFICE_COLUMNS",
    "RESTRICTED_DATASETS",
    "Office",
    "PpkSplit",
    "assign_offices",
    "evaluate",
    "office_slug",
    "policy_for",
    "ppk_offices",
    "split_by_ppk",
]

#: Restricted datasets of a release (release contract); only these are split by office.
RESTRICTED_DATASETS = ("consolidated_cases", "overdue_recommendations", "review_queue", "blocking_candidates")
#: Columns that place a row with an office; a frame with none of them is placed through its keys.
OFFICE_COLUMNS = ("ppk", "registry_kode_instansi", "registry_nama_instansi", "registry_kode_wilayah")
#: ``ppk_basis`` values: why a row went to its office, or why it went nowhere.
BASES = ("recommendation_ppk", "registry_agency", "registry_ministry", "registry_region", "registry_conflict",
         "no_evidence")

# Words that open the title of a central agency's PPK: a minister or the head of a national agency.
_CENTRAL_HEADS = (("menteri",), ("kepala",), ("jaksa", "agung"), ("sekretaris", "jenderal"), ("sekretaris", "utama"),
                  ("panglima",), ("ketua",))
_ACTING = frozenset({"pj", "pjs", "penjabat", "sementara", "plt", "plh", "pelaksana", "tugas", "harian"})
_NATIONAL_SUFFIXES = (("republik", "indonesia"), ("ri",))
_MINISTRY_OPENERS = (("kementerian",), ("kantor", "kementerian"), ("kantor", "wilayah", "kementerian"),
                     ("kanwil", "kementerian"))
# A sub-district or village is named after itself, not after the regency it lies in.
_SUB_REGION_WORDS = frozenset({"kecamatan", "kelurahan", "desa", "kalurahan", "distrik", "nagari", "gampong"})
_LOWER_WORDS = frozenset({"dan", "serta", "di", "atau", "dengan"})
_PLAIN_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_SLUG = re.compile(r"[a-z0-9]+(?:--?[a-z0-9]+)*")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MAX_SLUG = 80


@dataclass(frozen=True)
class Office:
    """A PPK office: its key-safe slug and its title as people address it (``Bupati Klaten``)."""

    slug: str
    name: str


class PpkSplit(NamedTuple):
    """What :func:`split_by_ppk` returns."""

    extracts: dict[str, dict[str, pd.DataFrame]]  # {ppk_slug: {dataset: rows}}; an office has only non-empty ones
    unassigned: dict[str, int]  # {dataset: rows in no extract}; every restricted dataset given has an entry
    names: dict[str, str]  # {ppk_slug: "Bupati Klaten"} for every slug of ``extracts``


# ---------------------------------------------------------------------- slugs


def _office_key(title: str) -> str:
    """The identity of a title: case, spacing and hyphenation do not make another office."""
    return re.sub(r"[\s\-\u2010-\u2015]+", " ", unicodedata.normalize("NFKC", title).casefold()).strip()


def office_slug(title: str) -> str:
    """A stable S3-key-safe slug for a PPK title: ``Bupati Klaten`` → ``bupati-klaten``.

    A title of plain ASCII words maps to its words joined by single hyphens, which no other such
    title can produce. Any other title (accents, dots, apostrophes) gets the folded words plus
    ``--`` and 10 hex digits of its key's sha256: plain slugs never contain ``--``, so the two kinds
    never meet, and two different non-plain titles differ in their digest. An over-long slug is
    shortened the same way.
    """
    key = _office_key(title)
    if not key:
        raise ValueError("a PPK title must not be empty")
    if _PLAIN_KEY.fullmatch(key) and len(key) <= _MAX_SLUG:
        return key.replace(" ", "-")
    folded = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:_MAX_SLUG - 12].strip("-") or "ppk"
    return f"{base}--{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def _office(title: str) -> Office:
    return Office(office_slug(title), title)


# ---------------------------------------------------------------------- reading titles and agencies


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _display(tokens: Iterable[Token], original: str) -> str:
    """A central title as people write it: words capitalised, particles lower case, and an acronym
    kept as written (``Kepala BKN``) unless the whole text is in capitals."""
    shouting = original.isupper()
    out = []
    for token in tokens:
        written = original[token.start:token.end]
        if not shouting and written.isupper() and written.casefold() == token.text and len(written) <= 5:
            out.append(written)
        elif token.text in _LOWER_WORDS:
            out.append(token.text)
        else:
            out.append(token.text[:1].upper() + token.text[1:])
    return " ".join(out)


def _strip_national(tokens: list[Token]) -> list[Token]:
    words = tuple(t.text for t in tokens)
    for suffix in _NATIONAL_SUFFIXES:
        if len(words) > len(suffix) and words[-len(suffix):] == suffix:
            return tokens[: -len(suffix)]
    return tokens


class _Reader:
    """Reads PPK titles and registry agencies against one region table, caching per distinct value."""

    def __init__(self, regions: RegionTable, types: AgencyTypes) -> None:
        self.regions = regions
        self.types = types
        self._titles: dict[str, Office | None] = {}
        self._agencies: dict[tuple[str | None, str | None], tuple[Office | None, str]] = {}

    def region_office(self, code: str) -> Office:
        return _office(self.regions.regions[code].ppk_title)

    def title(self, text: str) -> Office | None:
        """The office a ``ppk`` text names, or None when it names none (rule 1)."""
        if text not in self._titles:
            self._titles[text] = self._read_title(text)
        return self._titles[text]

    def _read_title(self, text: str) -> Office | None:
        code = self.regions.region_of_ppk(text)
        if code is not None:
            return self.region_office(code)
        tokens = self.types.expand_tokens(text)
        while tokens and tokens[0].text in _ACTING:
            tokens = tokens[1:]
        tokens = _strip_national(tokens)
        words = tuple(t.text for t in tokens)
        if not any(words[: len(h)] == h and len(words) > len(h) for h in _CENTRAL_HEADS):
            return None
        if self.regions.find_in_text(text):
            return None  # "Kepala Dinas Pendidikan Kab. Agam" is not a PPK; the registry decides
        return _office(_display(tokens, text))

    def ministry(self, name: str) -> Office | None:
        """``Menteri X`` for a registry agency named ``Kementerian X ...`` (rule 3)."""
        tokens = self.types.expand_tokens(name)
        words = [t.text for t in tokens]
        for opener in _MINISTRY_OPENERS:
            if tuple(words[: len(opener)]) == opener:
                break
        else:
            return None
        covered = self.regions.covered_tokens(tokens)
        rest: list[Token] = []
        for i in range(len(opener), len(words)):
            if i in covered or words[i] in ("kabupaten", "kota", "provinsi"):
                break
            rest.append(tokens[i])
        rest = _strip_national(rest)
        if not rest:
            return None
        return _office("Menteri " + _display(rest, name))

    def registry(self, name: str | None, coded: str | None) -> tuple[Office | None, str]:
        """(office, basis) from the registry agency's name and the table region its code reads as (rules 3, 4)."""
        key = (name, coded)
        if key not in self._agencies:
            self._agencies[key] = self._read_registry(name, coded)
        return self._agencies[key]

    def named_region(self, name: str) -> str | None:
        """The region an agency's name states (``Dinas Pendidikan Provinsi Aceh`` → ``11``), or None."""
        first = next(iter(self.types.expand_tokens(name)), None)
        if first is not None and first.text in _SUB_REGION_WORDS:
            return None
        return self.regions.region_of_text(name)

    def _read_registry(self, name: str | None, coded: str | None) -> tuple[Office | None, str]:
        if name is not None:
            ministry = self.ministry(name)
            if ministry is not None:
                return ministry, "registry_ministry"
        named = self.named_region(name) if name is not None else None
        if named is None and coded is None:
            return None, "no_evidence"
        if named is None or coded is None:
            return self.region_office(named or coded), "registry_region"  # type: ignore[arg-type]
        named_office, coded_office = self.region_office(named), self.region_office(coded)
        if named_office == coded_office or coded.startswith(named + ".") or named.startswith(coded + "."):
            return named_office, "registry_region"
        return None, "registry_conflict"


@lru_cache(maxsize=4)
def _reader(regions: RegionTable) -> _Reader:
    return _Reader(regions, load_agency_types())


# ---------------------------------------------------------------------- assignment


def _column(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame:
        return [None] * len(frame)
    return [_text(v) for v in frame[name].astype(object).tolist()]


def _learned_agencies(frames: Iterable[pd.DataFrame], reader: _Reader) -> dict[str, Office]:
    """Registry agency → office, where every readable ``ppk`` of the agency's rows names that office (rule 2)."""
    seen: dict[str, set[Office]] = {}
    for frame in frames:
        for ppk, agency in zip(_column(frame, "ppk"), _column(frame, "registry_kode_instansi"), strict=True):
            office = reader.title(ppk) if ppk is not None else None
            if office is not None and agency is not None:
                seen.setdefault(agency, set()).add(office)
    return {agency: next(iter(offices)) for agency, offices in seen.items() if len(offices) == 1}


def _code_readings(frames: Iterable[pd.DataFrame], reader: _Reader) -> dict[str, str]:
    """How these frames number regions: a registry code whose agency names name one region is read as
    that region (docs/DECISIONS.md, "A data set's region codes are read as its own texts use them")."""
    pairs: set[tuple[str, str]] = set()
    for frame in frames:
        pairs.update((n, c) for n, c in zip(_column(frame, "registry_nama_instansi"),
                                            _column(frame, "registry_kode_wilayah"), strict=True)
                     if n is not None and c is not None)
    ordered = sorted(pairs)
    named = [reader.named_region(n) for n, _ in ordered]
    return learn_readings(pd.Series([c for _, c in ordered], dtype=object), named, reader.regions, minimum=1)


def _table_region(code: str | None, regions: RegionTable, readings: Mapping[str, str]) -> str | None:
    if code is None:
        return None
    if code in readings:
        return readings[code]
    region = regions.containing(code)
    return None if region is None else region.code


def assign_offices(frame: pd.DataFrame, regions: RegionTable | None = None, *,
                   learn_from: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per row: ``ppk_slug``, ``ppk_name`` (None when unassigned) and ``ppk_basis`` (one of :data:`BASES`).

    Reads the columns of :data:`OFFICE_COLUMNS` that the frame has (module docstring for the rules).
    ``learn_from`` (the consolidated cases) adds its rows to what rule 2 learns, so a dataset that is
    a part of it places its rows as the whole does.
    """
    reader = _reader(regions or load_regions())
    frames = [frame] if learn_from is None else [frame, learn_from]
    learned = _learned_agencies(frames, reader)
    readings = _code_readings(frames, reader)
    slugs: list[str | None] = []
    names: list[str | None] = []
    bases: list[str] = []
    columns = zip(_column(frame, "ppk"), _column(frame, "registry_kode_instansi"),
                  _column(frame, "registry_nama_instansi"), _column(frame, "registry_kode_wilayah"), strict=True)
    for ppk, agency, agency_name, region_code in columns:
        office = reader.title(ppk) if ppk is not None else None
        basis = "recommendation_ppk"
        if office is None and agency is not None and agency in learned:
            office, basis = learned[agency], "registry_agency"
        if office is None:
            office, basis = reader.registry(agency_name, _table_region(region_code, reader.regions, readings))
        slugs.append(None if office is None else office.slug)
        names.append(None if office is None else office.name)
        bases.append(basis)
    return pd.DataFrame({"ppk_slug": pd.Series(slugs, index=frame.index, dtype=object),
                         "ppk_name": pd.Series(names, index=frame.index, dtype=object),
                         "ppk_basis": pd.Series(bases, index=frame.index, dtype=object)})


def ppk_offices(frame: pd.DataFrame, regions: RegionTable | None = None, *,
                learn_from: pd.DataFrame | None = None) -> pd.Series:
    """The slug of the PPK office responsible for each row, or None (same index as ``frame``)."""
    return assign_offices(frame, regions, learn_from=learn_from)["ppk_slug"].rename("ppk_slug")


# Review items name their record by the key of the consolidated row they are about (stable item ids,
# pantau.pipeline.reconcile.review_items); conflicts name the recommendation, else the case, else the decree.
_ITEM_KEYS = (("person:case:", ("nomor_register",)), ("person:rec:", ("nomor_rekomendasi",)),
              ("case_link:", ("nomor_rekomendasi",)),
              ("conflict:", ("nomor_rekomendasi", "nomor_register", "follow_up_key")))
_ANY_KEY = ("nomor_rekomendasi", "nomor_register", "follow_up_key")


def _offices_by_key(placed: pd.DataFrame) -> dict[str, dict[str, set[str | None]]]:
    """{key column: {key value: offices of the consolidated rows with it}} (None = an unassigned row)."""
    out: dict[str, dict[str, set[str | None]]] = {}
    for column in _ANY_KEY:
        by_value: dict[str, set[str | None]] = {}
        if column in placed:
            for value, slug in zip(_column(placed, column), placed["ppk_slug"].tolist(), strict=True):
                if value is not None:
                    by_value.setdefault(value, set()).add(slug)
        out[column] = by_value
    return out


def _one_office(keys: dict[str, dict[str, set[str | None]]], record: str | None,
                columns: Iterable[str]) -> str | None:
    """The single office of the consolidated rows ``record`` names; None when none, several, or any
    of them unassigned (a review item about two offices' people belongs to neither)."""
    if record is None:
        return None
    for column in columns:
        found = keys[column].get(record)
        if found:
            return next(iter(found)) if len(found) == 1 else None
    return None


def _review_offices(queue: pd.DataFrame, keys: dict[str, dict[str, set[str | None]]]) -> list[str | None]:
    out = []
    for item_id, record in zip(_column(queue, "item_id"), _column(queue, "record"), strict=True):
        columns: tuple[str, ...] = _ANY_KEY
        for prefix, item_columns in _ITEM_KEYS:
            if item_id is not None and item_id.startswith(prefix):
                columns = item_columns
                break
        out.append(_one_office(keys, record, columns))
    return out


def _keyed_offices(frame: pd.DataFrame, keys: dict[str, dict[str, set[str | None]]]) -> list[str | None]:
    """For a dataset without office columns: the office of the consolidated rows sharing its key."""
    out = []
    columns = [c for c in _ANY_KEY if c in frame]
    values = {c: _column(frame, c) for c in columns}
    for i in range(len(frame)):
        office = None
        for column in columns:
            office = _one_office(keys, values[column][i], (column,))
            if values[column][i] is not None:
                break
        out.append(office)
    return out


def split_by_ppk(datasets: Mapping[str, pd.DataFrame], consolidated: pd.DataFrame | None = None,
                 regions: RegionTable | None = None) -> PpkSplit:
    """Split restricted datasets by PPK office: ``(extracts, unassigned, names)`` (:class:`PpkSplit`).

    Nothing lost: for every dataset, the rows of its extracts plus its unassigned rows are its rows,
    and each row is in at most one extract (rows keep their order and index). Datasets with office
    columns are placed by :func:`assign_offices`; the review queue through the consolidated rows its
    items are about; any other dataset through its ``nomor_rekomendasi`` / ``nomor_register`` /
    ``follow_up_key``. ``consolidated`` defaults to ``datasets["consolidated_cases"]``.
    """
    unknown = sorted(set(datasets) - set(RESTRICTED_DATASETS))
    if unknown:
        raise ValueError(f"only restricted datasets are split by PPK office ({', '.join(RESTRICTED_DATASETS)}); "
                         f"got {', '.join(unknown)}")
    table = regions or load_regions()
    if consolidated is None:
        consolidated = datasets.get("consolidated_cases")
    names: dict[str, str] = {}
    placed_consolidated: pd.DataFrame | None = None
    if consolidated is not None:
        placed_consolidated = pd.concat([consolidated.reindex(columns=list(_ANY_KEY)),
                                         assign_offices(consolidated, table)], axis=1)
    keys = _offices_by_key(placed_consolidated) if placed_consolidated is not None else None

    extracts: dict[str, dict[str, pd.DataFrame]] = {}
    unassigned: dict[str, int] = {}
    for dataset, frame in datasets.items():
        if any(c in frame for c in OFFICE_COLUMNS):
            placed = assign_offices(frame, table, learn_from=consolidated)
            slugs = placed["ppk_slug"].tolist()
            for slug, name in zip(slugs, placed["ppk_name"].tolist(), strict=True):
                if slug is not None:
                    _add_name(names, slug, name)
        elif keys is None:
            slugs = [None] * len(frame)
        elif dataset == "review_queue" or "item_id" in frame:
            slugs = _review_offices(frame, keys)
        else:
            slugs = _keyed_offices(frame, keys)
        series = pd.Series(slugs, index=frame.index, dtype=object)
        unassigned[dataset] = int(series.isna().sum())
        for slug, rows in frame.groupby(series.to_numpy(), sort=True, dropna=True):
            extracts.setdefault(str(slug), {})[dataset] = rows
    if placed_consolidated is not None:
        for slug, name in zip(placed_consolidated["ppk_slug"], placed_consolidated["ppk_name"], strict=True):
            if slug is not None:
                _add_name(names, slug, name)
    return PpkSplit(dict(sorted(extracts.items())), unassigned, {s: names[s] for s in sorted(extracts)})


def _add_name(names: dict[str, str], slug: str, name: str) -> None:
    known = names.setdefault(slug, name)
    if _office_key(known) != _office_key(name):
        # office_slug is injective on keys; reaching this means a digest collision: fail, never merge.
        raise ValueError(f"PPK titles {known!r} and {name!r} share the slug {slug!r}")


# ---------------------------------------------------------------------- IAM policy

#: Key patterns (relative to the bucket) every office may read: the release's public parts.
PUBLIC_PATTERNS = ("published/current.json", "published/index.html", "published/releases/*/index.html",
                   "published/releases/*/datapackage.json", "published/releases/*/dcat.jsonld",
                   "published/releases/*/public/*")
#: Validation report pages: no record content by design, counts per table and rule like the public
#: quarantine_summary, and linked from the public catalog page.
VALIDATION_PATTERN = "published/validation/*"


def _check_slug(ppk_slug: str) -> None:
    # A slug goes into ARNs and key prefixes: a "*", "?" or "/" there would widen the grant.
    if not isinstance(ppk_slug, str) or not _SLUG.fullmatch(ppk_slug):
        raise ValueError(f"{ppk_slug!r} is not a PPK slug (lowercase ASCII letters, digits and hyphens)")


def ppk_prefix(release: str, ppk_slug: str) -> str:
    """The key prefix of one office's extracts in a release (ends with ``/``)."""
    _check_slug(ppk_slug)
    return f"published/releases/{release}/restricted/ppk/{ppk_slug}/"


def policy_for(ppk_slug: str, bucket: str, *, validation_pages: bool = True) -> dict[str, Any]:
    """An IAM policy (S3 and MinIO) for one PPK office: read its own extracts of every release and the
    public parts; list only those prefixes. Nothing else: no national extract, no other office, no
    release manifest (it counts every office's restricted rows: unsuppressed small cells), no write.

    Every pattern ends in ``/<slug>/*``: ``bupati-agam`` never matches ``bupati-agam-x``.
    """
    _check_slug(ppk_slug)
    if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"{bucket!r} is not an S3 bucket name")
    own = f"published/releases/*/restricted/ppk/{ppk_slug}/*"
    readable = [own, *PUBLIC_PATTERNS, *([VALIDATION_PATTERN] if validation_pages else [])]
    listable = [own, "published/releases/*/public/*", *([VALIDATION_PATTERN] if validation_pages else [])]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadOwnExtractsAndPublicParts", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/{p}" for p in readable]},
            {"Sid": "ListOwnExtractsAndPublicParts", "Effect": "Allow", "Action": ["s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{bucket}"],
             "Condition": {"StringLike": {"s3:prefix": listable}}},
        ],
    }


# ---------------------------------------------------------------------- evaluator

# Actions whose resource is the bucket itself; all others name an object (arn:aws:s3:::bucket/key).
_BUCKET_ACTIONS = frozenset(a.lower() for a in (
    "s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", "s3:GetBucketLocation",
    "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket", "s3:CreateBucket",
    "s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:GetBucketAcl", "s3:PutBucketAcl",
    "s3:GetBucketNotification", "s3:PutBucketNotification", "s3:GetLifecycleConfiguration",
    "s3:PutLifecycleConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration",
    "s3:GetBucketTagging", "s3:PutBucketTagging"))
# Bucket actions that carry the s3:prefix condition key (the listing's prefix parameter).
_PREFIX_ACTIONS = frozenset({"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"})
_OPERATORS = ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
              "StringLike", "StringNotLike")
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"})


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """AWS wildcards: ``*`` any run of characters (``/`` included), ``?`` exactly one; nothing else is special."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _as_list(value: Any, what: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{what} must be a string or a non-empty list of strings")
    for v in values:
        if "${" in v:
            raise ValueError(f"{what} {v!r}: policy variables are not supported by this evaluator")
    return values


def _condition_holds(condition: Any, context: Mapping[str, str]) -> bool:
    """All operators, all keys of each operator, any value of each key (AWS's AND/AND/OR)."""
    if not isinstance(condition, dict):
        raise ValueError("Condition must be an object")
    for operator, block in condition.items():
        if operator not in _OPERATORS:
            raise ValueError(f"condition operator {operator!r} is not supported (supported: {', '.join(_OPERATORS)})")
        if not isinstance(block, dict):
            raise ValueError(f"{operator} must map condition keys to values")
        negated = "Not" in operator
        ignore_case = operator.endswith("IgnoreCase")
        like = operator.endswith("Like")
        for key, wanted in block.items():
            values = _as_list(wanted, f"{operator} {key}")
            actual = context.get(key.lower())
            if actual is None:
                # A key absent from the request fails a positive test and passes a negated one.
                if not negated:
                    return False
                continue
            if like:
                matched = any(_like(v, actual) for v in values)
            elif ignore_case:
                matched = any(v.casefold() == actual.casefold() for v in values)
            else:
                matched = actual in values
            if matched == negated:
                return False
    return True


def _statement_applies(statement: Any, action: str, resource: str, context: Mapping[str, str]) -> bool:
    if not isinstance(statement, dict):
        raise ValueError("each Statement must be an object")
    extra = set(statement) - _STATEMENT_KEYS
    if extra:
        raise ValueError(f"statement element(s) {', '.join(sorted(extra))} are not supported in an identity policy")
    if ("Action" in statement) == ("NotAction" in statement):
        raise ValueError("a statement needs exactly one of Action and NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise ValueError("a statement needs exactly one of Resource and NotResource")
    if "Action" in statement:
        acts = any(_like(a, action, ignore_case=True) for a in _as_list(statement["Action"], "Action"))
    else:
        acts = not any(_like(a, action, ignore_case=True) for a in _as_list(statement["NotAction"], "NotAction"))
    if not acts:
        return False
    if "Resource" in statement:
        covers = any(_like(r, resource) for r in _as_list(statement["Resource"], "Resource"))
    else:
        covers = not any(_like(r, resource) for r in _as_list(statement["NotResource"], "NotResource"))
    if not covers:
        return False
    return "Condition" not in statement or _condition_holds(statement["Condition"], context)


def evaluate(policy: Mapping[str, Any], action: str, bucket: str, key_or_prefix: str | None) -> bool:
    """Whether ``policy`` alone allows ``action`` on ``bucket`` (AWS's rules for an identity policy).

    Object actions (``s3:GetObject``...) are checked against ``arn:aws:s3:::<bucket>/<key_or_prefix>``;
    bucket actions (``s3:ListBucket``...) against ``arn:aws:s3:::<bucket>``, with ``key_or_prefix`` as the
    request's ``s3:prefix`` (None: the request sent no prefix, so the key is absent). An explicit Deny
    wins, then any Allow; without either the answer is no. Supported: Effect, Action/NotAction
    (``*``/``?``, case-insensitive), Resource/NotResource (``*``/``?``, case-sensitive), and the
    String* condition operators on the request's ``s3:prefix``; anything else raises ValueError rather
    than being evaluated wrongly.
    """
    if policy.get("Version") != "2012-10-17":
        raise ValueError("policy Version must be 2012-10-17 (the only version with the full grammar)")
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise ValueError("policy Statement must be an object or a non-empty list")
    name = action.lower()
    if name in _BUCKET_ACTIONS:
        resource = f"arn:aws:s3:::{bucket}"
        context = {"s3:prefix": key_or_prefix} if name in _PREFIX_ACTIONS and key_or_prefix is not None else {}
    else:
        if key_or_prefix is None:
            raise ValueError(f"{action} acts on an object: give its key")
        resource = f"arn:aws:s3:::{bucket}/{key_or_prefix}"
        context = {}
    allowed = False
    for statement in statements:
        effect = statement.get("Effect") if isinstance(statement, dict) else None
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"statement Effect must be Allow or Deny, not {effect!r}")
        if _statement_applies(statement, action, resource, context):
            if effect == "Deny":
                return False
            allowed = True
    return allowed
