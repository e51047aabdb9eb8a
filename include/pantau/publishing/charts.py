"""Charts for the catalog page, as SVG text to inline: the page must open from a downloaded file, offline.

Inputs are aggregates only (the public compliance_statistics table and overdue counts per ageing
bucket), never person rows. A cell the disclosure control suppressed is drawn as the word
"disembunyikan" (hidden), never as a zero-length bar: a zero would be a false figure. A rate that does
not exist (no proven case) is "tidak ada" (none).

The SVG bytes are deterministic (fixed ``svg.hashsalt``, no date in the metadata, text as text with
``svg.fonttype`` "none"), so an unchanged release renders an unchanged page. Each SVG is cleaned for
inlining into HTML: no XML prolog, DOCTYPE, RDF metadata or namespace URLs (the HTML parser puts
``<svg>`` in its namespace), ``href`` instead of ``xlink:href``, and every id prefixed with the
chart's name so several charts on one page do not share ids.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pantau.normalize.dates import working_days_between

__all__ = ["AGEING_BUCKETS", "HIDDEN", "NONE", "ageing_counts", "election_rows", "follow_up_rate_by_election",
           "follow_up_rate_by_province", "overdue_ageing", "overdue_ageing_chart", "province_rows",
           "suppress_ageing", "time_to_follow_up"]

HIDDEN = "disembunyikan"
NONE = "tidak ada"
# (label, lowest, highest) working days past the due date, both ends included.
AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0–5", 0, 5), ("6–10", 6, 10), ("11–20", 11, 20), ("21–40", 21, 40), (">40", 41, None))

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none", "svg.hashsalt": "pantau-catalog", "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"], "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
}
_BAR = "#1f5f8b"
_MUTED = "#6b6b6b"
_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def _inline(svg: str, name: str, title: str) -> str:
    """Matplotlib's SVG document as an element to inline (see the module docstring)."""
    svg = _PROLOG.sub("", svg)
    svg = _NAMESPACES.sub("", svg).replace("xlink:href=", "href=")
    ids = set(_ID.findall(svg))
    svg = _REFERENCE.sub(lambda m: m[1] + (f"{name}-{m[2]}" if m[2] in ids else m[2]), svg)
    escaped = (title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escaped}" data-chart="{name}" ', 1).replace(
        ">", f"><title>{escaped}</title>", 1).strip()


def _render(figure: Figure, name: str, title: str) -> str:
    # Agg attached to this figure only (no pyplot, no process-wide backend switch); savefig writes SVG.
    FigureCanvasAgg(figure)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": _STYLE["svg.hashsalt"]}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _inline(buffer.getvalue(), name, title)


def _figure(rows: int, labels: Sequence[str] = ()) -> Figure:
    # Margins from the label lengths rather than bbox_inches="tight", which draws every chart twice.
    height = max(1.6, 0.28 * rows + 0.9)
    widest = max((len(str(label)) for label in labels), default=4)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(7.5, height), dpi=100)
    figure.subplots_adjust(left=min(0.45, 0.03 + 0.0095 * widest), right=0.97, top=1 - 0.35 / height,
                           bottom=0.5 / height)
    return figure


def _empty(name: str, title: str) -> str:
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(5, 1.2), dpi=100)
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(0.5, 0.5, "Tidak ada data / no data", ha="center", va="center", color=_MUTED,
                  transform=axes.transAxes, gid="no-data")
        return _render(figure, name, f"{title}: tidak ada data")


def _horizontal_bars(name: str, title: str, labels: Sequence[str], values: Sequence[float | None],
                     hidden: Sequence[bool], *, scale: float, unit: str, xlabel: str) -> str:
    """One bar per label; hidden cells and missing values written as words where the bar would start."""
    if not labels:
        return _empty(name, title)
    with matplotlib.rc_context(_STYLE):
        figure = _figure(len(labels), labels)
        axes = figure.add_subplot()
        positions = np.arange(len(labels))[::-1]  # first label on top
        top = max([v for v, h in zip(values, hidden, strict=True) if v is not None and not h] or [0.0])
        limit = max(scale, top * 1.15) if scale else (top * 1.25 or 1.0)
        for index, (y, value, is_hidden) in enumerate(zip(positions, values, hidden, strict=True)):
            if is_hidden or value is None:
                axes.text(limit * 0.01, y, HIDDEN if is_hidden else NONE, va="center", color=_MUTED,
                          style="italic", gid=f"{'hidden' if is_hidden else 'none'}-{index}")
                continue
            bar = axes.barh(y, value, color=_BAR, height=0.7)[0]
            bar.set_gid(f"bar-{index}")
            axes.text(value + limit * 0.01, y, unit.format(value), va="center", gid=f"value-{index}")
        axes.set_yticks(positions, labels=list(labels))
        axes.set_xlim(0, limit)
        axes.set_ylim(-0.6, len(labels) - 0.4)
        axes.set_xlabel(xlabel)
        axes.set_title(title, loc="left", fontsize=10)
        return _render(figure, name, title)


def _rows(statistics: pd.DataFrame, level: str) -> pd.DataFrame:
    if statistics is None or statistics.empty or "level" not in statistics.columns:
        return pd.DataFrame()
    return statistics[statistics["level"] == level]


def _value(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _hidden(rows: pd.DataFrame) -> list[bool]:
    if "suppressed" not in rows.columns:
        return [False] * len(rows)
    return [bool(v) if not pd.isna(v) else False for v in rows["suppressed"]]


def _rate_chart(name: str, title: str, rows: pd.DataFrame, labels: list[str]) -> str:
    values = [None if v is None else v * 100 for v in map(_value, rows["follow_up_rate"])] if len(rows) else []
    return _horizontal_bars(name, title, labels, values, _hidden(rows), scale=100, unit="{:.0f}%",
                            xlabel="Tingkat tindak lanjut / follow-up rate (%)")


def province_rows(statistics: pd.DataFrame) -> pd.DataFrame:
    """Province rows over all elections ("SEMUA") when the table has such rows, else per election."""
    rows = _rows(statistics, "province")
    if len(rows) and (rows["election"] == "SEMUA").any():
        rows = rows[rows["election"] == "SEMUA"]
    return rows.sort_values(["province_code", "election"]) if len(rows) else rows


def election_rows(statistics: pd.DataFrame) -> pd.DataFrame:
    """Rows of each election (the all-elections row is the national figure, shown elsewhere)."""
    rows = _rows(statistics, "election")
    return rows[rows["election"] != "SEMUA"].sort_values("election") if len(rows) else rows


def follow_up_rate_by_province(statistics: pd.DataFrame) -> str:
    """Follow-up rate per province (see :func:`province_rows`)."""
    rows = province_rows(statistics)
    labels = [f"{name or code}" if election == "SEMUA" else f"{name or code} ({election})"
              for code, name, election in zip(rows.get("province_code", []), rows.get("province_name", []),
                                              rows.get("election", []), strict=True)]
    return _rate_chart("chart-rate-province", "Tingkat tindak lanjut per provinsi / follow-up rate by province",
                       rows, labels)


def follow_up_rate_by_election(statistics: pd.DataFrame) -> str:
    """Follow-up rate per election (see :func:`election_rows`)."""
    rows = election_rows(statistics)
    return _rate_chart("chart-rate-election", "Tingkat tindak lanjut per pemilihan / follow-up rate by election",
                       rows, [str(e) for e in rows.get("election", [])])


def time_to_follow_up(statistics: pd.DataFrame) -> str:
    """Median working days from recommendation to follow-up decree, per election."""
    rows = election_rows(statistics)
    values = [_value(v) for v in rows.get("median_working_days_to_follow_up", [])]
    return _horizontal_bars("chart-days-election",
                            "Median hari kerja sampai tindak lanjut / median working days to follow-up",
                            [str(e) for e in rows.get("election", [])], values, _hidden(rows), scale=0,
                            unit="{:.0f} hari", xlabel="Hari kerja / working days")


def suppress_ageing(ageing: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """``ageing`` (bucket, count[, suppressed]) with counts of 1..k-1 hidden (the catalog page is public).

    When only one bucket would be hidden, the smallest other non-zero bucket is hidden too, so that the
    national total (the row count of overdue_recommendations, shown on the page) does not give the
    hidden one away. Cells already hidden stay hidden.
    """
    counts = [None if pd.isna(c) else int(c) for c in ageing["count"]] if len(ageing) else []
    hidden = _hidden(ageing) if len(ageing) else []
    hidden = [h or c is None or (bool(k) and 0 < c < (k or 0)) for c, h in zip(counts, hidden, strict=True)]
    if sum(hidden) == 1:
        others = [(c, i) for i, c in enumerate(counts) if c and not hidden[i]]
        if others:
            hidden[min(others)[1]] = True
    return pd.DataFrame({"bucket": list(ageing["bucket"]) if len(ageing) else [],
                         "count": pd.array([None if h else c for c, h in zip(counts, hidden, strict=True)],
                                           dtype="Int64"),
                         "suppressed": pd.array(hidden, dtype=bool)})


def ageing_counts(working_days: Iterable[int], *, k: int | None = None) -> pd.DataFrame:
    """Counts per ageing bucket (columns bucket, count, suppressed) of working days past the due date;
    with ``k``, small counts hidden as :func:`suppress_ageing` does."""
    days = np.asarray(list(working_days), dtype="int64")
    counts = [int(((days >= low) & (days <= (high if high is not None else np.iinfo("int64").max))).sum())
              for _, low, high in AGEING_BUCKETS]
    return suppress_ageing(pd.DataFrame({"bucket": [label for label, _, _ in AGEING_BUCKETS], "count": counts}), k)


def overdue_ageing(overdue: pd.DataFrame, as_of: date | None = None, *, k: int | None = None) -> pd.DataFrame:
    """Ageing buckets of the overdue recommendations: working days from ``due_date`` to ``as_of``.

    ``as_of`` defaults to the frame's own ``as_of`` column (what ``reconcile.overdue`` writes). Only rows
    in state "overdue" or "escalated" count (an "upcoming" one is not late yet). Working days skip
    weekends, national holidays and cuti bersama (docs/DOMAIN.md §2.4).
    """
    if overdue is None or overdue.empty:
        return ageing_counts([], k=k)
    if as_of is None:
        if "as_of" not in overdue.columns or overdue["as_of"].isna().all():
            raise ValueError("overdue_ageing needs as_of: the overdue frame has no as_of column to read it from")
        as_of = pd.to_datetime(overdue["as_of"]).max().date()
    late = overdue[overdue["state"].isin(["overdue", "escalated"])] if "state" in overdue.columns else overdue
    due = pd.to_datetime(late["due_date"]).dt.date
    return ageing_counts([max(working_days_between(d, as_of), 0) for d in due], k=k)


def overdue_ageing_chart(ageing: pd.DataFrame) -> str:
    """Histogram of overdue recommendations per ageing bucket (columns bucket, count[, suppressed])."""
    name, title = "chart-ageing", "Umur keterlambatan (hari kerja) / overdue ageing (working days)"
    if ageing is None or ageing.empty:
        return _empty(name, title)
    hidden = _hidden(ageing)
    counts = [None if h else _value(c) for c, h in zip(ageing["count"], hidden, strict=True)]
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(7.5, 2.6), dpi=100)
        figure.subplots_adjust(left=0.1, right=0.97, top=0.87, bottom=0.2)
        axes = figure.add_subplot()
        top = max([c for c in counts if c is not None] or [0.0]) or 1.0
        for index, (count, is_hidden) in enumerate(zip(counts, hidden, strict=True)):
            if is_hidden or count is None:
                axes.text(index, top * 0.03, HIDDEN if is_hidden else NONE, ha="center", color=_MUTED,
                          style="italic", rotation=90, gid=f"hidden-{index}")
                continue
            bar = axes.bar(index, count, color=_BAR, width=0.7)[0]
            bar.set_gid(f"bar-{index}")
            axes.text(index, count + top * 0.02, f"{count:,.0f}".replace(",", "."), ha="center",
                      gid=f"value-{index}")
        axes.set_xticks(range(len(ageing)), labels=[str(b) for b in ageing["bucket"]])
        axes.set_ylim(0, top * 1.2)
        axes.set_xlabel("Hari kerja lewat tenggat / working days past the due date")
        axes.set_ylabel("Rekomendasi")
        axes.set_title(title, loc="left", fontsize=10)
        return _render(figure, name, title)
