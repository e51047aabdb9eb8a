"""Release metadata: the data dictionary covers what the pipeline publishes; the Data Package, the
DCAT record and the lineage say exactly what the manifest verified, and nothing about the extracts."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pantau.matching.world import load_world
from pantau.pipeline import reconcile
from pantau.publishing import metadata
from pantau.publishing.files import csv_bytes, parquet_bytes, xlsx_bytes
from pantau.publishing.metadata import (
    DATASET_KEYS,
    datapackage,
    dcat_record,
    describe,
    field_dictionary,
    lineage,
    table_schema_type,
    validate_datapackage,
)
from pantau.settings import FollowUpPolicy
from pantau.simulate.generate import GenerateOptions, generate_world
from pantau.storage import sha256_hex

RID = "2026-03-02-3f2a9c1b7d4e"
PREVIOUS = "2026-03-01-0a1b2c3d4e5f"
AS_OF = date(2026, 3, 2)
PUBLIC = {"compliance_statistics", "quarantine_summary"}
SLUG = "bupati-agam"
STATISTICS_COLUMNS = ["level", "election", "province_code", "province_name", "kabkota_code", "kabkota_name",
                      "agency_code", "agency_name", "persons", "reported", "forwarded", "recommended", "proven",
                      "followed_up", "follow_up_rate", "median_working_days_to_follow_up", "suppressed",
                      "suppression_note"]


# --- what the pipeline publishes today, from a small simulated world -------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The restricted datasets as the reconcile step builds them, plus the new public datasets."""
    world = tmp_path_factory.mktemp("world")
    generate_world(world, GenerateOptions(seed=3, registry_size=2_000, cases=150), False)
    staged = load_world(world, cache=False)
    consolidated = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                        transfers=staged.transfers)
    return {
        "consolidated_cases": consolidated,
        "overdue_recommendations": reconcile.overdue(consolidated, AS_OF, FollowUpPolicy()),
        "review_queue": reconcile.build_review_queue(consolidated),
        "compliance_statistics": _statistics(),
        "quarantine_summary": pd.DataFrame({"source": ["bawaslu_cases", "recommendations"],
                                            "stage": ["ingest", "validation"],
                                            "reason_code": ["missing_field", "empty_name"],
                                            "reason": ["A required field is missing or empty.", "The name is empty."],
                                            "records": [3, 1], "runs": [2, 1], "first_run": ["r1", "r2"],
                                            "last_run": ["r3", "r2"]}),
    }


def _statistics() -> pd.DataFrame:
    # The contract's columns with values of their kinds (the statistics module fills them for real).
    return pd.DataFrame({
        "level": ["national", "province"], "election": ["SEMUA", "Pilkada 2024"], "province_code": [None, "13"],
        "province_name": [None, "Sumatera Barat"], "kabkota_code": [None, None], "kabkota_name": [None, None],
        "agency_code": [None, None], "agency_name": [None, None], "persons": [120, 2], "reported": [130, 2],
        "forwarded": [100, 2], "recommended": [90, 2], "proven": [70, 2], "followed_up": [40, 1],
        "follow_up_rate": [0.5714, None], "median_working_days_to_follow_up": [12.0, None],
        "suppressed": [False, True], "suppression_note": [None, "fewer than 3 persons"],
    })


# --- a release manifest over those datasets, files written where the bucket layout puts them -------------


def _file_set(frame: pd.DataFrame, name: str) -> dict[str, bytes]:
    return {"data.parquet": parquet_bytes(frame), "data.csv": csv_bytes(frame), "data.xlsx": xlsx_bytes(frame, name)}


def _manifest(frames: dict[str, pd.DataFrame], bucket: Path) -> dict[str, Any]:
    """What the release writer records, with every file also written under ``bucket``."""
    release = f"published/releases/{RID}"
    datasets: dict[str, Any] = {}
    for name, frame in frames.items():
        public = name in PUBLIC
        folder = f"{release}/public/{name}" if public else f"{release}/restricted/national/{name}"
        files = {}
        for filename, body in _file_set(frame, name).items():
            (bucket / folder).mkdir(parents=True, exist_ok=True)
            (bucket / folder / filename).write_bytes(body)
            label = filename if public else f"national/{filename}"
            files[label] = {"key": f"{folder}/{filename}", "sha256": sha256_hex(body), "bytes": len(body)}
        entry: dict[str, Any] = {
            "access": "public" if public else "restricted", "description": f"The {name} dataset.",
            "rows": len(frame), "key": DATASET_KEYS[name],
            "schema": [{"name": str(c), "type": table_schema_type(str(t))} for c, t in frame.dtypes.items()],
            "files": files, "changes": {"added": len(frame), "removed": 0, "changed": 0, "unchanged": 0},
        }
        if not public:
            part = frame.head(1)
            body = parquet_bytes(part)
            entry["extracts"] = {SLUG: {"rows": len(part), "files": {"data.parquet": {
                "key": f"{release}/restricted/ppk/{SLUG}/{name}/data.parquet", "sha256": sha256_hex(body),
                "bytes": len(body)}}}}
            entry["unassigned_rows"] = 0
        datasets[name] = entry
    return {
        "release": RID, "as_of": AS_OF.isoformat(), "created_at": "2026-03-02T03:04:05+00:00",
        "run_id": "manual__2026-03-02T03:00:00+00:00", "run_key": "manual__2026-03-02T03_00_00_00_00",
        "code_version": "pantau 0.1.0 (git 8b388dc)", "previous_release": PREVIOUS, "content_digest": "ab" * 32,
        "policy": {"follow_up_days": 14, "escalation_days": 14}, "disclosure": {"k": 3},
        "sources": {"bawaslu_cases": {"staged": "run-1", "validated": "run-1",
                                      "key": "validated/bawaslu_cases/run-1.parquet", "sha256": "11" * 32},
                    "recommendations": {"staged": "run-1", "validated": "run-1",
                                        "key": "validated/recommendations/run-1.parquet", "sha256": "22" * 32}},
        "datasets": datasets,
    }


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bucket")


@pytest.fixture(scope="module")
def release(published: dict[str, pd.DataFrame], bucket: Path) -> dict[str, Any]:
    return _manifest(published, bucket)


# --- the dictionary --------------------------------------------------------------------------------------


def test_dictionary_has_the_contract_columns_and_levels() -> None:
    table = field_dictionary()
    assert list(table.columns) == ["dataset", "field", "type", "pii", "description_id", "description_en"]
    assert set(table["dataset"]) == set(DATASET_KEYS)
    assert set(table["pii"]) <= set(metadata.PII_LEVELS)
    assert not table.duplicated(["dataset", "field"]).any()
    assert (table["description_id"] != table["description_en"]).all()


@pytest.mark.parametrize("name", ["consolidated_cases", "overdue_recommendations", "review_queue"])
def test_every_published_column_is_in_the_dictionary(published: dict[str, pd.DataFrame], name: str) -> None:
    rows, missing = describe(name, published[name].columns)
    assert missing == []
    assert list(rows["field"]) == list(published[name].columns)


def test_every_contract_key_and_statistics_column_is_described() -> None:
    for name, key in DATASET_KEYS.items():
        assert describe(name, key)[1] == [], name
    assert describe("compliance_statistics", STATISTICS_COLUMNS)[1] == []


def test_new_statistics_module_columns_are_described(published: dict[str, pd.DataFrame]) -> None:
    statistics = pytest.importorskip("pantau.publishing.statistics", reason="statistics module not merged yet")
    stats = statistics.compliance_statistics(published["consolidated_cases"], k=3)
    assert describe("compliance_statistics", stats.columns)[1] == []
    blocking = statistics.blocking_candidates(published["overdue_recommendations"], AS_OF)
    assert describe("blocking_candidates", blocking.columns)[1] == []


def test_unknown_columns_are_reported_not_dropped() -> None:
    rows, missing = describe("review_queue", ["item_id", "shoe_size", "status", "ppk_slug"])
    assert list(rows["field"]) == ["item_id", "status"]
    assert missing == ["shoe_size", "ppk_slug"]
    rows, missing = describe("no_such_dataset", ["item_id"])
    assert rows.empty and missing == ["item_id"]


def test_personal_columns_are_marked_as_such() -> None:
    table = field_dictionary().set_index(["dataset", "field"])
    for field in ("nip", "case_nama", "rec_nama", "registry_nama", "case_nip", "uraian", "case_review_candidates"):
        assert table.loc[("consolidated_cases", field), "pii"] == "direct", field
    for field in ("nomor_rekomendasi", "nomor_register", "nomor_sk"):
        assert table.loc[("consolidated_cases", field), "pii"] == "indirect", field
    assert table.loc[("review_queue", "candidates"), "pii"] == "direct"  # registry NIPs
    public = table.loc[list(PUBLIC)]
    assert (public["pii"] == "none").all()


def test_columns_shared_by_two_datasets_mean_the_same() -> None:
    table = field_dictionary()
    consolidated = table[table["dataset"] == "consolidated_cases"].set_index("field")
    overdue = table[table["dataset"] == "overdue_recommendations"].set_index("field")
    shared = consolidated.index.intersection(overdue.index)
    assert len(shared) == len(consolidated)  # overdue rows are consolidated rows plus deadline columns
    pd.testing.assert_frame_equal(consolidated.loc[shared].drop(columns="dataset"),
                                  overdue.loc[shared].drop(columns="dataset"))


def _holds(series: pd.Series, kind: str) -> bool:
    values = series.dropna()
    if values.empty:
        return True
    if kind == "date":  # a date object, an ISO date text or a naive midnight timestamp (all seen today)
        if pd.api.types.is_datetime64_dtype(series) and not isinstance(series.dtype, pd.DatetimeTZDtype):
            return bool((values == values.dt.normalize()).all())
        return all((isinstance(v, date) and not isinstance(v, datetime))
                   or (isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)) for v in values)
    if kind == "datetime":
        return isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series)
    if kind == "boolean":
        return all(isinstance(v, bool) or str(v) in ("True", "False") for v in values)
    if kind == "integer":
        return all(float(v).is_integer() for v in values) and not pd.api.types.is_bool_dtype(series)
    if kind == "number":
        return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return all(isinstance(v, str) for v in values)


def test_dictionary_types_match_what_is_published(published: dict[str, pd.DataFrame]) -> None:
    table = field_dictionary()
    wrong = []
    for name, frame in published.items():
        for field, kind in table.loc[table["dataset"] == name, ["field", "type"]].itertuples(index=False):
            if field in frame.columns and not _holds(frame[field], kind):
                wrong.append(f"{name}.{field}: {kind} vs {frame[field].dtype}")
    assert wrong == []


def test_a_broken_dictionary_stops_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "dictionary.csv"
    bad.write_text("dataset,field,type,pii,description_id,description_en\n"
                   "review_queue,item_id,string,secret,Kode,Id\n", encoding="utf-8")
    monkeypatch.setattr(metadata, "DICTIONARY", bad)
    metadata._dictionary.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"dictionary.csv:2: pii 'secret'"):
            field_dictionary()
    finally:
        monkeypatch.undo()
        metadata._dictionary.cache_clear()


# --- Data Package v2 -------------------------------------------------------------------------------------


def test_datapackage_is_valid_against_the_v2_profiles(release: dict[str, Any]) -> None:
    package = datapackage(release)
    assert validate_datapackage(package) == []
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["version"] == RID
    assert package["created"] == "2026-03-02T10:04:05+07:00"
    json.loads(json.dumps(package))  # plain JSON, nothing a serialiser would have to guess


def test_the_profile_check_rejects_what_v2_forbids(release: dict[str, Any]) -> None:
    package = datapackage(release)
    assert validate_datapackage({**package, "resources": []})  # a package needs resources
    broken = copy.deepcopy(package)
    broken["resources"][0]["hash"] = "sha256:not-hex"
    broken["resources"][1]["schema"]["fields"][0]["type"] = "text"
    broken["resources"][2]["path"] = "/absolute/data.csv"
    broken["resources"][3]["schema"]["primaryKey"] = ["no_such_field"]
    problems = "\n".join(validate_datapackage(broken))
    for where in ("resources/0/hash", "resources/1/schema", "resources/2/path", "no_such_field"):
        assert where in problems


def test_every_national_and_public_file_is_a_resource_that_resolves(release: dict[str, Any], bucket: Path) -> None:
    package = datapackage(release)
    folder = bucket / "published" / "releases" / RID
    expected = {(n, f["key"]) for n, d in release["datasets"].items() for f in d["files"].values()}
    assert len(package["resources"]) == len(expected)
    for resource in package["resources"]:
        body = (folder / resource["path"]).read_bytes()  # relative to the folder datapackage.json sits in
        assert resource["hash"] == "sha256:" + sha256_hex(body)
        assert resource["bytes"] == len(body)
        dataset = release["datasets"][resource["pantau:dataset"]]
        assert resource["pantau:access"] == dataset["access"]
        assert resource["pantau:rows"] == dataset["rows"]
    formats = {(r["format"], r["mediatype"]) for r in package["resources"]}
    assert formats == {("parquet", "application/vnd.apache.parquet"), ("csv", "text/csv"),
                       ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def test_restricted_datasets_are_listed_but_extracts_are_not(release: dict[str, Any]) -> None:
    package = datapackage(release)
    by_access: dict[str, set[str]] = {}
    for resource in package["resources"]:
        by_access.setdefault(resource["pantau:access"], set()).add(resource["pantau:dataset"])
        license_name = resource["licenses"][0]["name"]
        assert license_name == ("CC-BY-4.0" if resource["pantau:access"] == "public" else "other-closed")
    assert by_access == {"public": PUBLIC, "restricted": set(release["datasets"]) - PUBLIC}
    text = json.dumps(package) + json.dumps(dcat_record(release, None))
    assert SLUG not in text  # which offices have an extract is not public


def test_fields_carry_the_dictionary_and_the_right_key(release: dict[str, Any]) -> None:
    resources = {r["name"]: r for r in datapackage(release)["resources"]}
    consolidated = resources["consolidated_cases-csv"]["schema"]
    nip = next(f for f in consolidated["fields"] if f["name"] == "nip")
    assert nip["pantau:pii"] == "direct" and nip["type"] == "string"
    assert nip["pantau:description_id"] and nip["description"] == nip["pantau:description_en"]
    # Keys with empty values (an orphan decree has no register number) are unique keys, not primary keys.
    assert consolidated["uniqueKeys"] == [DATASET_KEYS["consolidated_cases"]] and "primaryKey" not in consolidated
    assert resources["overdue_recommendations-csv"]["schema"]["primaryKey"] == ["nomor_rekomendasi"]
    assert resources["compliance_statistics-csv"]["schema"]["uniqueKeys"] == [DATASET_KEYS["compliance_statistics"]]
    types = {f["name"]: f["type"] for f in resources["compliance_statistics-csv"]["schema"]["fields"]}
    assert (types["persons"], types["follow_up_rate"], types["suppressed"]) == ("integer", "number", "boolean")


def test_declared_keys_hold_in_the_data(published: dict[str, pd.DataFrame]) -> None:
    for name, frame in published.items():
        key = DATASET_KEYS[name]
        assert not frame.duplicated(key).any(), name
        if name not in metadata.NULLABLE_KEYS:
            assert frame[key].notna().all().all(), f"{name}: a primary key column has empty values"


def test_undocumented_columns_are_stated_in_the_package(published: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    frames = {"review_queue": published["review_queue"].assign(shoe_size=1)}
    package = datapackage(_manifest(frames, tmp_path))
    assert package["pantau:undocumented"] == {"review_queue": ["shoe_size"]}
    field = next(f for f in package["resources"][0]["schema"]["fields"] if f["name"] == "shoe_size")
    assert field["pantau:pii"] == "undocumented" and "description" not in field
    assert validate_datapackage(package) == []


def test_a_manifest_that_cannot_be_described_is_refused(release: dict[str, Any]) -> None:
    without_schema = copy.deepcopy(release)
    del without_schema["datasets"]["review_queue"]["schema"]
    with pytest.raises(ValueError, match="review_queue: the manifest has no schema"):
        datapackage(without_schema)
    outside = copy.deepcopy(release)
    outside["datasets"]["review_queue"]["files"]["national/data.csv"]["key"] = "published/restricted/x/data.csv"
    with pytest.raises(ValueError, match="not inside the folder of release"):
        datapackage(outside)


def test_manifest_types_map_to_table_schema_types() -> None:
    assert [table_schema_type(t) for t in ("string", "date", "int64", "Int64", "Float64", "bool", "boolean",
                                           "date32[day][pyarrow]", "datetime64[ns, Asia/Jakarta]", "object",
                                           "str", "weird")] == [
        "string", "date", "integer", "integer", "number", "boolean", "boolean", "date", "datetime", "string",
        "string", "any"]


# --- DCAT-AP -----------------------------------------------------------------------------------------------


def _compact_terms(node: Any) -> set[str]:
    """Every prefixed term a JSON-LD document uses as a key, a type or a compact @id."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.add(key)
            if key in ("@type", "@id") and isinstance(value, str) and re.match(r"^[a-z]+:[A-Za-z_]", value) \
                    and not value.startswith("http"):
                found.add(value)
            found |= _compact_terms(value) if key != "@context" else set()
    elif isinstance(node, list):
        for item in node:
            found |= _compact_terms(item)
    return found


def test_dcat_record_is_json_ld_with_the_required_terms(release: dict[str, Any]) -> None:
    record = json.loads(json.dumps(dcat_record(release, {"release": PREVIOUS})))
    assert set(record["@context"]) == {"dcat", "dct", "prov", "spdx", "adms", "xsd"}
    undefined = {t for t in _compact_terms(record) if t.split(":", 1)[0] not in record["@context"]}
    assert undefined == set()
    assert record["@type"] == "dcat:Dataset" and record["dcat:version"] == RID
    assert record["dcat:previousVersion"] == {"@id": f"../{PREVIOUS}/dcat.jsonld"}
    assert record["dct:issued"] == {"@value": "2026-03-02T10:04:05+07:00", "@type": "xsd:dateTime"}
    run = record["prov:wasGeneratedBy"]
    assert run["dct:identifier"] == release["run_id"]
    assert run["prov:wasAssociatedWith"]["dct:title"] == release["code_version"]
    assert {u["dct:identifier"]: u["spdx:checksum"]["spdx:checksumValue"]["@value"] for u in run["prov:used"]} == {
        s["key"]: s["sha256"] for s in release["sources"].values()}
    assert record["dct:temporal"]["dcat:endDate"]["@value"] == AS_OF.isoformat()


def test_dcat_distributions_carry_the_manifest_checksums(release: dict[str, Any]) -> None:
    record = dcat_record(release, None)
    manifest = {f["key"].split(f"releases/{RID}/", 1)[1]: (f["sha256"], f["bytes"], d["access"])
                for d in release["datasets"].values() for f in d["files"].values()}
    seen = {}
    for dist in record["dcat:distribution"]:
        url = dist["dcat:downloadURL"]["@id"]
        checksum = dist["spdx:checksum"]
        assert checksum["spdx:algorithm"] == {"@id": "spdx:checksumAlgorithm_sha256"}
        access = dist["dct:accessRights"]["@id"].rsplit("/", 1)[1]
        seen[url] = (checksum["spdx:checksumValue"]["@value"], int(dist["dcat:byteSize"]["@value"]), access.lower())
        assert ("dct:license" in dist) == (access == "PUBLIC")
    assert seen == manifest
    assert "dcat:previousVersion" in record  # the manifest names its predecessor even without its manifest


def test_first_release_has_no_previous_version_and_a_wrong_one_is_refused(release: dict[str, Any]) -> None:
    first = {**release, "previous_release": None, "created_at": "2026-03-02T10:00:00"}
    record = dcat_record(first, None)
    assert "dcat:previousVersion" not in record
    assert record["dct:issued"]["@value"] == "2026-03-02T10:00:00+07:00"  # a naive time is WIB
    with pytest.raises(ValueError, match="follows"):
        dcat_record(release, {"release": "2026-02-01-ffffffffffff"})


# --- lineage -----------------------------------------------------------------------------------------------


def test_lineage_names_every_input_and_every_file(release: dict[str, Any]) -> None:
    facts = lineage(release)
    assert [(i["source"], i["key"], i["sha256"]) for i in facts["inputs"]] == [
        (name, s["key"], s["sha256"]) for name, s in sorted(release["sources"].items())]
    files = [f for d in release["datasets"].values()
             for group in [d["files"], *(e["files"] for e in d.get("extracts", {}).values())] for f in group.values()]
    assert sorted((o["key"], o["sha256"]) for o in facts["outputs"]) == sorted((f["key"], f["sha256"]) for f in files)
    assert any(o.get("ppk") == SLUG for o in facts["outputs"])
    assert facts["run"]["code_version"] == release["code_version"]


def test_lineage_names_sources_without_a_version_and_the_documents(release: dict[str, Any]) -> None:
    later = copy.deepcopy(release)
    later["sources"]["registry"] = {"staged": None, "validated": None, "key": None, "rows": None}
    later["documents"] = {"datapackage.json": {"key": f"published/releases/{RID}/datapackage.json",
                                               "sha256": "33" * 32, "bytes": 10}}
    facts = lineage(later)
    assert facts["sources_without_version"] == ["registry"]
    assert "registry" not in {i["source"] for i in facts["inputs"]}
    assert {"key": f"published/releases/{RID}/datapackage.json", "sha256": "33" * 32, "bytes": 10} in facts["outputs"]
    assert len(dcat_record(later, None)["prov:wasGeneratedBy"]["prov:used"]) == len(facts["inputs"])


def test_lineage_without_checksums_is_refused(release: dict[str, Any]) -> None:
    broken = copy.deepcopy(release)
    del broken["sources"]["recommendations"]["sha256"]
    with pytest.raises(ValueError, match="source recommendations"):
        lineage(broken)
    broken = copy.deepcopy(release)
    del broken["datasets"]["review_queue"]["extracts"][SLUG]["files"]["data.parquet"]["sha256"]
    with pytest.raises(ValueError, match=f"extract {SLUG}"):
        lineage(broken)
