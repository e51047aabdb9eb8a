"""
### Ingest KASN/BKN recommendations

Reads `index.json` of the recommendation exports (connection `recommendations_feed`), fetches only
files whose sha256 is new, keeps each file unchanged in the raw zone, parses the spreadsheets
(title rows, header variants, merged cells, total rows, encodings, Indonesian dates) and stages
one row per recommendation. A corrected re-publication supersedes the earlier version.
Produces the Asset `s3://pantau/staging/recommendations`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from pantau_airflow.assets import RECOMMENDATIONS
from pantau_airflow.notify import failure_notifier

DEFAULT_ARGS = {"owner": "pantau-data", "retries": 2, "retry_delay": timedelta(minutes=2),
                "on_failure_callback": failure_notifier()}


@dag(
    dag_id="pantau_ingest_recommendations",
    schedule="30 6 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["pantau", "ingest", "recommendations"],
    doc_md=__doc__,
)
def pantau_ingest_recommendations() -> None:
    @task
    def land_files() -> dict:
        from pantau.pipeline import recommendations
        from pantau_airflow.context import task_run_key
        from pantau_airflow.hooks import ObjectStoreHook, RecommendationsFeedHook

        key = task_run_key(get_current_context())
        with RecommendationsFeedHook() as client, ObjectStoreHook() as store:
            manifest = recommendations.land(client, store, key)
        print(f"fetched {len(manifest['files'])} new or changed files")
        return {"run_key": key, "files": manifest["files"]}

    @task(outlets=[RECOMMENDATIONS])
    def stage(landed: dict) -> dict:
        from pantau.pipeline import recommendations
        from pantau.pipeline.runs import counts_dict, write_summary
        from pantau_airflow.hooks import ObjectStoreHook

        key = landed["run_key"]
        with ObjectStoreHook() as store:
            new, quarantine, count = recommendations.stage_from_raw(store, key)
            written = recommendations.publish_staging(store, key, landed["files"], new, quarantine)
            summary = {"run_key": key, "counts": counts_dict([count]), **written}
            write_summary(store, "pantau_ingest_recommendations", key, summary)
        print(f"recommendations: {count.records_in} in = {count.staged} staged + {count.quarantined} "
              f"quarantined; reasons {count.by_reason}")
        return summary

    stage(land_files())


pantau_ingest_recommendations()
