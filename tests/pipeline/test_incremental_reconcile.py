"""Incremental reconcile equals a full recompute (issue 14): day 1, a few percent changed in every
source, day 2 incrementally, against day 2 from nothing (docs/DECISIONS.md, "Incremental reconcile")."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pantau.matching.agencies import AgencyIndex
from pantau.matching.incremental import IncrementalMatcher
from pantau.matching.persons import RegistryIndex, match_persons
from pantau.matching.world import StagedWorld, load_world
from pantau.pipeline import reconcile
from pantau.settings import FollowUpPolicy

from .conftest import new_store

AS_OF = date(2024, 12, 1)


@pytest.fixture(scope="module")
def day1(world) -> StagedWorld:
    return load_world(world, cache=False)


def _run(staged: StagedWorld, matcher: IncrementalMatcher | None) -> dict[str, pd.DataFrame]:
    frame = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                 transfers=staged.transfers, incremental=matcher)
    return {"consolidated": frame, "queue": reconcile.build_review_queue(frame),
            "overdue": reconcile.overdue(frame, AS_OF, FollowUpPolicy())}


def _same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


def _new_nips(registry: pd.DataFrame, like: pd.Series, rng: np.random.Generator) -> list[str]:
    """Unused NIPs with the same birth date, appointment and gender as ``like`` (another sequence number)."""
    taken, out = set(registry["nip"].astype(str)), []
    for nip in like.astype(str):
        while (new := nip[:15] + f"{rng.integers(0, 1000):03d}") in taken:
            pass
        taken.add(new)
        out.append(new)
    return out


def _day2(day1: StagedWorld, matched: pd.DataFrame) -> tuple[StagedWorld, dict[str, str]]:
    """About 3 % of every source changed or added, registry rows removed; returns the day-2 frames and
    the two cases whose answer the registry change must alter."""
    rng = np.random.default_rng(14)
    cases, recs, registry = day1.cases.copy(), day1.recs.copy(), day1.registry.copy()

    by_name = matched[matched["case_person_match"].eq("name_agency")].iloc[0]
    by_nip = matched[matched["case_person_match"].eq("exact_nip")
                     & ~matched["nomor_register"].eq(by_name["nomor_register"])].iloc[0]
    # The person one case matched leaves the registry; someone with exactly the other case's written
    # name joins the work unit its matched person is in (its best candidate changes).
    registry = registry[registry["nip"].astype(str) != str(by_nip["case_person_nip"])]
    twin = registry[registry["nip"].astype(str) == str(by_name["case_person_nip"])].copy()
    case_name = cases.loc[cases["nomor_register"] == by_name["nomor_register"], ["nama_raw", "name_key"]].iloc[0]
    twin["nip"] = _new_nips(registry, twin["nip"], rng)
    twin["nama"], twin["name_key"] = case_name["nama_raw"], case_name["name_key"]

    n = len(registry)
    gone = rng.choice(registry.index, n // 50, replace=False)
    registry = registry.drop(index=gone)
    renamed = rng.choice(registry.index, n // 50, replace=False)
    registry.loc[renamed, "name_key"] = registry.loc[renamed, "name_key"].astype(str) + " putra"
    moved = rng.choice(registry.index, n // 100, replace=False)
    registry.loc[moved, "unit_kerja"] = registry["unit_kerja"].sample(len(moved), random_state=3).to_numpy()
    joined = registry.sample(n // 50, random_state=4).copy()
    joined["nip"] = _new_nips(registry, joined["nip"], rng)
    joined["name_key"] = joined["name_key"].astype(str).str[::-1]
    registry = pd.concat([registry, twin, joined], ignore_index=True)

    changed = rng.choice(cases.index, max(len(cases) // 30, 2), replace=False)
    cases.loc[changed, "name_key"] = cases.loc[changed, "name_key"].astype(str) + " s"
    extra = cases.sample(max(len(cases) // 30, 2), random_state=5).copy()
    extra["nomor_register"] = extra["nomor_register"].astype(str) + "-B"
    cases = pd.concat([cases, extra], ignore_index=True)
    changed = rng.choice(recs.index, max(len(recs) // 30, 2), replace=False)
    recs.loc[changed, "name_key"] = recs.loc[changed, "name_key"].astype(str).str[:-1]
    extra = recs.sample(max(len(recs) // 30, 2), random_state=6).copy()
    extra["nomor_rekomendasi"] = extra["nomor_rekomendasi"].astype(str) + "-B"
    recs = pd.concat([recs, extra], ignore_index=True)
    staged = StagedWorld(cases, recs, day1.follow_ups, registry, day1.transfers)
    return staged, {"name": str(by_name["nomor_register"]), "nip": str(by_nip["nomor_register"])}


class Recording(IncrementalMatcher):
    """Keeps what the matcher was asked (the query frame and the registry index) for the checks below."""

    def match(self, queries: pd.DataFrame, reg: RegistryIndex) -> pd.DataFrame:
        self.asked = (queries, reg)
        self.answer = super().match(queries, reg)
        return self.answer


@pytest.fixture(scope="module")
def runs(day1, s3) -> dict:
    """Day 1 incrementally (first run: everything matched), day 2 incrementally in the same store,
    and day 2 recomputed in full without any kept state."""
    store = new_store(s3)
    first = Recording(store, "day1")
    out1 = _run(day1, first)
    day2, touched = _day2(day1, out1["consolidated"])
    second = Recording(store, "day2")
    return {"store": store, "day2": day2, "touched": touched, "first": first, "second": second,
            "out1": out1, "incremental": _run(day2, second), "full": _run(day2, None)}


def test_incremental_reconcile_equals_a_full_recompute(runs):
    first, second = runs["first"].stats, runs["second"].stats
    assert first["registry_cache"] == "built" and first["rematched"] == first["queries"]
    _same(runs["incremental"], runs["full"])
    assert all(len(frame) for frame in runs["full"].values())  # nothing compared empty
    assert second["full_match"] is None and second["registry_cache"] == "built"
    assert second["registry_rows_changed"] > 0
    assert 0 < second["rematched"] < second["queries"] / 2, second

    # The registry change did alter those two cases' answers, and the incremental run followed it.
    def answer(out: dict[str, pd.DataFrame], case: str) -> tuple:
        row = out["consolidated"][out["consolidated"]["nomor_register"] == case].iloc[0]
        return row["case_person_nip"], row["case_person_match"], row["case_match_explanation"]

    for case in runs["touched"].values():
        assert answer(runs["out1"], case) != answer(runs["incremental"], case)


def _again(store, name: str, asked: tuple[pd.DataFrame, RegistryIndex]) -> tuple[IncrementalMatcher, pd.DataFrame]:
    """The day-2 matching step once more, with the same queries and registry index."""
    matcher = IncrementalMatcher(store, name)
    return matcher, matcher.match(*asked)


def test_the_same_registry_version_again_rematches_nothing(runs):
    second = runs["second"]
    matcher, answer = _again(runs["store"], "day2", second.asked)
    pd.testing.assert_frame_equal(answer, second.answer)
    assert matcher.stats["registry_cache"] == "hit" and matcher.stats["rematched"] == 0


def test_a_corrupt_or_missing_state_falls_back_to_a_full_match(runs, s3):
    second = runs["second"]
    store = new_store(s3)
    _again(store, "day2", second.asked)
    kept = [k for k in store.list("state/reconcile/") if k.endswith(".parquet")]
    assert any("/matches/" in k for k in kept) and any("/registry/day2/" in k for k in kept), kept
    for key in kept:
        store.put_bytes(key, b"not parquet")
    matcher, answer = _again(store, "day2", second.asked)
    pd.testing.assert_frame_equal(answer, second.answer)
    assert matcher.stats["registry_cache"] == "built" and matcher.stats["full_match"]
    assert matcher.stats["rematched"] == matcher.stats["queries"]

    for key in list(store.list("state/reconcile/")):
        store.delete(key)
    matcher, answer = _again(store, "day2", second.asked)
    pd.testing.assert_frame_equal(answer, second.answer)
    assert matcher.stats["registry_cache"] == "built" and matcher.stats["rematched"] == matcher.stats["queries"]


def _index(registry: pd.DataFrame) -> RegistryIndex:
    reg = RegistryIndex.build(registry)
    reg.use_regions(AgencyIndex(registry, reg).group_region)
    return reg


def test_an_answer_does_not_depend_on_registry_order_or_on_the_other_queries(runs, day1):
    """What lets a kept answer stand for a recomputed one: two equally good namesakes are listed in
    NIP order whatever order the registry arrived in, and a query matched alone or in a batch gets
    the same answer (nulls included)."""
    queries, _ = runs["first"].asked
    answer = runs["first"].answer
    by_name = answer.index[answer["person_match"].eq("name_agency")][0]
    person = day1.registry[day1.registry["nip"].astype(str) == answer.at[by_name, "person_nip"]]
    namesake = person.assign(nip=_new_nips(day1.registry, person["nip"], np.random.default_rng(2)))
    one = queries.loc[[by_name]]
    after = match_persons(one, _index(pd.concat([day1.registry, namesake], ignore_index=True)))
    before = match_persons(one, _index(pd.concat([namesake, day1.registry], ignore_index=True)))
    pd.testing.assert_frame_equal(after, before)
    assert after.at[by_name, "person_match"] == "review"
    assert after.at[by_name, "review_candidates"] == ";".join(sorted([*person["nip"].astype(str),
                                                                      *namesake["nip"].astype(str)]))

    # A query nobody matches gets the same (null) answer alone as beside others that were matched.
    batch = pd.concat([queries.iloc[:20], queries.iloc[[0]].assign(nip=None, nip_raw=None, name_key="zzq xqv")],
                      ignore_index=True)
    reg = runs["first"].asked[1]
    together = match_persons(batch, reg)
    assert together["person_nip"].iloc[:-1].notna().any() and together["person_match"].iloc[-1] == "unmatched"
    alone = match_persons(batch.iloc[[-1]], reg)
    pd.testing.assert_frame_equal(alone, together.iloc[[-1]])


def test_name_keys_hashed_in_blocks_give_the_fingerprints_of_one_pass(day1, monkeypatch):
    from pantau.matching import incremental

    reg = RegistryIndex.build(day1.registry)
    whole = incremental._hash_texts(np.asarray(reg.name_key.to_pylist(), dtype=object))
    monkeypatch.setattr(incremental, "NAME_BLOCK", 7)  # many blocks
    np.testing.assert_array_equal(incremental._hash_names(reg.name_key), whole)
    before = incremental.fingerprints(reg)
    monkeypatch.setattr(incremental, "NAME_BLOCK", len(reg.name_key) + 1)  # one block
    np.testing.assert_array_equal(incremental.fingerprints(reg), before)
