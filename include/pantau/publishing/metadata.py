"""What a release says about itself: the data dictionary, a Data Package, a DCAT record, lineage.

Everything here is computed from the release manifest (``release.json``, its shape is in the module
that writes releases) and from ``data/dictionary.csv``, so the metadata can never describe files
other than the ones the manifest verified:

* :func:`field_dictionary` / :func:`describe`: one row per published column (type, how personal it
  is, what it means in Bahasa Indonesia and English). A column without an entry is *reported*,
  never described by a guess.
* :func:`datapackage`: a Frictionless Data Package v2 descriptor (``datapackage.json``), checked by
  :func:`validate_datapackage` against the v2 profiles shipped in ``data/profiles/2.0/``.
* :func:`dcat_record`: a DCAT-AP 3 style JSON-LD record (``dcat.jsonld``) for catalogues.
* :func:`lineage`: the inputs -> outputs facts (source versions and every file, with sha256).

Both public documents list the restricted datasets' national files (agencies need to know they
exist and where), but never the per-PPK extracts: which offices have an extract, and how large it
is, are small counts about identifiable offices; nothing of that may leak (docs/DOMAIN.md §5). Only
:func:`lineage` names the extracts; it goes into the manifest, not into a public page.

Lineage is recorded in the manifest rather than emitted as OpenLineage events: the OpenLineage
provider is not installed in this deployment, and the manifest is written after every file is
verified, so it is the record that cannot disagree with what was published.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

__all__ = ["DATASET_KEYS", "DICTIONARY_COLUMNS", "PII_LEVELS", "TABLE_TYPES", "datapackage", "dcat_record",
           "describe", "field_dictionary", "lineage", "table_schema_type", "validate_datapackage"]

DATA_DIR = Path(__file__).resolve().parent / "data"
DICTIONARY = DATA_DIR / "dictionary.csv"
PROFILES = DATA_DIR / "profiles" / "2.0"

DICTIONARY_COLUMNS = ["dataset", "field", "type", "pii", "description_id", "description_en"]
#: direct: names the person (name, NIP, free text that may hold a name); indirect: points to one
#: person through another agency's records (case, recommendation or decree numbers); quasi: singles a
#: person out in combination (region, agency, dates); none: none of these.
PII_LEVELS = ("none", "direct", "indirect", "quasi")
#: The Table Schema types the manifest and the dictionary use.
TABLE_TYPES = ("string", "integer", "number", "boolean", "date", "datetime")

#: The datasets of a release and their keys (change detection and the Table Schema key), in the
#: order documents list them.
DATASET_KEYS: dict[str, list[str]] = {
    "consolidated_cases": ["nomor_register", "nomor_rekomendasi", "follow_up_key"],
    "overdue_recommendations": ["nomor_rekomendasi"],
    "review_queue": ["item_id"],
    "blocking_candidates": ["nomor_rekomendasi"],
    "compliance_statistics": ["level", "election", "province_code", "kabkota_code", "agency_code"],
    "quarantine_summary": ["source", "stage", "reason_code"],
}
#: Datasets whose key columns may be empty: a decree that answers no known recommendation has no
#: register number, a national statistics row no region code. Table Schema forbids nulls in a
#: ``primaryKey``, so their key is a v2 ``uniqueKeys`` entry (which allows them).
NULLABLE_KEYS = frozenset({"consolidated_cases", "compliance_statistics"})

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLESCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
PACKAGE_NAME = "pantau-netralitas-asn"
# Public datasets are aggregates without personal data. CC BY 4.0 rather than CC0: attribution
# keeps a quoted figure traceable to the release it came from (figures change between releases and
# the rid says which one was quoted). The data owners may choose otherwise; this is the one place.
PUBLIC_LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                  "title": "Creative Commons Attribution 4.0 International"}
# Restricted datasets carry names and NIPs: shared per agency under its access policy, not licensed
# to anyone. "other-closed" is the Open Definition identifier for "not open".
RESTRICTED_LICENSE = {"name": "other-closed",
                      "title": "Terbatas: hanya untuk instansi yang berwenang / Restricted: authorised agencies only"}

WIB = ZoneInfo("Asia/Jakarta")
_FORMATS = {  # extension -> (Data Package format, IANA media type, EU file-type code)
    "parquet": ("parquet", "application/vnd.apache.parquet", "PARQUET"),
    "csv": ("csv", "text/csv", "CSV"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "json": ("json", "application/json", "JSON"),
}
_PANDAS_TYPES = (  # dtype text prefix -> Table Schema type, for manifests that carry pandas dtypes
    ("bool", "boolean"), ("int", "integer"), ("uint", "integer"), ("Int", "integer"), ("UInt", "integer"),
    ("float", "number"), ("Float", "number"), ("decimal", "number"), ("date32", "date"), ("date64", "date"),
    ("datetime", "datetime"), ("timestamp", "datetime"), ("object", "string"), ("str", "string"),
    ("string", "string"), ("large_string", "string"),
)

# --- the data dictionary ----------------------------------------------------------------------------


@cache
def _dictionary() -> pd.DataFrame:
    with DICTIONARY.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header != DICTIONARY_COLUMNS:
            raise ValueError(f"{DICTIONARY}: header must be {DICTIONARY_COLUMNS}, found {header}")
        rows, seen = [], set()
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise ValueError(f"{DICTIONARY}:{line}: {len(row)} cells, expected {len(header)}")
            entry = dict(zip(header, (cell.strip() for cell in row), strict=True))
            problem = _entry_problem(entry, seen)
            if problem:
                raise ValueError(f"{DICTIONARY}:{line}: {problem}")
            seen.add((entry["dataset"], entry["field"]))
            rows.append(entry)
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def _entry_problem(entry: dict[str, str], seen: set[tuple[str, str]]) -> str | None:
    if entry["type"] not in TABLE_TYPES:
        return f"type {entry['type']!r} is none of {TABLE_TYPES}"
    if entry["pii"] not in PII_LEVELS:
        return f"pii {entry['pii']!r} is none of {PII_LEVELS}"
    empty = [c for c in DICTIONARY_COLUMNS if not entry[c]]
    if empty:
        return f"empty {', '.join(empty)}"
    if (entry["dataset"], entry["field"]) in seen:
        return f"{entry['dataset']}.{entry['field']} is described twice"
    return None


def field_dictionary() -> pd.DataFrame:
    """Every documented column of every dataset (columns: :data:`DICTIONARY_COLUMNS`)."""
    return _dictionary().copy()


def describe(dataset: str, columns: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """The dictionary rows of ``columns`` of ``dataset`` (in that order) and the columns without one.

    A published column nobody described is returned in the second list so the caller can report it
    (a release states its undocumented columns rather than inventing a description).
    """
    wanted = [str(c) for c in columns]
    mine = _dictionary()
    mine = mine[mine["dataset"] == dataset].set_index("field", drop=False)
    found = [c for c in wanted if c in mine.index]
    missing = [c for c in wanted if c not in mine.index]
    return mine.loc[found].reset_index(drop=True), missing


def table_schema_type(declared: str | None) -> str:
    """A manifest type (Table Schema's, or a pandas/Arrow dtype text) as a Table Schema type; else ``any``."""
    text = (declared or "").strip()
    if text in TABLE_TYPES or text in ("any", "object", "array", "time", "year", "duration"):
        return "string" if text == "object" else text  # "object" is a pandas dtype here, not JSON
    for prefix, kind in _PANDAS_TYPES:
        if text.startswith(prefix):
            return kind
    return "any"


# --- shared helpers ---------------------------------------------------------------------------------


def _wib(stamp: str | None) -> str | None:
    """An ISO timestamp in WIB with its offset; a naive one is WIB already (docs/DOMAIN.md §2.4)."""
    if not stamp:
        return None
    moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    moment = moment.replace(tzinfo=WIB) if moment.tzinfo is None else moment.astimezone(WIB)
    return moment.isoformat(timespec="seconds")


def _datasets(release: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    datasets = release.get("datasets") or {}
    order = [d for d in DATASET_KEYS if d in datasets] + sorted(d for d in datasets if d not in DATASET_KEYS)
    return [(name, datasets[name]) for name in order]


def _relative(key: str, release_id: str) -> str:
    """A file's path relative to its release folder (where datapackage.json and dcat.jsonld live)."""
    marker = f"releases/{release_id}/"
    if marker not in key:
        raise ValueError(f"file {key!r} is not inside the folder of release {release_id}")
    return key.split(marker, 1)[1]


def _format(path: str) -> tuple[str, str, str]:
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return _FORMATS.get(extension, (extension or "bin", "application/octet-stream", "BIN"))


def _files(release: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The national (restricted) and public files of every dataset, with their relative paths."""
    rid = str(release["release"])
    out = []
    for name, meta in _datasets(release):
        for label, info in sorted((meta.get("files") or {}).items()):
            if not info.get("sha256") or info.get("bytes") is None:
                raise ValueError(f"dataset {name}: file {label} has no sha256 or size in the manifest")
            out.append({"dataset": name, "access": meta.get("access", "restricted"), "label": label,
                        "path": _relative(str(info["key"]), rid), "key": str(info["key"]),
                        "sha256": str(info["sha256"]).lower(), "bytes": int(info["bytes"]), "meta": meta})
    return out


# --- Data Package v2 --------------------------------------------------------------------------------


def _fields(name: str, meta: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    schema = meta.get("schema")
    if not schema:  # describing the dictionary's columns instead would be a guess about the file
        raise ValueError(f"dataset {name}: the manifest has no schema")
    declared = [(str(c["name"]), c.get("type") or c.get("dtype")) for c in schema]
    rows, missing = describe(name, [c for c, _ in declared])
    known = rows.set_index("field")
    fields = []
    for column, kind in declared:
        field: dict[str, Any] = {"name": column, "type": table_schema_type(kind)}
        if column in known.index:
            entry = known.loc[column]
            field.update({"description": entry["description_en"], "pantau:description_id": entry["description_id"],
                          "pantau:description_en": entry["description_en"], "pantau:pii": entry["pii"]})
        else:
            field["pantau:pii"] = "undocumented"
        fields.append(field)
    return fields, missing


def _table_schema(name: str, meta: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    fields, missing = _fields(name, meta)
    schema: dict[str, Any] = {"$schema": TABLESCHEMA_PROFILE, "fields": fields, "missingValues": [""]}
    key = list(meta.get("key") or DATASET_KEYS.get(name, []))
    names = {f["name"] for f in fields}
    absent = [k for k in key if k not in names]
    if absent:
        raise ValueError(f"dataset {name}: key column(s) {absent} are not in its schema")
    if key:
        schema["uniqueKeys" if name in NULLABLE_KEYS else "primaryKey"] = [key] if name in NULLABLE_KEYS else key
    return schema, missing


def datapackage(release: dict) -> dict:
    """A Frictionless Data Package v2 descriptor for a release manifest (``datapackage.json``).

    One resource per published file of each dataset (public files and the restricted national
    files; per-PPK extracts are named only by their path pattern), paths relative to the release
    folder, ``hash`` as ``sha256:<hex>``, a Table Schema whose fields carry the dictionary's
    descriptions and ``pantau:pii``. Columns the dictionary does not describe are listed under
    ``pantau:undocumented``.
    """
    rid = str(release["release"])
    resources, undocumented, schemas = [], {}, {}
    for file in _files(release):
        name, meta = file["dataset"], file["meta"]
        if name not in schemas:
            schemas[name], missing = _table_schema(name, meta)
            if missing:
                undocumented[name] = missing
        fmt, mediatype, _ = _format(file["path"])
        restricted = file["access"] != "public"
        resource: dict[str, Any] = {
            "name": f"{name}-{fmt}", "type": "table", "path": file["path"], "format": fmt, "mediatype": mediatype,
            "bytes": file["bytes"], "hash": f"sha256:{file['sha256']}",
            "title": f"{name} ({fmt})", "description": str(meta.get("description") or name),
            "schema": schemas[name], "licenses": [RESTRICTED_LICENSE if restricted else PUBLIC_LICENSE],
            "pantau:access": "restricted" if restricted else "public", "pantau:dataset": name,
        }
        if fmt == "csv":
            resource["encoding"] = "utf-8"  # written with a BOM so spreadsheets detect UTF-8
        if meta.get("rows") is not None:
            resource["pantau:rows"] = int(meta["rows"])
        if restricted:
            resource["pantau:extracts"] = f"restricted/ppk/<ppk_slug>/{name}/{file['path'].rsplit('/', 1)[-1]}"
        resources.append(resource)
    names = [r["name"] for r in resources]
    if len(names) != len(set(names)):
        raise ValueError(f"release {rid}: two files of one dataset share a format: {sorted(names)}")
    package: dict[str, Any] = {
        "$schema": DATAPACKAGE_PROFILE,
        "name": PACKAGE_NAME,
        "title": "Pantau: kasus netralitas ASN dan tindak lanjutnya / ASN neutrality cases and their follow-up",
        "description": ("Kasus Bawaslu, rekomendasi KASN/BKN dan tindak lanjut PPK/BKD per " + str(release.get("as_of"))
                        + ". Dataset terbatas hanya untuk instansi berwenang. / Bawaslu cases, KASN/BKN "
                        "recommendations and PPK/BKD follow-ups as of " + str(release.get("as_of"))
                        + ". Restricted datasets are for authorised agencies only."),
        "version": rid,
        "created": _wib(release.get("created_at")),
        "keywords": ["netralitas ASN", "Bawaslu", "BKN", "KASN", "tindak lanjut", "pemilu", "pilkada"],
        "licenses": [PUBLIC_LICENSE],
        "sources": [{"title": source, "version": str(info.get("validated") or info.get("staged") or "")}
                    for source, info in sorted((release.get("sources") or {}).items())],
        "resources": resources,
        "pantau:release": {k: release.get(k) for k in ("as_of", "run_id", "content_digest", "previous_release",
                                                       "policy", "disclosure")},
    }
    if package["created"] is None:
        del package["created"]
    if not package["sources"]:
        del package["sources"]
    if undocumented:
        package["pantau:undocumented"] = undocumented
    return package


@cache
def _profile(name: str) -> dict[str, Any]:
    import json

    return json.loads((PROFILES / name).read_text(encoding="utf-8"))


def validate_datapackage(descriptor: Mapping[str, Any]) -> list[str]:
    """Problems of ``descriptor`` against the Data Package v2 and Table Schema v2 profiles ([] = valid).

    The profiles are JSON Schema documents shipped in ``data/profiles/2.0/`` (nothing is downloaded).
    """
    from jsonschema import Draft7Validator

    problems = [f"{'/'.join(map(str, e.absolute_path)) or '<package>'}: {e.message}"
                for e in Draft7Validator(_profile("datapackage.json")).iter_errors(descriptor)]
    table = Draft7Validator(_profile("tableschema.json"))
    for index, resource in enumerate(descriptor.get("resources") or []):
        schema = resource.get("schema")
        if isinstance(schema, dict):
            problems += [f"resources/{index}/schema/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                         for e in table.iter_errors(schema)]
            names = [f.get("name") for f in schema.get("fields", [])]
            keys = schema.get("primaryKey") or []
            keys = [keys] if isinstance(keys, str) else keys
            for key in [*keys, *(k for group in schema.get("uniqueKeys", []) for k in group)]:
                if key not in names:  # a rule of the spec the JSON Schema cannot express
                    problems.append(f"resources/{index}/schema: key field {key!r} is not a field")
    return problems


# --- DCAT-AP 3 --------------------------------------------------------------------------------------

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"


def _text(indonesian: str, english: str) -> list[dict[str, str]]:
    return [{"@language": "id", "@value": indonesian}, {"@language": "en", "@value": english}]


def _typed(value: object, kind: str) -> dict[str, str]:
    return {"@value": str(value), "@type": f"xsd:{kind}"}


def _checksum(hex_digest: str) -> dict[str, Any]:
    return {"@type": "spdx:Checksum", "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": _typed(hex_digest.lower(), "hexBinary")}


def _distribution(file: Mapping[str, Any]) -> dict[str, Any]:
    fmt, mediatype, file_type = _format(file["path"])
    public = file["access"] == "public"
    out: dict[str, Any] = {
        "@type": "dcat:Distribution",
        "dct:title": f"{file['dataset']} ({fmt})",
        "dcat:accessURL": {"@id": file["path"]},
        "dcat:downloadURL": {"@id": file["path"]},
        "dcat:mediaType": {"@id": _MEDIA_TYPE + mediatype},
        "dct:format": {"@id": _FILE_TYPE + file_type},
        "dcat:byteSize": _typed(file["bytes"], "nonNegativeInteger"),
        "spdx:checksum": _checksum(file["sha256"]),
        "dct:accessRights": {"@id": _ACCESS_RIGHT + ("PUBLIC" if public else "RESTRICTED")},
    }
    if public:
        out["dct:license"] = {"@id": PUBLIC_LICENSE["path"]}
    else:
        out["dct:rights"] = RESTRICTED_LICENSE["title"]
    return out


def _version_notes(release: Mapping[str, Any]) -> str | None:
    parts = []
    for name, meta in _datasets(release):
        change = meta.get("changes")
        if change:
            parts.append(f"{name}: +{change.get('added', 0)} -{change.get('removed', 0)} "
                         f"~{change.get('changed', 0)} ={change.get('unchanged', 0)}")
    return "; ".join(parts) or None


def dcat_record(release: dict, previous: dict | None) -> dict:
    """A DCAT-AP 3 style JSON-LD record of a release (``dcat.jsonld``).

    ``previous`` is the previous release's manifest, or None for the first release (then
    ``release["previous_release"]`` is used when set). Links are relative to the release folder.
    """
    rid = str(release["release"])
    previous_id = (previous or {}).get("release") or release.get("previous_release")
    if previous and release.get("previous_release") and previous["release"] != release["previous_release"]:
        raise ValueError(f"release {rid} follows {release['previous_release']}, not {previous['release']}")
    files = _files(release)
    inputs = lineage(release)["inputs"]
    activity: dict[str, Any] = {
        "@type": "prov:Activity",
        "dct:identifier": str(release.get("run_id") or ""),
        "dct:description": f"Pantau run {release.get('run_key') or release.get('run_id')}, "
                           f"deadlines judged as of {release.get('as_of')}",
        "prov:wasAssociatedWith": {"@type": "prov:SoftwareAgent",
                                   "dct:title": str(release.get("code_version") or "pantau")},
        "prov:used": [{"@type": "prov:Entity", "dct:identifier": i["key"], "dct:title": i["source"],
                       "spdx:checksum": _checksum(i["sha256"])} for i in inputs],
    }
    if release.get("started_at"):
        activity["prov:startedAtTime"] = _typed(_wib(release["started_at"]), "dateTime")
    if release.get("created_at"):
        activity["prov:endedAtTime"] = _typed(_wib(release["created_at"]), "dateTime")
    record: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": "dcat.jsonld",
        "@type": "dcat:Dataset",
        "dct:identifier": rid,
        "dct:title": _text("Pantau: kasus netralitas ASN dan tindak lanjutnya",
                           "Pantau: ASN neutrality cases and their follow-up"),
        "dct:description": _text(
            "Kasus Bawaslu, rekomendasi KASN/BKN dan tindak lanjut PPK/BKD; statistik publik tanpa data pribadi, "
            "dataset terbatas hanya untuk instansi berwenang.",
            "Bawaslu cases, KASN/BKN recommendations and PPK/BKD follow-ups; public statistics without personal "
            "data, restricted datasets for authorised agencies only."),
        "dcat:version": rid,
        "dct:accessRights": {"@id": _ACCESS_RIGHT + (
            "RESTRICTED" if any(f["access"] != "public" for f in files) else "PUBLIC")},
        "dcat:landingPage": {"@id": "index.html"},
        "prov:wasGeneratedBy": activity,
        "dcat:distribution": [_distribution(f) for f in files],
    }
    if release.get("as_of"):  # the day the deadlines were judged: the state the data describe
        record["dct:temporal"] = {"@type": "dct:PeriodOfTime", "dcat:endDate": _typed(release["as_of"], "date")}
    if release.get("created_at"):
        record["dct:issued"] = _typed(_wib(release["created_at"]), "dateTime")
    if previous_id:
        record["dcat:previousVersion"] = {"@id": f"../{previous_id}/dcat.jsonld"}
    notes = _version_notes(release)
    if notes:
        record["adms:versionNotes"] = notes
    return record


# --- lineage ----------------------------------------------------------------------------------------


def lineage(release: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs -> outputs of a release, for the manifest's ``lineage``.

    ``inputs``: each source's validated version (``source``, ``staged``, ``validated``, ``key``,
    ``sha256``); a source without a validated version is named in ``sources_without_version``
    rather than left out unsaid. ``outputs``: every published file with its sha256 and size:
    public, national and per-PPK extract files, plus the ``documents`` the manifest lists
    (datapackage.json, dcat.jsonld, pages, policies). A version or file without a checksum is an
    error: lineage that cannot be checked is not lineage.
    """
    inputs, absent = [], []
    for source, info in sorted((release.get("sources") or {}).items()):
        if not info.get("key"):
            absent.append(source)
            continue
        if not info.get("sha256"):
            raise ValueError(f"source {source}: the manifest names no sha256 of its validated version")
        inputs.append({"source": source, "staged": info.get("staged"), "validated": info.get("validated"),
                       "key": str(info["key"]), "sha256": str(info["sha256"]).lower()})
    outputs = []

    def add(files: Mapping[str, Any], where: str, **facts: Any) -> None:
        for label, info in sorted(files.items()):
            if not info.get("key") or not info.get("sha256"):
                raise ValueError(f"{where}: file {label} has no key or sha256 in the manifest")
            outputs.append({"key": str(info["key"]), "sha256": str(info["sha256"]).lower(),
                            "bytes": info.get("bytes"), **facts})

    for name, meta in _datasets(release):
        add(meta.get("files") or {}, f"dataset {name}", dataset=name, access=meta.get("access"))
        for slug, extract in sorted((meta.get("extracts") or {}).items()):
            add(extract.get("files") or {}, f"dataset {name}, extract {slug}", dataset=name, access="restricted",
                ppk=slug)
    add(release.get("documents") or {}, "release documents")
    return {"run": {k: release.get(k) for k in ("run_id", "run_key", "code_version", "as_of", "created_at")},
            "inputs": inputs, "sources_without_version": absent, "outputs": outputs}
