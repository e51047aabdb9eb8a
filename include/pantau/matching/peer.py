"""Peer comparison for the benchmark: Splink (DuckDB backend) on the fuzzy stage's queries.

Both engines get the same input: the records our matcher had to answer by name (no usable NIP),
their resolved agency/region block, and the registry persons of those blocks. Splink estimates
u by random sampling and m by EM on the same blocking rule, then predicts; a query is linked when
its best pair has probability >= 0.5 and no second pair is within 0.05 (our review rule, in
Splink's units). Only imported by ``pantau bench reconcile --peer``.
"""

from __future__ import annotations

import logging
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pantau.matching.agencies import AgencyIndex
from pantau.matching.evaluate import _truth

__all__ = ["run_peer"]


def _queries(staged: Any, consolidated: pd.DataFrame) -> pd.DataFrame:
    index = AgencyIndex(staged.registry)
    parts = []
    fuzzy = ["name_agency", "name_region", "review", "unmatched"]
    for side, frame, key, hint in (("case", staged.cases, "nomor_register", staged.cases["kode_wilayah"]),
                                   ("rec", staged.recs, "nomor_rekomendasi", staged.recs["ppk"].map(index.region_of_ppk))):
        answered = consolidated.loc[consolidated[f"{side}_person_match"].isin(fuzzy), [key, f"{side}_person_nip"]]
        answered = answered.dropna(subset=[key]).drop_duplicates(key)
        resolved = index.resolve(frame["instansi_raw"], hint)
        block = resolved["kode_instansi"].fillna("R:" + resolved["kode_wilayah"].astype(str))
        q = pd.DataFrame({"record": frame[key], "name_key": frame["name_key"], "block": block})
        q = q.merge(answered.rename(columns={key: "record", f"{side}_person_nip": "ours"}), on="record")
        parts.append(q.assign(side=side))
    out = pd.concat(parts, ignore_index=True)
    return out[~out["block"].str.endswith("None") & ~out["block"].str.endswith("nan")]


def _registry_blocks(registry: pd.DataFrame, blocks: pd.Series) -> pd.DataFrame:
    wanted = set(blocks)
    agency = registry["kode_instansi"].astype(str)
    region = registry["kode_wilayah"].astype(str)
    keep_agency = agency.isin(wanted)
    keep_region = ("R:" + region).isin(wanted)
    a = registry.loc[keep_agency, ["nip", "name_key"]].assign(block=agency[keep_agency])
    r = registry.loc[keep_region, ["nip", "name_key"]].assign(block="R:" + region[keep_region])
    return pd.concat([a, r], ignore_index=True)


def _pairs_in_blocks(queries: pd.DataFrame, persons: pd.DataFrame) -> int:
    sizes = persons["block"].value_counts()
    return int(queries["block"].map(sizes).fillna(0).sum())


def _splink(queries: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db = DuckDBAPI()
    left = db.register(queries[["name_key", "block"]].assign(unique_id=np.arange(len(queries))), dataset_display_name="queries")
    right = db.register(persons[["name_key", "block"]].assign(unique_id=np.arange(len(persons))), dataset_display_name="registry")
    settings = SettingsCreator(link_type="link_only", comparisons=[cl.JaroWinklerAtThresholds("name_key",
                                                                                             [0.98, 0.94, 0.88])],
                               blocking_rules_to_generate_predictions=[block_on("block")],
                               # Prior: one true partner per query among the persons of its block.
                               probability_two_random_records_match=float(
                                   len(queries) / max(_pairs_in_blocks(queries, persons), 1)))
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("block"))
    pairs = linker.inference.predict(threshold_match_probability=0.05).as_pandas_dataframe()
    # Splink orders each pair by dataset name, not by the order the tables were given.
    flip = pairs["source_dataset_l"].astype(str).str.contains("registry").to_numpy()
    q_id = np.where(flip, pairs["unique_id_r"], pairs["unique_id_l"])
    r_id = np.where(flip, pairs["unique_id_l"], pairs["unique_id_r"])
    pairs = pairs.assign(unique_id_l=q_id, unique_id_r=r_id)
    pairs = pairs.sort_values(["unique_id_l", "match_probability"], ascending=[True, False])
    first = pairs.drop_duplicates("unique_id_l")
    second = pairs.groupby("unique_id_l")["match_probability"].nth(1)
    second = pd.Series(second.to_numpy(), index=pairs.loc[second.index, "unique_id_l"].to_numpy())
    runner = first["unique_id_l"].map(second).fillna(0.0)
    ok = (first["match_probability"] >= 0.5) & (first["match_probability"] - runner >= 0.05)
    chosen = first[ok.to_numpy()]
    out = pd.Series(None, index=np.arange(len(queries)), dtype=object)
    out[chosen["unique_id_l"].to_numpy()] = persons["nip"].to_numpy()[chosen["unique_id_r"].to_numpy()]
    return out


def _pr(pred: pd.Series, true: pd.Series) -> dict[str, float]:
    made = pred.notna()
    right = (pred.to_numpy() == true.to_numpy()) & made.to_numpy()
    return {"linked": int(made.sum()), "precision": round(float(right.sum() / max(made.sum(), 1)), 5),
            "recall": round(float(right.sum() / max(len(true), 1)), 5)}


def run_peer(world: Path, staged: Any, consolidated: pd.DataFrame) -> dict[str, Any]:
    truth = _truth(world)
    queries = _queries(staged, consolidated)
    true = pd.concat([truth["cases"][["nomor_register", "true_nip"]].rename(columns={"nomor_register": "record"}),
                      truth["recs"][["nomor_rekomendasi", "true_nip"]].rename(columns={"nomor_rekomendasi":
                                                                                        "record"})])
    queries = queries.merge(true.drop_duplicates("record"), on="record", how="left")
    persons = _registry_blocks(staged.registry, queries["block"])
    started = time.perf_counter()
    theirs = _splink(queries, persons)
    peer_wall = time.perf_counter() - started
    # Our fuzzy stage alone on the same queries, for the ratio (the full stage is timed above).
    from pantau.matching.persons import RegistryIndex, _empty_result, _stage_fuzzy

    reg = RegistryIndex.build(staged.registry)
    q = pd.DataFrame({"name_key": queries["name_key"],
                      "kode_instansi": queries["block"].where(~queries["block"].str.startswith("R:")),
                      "kode_wilayah": queries["block"].str.removeprefix("R:")})
    started = time.perf_counter()
    ours = _empty_result(q.index)
    _stage_fuzzy(q, reg, ours, np.ones(len(q), dtype=bool), np.full(len(q), None, dtype=object))
    ours_wall = time.perf_counter() - started
    return {"fuzzy_queries": len(queries), "registry_rows_in_blocks": len(persons),
            "ours_fuzzy_wall_s": round(ours_wall, 2), "ours_fuzzy": _pr(ours["person_nip"], queries["true_nip"]),
            "ours_in_pipeline": _pr(queries["ours"], queries["true_nip"]),
            "splink_version": __import__("splink").__version__, "splink_wall_s": round(peer_wall, 2),
            "splink": _pr(theirs, queries["true_nip"]), "speed_ratio_splink_over_ours": round(peer_wall /
                                                                                              max(ours_wall, 1e-9), 1),
            "peak_rss_mb_after_peer": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
