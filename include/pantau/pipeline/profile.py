"""``pantau profile``: what Pantau would make of an agency's data, before it goes live.

Onboarding a new source means answering questions before anything is published or e-mailed: how
many records arrive, what would be quarantined and why, which values and headers the reference data
does not know yet (and what they look closest to), how many persons the registry explains, and which
agency or region texts resolve to nothing. :func:`run_profile` answers them by running the same
landing, staging, validation and matching steps the DAGs run, into a *scratch* object store the
caller provides, and never calls the publishing or alerting steps. :func:`render_text` prints the
report for a person; the report itself is a plain dict, written as JSON for tools.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from pantau.exceptions import PantauError, ValidationFailed
from pantau.pipeline.runs import SourceCount, counts_dict
from pantau.reasons import reason
from pantau.settings import FollowUpPolicy, ValidationSettings
from pantau.storage import ObjectStore

__all__ = ["ProfileSources", "render_text", "run_profile"]

log = logging.getLogger(__name__)

#: How many distinct values or texts each list of the report shows (the JSON report keeps them all).
TOP = 15


@dataclass
class ProfileSources:
    """The live clients to profile; any of them may be absent (profile one source at a time)."""

    bawaslu: Any | None = None  # pantau.sources.bawaslu.BawasluClient
    recommendations: Any | None = None  # pantau.sources.recommendations.RecommendationsClient
    bkds: list[tuple[Any, Any]] = field(default_factory=list)  # (sqlalchemy Engine, BkdSource)
    contacts: str | None = None  # path or object key of the alert-contacts directory


def _counts(counts: Iterable[SourceCount]) -> list[dict[str, Any]]:
    rows = counts_dict(list(counts))
    for row in rows:
        row["reasons"] = [{"code": code, "count": n, "sentence": reason(code).sentence}
                          for code, n in sorted(row.get("by_reason", {}).items(), key=lambda kv: -kv[1])]
    return rows


def _quarantine_examples(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One example detail per reason code, so the reader sees what the problem looks like."""
    if frame is None or frame.empty:
        return []
    first = frame.drop_duplicates("reason_code")
    return [{"source": r.source, "reason_code": r.reason_code, "detail": r.detail, "record_key": r.record_key}
            for r in first.itertuples()]


def _step(report: dict[str, Any], name: str, action: Callable[[], Any]) -> Any:
    """Run one step; a failure becomes a line of the report (a profile exists to find such failures)."""
    print(f"profile: {name} ...", file=sys.stderr, flush=True)
    try:
        return action()
    except PantauError as exc:
        report["problems"].append({"step": name, "message": str(exc)})
    except (OSError, ValueError, KeyError) as exc:
        report["problems"].append({"step": name, "message": f"{type(exc).__name__}: {exc}"})
    return None


def _ingest_bawaslu(client: Any, store: ObjectStore, key: str, per_page: int, report: dict[str, Any]) -> None:
    from pantau.pipeline import bawaslu

    manifest = bawaslu.land(client, store, key, per_page)
    new, quarantine, count = bawaslu.stage_from_raw(store, key)
    written = bawaslu.publish_staging(store, key, new, quarantine, count)
    report["sources"].extend(_counts([count]))
    report["quarantine_examples"].extend(_quarantine_examples(quarantine))
    report["source_notes"]["bawaslu_cases"] = {"api_total": manifest.get("api_total"),
                                               **_notes(written)}


def _ingest_recommendations(client: Any, store: ObjectStore, key: str, report: dict[str, Any]) -> None:
    from pantau.pipeline import recommendations

    manifest = recommendations.land(client, store, key)
    new, quarantine, count = recommendations.stage_from_raw(store, key)
    written = recommendations.publish_staging(store, key, manifest.get("files", []), new, quarantine)
    report["sources"].extend(_counts([count]))
    report["quarantine_examples"].extend(_quarantine_examples(quarantine))
    report["source_notes"]["recommendations"] = {"files": len(manifest.get("files", [])), **_notes(written)}


def _ingest_bkds(pairs: list[tuple[Any, Any]], store: ObjectStore, key: str, chunk_rows: int,
                 report: dict[str, Any]) -> None:
    from pantau.pipeline import bkd

    codes = []
    for engine, source in pairs:
        bkd.land(engine, source, store, key, chunk_rows)
        tables, quarantine, counts = bkd.stage_from_raw(store, source.code, key)
        written = bkd.publish_staging(store, source.code, key, tables, quarantine, source.timezone)
        report["sources"].extend(_counts(counts))
        report["quarantine_examples"].extend(_quarantine_examples(quarantine))
        report["source_notes"][f"bkd {source.code}"] = _notes(written)
        codes.append(source.code)
    combined = bkd.combine(store, sorted(codes), key)
    report["source_notes"]["registry"] = {k: v for k, v in combined.items() if not isinstance(v, (dict, list))}


def _notes(written: dict[str, Any] | None) -> dict[str, Any]:
    """What staging reported beyond the counts (unknown headers, vocabulary mappings...), as written."""
    if not written:
        return {}
    return {k: v for k, v in written.items() if k not in ("counts",) and not str(k).endswith("_key")}


def _validate(store: ObjectStore, key: str, as_of: date, settings: ValidationSettings,
              report: dict[str, Any]) -> None:
    from pantau.pipeline import quality

    try:
        results = quality.validate_sources(store, key, as_of, settings)
    except ValidationFailed as exc:
        report["validation"]["stopped"] = str(exc.args[0])
        return
    for table, result in results.items():
        report["validation"][table] = {k: result.get(k) for k in ("rows_in", "rows_valid", "rows_quarantined")}


def _frame(store: ObjectStore, table: str) -> pd.DataFrame | None:
    """The validated table, else the staged one (a table that failed validation is still profiled)."""
    for prefix in ("validated", "staging"):
        pointer = store.get_json(f"{prefix}/{table}/_current.json")
        if pointer:
            return store.get_parquet(pointer["key"])
    return None


def _share(counter: Counter[str], total: int) -> list[dict[str, Any]]:
    return [{"value": k, "count": n, "share": round(n / total, 4) if total else 0.0}
            for k, n in counter.most_common()]


def _matching(store: ObjectStore, as_of: date, policy: FollowUpPolicy, report: dict[str, Any]) -> None:
    from pantau.matching.agencies import AgencyIndex
    from pantau.pipeline import reconcile
    from pantau.pipeline.service import _load_transfers

    frames = {t: _frame(store, t) for t in ("bawaslu_cases", "recommendations", "registry", "follow_ups")}
    missing = [t for t, f in frames.items() if f is None]
    if missing:
        report["problems"].append({"step": "matching", "message": "not profiled: no staged "
                                   + ", ".join(missing) + " (give every source to profile matching)"})
        return
    cases, recs, registry, follow_ups = (frames[t] for t in ("bawaslu_cases", "recommendations", "registry",
                                                              "follow_ups"))
    consolidated = reconcile.link_cases(cases, recs, follow_ups, registry, None, _load_transfers(store))
    matching: dict[str, Any] = {}
    for side, column, number in (("cases", "case_person_match", "nomor_register"),
                                 ("recommendations", "rec_person_match", "nomor_rekomendasi")):
        if column in consolidated:
            rows = consolidated.dropna(subset=[number]).drop_duplicates(number)
            matching[side] = _share(Counter(rows[column].fillna("unmatched")), len(rows))
    recs_rows = consolidated.dropna(subset=["nomor_rekomendasi"]).drop_duplicates("nomor_rekomendasi")
    matching["case_links"] = _share(Counter(recs_rows["case_link"].fillna("none")), len(recs_rows))
    if "follow_up_link" in consolidated:
        matching["follow_up_links"] = _share(Counter(recs_rows["follow_up_link"].fillna("none")), len(recs_rows))
    overdue = reconcile.overdue(consolidated, as_of, policy)
    matching["figures"] = reconcile.summary_figures(consolidated, overdue)
    report["matching"] = matching

    index = AgencyIndex(registry)
    texts = pd.concat([cases.get("instansi_raw", pd.Series(dtype=object)),
                       recs.get("instansi_raw", pd.Series(dtype=object))], ignore_index=True).dropna()
    texts = texts[texts.astype(str).str.strip().ne("")]
    distinct = texts.value_counts()
    unresolved_agency: Counter[str] = Counter()
    unresolved_region: Counter[str] = Counter()
    for text, n in distinct.items():
        resolved = index.resolve_one(text)
        agency, region = resolved.kode_instansi, resolved.kode_wilayah
        if region is None:
            unresolved_region[str(text)] += int(n)
        elif agency is None:
            unresolved_agency[str(text)] += int(n)
    ppk = recs["ppk"].dropna() if "ppk" in recs else pd.Series(dtype=object)
    ppk_regions = index.regions_of_ppk(ppk)
    report["resolution"] = {
        "agency_texts": int(distinct.size),
        "no_region": _share(unresolved_region, int(distinct.sum())),
        "region_only": _share(unresolved_agency, int(distinct.sum())),
        "ppk_titles_unresolved": _share(Counter(ppk[ppk_regions.isna()].astype(str)), len(ppk)),
    }


def run_profile(sources: ProfileSources, store: ObjectStore, run_key: str, as_of: date, *,
                per_page: int = 500, chunk_rows: int = 50_000, validation: ValidationSettings | None = None,
                policy: FollowUpPolicy | None = None) -> dict[str, Any]:
    """Land, stage, validate and match every given source into ``store`` (a scratch bucket).

    Nothing is published and nothing is e-mailed: only the ingest, validation and reconciliation
    steps run. A step that fails is recorded under ``problems`` and the profile goes on, because the
    point of a profile is to find out everything that is wrong at once.
    """
    report: dict[str, Any] = {"run_key": run_key, "as_of": str(as_of), "sources": [], "source_notes": {},
                              "quarantine_examples": [], "validation": {}, "problems": []}
    if sources.bawaslu is not None:
        _step(report, "bawaslu", lambda: _ingest_bawaslu(sources.bawaslu, store, run_key, per_page, report))
    if sources.recommendations is not None:
        _step(report, "recommendations",
              lambda: _ingest_recommendations(sources.recommendations, store, run_key, report))
    if sources.bkds:
        _step(report, "bkd", lambda: _ingest_bkds(sources.bkds, store, run_key, chunk_rows, report))
    _step(report, "validation",
          lambda: _validate(store, run_key, as_of, validation or ValidationSettings.from_env(), report))
    _step(report, "matching", lambda: _matching(store, as_of, policy or FollowUpPolicy.from_env(), report))
    if sources.contacts:
        _step(report, "contacts", lambda: _contacts(store, sources.contacts, report))
    return report


def _contacts(store: ObjectStore, location: str, report: dict[str, Any]) -> None:
    from pantau.pipeline.service import load_contacts

    report["contacts"] = load_contacts(store, location).summary()


# --------------------------------------------------------------------------- rendering

def _table(rows: list[dict[str, Any]], columns: list[str], limit: int = TOP) -> list[str]:
    if not rows:
        return ["    (none)"]
    shown = rows[:limit]
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in shown)) for c in columns}
    widths = {c: min(w, 70) for c, w in widths.items()}
    lines = ["    " + "  ".join(c.ljust(widths[c]) for c in columns)]
    for r in shown:
        lines.append("    " + "  ".join(str(r.get(c, ""))[:70].ljust(widths[c]) for c in columns))
    if len(rows) > limit:
        lines.append(f"    ... {len(rows) - limit} more (all of them in the JSON report)")
    return lines


def render_text(report: dict[str, Any]) -> str:
    """The report as a person reads it: one section per question, most important first."""
    out = [f"Pantau profile (as of {report['as_of']}): nothing was published and nothing was e-mailed.", ""]
    out.append("1. Records per source (records in = staged + quarantined)")
    out += _table(report["sources"], ["source", "records_in", "staged", "quarantined", "duplicates_collapsed"])
    out.append("")
    out.append("2. What would be quarantined, and why")
    reasons = [{"source": s["source"], **r} for s in report["sources"] for r in s["reasons"]]
    out += _table(reasons, ["source", "code", "count", "sentence"], limit=40)
    if report["quarantine_examples"]:
        out.append("   one example per reason:")
        out += _table(report["quarantine_examples"], ["source", "reason_code", "detail"], limit=40)
    out.append("")
    out += _render_notes(report)
    out.append("4. Validation (Great Expectations)")
    validation = report["validation"]
    if validation.get("stopped"):
        out.append("    STOPPED: " + validation["stopped"])
    rows = [{"table": t, **v} for t, v in validation.items() if isinstance(v, dict)]
    out += _table(rows, ["table", "rows_in", "rows_valid", "rows_quarantined"])
    out.append("")
    out += _render_matching(report)
    contacts = report.get("contacts")
    if contacts:
        out.append(f"7. Alert-contacts directory: {contacts['agencies']} agencies, {contacts['escalation_contacts']} "
                   f"escalation contacts, {contacts['rows_rejected']} rows not usable")
        out += [f"    {problem}" for problem in contacts["problems"][:TOP]]
        out.append("")
    if report["problems"]:
        out.append("Problems that stopped a step:")
        out += [f"    {p['step']}: {p['message']}" for p in report["problems"]]
    return "\n".join(out)


def _render_notes(report: dict[str, Any]) -> list[str]:
    out = ["3. Values and headers the reference data does not know"]
    found = False
    # What staging counted (pantau.pipeline.runs.SourceCount): headers/fields nobody reads, and per
    # vocabulary column the unknown values (with the closest code as a suggestion) and fuzzy mappings.
    for row in report["sources"]:
        for entry in row.get("unrecognised_headers") or []:
            found = True
            rows = "" if entry.get("records") is None else f" ({entry['records']} rows filled it)"
            out.append(f"    {row['source']}: {entry['file']}: unrecognised header {entry['header']!r}{rows}")
        for column, tally in (row.get("vocabulary") or {}).items():
            values = [{"value": u["raw"], "rows": u["rows"], "mapped": "unknown", "suggestion": u["suggestion"] or "",
                       "score": u["suggestion_score"] or ""} for u in tally.get("unknown", [])]
            values += [{"value": f["raw"], "rows": f["rows"], "mapped": "fuzzy", "suggestion": f["code"],
                        "score": f["confidence"]} for f in tally.get("fuzzy", [])]
            if values:
                found = True
                out.append(f"    {row['source']} {column} ({tally['vocabulary']}; {tally['methods']}):")
                out += ["  " + line for line in _table(values, ["value", "rows", "mapped", "suggestion", "score"])]
    for source, notes in report["source_notes"].items():
        for name, value in notes.items():
            if name in ("unrecognised_headers", "unknown_fields", "unknown_columns") and value:
                found = True
                out.append(f"    {source}: {name.replace('_', ' ')}: {value}")
        for column, values in (notes.get("vocabulary") or {}).items():
            rows = values if isinstance(values, list) else []
            if rows:
                found = True
                out.append(f"    {source} {column}:")
                out += ["  " + line for line in _table(rows, list(rows[0].keys()))]
    if not found:
        out.append("    (none)")
    out.append("")
    return out


def _render_matching(report: dict[str, Any]) -> list[str]:
    out = ["5. Matching against the registry (method: share of records)"]
    matching = report.get("matching")
    if not matching:
        out.append("    (not profiled)")
        out.append("")
        return out
    for name in ("cases", "recommendations", "case_links", "follow_up_links"):
        if name in matching:
            out.append(f"    {name.replace('_', ' ')}: " + ", ".join(
                f"{r['value']} {r['count']} ({r['share']:.1%})" for r in matching[name]))
    out.append(f"    figures: {matching.get('figures')}")
    out.append("")
    resolution = report.get("resolution") or {}
    out.append(f"6. Agency and region texts that resolve to nothing ({resolution.get('agency_texts', 0)} distinct "
               "texts)")
    out.append("   no region at all (add an alias to the region table):")
    out += _table(resolution.get("no_region", []), ["value", "count"])
    out.append("   a region but no agency (the registry has no such agency or unit there):")
    out += _table(resolution.get("region_only", []), ["value", "count"])
    out.append("   PPK titles naming no known region:")
    out += _table(resolution.get("ppk_titles_unresolved", []), ["value", "count"])
    out.append("")
    return out
