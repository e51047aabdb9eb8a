"""
### Ingest Bawaslu cases

Pulls the ASN-neutrality cases that changed since the last watermark from the Bawaslu case API
(connection `bawaslu_api`), keeps every page unchanged in the raw zone, stages the records into the
canonical `bawaslu_cases` table and quarantines what cannot be used, with a reason code.
The watermark moves only after the staged table is written. Produces the Asset
`s3://pantau/staging/bawaslu_cases`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.assets import BAWASLU_CASES
from pantau_airflow.notify import failure_notifier

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=2),
                "on_failure_callback": failure_notifier()}


@dag(
    dag_id="pantau_ingest_bawaslu",
    schedule="0 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "ingest", "bawaslu"],
    doc_md=__doc__,
)
def pantau_ingest_bawaslu() -> None:
    @task
    def land_pages() -> str:
        from pantau.pipeline import bawaslu
        from pantau.settings import IngestSettings
        from pantau_airflow.context import task_run_key
        from pantau_airflow.hooks import BawasluHook, ObjectStoreHook

        context = get_current_context()
        key = task_run_key(context)
        settings = IngestSettings.from_env()
        with BawasluHook() as client, ObjectStoreHook() as store:
            # The run's start bounds the watermark: records dated later are quarantined, pulled again.
            manifest = bawaslu.land(client, store, key, settings.bawaslu_per_page,
                                    run_started=context["dag_run"].start_date,
                                    future_tolerance_s=settings.future_tolerance_s)
        print(f"landed {len(manifest['pages'])} pages ({manifest['api_total']} records reported by the API)")
        return key

    @task(outlets=[BAWASLU_CASES])
    def stage(key: str) -> dict:
        from pantau.pipeline import bawaslu
        from pantau.pipeline.runs import counts_dict, write_summary
        from pantau_airflow.hooks import ObjectStoreHook

        with ObjectStoreHook() as store:
            new, quarantine, count = bawaslu.stage_from_raw(store, key)
            written = bawaslu.publish_staging(store, key, new, quarantine, count)
            summary = {"run_key": key, "counts": counts_dict([count]), **written}
            write_summary(store, "pantau_ingest_bawaslu", key, summary)
        print(f"bawaslu: {count.records_in} in = {count.staged} staged + {count.quarantined} quarantined "
              f"({count.duplicates_collapsed} page repeats collapsed); reasons {count.by_reason}")
        return summary

    stage(land_pages())


pantau_ingest_bawaslu()
