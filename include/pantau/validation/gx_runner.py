"""Run a suite with Great Expectations; one ephemeral GX context per process.

GX is imported inside these functions only: ``import great_expectations`` takes seconds and, after
Airflow has configured logging, emits hundreds of INFO lines, so nothing a DAG file imports may
import it at module level (measured here with GX 1.24: about 3 s per import). The context is ephemeral
(nothing written anywhere) and cached, because building it and registering the data source costs more
than a small validation. GX's Data Docs are not built: their pages load scripts and fonts from CDNs and
show unexpected values (NIPs); :mod:`pantau.validation.report` renders the result objects instead.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pandas as pd

from pantau.validation.suites import Suite

DATA_SOURCE = "pantau"
_LOCK = threading.Lock()


def _quiet_gx() -> None:
    # Usage statistics would try the network (this deployment is loopback-only); INFO logs drown task logs.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "great_expectations.core", "great_expectations.data_context"):
        logging.getLogger(name).setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def gx_context() -> Any:
    """The process-wide ephemeral GX context, progress bars off."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every batch smaller than this by hashing each cell (a batch marker Pantau never
    # reads): on the 6M-row registry's NIP column alone that was 1.8 GB at the peak and 5 s a rule.
    pandas_execution_engine.HASH_THRESHOLD = 0

    # GX's default ephemeral config declares a Data Docs site in a temporary folder; declare none, so
    # nothing (an action, a GX upgrade's default) can build pages that quote unexpected values.
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False))
    context = gx.get_context(mode="ephemeral", project_config=config)
    # Progress bars write to stderr on every metric pass: noise in task logs and a cost at 500k rows.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas(DATA_SOURCE)
    return context


def _batch_definition(context: Any, dataset: str) -> Any:
    source = context.data_sources.get(DATA_SOURCE)
    try:
        asset = source.get_asset(dataset)
    except LookupError:
        asset = source.add_dataframe_asset(dataset)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _gx_suite(suite: Suite, rule_names: list[str]) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = []
    for entry in suite.raw["expectations"]:
        if entry["meta"]["name"] not in rule_names:
            continue
        config = ExpectationConfiguration(type=entry["type"], kwargs=entry.get("kwargs") or {},
                                          meta=entry.get("meta"), notes=entry.get("notes"))
        expectations.append(config.to_domain_obj())
    return gx.ExpectationSuite(name=suite.name, expectations=expectations, meta=suite.raw.get("meta"))


def _replace(collection: Any, name: str, obj: Any) -> Any:
    # Suites differ per run (optional rules drop out), so each run registers its own version.
    try:
        collection.delete(name)
    except Exception:  # noqa: BLE001 - GX raises several types for "not there"
        pass
    return collection.add(obj)


def _forget_batches(context: Any) -> None:
    """Drop the batches GX's execution engine keeps after a run.

    The cached context's engine keeps every validated frame in its batch caches (keyed per asset) until
    the same asset is validated again: after the registry's suite that is a 6M-row frame held for the
    rest of the process, measured at 2.3 GB of the 5.7 GB a reconcile task held after validating.
    """
    manager = context.data_sources.get(DATA_SOURCE).get_execution_engine().batch_manager
    manager.reset_batch_cache()
    manager.batch_data_cache.clear()


def run_suite(suite: Suite, rule_names: list[str], view: pd.DataFrame, parameters: dict[str, Any],
              run_key: str) -> dict[str, Any]:
    """Validate ``view`` against the named rules of ``suite``; returns {rule name: GX result}."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    with _LOCK:  # the cached context is shared; GX stores are not meant for concurrent writers
        context = gx_context()
        gx_suite = _replace(context.suites, suite.name, _gx_suite(suite, rule_names))
        definition = _replace(context.validation_definitions, suite.name, gx.ValidationDefinition(
            name=suite.name, data=_batch_definition(context, suite.name), suite=gx_suite))
        # No actions: the result object is all Pantau reads (quarantine rows, summary, report page).
        checkpoint = _replace(context.checkpoints, suite.name, gx.Checkpoint(
            name=suite.name, validation_definitions=[definition], actions=[],
            result_format={"result_format": "COMPLETE"}))
        try:
            result = checkpoint.run(batch_parameters={"dataframe": view}, expectation_parameters=parameters,
                                    run_id=RunIdentifier(run_name=run_key, run_time=datetime.now(UTC)))
        finally:
            _forget_batches(context)
    validation = next(iter(result.run_results.values()))
    return {r.expectation_config.meta["name"]: r for r in validation.results}
