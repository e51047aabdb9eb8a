"""
### Ingest the BKD personnel databases

One mapped task per BKD connection listed in the Variable `pantau_bkd_connections` (a JSON list of
connection ids). Each extracts the registry (`pegawai`) and follow-ups (`tindak_lanjut`) changed
since its watermarks, in chunks, into the raw zone, and stages them. `combine` then builds one
national registry (after a transfer the newest record wins and the move is kept) and the union of
follow-ups. Produces the Assets `s3://pantau/staging/registry` and `s3://pantau/staging/follow_ups`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.assets import FOLLOW_UPS, REGISTRY
from pantau_airflow.notify import failure_notifier

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=2),
                "on_failure_callback": failure_notifier()}


@dag(
    dag_id="pantau_ingest_bkd",
    schedule="0 5 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "ingest", "bkd"],
    doc_md=__doc__,
)
def pantau_ingest_bkd() -> None:
    @task
    def list_bkds() -> list[str]:
        import json

        from airflow.sdk import Variable

        from pantau.settings import BKD_CONNECTIONS_VARIABLE

        conn_ids = json.loads(Variable.get(BKD_CONNECTIONS_VARIABLE, default="[]"))
        if not conn_ids:
            raise ValueError(f"Variable {BKD_CONNECTIONS_VARIABLE} lists no BKD connections; set it to a JSON "
                             'list such as ["bkd_sumbar", "bkd_dki"]')
        return conn_ids

    @task(map_index_template="{{ task.op_kwargs['conn_id'] }}")
    def ingest_bkd(conn_id: str) -> dict:
        from pantau.pipeline import bkd
        from pantau.pipeline.runs import counts_dict
        from pantau.settings import IngestSettings
        from pantau_airflow.context import task_run_key
        from pantau_airflow.hooks import BkdHook, ObjectStoreHook

        context = get_current_context()
        key = task_run_key(context)
        settings = IngestSettings.from_env()
        hook = BkdHook(conn_id)
        source = hook.source()
        with hook as engine, ObjectStoreHook() as store:
            # The run's start bounds the watermarks: rows dated later are quarantined, pulled again.
            bkd.land(engine, source, store, key, settings.bkd_chunk_rows, run_started=context["dag_run"].start_date,
                     future_tolerance_s=settings.future_tolerance_s)
            tables, quarantine, counts = bkd.stage_from_raw(store, source.code, key)
            written = bkd.publish_staging(store, source.code, key, tables, quarantine, source.timezone)
        for count in counts:
            print(f"{count.source}: {count.records_in} in = {count.staged} staged + {count.quarantined} "
                  f"quarantined; reasons {count.by_reason}")
        return {"code": source.code, "counts": counts_dict(counts), **written}

    @task(outlets=[REGISTRY, FOLLOW_UPS])
    def combine(results: list[dict]) -> dict:
        from pantau.pipeline import bkd
        from pantau.pipeline.runs import write_summary
        from pantau_airflow.context import task_run_key
        from pantau_airflow.hooks import ObjectStoreHook

        key = task_run_key(get_current_context())
        results = list(results)
        with ObjectStoreHook() as store:
            combined = bkd.combine(store, sorted(r["code"] for r in results), key)
            write_summary(store, "pantau_ingest_bkd", key, {"run_key": key, "bkds": results, **combined})
        print(f"registry {combined['registry_rows']} persons, {combined['transfers']} transfers, "
              f"{combined['follow_ups']} follow-ups")
        return combined

    combine(ingest_bkd.expand(conn_id=list_bkds()))


pantau_ingest_bkd()
