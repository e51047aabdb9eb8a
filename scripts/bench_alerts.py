"""Time the alert step (``pantau.pipeline.service.send_alerts``) without Airflow.

``build`` links a generated world's staged frames (``pantau.matching.world.load_world``), publishes the
release the alerts DAG reads into an embedded S3 store and saves that store under ``--state``;
``run`` restores it, sends every digest to an SMTP sink on 127.0.0.1 through a fresh SQLite ledger
(the full run: every item new) and prints the seconds taken; ``--repeat N`` runs it N times, each with
a fresh ledger and outbox, and prints the median; ``--profile`` writes a pyinstrument HTML profile;
``--keep DIR`` keeps the first run's messages and ledger there (the messages' ``Date`` is fixed at 07:00
WIB of the as-of date, so two versions' outboxes compare byte for byte).

    python scripts/bench_alerts.py build --world /tmp/alertspeed-world --state /tmp/alertspeed-state
    python scripts/bench_alerts.py run --world /tmp/alertspeed-world --state /tmp/alertspeed-state --repeat 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime
from datetime import time as dt_time
from pathlib import Path


def _as_of(world: Path) -> date:
    from pantau import demo

    return date.fromisoformat(demo._world_as_of(world))  # noqa: SLF001 (the demo's reading of a world's today)


def build(world: Path, state: Path) -> None:
    from pantau.matching.world import load_world
    from pantau.pipeline import publication, reconcile
    from pantau.publishing import statistics as stats
    from pantau.settings import DisclosureSettings, FollowUpPolicy, ReleaseSettings
    from pantau.simulate.servers import EmbeddedObjectStore
    from pantau.storage import ObjectStore

    as_of, policy = _as_of(world), FollowUpPolicy.from_env()
    started = time.perf_counter()
    staged = load_world(world, registry_columns=reconcile.REGISTRY_COLUMNS)
    consolidated = reconcile.link_cases(staged.cases, staged.recs, staged.follow_ups, staged.registry,
                                        transfers=staged.transfers)
    disclosure = DisclosureSettings.from_env()
    frames = {"consolidated_cases": consolidated, "overdue_recommendations": reconcile.overdue(consolidated, as_of, policy),
              "compliance_statistics": stats.compliance_statistics(consolidated, k=disclosure.k),
              "review_queue": reconcile.build_review_queue(consolidated)}
    print(f"linked in {time.perf_counter() - started:.0f} s; {len(frames['overdue_recommendations']):,} overdue rows",
          flush=True)
    state.mkdir(parents=True, exist_ok=True)
    with EmbeddedObjectStore(None) as server:
        store = ObjectStore.connect(server.endpoint, server.access_key, server.secret_key, "pantau")
        publication.publish(store, frames, run_id="bench-alerts", run_key="bench-alerts", as_of=as_of, policy=policy,
                            validation={}, settings=ReleaseSettings.from_env(), disclosure=disclosure)
        server.mirror(state)
    print(f"release saved in {state}", flush=True)


def run(world: Path, state: Path, repeat: int, profile: Path | None, keep: Path | None = None) -> list[float]:
    from pantau.alerts.digest import WIB
    from pantau.alerts.mailer import SmtpSettings
    from pantau.pipeline.service import alerts_line, send_alerts
    from pantau.settings import FollowUpPolicy
    from pantau.simulate.servers import EmbeddedObjectStore, SmtpSink
    from pantau.storage import ObjectStore

    as_of, policy = _as_of(world), FollowUpPolicy.from_env()
    contacts = str(world / "contacts.json")
    times = []
    with EmbeddedObjectStore(state) as server:
        store = ObjectStore.connect(server.endpoint, server.access_key, server.secret_key, "pantau")
        for n in range(repeat):
            with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp, SmtpSink(Path(tmp) / "outbox") as sink:
                smtp = SmtpSettings("127.0.0.1", sink.port, "pantau@pantau.local")
                profiler = None
                if profile is not None and n == 0:
                    from pyinstrument import Profiler
                    profiler = Profiler()
                    profiler.start()
                started = time.perf_counter()
                result = send_alerts(store, smtp, contacts, f"bench-{n}", as_of, policy,
                                     ledger=f"sqlite:///{tmp}/ledger.sqlite",
                                     moment=datetime.combine(as_of, dt_time(7, 0), WIB))
                times.append(time.perf_counter() - started)
                if keep is not None and n == 0:
                    if keep.exists():
                        shutil.rmtree(keep)
                    shutil.copytree(tmp, keep)
                if profiler is not None:
                    profiler.stop()
                    profile.write_text(profiler.output_html(), encoding="utf-8")
                    print(profiler.output_text(unicode=False, color=False, show_all=False)[:12000])
                print(f"run {n + 1}: {times[-1]:.2f} s; {alerts_line(result)}; {len(sink.files())} messages",
                      flush=True)
    print(json.dumps({"seconds": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2)}))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("build", "run"))
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True, help="folder of the saved S3 store")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument HTML profile of the first run here")
    parser.add_argument("--keep", type=Path, help="keep the first run's outbox and ledger in this folder")
    args = parser.parse_args()
    if args.step == "build":
        build(args.world, args.state)
    else:
        run(args.world, args.state, args.repeat, args.profile, args.keep)


if __name__ == "__main__":
    main()
