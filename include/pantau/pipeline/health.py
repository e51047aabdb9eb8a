"""Source health for data engineers: which source stopped delivering, whose quarantine share jumped.

Read from what the ingest DAGs already leave behind: one run summary per run under
``runs/<dag_id>/<run>.json`` (records in = staged + quarantined per source, ``pantau.pipeline.runs``),
timed by when the object store received it. :func:`assess` is pure (runs, settings, now -> findings);
:func:`check` adds the object-store reading and the memory of what was already e-mailed, so each state
of a source is reported once: the same finding on the next day's check is not news.

Findings name sources, counts, run keys and reason codes only: never a record, a NIP or a name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pantau.settings import HealthSettings
from pantau.storage import ObjectStore

#: The DAGs whose run summaries carry per-source counts (``counts`` or ``bkds[].counts``).
INGEST_DAGS = ("pantau_ingest_bawaslu", "pantau_ingest_recommendations", "pantau_ingest_bkd")
#: What was last e-mailed, and each source's newest delivery seen (so summaries older than the look-back
#: window need not be read again).
STATE_KEY = "state/health/state.json"
#: Runs compared with the newest one to judge a quarantine jump (pooled, so one odd run does not decide).
BASELINE_RUNS = 5
#: Summaries older than this many days beyond ``stale_source_days`` are not read on every check.
LOOKBACK_MARGIN_DAYS = 30


@dataclass(frozen=True)
class SourceRun:
    """One source's counts in one ingest run; ``finished_at`` is when its run summary was written."""

    source: str
    dag_id: str
    run_key: str
    finished_at: datetime
    records_in: int
    quarantined: int
    by_reason: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    kind: str  # "stale_source" | "quarantine_jump"
    source: str
    sentence: str
    #: The facts that make this state (the last delivering run; the jumping run): stable while the state
    #: lasts, so a daily check finds the same fingerprint and does not e-mail again.
    state: str

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.kind}|{self.source}|{self.state}".encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fingerprint": self.fingerprint}


def runs_from_summary(dag_id: str, run_key: str, finished_at: datetime, summary: Mapping[str, Any]) -> list[SourceRun]:
    """The per-source counts of one run summary (the BKD DAG nests them per BKD)."""
    counts = list(summary.get("counts") or [])
    for bkd in summary.get("bkds") or []:
        counts.extend(bkd.get("counts") or [])
    return [SourceRun(str(c["source"]), dag_id, run_key, finished_at, int(c.get("records_in") or 0),
                      int(c.get("quarantined") or 0), dict(c.get("by_reason") or {})) for c in counts]


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _share(quarantined: int, records: int) -> float:
    return quarantined / records if records else 0.0


def assess(runs: Iterable[SourceRun], settings: HealthSettings, now: datetime,
           last_delivery: Mapping[str, Mapping[str, str]] | None = None) -> list[Finding]:
    """Findings for every source seen in ``runs`` (or remembered in ``last_delivery``: source ->
    ``{"run_key", "finished_at"}`` of its newest run that delivered records), sorted by source."""
    by_source: dict[str, list[SourceRun]] = {}
    for run in runs:
        by_source.setdefault(run.source, []).append(run)
    remembered = dict(last_delivery or {})
    findings: list[Finding] = []
    for source in sorted(set(by_source) | set(remembered)):
        history = sorted(by_source.get(source, []), key=lambda r: (r.finished_at, r.run_key))
        stale = _stale(source, history, settings, now, remembered.get(source))
        if stale:
            findings.append(stale)
        jump = _quarantine_jump(source, history, settings)
        if jump:
            findings.append(jump)
    return findings


def _stale(source: str, history: Sequence[SourceRun], settings: HealthSettings, now: datetime,
           remembered: Mapping[str, str] | None) -> Finding | None:
    delivered = [r for r in history if r.records_in > 0]
    last_key, last_at = None, None
    if delivered:
        last_key, last_at = delivered[-1].run_key, delivered[-1].finished_at
    if remembered and (last_at is None or datetime.fromisoformat(remembered["finished_at"]) > last_at):
        last_key, last_at = remembered["run_key"], datetime.fromisoformat(remembered["finished_at"])
    since = last_at or (history[0].finished_at if history else None)
    if since is None or now - since < timedelta(days=settings.stale_source_days):
        return None
    days = (now - since).days
    empty_runs = [r for r in history if r.records_in == 0 and r.finished_at >= since]
    if last_at is not None:
        what = f"source {source} delivered nothing new for {days} days (last new records in run {last_key}, {_day(last_at)})"
    else:
        what = f"source {source} has delivered nothing since its first recorded run {_day(since)} ({days} days)"
    if history and now - history[-1].finished_at >= timedelta(days=settings.stale_source_days):
        tail = (f"; no run of {history[-1].dag_id} has completed since {_day(history[-1].finished_at)}: check that "
                "the DAG is scheduled and succeeding")
    elif not history:
        tail = "; no run of its ingest DAG completed in the look-back window: check that the DAG is scheduled and succeeding"
    else:
        tail = (f"; {len(empty_runs)} runs since then completed with 0 records: ask the agency whether its system "
                "still publishes, and check the connection's URL and credentials")
    return Finding("stale_source", source, what + tail + f" (threshold PANTAU_STALE_SOURCE_DAYS={settings.stale_source_days}).",
                   state=last_key or f"never-since:{since.isoformat()}")


def _quarantine_jump(source: str, history: Sequence[SourceRun], settings: HealthSettings) -> Finding | None:
    judged = [r for r in history if r.records_in >= max(settings.quarantine_min_rows, 1)]
    if len(judged) < 2:
        return None
    newest, before = judged[-1], judged[-1 - BASELINE_RUNS:-1]
    base_in = sum(r.records_in for r in before)
    base_q = sum(r.quarantined for r in before)
    was, now_share = _share(base_q, base_in), _share(newest.quarantined, newest.records_in)
    # A small tolerance so 0.3 - 0.2 (0.09999...) counts as the 0.1 the setting names.
    if now_share - was < settings.quarantine_jump - 1e-9:
        return None
    reasons = sorted(newest.by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    top = ", ".join(f"{code} x{n}" for code, n in reasons) or "none recorded"
    sentence = (f"quarantine share of {source} jumped from {was:.1%} to {now_share:.1%} in run {newest.run_key} "
                f"({newest.quarantined} of {newest.records_in} records; {base_q} of {base_in} in the {len(before)} "
                f"runs before); top reasons: {top}. Read quarantine/ for that run and ask the agency what changed in "
                f"its export (threshold PANTAU_QUARANTINE_JUMP={settings.quarantine_jump:g}).")
    return Finding("quarantine_jump", source, sentence, state=newest.run_key)


@dataclass
class HealthReport:
    """The result of one check: every current finding, which of them are news, what has resolved."""

    findings: list[Finding]
    new: list[Finding]
    resolved: list[dict[str, Any]]
    runs_read: int
    #: The state to store once the e-mail (if any) has gone out.
    next_state: dict[str, Any]

    @property
    def changed(self) -> bool:
        return bool(self.new or self.resolved)

    def summary(self) -> dict[str, Any]:
        return {"findings": [f.as_dict() for f in self.findings], "new": [f.fingerprint for f in self.new],
                "resolved": self.resolved, "runs_read": self.runs_read, "e_mail_due": self.changed}


def collect_runs(store: ObjectStore, since: datetime, dag_ids: Sequence[str] = INGEST_DAGS) -> list[SourceRun]:
    """Per-source counts of every ingest run summary written at or after ``since`` (one listing per DAG)."""
    runs: list[SourceRun] = []
    for dag_id in dag_ids:
        prefix = f"runs/{dag_id}/"
        for obj in store.client.list_objects(store.bucket, prefix=prefix, recursive=True):
            name, modified = obj.object_name, obj.last_modified
            if not name or not name.endswith(".json") or modified is None or modified < since:
                continue
            summary = json.loads(store.get_bytes(name))
            runs.extend(runs_from_summary(dag_id, name[len(prefix):-len(".json")], modified, summary))
    return runs


def check(store: ObjectStore, settings: HealthSettings, now: datetime | None = None) -> HealthReport:
    """Assess the sources and compare with what was last e-mailed (``state/health/state.json``)."""
    now = now or datetime.now(UTC)
    state = store.get_json(STATE_KEY) or {}
    since = now - timedelta(days=settings.stale_source_days + LOOKBACK_MARGIN_DAYS)
    runs = collect_runs(store, since)
    last_delivery: dict[str, dict[str, str]] = dict(state.get("last_delivery") or {})
    findings = assess(runs, settings, now, last_delivery)
    for run in sorted(runs, key=lambda r: r.finished_at):
        if run.records_in > 0:
            last_delivery[run.source] = {"run_key": run.run_key, "finished_at": run.finished_at.isoformat()}
    notified = {entry["fingerprint"]: entry for entry in state.get("notified") or []}
    current = {f.fingerprint for f in findings}
    new = [f for f in findings if f.fingerprint not in notified]
    resolved = [entry for fingerprint, entry in notified.items() if fingerprint not in current]
    next_state = {"checked_at": now.isoformat(), "last_delivery": dict(sorted(last_delivery.items())),
                  "notified": [f.as_dict() for f in findings]}
    return HealthReport(findings, new, resolved, len(runs), next_state)


def remember(store: ObjectStore, report: HealthReport) -> None:
    """Store the state the report leaves behind. Call it after the e-mail went out: a failed send leaves
    the old state, so the retry (or the next day's check) sends the news again rather than never."""
    store.put_json(STATE_KEY, report.next_state)


def message(report: HealthReport, where: str) -> tuple[str, str]:
    """Subject and plain-text body of the health e-mail for data engineers (``where``: the deployment)."""
    if report.findings:
        subject = f"[Pantau] {len(report.findings)} source health finding(s) ({len(report.new)} new) on {where}"
    else:
        subject = f"[Pantau] all sources healthy again on {where}"
    lines = ["Pantau source health check.", ""]
    fresh = {f.fingerprint for f in report.new}
    for finding in report.findings:
        lines.append(f"- {'NEW ' if finding.fingerprint in fresh else ''}{finding.sentence}")
    if not report.findings:
        lines.append("No source is stale and no quarantine share has jumped.")
    if report.resolved:
        lines += ["", "Resolved since the last e-mail:"]
        lines += [f"- {entry['sentence']}" for entry in report.resolved]
    lines += ["", "Each state is e-mailed once; the run summaries under runs/pantau_health/ list every check."]
    return subject, "\n".join(lines) + "\n"
