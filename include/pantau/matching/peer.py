"""Peer comparison for the benchmark: Splink (DuckDB backend) on the fuzzy stage's queries.

Both engines get the same input: the records our matcher had to answer by name (no usable NIP),
each with the block our matcher used (its resolved agency, or its region when the agency text was
too vague), against the registry persons of those blocks.

Splink is set up the way its documentation recommends for a link between two tables:

* ``link_only`` with the two tables given separately, so prediction joins query x registry only;
* one comparison, Jaro-Winkler on the folded name at 0.98 / 0.94 / 0.88, with term-frequency
  adjustment (a rare exact name is strong evidence, a common one is not);
* u by random sampling (10M pairs), m by expectation maximisation blocked on agency and the first
  three letters of the name (a rule where matches are a few percent of pairs, as EM needs);
* prediction blocked on the agency (or the region), exactly our matcher's blocks.

Splink's EM joins the concatenated input with itself, so it would also enumerate registry x registry
pairs inside every block (billions at 6M persons; the first attempt ran 13 min into 12 GB). EM
therefore runs on a second linker whose registry keeps only persons sharing an (agency, name
head) block with some query: the query x registry pairs that EM rule produces are exactly the same,
the wasted self-pairs are gone. The trained model is then loaded into the prediction linker.

A query is linked when its best pair has probability >= 0.5 and no second pair is within 0.05
(our review rule, in Splink's units). Precision and recall are also printed for thresholds from
0.05 to 0.9, and the report says whether any of them reaches our precision and our recall together.
Only imported by ``pantau bench reconcile --peer``.
"""

from __future__ import annotations

import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pantau.matching.agencies import AgencyIndex
from pantau.matching.evaluate import _truth

__all__ = ["run_peer"]

FUZZY_METHODS = ["name_agency", "name_region", "review", "unmatched"]


def _queries(staged: Any, consolidated: pd.DataFrame) -> pd.DataFrame:
    """Records our pipeline answered in the fuzzy stage, with the block it used and its answer.

    Each query keeps what the pipeline's matcher read of it (``q_*``: NIP text, position, agency
    text, resolved agency / work unit / region), so that our fuzzy stage can be rerun exactly.
    """
    from pantau.matching.persons import RegistryIndex
    from pantau.pipeline.reconcile import _person_queries

    reg = RegistryIndex.build(staged.registry)
    index = AgencyIndex(staged.registry, reg)
    parts = []
    for side, frame, key, hint in (("case", staged.cases, "nomor_register", staged.cases["kode_wilayah"]),
                                   ("rec", staged.recs, "nomor_rekomendasi",
                                    index.regions_of_ppk(staged.recs["ppk"]))):
        answered = consolidated.loc[consolidated[f"{side}_person_match"].isin(FUZZY_METHODS),
                                    [key, f"{side}_person_nip"]]
        answered = answered.dropna(subset=[key]).drop_duplicates(key)
        resolved = index.resolve(frame["instansi_raw"], hint, frame.get("jabatan"), raw_hints=side == "case")
        read = _person_queries(frame, resolved).add_prefix("q_")
        q = pd.DataFrame({"record": frame[key], "name_key": frame["name_key"],
                          "agency": resolved["kode_instansi"],
                          "region": resolved["kode_wilayah"].where(resolved["kode_instansi"].isna())}).join(read)
        q = q.merge(answered.rename(columns={key: "record", f"{side}_person_nip": "ours"}), on="record")
        parts.append(q.assign(side=side))
    out = pd.concat(parts, ignore_index=True)
    return out[out["agency"].notna() | out["region"].notna()].reset_index(drop=True)


def _persons(registry: pd.DataFrame, queries: pd.DataFrame) -> pd.DataFrame:
    """Registry persons of the queries' blocks, each once (agency and region are columns, not copies)."""
    keep = (registry["kode_instansi"].isin(set(queries["agency"].dropna()))
            | registry["kode_wilayah"].isin(set(queries["region"].dropna())))
    rows = registry.loc[keep]
    return pd.DataFrame({"nip": rows["nip"].astype(str).to_numpy(), "name_key": rows["name_key"].to_numpy(),
                         "agency": rows["kode_instansi"].astype(str).to_numpy(),
                         "region": rows["kode_wilayah"].astype(str).to_numpy()})


def _pairs_in_blocks(queries: pd.DataFrame, persons: pd.DataFrame) -> int:
    by_agency, by_region = persons["agency"].value_counts(), persons["region"].value_counts()
    return int(queries["agency"].map(by_agency).fillna(0).sum() + queries["region"].map(by_region).fillna(0).sum())


def _tables(queries: pd.DataFrame, persons: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = ["unique_id", "name_key", "name_head", "agency", "region"]
    left = queries.assign(unique_id=np.arange(len(queries)), name_head=queries["name_key"].str[:3])
    right = persons.assign(unique_id=np.arange(len(persons)), name_head=persons["name_key"].str[:3])
    return left[cols], right[cols]


def _settings(prior: float) -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(link_type="link_only",
                           comparisons=[cl.JaroWinklerAtThresholds("name_key", [0.98, 0.94, 0.88])
                                        .configure(term_frequency_adjustments=True)],
                           blocking_rules_to_generate_predictions=[block_on("agency"), block_on("region")],
                           probability_two_random_records_match=prior)


def _splink(queries: pd.DataFrame, persons: pd.DataFrame, workdir: Path) -> tuple[pd.DataFrame, dict[str, float]]:
    """Splink's scored pairs (q, r, p) above probability 0.05 and the time of each step."""
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    left, right = _tables(queries, persons)
    # Prior inside the blocks: one true partner per query among the persons of its block.
    prior = float(len(queries) / max(_pairs_in_blocks(queries, persons), 1))
    timings: dict[str, float] = {}

    def api() -> Any:
        con = duckdb.connect(config={"threads": 2, "temp_directory": str(workdir)})
        return DuckDBAPI(connection=con)

    started = time.perf_counter()
    db = api()
    tables = [db.register(left, dataset_display_name="queries"), db.register(right, dataset_display_name="registry")]
    linker = Linker(tables, _settings(prior), log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    timings["u_s"] = time.perf_counter() - started

    started = time.perf_counter()
    heads = set(zip(left["agency"], left["name_head"], strict=True))
    in_em = pd.Series(list(zip(right["agency"], right["name_head"], strict=True))).isin(heads).to_numpy()
    trainer = Linker([db.register(left, dataset_display_name="queries_em"),
                      db.register(right[in_em], dataset_display_name="registry_em")],
                     linker.misc.save_model_to_json(), log_level=logging.WARNING)
    trainer.training.estimate_parameters_using_expectation_maximisation(block_on("agency", "name_head"))
    timings["em_s"] = time.perf_counter() - started

    started = time.perf_counter()
    linker = Linker(tables, trainer.misc.save_model_to_json(), log_level=logging.WARNING)
    pairs = linker.inference.predict(threshold_match_probability=0.05).as_pandas_dataframe()
    timings["predict_s"] = time.perf_counter() - started
    # Splink orders each pair by dataset name, not by the order the tables were given.
    flip = pairs["source_dataset_l"].astype(str).str.contains("registry").to_numpy()
    q_id = np.where(flip, pairs["unique_id_r"], pairs["unique_id_l"])
    r_id = np.where(flip, pairs["unique_id_l"], pairs["unique_id_r"])
    pairs = pd.DataFrame({"q": q_id, "r": r_id, "p": pairs["match_probability"].to_numpy()})
    pairs = pairs.sort_values(["q", "p"], ascending=[True, False])
    pairs["rank"] = pairs.groupby("q").cumcount()
    return pairs, timings


def _decide(pairs: pd.DataFrame, persons: pd.DataFrame, n: int, threshold: float) -> pd.Series:
    """Link a query when its best pair reaches ``threshold`` and no second pair is within 0.05."""
    first = pairs[pairs["rank"] == 0].set_index("q")
    runner = pairs[pairs["rank"] == 1].set_index("q")["p"].reindex(first.index).fillna(0.0)
    chosen = first[(first["p"] >= threshold) & (first["p"] - runner >= 0.05)]
    out = pd.Series(None, index=np.arange(n), dtype=object)
    out[chosen.index.to_numpy()] = persons["nip"].to_numpy()[chosen["r"].to_numpy()]
    return out


def _pr(pred: pd.Series, true: pd.Series) -> dict[str, float]:
    made = pred.notna()
    right = (pred.to_numpy() == true.to_numpy()) & made.to_numpy()
    return {"linked": int(made.sum()), "precision": round(float(right.sum() / max(made.sum(), 1)), 5),
            "recall": round(float(right.sum() / max(len(true), 1)), 5)}


def _ours(queries: pd.DataFrame, registry: pd.DataFrame) -> tuple[pd.Series, float]:
    """Our fuzzy stage alone on the same queries and blocks (index build not timed, as Splink's load is not)."""
    from pantau.matching.evidence import QueryEvidence
    from pantau.matching.persons import RegistryIndex, _empty_result, _stage_fuzzy, excel_prefix

    reg = RegistryIndex.build(registry)
    reg.use_regions(AgencyIndex(registry, reg).group_region)
    q = queries.filter(like="q_").rename(columns=lambda c: c.removeprefix("q_")).astype(object)
    prefixes = np.array([excel_prefix(r) if d else None for r, d in
                         zip(q["nip_raw"], q["nip_excel_damaged"].fillna(False), strict=True)], dtype=object)
    started = time.perf_counter()
    ours = _empty_result(q.index)
    _stage_fuzzy(q, reg, ours, np.ones(len(q), dtype=bool), QueryEvidence.build(q, prefixes))
    return ours["person_nip"], time.perf_counter() - started


def run_peer(world: Path, staged: Any, consolidated: pd.DataFrame) -> dict[str, Any]:
    """Splink and our fuzzy stage on the same queries and blocks: wall time, precision, recall, ratio."""
    truth = _truth(world)
    queries = _queries(staged, consolidated)
    true = pd.concat([truth["cases"][["nomor_register", "true_nip"]].rename(columns={"nomor_register": "record"}),
                      truth["recs"][["nomor_rekomendasi", "true_nip"]].rename(
                          columns={"nomor_rekomendasi": "record"})])
    queries = queries.merge(true.drop_duplicates("record"), on="record", how="left")
    persons = _persons(staged.registry, queries)
    print(f"peer: {len(queries):,} fuzzy-stage queries, {len(persons):,} registry persons in their blocks, "
          f"{_pairs_in_blocks(queries, persons):,} pairs; running Splink ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="pantau-splink-") as tmp:
        started = time.perf_counter()
        pairs, timings = _splink(queries, persons, Path(tmp))
        peer_wall = time.perf_counter() - started
    ours, ours_wall = _ours(queries, staged.registry)
    ours_pr = _pr(ours, queries["true_nip"])
    sweep = {str(t): _pr(_decide(pairs, persons, len(queries), t), queries["true_nip"])
             for t in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)}
    import splink

    return {"fuzzy_queries": len(queries), "registry_persons_in_blocks": len(persons),
            "pairs_in_blocks": _pairs_in_blocks(queries, persons),
            "ours_fuzzy_wall_s": round(ours_wall, 2), "ours_fuzzy": ours_pr,
            "ours_in_pipeline": _pr(queries["ours"], queries["true_nip"]),
            "splink_version": splink.__version__, "splink_wall_s": round(peer_wall, 2),
            "splink_steps_s": {k: round(v, 2) for k, v in timings.items()},
            "splink": _pr(_decide(pairs, persons, len(queries), 0.5), queries["true_nip"]),
            # Splink's precision/recall at other thresholds: does any of them match ours on both?
            "splink_by_threshold": sweep, "splink_reaches_our_precision_and_recall_at_some_threshold": any(
                f["precision"] >= ours_pr["precision"] and f["recall"] >= ours_pr["recall"] for f in sweep.values()),
            "speed_ratio_splink_over_ours": round(peer_wall / max(ours_wall, 1e-9), 1),
            "peak_rss_mb_after_peer": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
