"""Per-PPK extracts: each row to the one office responsible for it, nothing lost, and policies that
let an office read its own extracts and the public parts, nothing else."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pantau.pipeline import reconcile
from pantau.publishing.access import (
    RESTRICTED_DATASETS,
    assign_offices,
    evaluate,
    office_slug,
    policy_for,
    ppk_offices,
    split_by_ppk,
)
from pantau.reference.regions import load_regions
from pantau.settings import FollowUpPolicy

BUCKET = "pantau"
RID = "2026-03-02-3f2a9c1b7d4e"


# ---------------------------------------------------------------------- slugs


def test_slugs_are_key_safe_and_stable() -> None:
    assert office_slug("Bupati Klaten") == "bupati-klaten"
    assert office_slug("Gubernur Jawa Tengah") == "gubernur-jawa-tengah"
    # Case, spacing and hyphenation do not make another office.
    assert office_slug("Bupati Toli-Toli") == office_slug("BUPATI  TOLI TOLI") == "bupati-toli-toli"
    for title in ("Bupati Klaten", "Menteri Agama", "Bupati Ágam", "Wali Kota Bau-Bau.", "Kepala BKN (Pusat)"):
        slug = office_slug(title)
        assert slug == office_slug(title)
        assert re.fullmatch(r"[a-z0-9]+(-{1,2}[a-z0-9]+)*", slug), slug


def test_different_titles_never_share_a_slug() -> None:
    table = load_regions()
    titles = {r.ppk_title for r in table.regions.values()}
    # Titles that fold to the same ASCII words but are not the same title.
    titles |= {"Bupati Agam.", "Bupati Ágam", "Bupati Agam'", "Bupati_Agam", "Menteri Agama", "Menteri  Agama RI.",
               "bupati agam x", "Bupati Agam--x", "Bupati Agam X"}
    keys: dict[str, str] = {}
    for title in sorted(titles):
        key = " ".join(title.casefold().replace("-", " ").split())
        keys.setdefault(key, title)
    slugs = {office_slug(t) for t in keys.values()}
    assert len(slugs) == len(keys)
    assert office_slug("Bupati Agam.") != office_slug("Bupati Agam")
    assert office_slug("Bupati Agam--x") == office_slug("Bupati Agam X")  # hyphens are spaces: one office


# ---------------------------------------------------------------------- which office


def _row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {"nomor_register": None, "nomor_rekomendasi": None, "follow_up_key": None,
                               "ppk": None, "registry_kode_instansi": None, "registry_nama_instansi": None,
                               "registry_kode_wilayah": None, "case_kode_wilayah": None, "case_instansi": None}
    base.update(values)
    return base


def test_the_recommendation_ppk_names_one_office_however_written() -> None:
    frame = pd.DataFrame([_row(ppk=p) for p in ("Bupati Agam", "Pj. Bupati Agam", "Bupati Kabupaten Agam",
                                                "Walikota Padang", "Wali Kota Jakarta Barat", "Gubernur Sumbar",
                                                "Menteri Agama RI", "Plt. Menteri Agama")])
    placed = assign_offices(frame)
    assert placed["ppk_slug"].tolist() == ["bupati-agam"] * 3 + [
        "wali-kota-padang", "gubernur-dki-jakarta", "gubernur-sumatera-barat", "menteri-agama", "menteri-agama"]
    assert placed.loc[4, "ppk_name"] == "Gubernur DKI Jakarta"  # DKI's cities are not autonomous
    assert set(placed["ppk_basis"]) == {"recommendation_ppk"}


def test_precedence_recommendation_then_registry_never_the_case_region() -> None:
    frame = pd.DataFrame([
        # The recommendation's addressee wins over the registry (a transfer after the recommendation).
        _row(ppk="Bupati Klaten", registry_kode_instansi="33.74.02", registry_nama_instansi="Dinas Pendidikan Kota Semarang",
             registry_kode_wilayah="33.74"),
        # A PPK text that names no office is not evidence: the registry decides.
        _row(ppk="Kepala Dinas Pendidikan Kab. Agam", registry_kode_instansi="13.06.02",
             registry_nama_instansi="Dinas Pendidikan Kabupaten Agam", registry_kode_wilayah="13.06"),
        # A provincial office sited in a kabupaten belongs to the governor, as its name says.
        _row(registry_kode_instansi="13.00.05", registry_nama_instansi="Dinas Pendidikan Provinsi Sumatera Barat",
             registry_kode_wilayah="13.06"),
        # A kecamatan named like another kabupaten: the code decides (Kecamatan Konawe Utara lies in Konawe).
        _row(registry_kode_instansi="74.02.22", registry_nama_instansi="Kecamatan Konawe Utara",
             registry_kode_wilayah="74.02"),
        # Name and code name two unrelated regions: nobody gets the row.
        _row(registry_kode_instansi="X1", registry_nama_instansi="Dinas Kesehatan Kabupaten Klaten",
             registry_kode_wilayah="13.06"),
        # A ministry's staff sit under regional codes; their PPK is the minister.
        _row(registry_kode_instansi="KEMENAG", registry_nama_instansi="Kementerian Agama", registry_kode_wilayah="13.06"),
        # Bawaslu's region alone never places a row (a provincial teacher reported to a regency Bawaslu).
        _row(case_kode_wilayah="13.06", case_instansi="Disdik Kab. Agam"),
    ], index=[10, 3, 7, 1, 99, 42, 5])
    placed = assign_offices(frame)
    assert placed.index.equals(frame.index)
    assert placed["ppk_slug"].tolist() == ["bupati-klaten", "bupati-agam", "gubernur-sumatera-barat",
                                           "bupati-konawe", None, "menteri-agama", None]
    assert placed["ppk_basis"].tolist() == ["recommendation_ppk", "registry_region", "registry_region",
                                            "registry_region", "registry_conflict", "registry_ministry", "no_evidence"]
    assert ppk_offices(frame).tolist() == placed["ppk_slug"].tolist()


def test_an_agency_whose_recommendations_name_one_office_carries_it_to_its_other_rows() -> None:
    frame = pd.DataFrame([
        _row(ppk="Kepala Badan Pusat Statistik", registry_kode_instansi="BPS",
             registry_nama_instansi="Badan Pusat Statistik Kabupaten Agam", registry_kode_wilayah="13.06"),
        _row(registry_kode_instansi="BPS", registry_nama_instansi="Badan Pusat Statistik Kabupaten Agam",
             registry_kode_wilayah="13.06"),
        # Two offices named for one agency: nothing is learned, the region decides.
        _row(ppk="Bupati Agam", registry_kode_instansi="MIX", registry_nama_instansi="Dinas Sosial Kabupaten Agam",
             registry_kode_wilayah="13.06"),
        _row(ppk="Bupati Klaten", registry_kode_instansi="MIX", registry_nama_instansi="Dinas Sosial Kabupaten Agam",
             registry_kode_wilayah="13.06"),
        _row(registry_kode_instansi="MIX", registry_nama_instansi="Dinas Sosial Kabupaten Agam",
             registry_kode_wilayah="13.06"),
    ])
    placed = assign_offices(frame)
    assert placed.loc[1, ["ppk_slug", "ppk_basis"]].tolist() == ["kepala-badan-pusat-statistik", "registry_agency"]
    assert placed.loc[4, ["ppk_slug", "ppk_basis"]].tolist() == ["bupati-agam", "registry_region"]
    # Learned from the consolidated frame when the dataset itself has no recommendation for the agency.
    alone = assign_offices(frame.iloc[[1]], learn_from=frame)
    assert alone["ppk_slug"].tolist() == ["kepala-badan-pusat-statistik"]


def test_a_registry_numbering_its_regions_otherwise_is_read_as_its_names_say() -> None:
    table = load_regions()
    karimun = next(r for r in table.regions.values() if r.name == "Karimun")
    other = next(c for c in sorted(table.regions) if c.startswith(karimun.province_code + ".") and c != karimun.code)
    frame = pd.DataFrame([_row(registry_kode_instansi="G1", registry_nama_instansi="Pemerintah Kabupaten Karimun",
                               registry_kode_wilayah=other)])
    assert assign_offices(frame)["ppk_slug"].tolist() == ["bupati-karimun"]


# ---------------------------------------------------------------------- splitting


def _assert_nothing_lost(datasets: dict[str, pd.DataFrame], split) -> None:  # noqa: ANN001
    for name, frame in datasets.items():
        parts = [e[name] for e in split.extracts.values() if name in e]
        assert sum(len(p) for p in parts) + split.unassigned[name] == len(frame), name
        indexes = [i for p in parts for i in p.index]
        assert len(indexes) == len(set(indexes)), f"{name}: a row is in two extracts"
        for part in parts:
            assert len(part) > 0
            pd.testing.assert_frame_equal(part, frame.loc[part.index])
    assert set(split.names) == set(split.extracts)


def test_split_of_synthetic_frames_keeps_every_row_once() -> None:
    consolidated = pd.DataFrame([
        _row(nomor_register="R1", nomor_rekomendasi="B-1", ppk="Bupati Agam"),
        _row(nomor_register="R2", nomor_rekomendasi="B-2", ppk="Bupati Klaten"),
        _row(nomor_register="R3", ppk=None),
        _row(nomor_register="R4", nomor_rekomendasi="B-4", ppk="Bupati Agam"),
        _row(nomor_register="R4", nomor_rekomendasi="B-5", ppk="Bupati Klaten"),  # two persons, two offices
        _row(follow_up_key="bkd01#7", registry_kode_instansi="33.10.02", registry_kode_wilayah="33.10",
             registry_nama_instansi="Dinas Pendidikan Kabupaten Klaten"),
    ])
    review = pd.DataFrame({
        "item_id": ["person:case:R1", "person:rec:B-2", "case_link:B-4", "conflict:sanction_lighter:B-1",
                    "conflict:follow_up_without_recommendation:bkd01#7", "person:case:R3", "person:case:R4",
                    "conflict:x:unknown", "person:case:B-2"],
        "kind": ["person_match", "person_match", "case_link", "conflict", "conflict", "person_match",
                 "person_match", "conflict", "person_match"],
    })
    review["record"] = review["item_id"].str.split(":").str[-1]
    # A dataset without office columns is placed through its key (blocking candidates, say).
    blocking = pd.DataFrame({"nomor_rekomendasi": ["B-2", "B-9", None], "days_overdue": [40, 50, 60]})
    datasets = {"consolidated_cases": consolidated, "review_queue": review, "blocking_candidates": blocking}
    split = split_by_ppk(datasets)
    _assert_nothing_lost(datasets, split)
    assert split.names == {"bupati-agam": "Bupati Agam", "bupati-klaten": "Bupati Klaten"}
    assert split.extracts["bupati-agam"]["review_queue"]["item_id"].tolist() == [
        "person:case:R1", "case_link:B-4", "conflict:sanction_lighter:B-1"]
    assert split.extracts["bupati-klaten"]["review_queue"]["item_id"].tolist() == [
        "person:rec:B-2", "conflict:follow_up_without_recommendation:bkd01#7"]
    # R3 has no office; R4 is two offices' people; "unknown" names no row; a person:case item is
    # looked up by register number only.
    assert split.unassigned == {"consolidated_cases": 1, "review_queue": 4, "blocking_candidates": 2}
    assert split.extracts["bupati-klaten"]["blocking_candidates"]["nomor_rekomendasi"].tolist() == ["B-2"]


def test_split_refuses_public_datasets_and_handles_empty_ones() -> None:
    with pytest.raises(ValueError, match="restricted"):
        split_by_ppk({"compliance_statistics": pd.DataFrame({"level": ["national"]})})
    empty = pd.DataFrame([_row()]).iloc[:0]
    split = split_by_ppk({"consolidated_cases": empty, "overdue_recommendations": empty})
    assert split.extracts == {} and split.unassigned == {"consolidated_cases": 0, "overdue_recommendations": 0}


@pytest.fixture(scope="module", params=["a", "b"])
def released(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The restricted datasets of a small simulated world of each dialect, as the pipeline builds them."""
    from pantau.matching.world import load_world
    from pantau.simulate.generate import GenerateOptions, generate_world

    out: Path = tmp_path_factory.mktemp(f"world-{request.param}")
    generate_world(out, GenerateOptions(seed=7, registry_size=4_000, cases=300, dialect=request.param), False)
    world = load_world(out, cache=False)
    consolidated = reconcile.link_cases(world.cases, world.recs, world.follow_ups, world.registry,
                                        transfers=world.transfers)
    overdue = reconcile.overdue(consolidated, date(2025, 3, 1), FollowUpPolicy())
    return {"consolidated_cases": consolidated, "overdue_recommendations": overdue,
            "review_queue": reconcile.review_items(consolidated)}


def test_split_of_a_simulated_release_loses_nothing(released: dict[str, pd.DataFrame]) -> None:
    split = split_by_ppk(released)
    _assert_nothing_lost(released, split)
    assert len(split.extracts) > 10
    consolidated = released["consolidated_cases"]
    placed = assign_offices(consolidated)
    # Only rows without any evidence (no recommendation, no registry person) stay national-only here.
    unplaced = consolidated[placed["ppk_slug"].isna()]
    assert split.unassigned["consolidated_cases"] == len(unplaced)
    assert (unplaced["ppk"].isna() & unplaced["registry_kode_instansi"].isna()).all()
    # An overdue row goes where its consolidated row goes.
    by_rec = dict(zip(consolidated["nomor_rekomendasi"], placed["ppk_slug"], strict=True))
    for slug, parts in split.extracts.items():
        for rec in parts.get("overdue_recommendations", pd.DataFrame({"nomor_rekomendasi": []}))["nomor_rekomendasi"]:
            assert by_rec[rec] == slug
    for slug in split.extracts:
        policy_for(slug, BUCKET)  # every slug is a valid policy subject


def test_registry_rules_alone_find_the_office_the_recommendation_names(released: dict[str, pd.DataFrame]) -> None:
    """Rows without a recommendation are placed by the registry: checked against the rows that have one."""
    consolidated = released["consolidated_cases"]
    by_recommendation = assign_offices(consolidated)
    both = by_recommendation["ppk_basis"].eq("recommendation_ppk") & consolidated["registry_kode_instansi"].notna()
    assert both.sum() > 100
    by_registry = assign_offices(consolidated.drop(columns=["ppk"]))
    assert (by_registry.loc[both, "ppk_slug"] == by_recommendation.loc[both, "ppk_slug"]).mean() >= 0.98


# ---------------------------------------------------------------------- policies


def test_policy_is_a_valid_iam_document() -> None:
    from moto.iam.policy_validation import IAMPolicyDocumentValidator

    policy = policy_for("bupati-agam", BUCKET)
    assert policy["Version"] == "2012-10-17"
    IAMPolicyDocumentValidator(json.dumps(policy)).validate()
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert actions == {"s3:GetObject", "s3:ListBucket"}
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


@pytest.mark.parametrize("slug", ["*", "bupati-agam/*", "bupati?agam", "Bupati-Agam", "", "-x", "a/../b", "a b"])
def test_policy_refuses_what_is_not_a_slug(slug: str) -> None:
    with pytest.raises(ValueError):
        policy_for(slug, BUCKET)


def test_policy_refuses_a_bucket_pattern() -> None:
    for bucket in ("*", "pan*", "a/b", "PANTAU", ""):
        with pytest.raises(ValueError):
            policy_for("bupati-agam", bucket)


def _key(office: str, dataset: str = "overdue_recommendations", file: str = "data.csv", rid: str = RID) -> str:
    return f"published/releases/{rid}/restricted/ppk/{office}/{dataset}/{file}"


@pytest.mark.parametrize("office", ["bupati-agam", "bupati-agam-x"])
def test_an_office_reads_its_own_extracts_and_the_public_parts(office: str) -> None:
    policy = policy_for(office, BUCKET)
    readable = [_key(office), _key(office, "consolidated_cases", "data.parquet", "2025-12-01-000000000000"),
                "published/current.json", "published/index.html", f"published/releases/{RID}/index.html",
                f"published/releases/{RID}/datapackage.json", f"published/releases/{RID}/dcat.jsonld",
                f"published/releases/{RID}/public/compliance_statistics/data.xlsx",
                "published/validation/manual__2026-03-02/registry.html"]
    for key in readable:
        assert evaluate(policy, "s3:GetObject", BUCKET, key), key
    assert not evaluate(policy, "s3:GetObject", "other-bucket", _key(office))


def test_an_office_reads_nothing_else() -> None:
    agam, agam_x = policy_for("bupati-agam", BUCKET), policy_for("bupati-agam-x", BUCKET)
    assert not evaluate(agam, "s3:GetObject", BUCKET, _key("bupati-agam-x"))  # the prefix trap, both ways
    assert not evaluate(agam_x, "s3:GetObject", BUCKET, _key("bupati-agam"))
    forbidden = [_key("bupati-klaten"), _key("bupati-agamx"),
                 f"published/releases/{RID}/restricted/national/consolidated_cases/data.parquet",
                 f"published/releases/{RID}/release.json", f"published/releases/{RID}/access/bupati-agam.policy.json",
                 f"published/releases/{RID}/restricted/ppk/bupati-agam",  # the folder name itself, not inside it
                 "staging/registry/_current.json", "raw/bawaslu/run/landing/page-1.json",
                 "quarantine/bawaslu/run.parquet", "state/alerts/ledger.json", "runs/pantau_reconcile/r.json",
                 "review/decisions.csv", "published/restricted/consolidated_cases/v=1/data.parquet",
                 f"published/releases/{RID}/public_extra/x", "published/current.json.bak"]
    for key in forbidden:
        assert not evaluate(agam, "s3:GetObject", BUCKET, key), key
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:GetObjectAcl", "s3:PutObjectAcl", "s3:*"):
        for key in (_key("bupati-agam"), "published/current.json", f"published/releases/{RID}/public/x/data.csv"):
            assert not evaluate(agam, action, BUCKET, key), (action, key)
    for action in ("s3:PutBucketPolicy", "s3:DeleteBucket", "s3:GetBucketPolicy", "s3:ListBucketVersions"):
        assert not evaluate(agam, action, BUCKET, None), action


def test_an_office_lists_only_where_it_may_read() -> None:
    agam = policy_for("bupati-agam", BUCKET)
    listable = [f"published/releases/{RID}/restricted/ppk/bupati-agam/",
                f"published/releases/{RID}/restricted/ppk/bupati-agam/overdue_recommendations/",
                f"published/releases/{RID}/public/", "published/validation/"]
    for prefix in listable:
        assert evaluate(agam, "s3:ListBucket", BUCKET, prefix), prefix
    not_listable = [None, "", "published/", "published/releases/", f"published/releases/{RID}/",
                    f"published/releases/{RID}/restricted/", f"published/releases/{RID}/restricted/ppk/",
                    f"published/releases/{RID}/restricted/ppk/bupati-agam",  # would list bupati-agam-x too
                    f"published/releases/{RID}/restricted/ppk/bupati-agam-x/",
                    f"published/releases/{RID}/restricted/national/", "staging/", "raw/", "quarantine/", "state/"]
    for prefix in not_listable:
        assert not evaluate(agam, "s3:ListBucket", BUCKET, prefix), prefix


def test_validation_pages_can_be_withheld() -> None:
    policy = policy_for("bupati-agam", BUCKET, validation_pages=False)
    assert not evaluate(policy, "s3:GetObject", BUCKET, "published/validation/r/registry.html")
    assert not evaluate(policy, "s3:ListBucket", BUCKET, "published/validation/")


# ---------------------------------------------------------------------- the evaluator on its own


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_ALL = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


def test_explicit_deny_wins_and_default_is_deny() -> None:
    deny_secret = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"}
    assert evaluate(_policy(ALLOW_ALL, deny_secret), "s3:GetObject", "b", "public/x")
    assert not evaluate(_policy(ALLOW_ALL, deny_secret), "s3:GetObject", "b", "secret/x")
    assert not evaluate(_policy(deny_secret, ALLOW_ALL), "s3:GetObject", "b", "secret/x")  # order does not matter
    assert not evaluate(_policy(deny_secret), "s3:GetObject", "b", "public/x")  # no Allow: denied
    single = {"Version": "2012-10-17", "Statement": ALLOW_ALL}  # a single statement object is allowed
    assert evaluate(single, "s3:PutObject", "b", "k")


def test_action_wildcards_are_case_insensitive_and_exact() -> None:
    policy = _policy({"Effect": "Allow", "Action": ["s3:Get*", "s3:List?ucket"], "Resource": "*"})
    assert evaluate(policy, "s3:GetObject", "b", "k")
    assert evaluate(policy, "s3:GetObjectVersion", "b", "k")
    assert evaluate(policy, "S3:getobject", "b", "k")
    assert evaluate(policy, "s3:ListBucket", "b", None)
    assert not evaluate(policy, "s3:PutObject", "b", "k")
    assert not evaluate(policy, "s3:ListBucketVersions", "b", None)  # '?' is one character, no more


def test_resource_wildcards() -> None:
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/r/*/ppk/a?c/*"})
    assert evaluate(policy, "s3:GetObject", "b", "r/1/ppk/abc/x.csv")
    assert evaluate(policy, "s3:GetObject", "b", "r/1/2/ppk/abc/d/x.csv")  # '*' crosses '/'
    assert not evaluate(policy, "s3:GetObject", "b", "r/1/ppk/ac/x.csv")
    assert not evaluate(policy, "s3:GetObject", "b", "r/1/ppk/ABC/x.csv")  # resources are case-sensitive
    dotted = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a.b"})
    assert not evaluate(dotted, "s3:GetObject", "b", "aXb")  # '.' is a dot, not a regex


def test_bucket_and_object_resources_are_not_interchangeable() -> None:
    """A classic AWS mistake: ListBucket needs the bucket ARN, GetObject the object ARN."""
    objects_only = _policy({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
                            "Resource": "arn:aws:s3:::b/*"})
    assert evaluate(objects_only, "s3:GetObject", "b", "k")
    assert not evaluate(objects_only, "s3:ListBucket", "b", "")
    bucket_only = _policy({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
                           "Resource": "arn:aws:s3:::b"})
    assert evaluate(bucket_only, "s3:ListBucket", "b", "")
    assert not evaluate(bucket_only, "s3:GetObject", "b", "k")


def test_not_action_and_not_resource() -> None:
    policy = _policy(ALLOW_ALL, {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"})
    assert evaluate(policy, "s3:GetObject", "b", "k")
    assert not evaluate(policy, "s3:PutObject", "b", "k")
    policy = _policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/private/*"})
    assert evaluate(policy, "s3:GetObject", "b", "public/k")
    assert not evaluate(policy, "s3:GetObject", "b", "private/k")


def test_prefix_conditions_follow_aws() -> None:
    like = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                    "Condition": {"StringLike": {"s3:prefix": ["home/ana/*", ""]}}})
    assert evaluate(like, "s3:ListBucket", "b", "home/ana/")
    assert evaluate(like, "s3:ListBucket", "b", "")
    assert not evaluate(like, "s3:ListBucket", "b", "home/")
    assert not evaluate(like, "s3:ListBucket", "b", None)  # key absent: a positive test fails
    equals = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                      "Condition": {"StringEquals": {"s3:prefix": "home/*"}}})
    assert not evaluate(equals, "s3:ListBucket", "b", "home/ana/")  # StringEquals has no wildcards
    assert evaluate(equals, "s3:ListBucket", "b", "home/*")
    # Deny listing outside home/ (AWS's own example shape): a negated test passes when the key is absent.
    fenced = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
                     {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                      "Condition": {"StringNotLike": {"s3:prefix": "home/*"}}})
    assert evaluate(fenced, "s3:ListBucket", "b", "home/ana/")
    assert not evaluate(fenced, "s3:ListBucket", "b", "etc/")
    assert not evaluate(fenced, "s3:ListBucket", "b", None)
    # Condition keys are case-insensitive; two operators must both hold.
    both = _policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                    "Condition": {"StringLike": {"S3:Prefix": "home/*"}, "StringNotEquals": {"s3:prefix": "home/x/"}}})
    assert evaluate(both, "s3:ListBucket", "b", "home/ana/")
    assert not evaluate(both, "s3:ListBucket", "b", "home/x/")
    # s3:prefix belongs to listings: an object request does not carry it.
    get = _policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                   "Condition": {"StringLike": {"s3:prefix": "*"}}})
    assert not evaluate(get, "s3:GetObject", "b", "k")


def test_the_evaluator_refuses_what_it_does_not_implement() -> None:
    for policy in (
        {"Version": "2008-10-17", "Statement": [ALLOW_ALL]},
        _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "1"}}}),
        _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}),
        _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}),
        _policy({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}),
        _policy({"Effect": "Allow", "Resource": "*"}),
    ):
        with pytest.raises(ValueError):
            evaluate(policy, "s3:GetObject", "b", "k")


def test_restricted_dataset_names_follow_the_release_contract() -> None:
    assert RESTRICTED_DATASETS == ("consolidated_cases", "overdue_recommendations", "review_queue",
                                   "blocking_candidates")
