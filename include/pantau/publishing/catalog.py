"""The catalog page of a release: what was published, what changed, the charts, the dictionary, checksums.

The page is public and self-contained: inline CSS and SVG, no script, no URL of any kind (a
Content-Security-Policy meta tag forbids every fetch, so a page opened from a download stays offline).
Every link is relative, because the page is opened from a local mirror of the bucket as often as from
S3 static hosting, at two depths: ``published/releases/<rid>/index.html`` (``link_base=""``) and the
stable copy ``published/index.html`` (``link_base="releases/<rid>/"``). Restricted datasets are listed
with their row and extract counts, never linked. Bahasa Indonesia first, English beside it.

Key figures carry ``data-figure`` (what it is) and ``data-value`` (the machine value) attributes, so a
test or a scraper reads numbers without parsing Indonesian number formats.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

import pandas as pd
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pantau.publishing import charts
from pantau.publishing.charts import overdue_ageing

__all__ = ["overdue_ageing", "release_dir", "render_catalog"]

_env = Environment(loader=PackageLoader("pantau.publishing", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
_FORMATS = ("parquet", "csv", "xlsx")
_PII = {"none": "tidak ada / none", "direct": "langsung / direct", "indirect": "tidak langsung / indirect",
        "quasi": "kuasi-pengenal / quasi-identifier"}
_FIGURES = ("persons", "reported", "forwarded", "recommended", "proven", "followed_up")


def _number(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return format_decimal(value, locale="id")


def _rate(value: Any) -> str:
    if value is None or pd.isna(value):
        return charts.NONE
    return format_percent(float(value), locale="id", format="#,##0.#%")


def _bytes(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{format_decimal(round(size, 1), locale='id')} {unit}"
        size /= 1024
    return ""  # unreachable


def _raw(value: Any) -> str:
    """The machine form of a figure for ``data-value``: empty for null."""
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(round(number, 6))


_env.filters.update(number=_number, rate=_rate, size=_bytes, raw=_raw)


def release_dir(rid: str) -> str:
    """The bucket prefix of a release (the contract's layout)."""
    return f"published/releases/{rid}/"


class _Links:
    """Relative links from the page to bucket keys, for a page at either of the two depths."""

    def __init__(self, rid: str, link_base: str) -> None:
        base = link_base.strip()
        base = "" if base in ("", ".", "./") else base.rstrip("/") + "/"
        home = release_dir(rid)
        if base and not home.endswith(base):
            raise ValueError(f"link_base {link_base!r} must be '' (the release's own page) or a tail of "
                             f"{home!r} (e.g. 'releases/{rid}/' for published/index.html)")
        self.base = base
        self.page_dir = home[: len(home) - len(base)].rstrip("/") or "."
        self.home = home

    @staticmethod
    def bare(key: str) -> str:
        """The object key without an ``s3://<bucket>/`` in front."""
        if key.startswith("s3://"):
            key = key.split("/", 3)[3] if key.count("/") >= 3 else ""
        return key.lstrip("/")

    def key(self, key: str) -> str:
        return posixpath.relpath(self.bare(key), self.page_dir)

    def release(self, path: str) -> str:
        return self.base + path


def _files(entry: Mapping[str, Any], dataset: str, links: _Links, public: bool) -> list[dict[str, Any]]:
    """The national (restricted) or public files of one dataset; PPK extracts are listed in release.json.

    The manifest names them ``data.parquet`` or ``national/data.parquet``; both are read.
    """
    out = []
    for name, info in sorted((entry.get("files") or {}).items()):
        extension = name.rsplit(".", 1)[-1].lower()
        if extension not in _FORMATS or name.startswith("ppk/"):
            continue
        # Without a stored key, the contract's layout says where the file is.
        place = f"public/{dataset}/" if public else f"restricted/national/{dataset}/"
        key = links.bare(str(info["key"])) if info.get("key") else links.home + place + name.rsplit("/", 1)[-1]
        relative_to_release = key[len(links.home):] if key.startswith(links.home) else None
        out.append({"format": extension.upper(), "name": name, "key": key,
                    "href": links.release(relative_to_release) if relative_to_release else links.key(key),
                    "path": relative_to_release or key, "sha256": info.get("sha256"), "bytes": info.get("bytes")})
    return sorted(out, key=lambda f: _FORMATS.index(f["format"].lower()))


def _datasets(release: Mapping[str, Any], changes: Mapping[str, Mapping[str, int]],
              links: _Links) -> list[dict[str, Any]]:
    out = []
    for name, entry in (release.get("datasets") or {}).items():
        public = entry.get("access") == "public"
        counts = changes.get(name) or entry.get("changes")
        out.append({
            "name": name, "access": entry.get("access", "restricted"), "public": public,
            "description": entry.get("description", ""), "rows": entry.get("rows"),
            "key": entry.get("key") or [], "schema": entry.get("schema") or [],
            "files": _files(entry, name, links, public),
            "extracts": len(entry.get("extracts") or {}), "unassigned_rows": entry.get("unassigned_rows"),
            "changes": dict(counts) if counts else None,
        })
    return out


def _statistics_rows(rows: pd.DataFrame, label: str) -> list[dict[str, Any]]:
    out = []
    for row in rows.to_dict("records"):
        hidden = bool(row.get("suppressed")) if not pd.isna(row.get("suppressed", False)) else False
        code = row.get("province_code") if label == "province" else row.get("election")
        name = row.get("province_name") if label == "province" else row.get("election")
        out.append({"code": "" if pd.isna(code) else str(code), "name": "" if pd.isna(name) else str(name),
                    "election": row.get("election"), "hidden": hidden,
                    "note": "" if pd.isna(row.get("suppression_note")) else row.get("suppression_note"),
                    **{f: row.get(f) for f in (*_FIGURES, "follow_up_rate", "median_working_days_to_follow_up")}})
    return out


def _national(statistics: pd.DataFrame) -> dict[str, Any] | None:
    if statistics is None or statistics.empty or "level" not in statistics.columns:
        return None
    rows = statistics[statistics["level"] == "national"]
    if rows.empty:
        return None
    if "election" in rows.columns and (rows["election"] == "SEMUA").any():
        rows = rows[rows["election"] == "SEMUA"]
    return _statistics_rows(rows.head(1), "national")[0]


def _dictionary(dictionary: pd.DataFrame | None, order: list[str]) -> list[dict[str, Any]]:
    if dictionary is None or dictionary.empty:
        return []
    frame = dictionary.astype(object).where(dictionary.notna(), "")
    names = [d for d in order if d in set(frame["dataset"])]
    names += sorted(set(frame["dataset"]) - set(names))
    return [{"dataset": name,
             "fields": [{**row, "pii_label": _PII.get(str(row.get("pii")), str(row.get("pii") or ""))}
                        for row in frame[frame["dataset"] == name].to_dict("records")]}
            for name in names]


def _validation(release: Mapping[str, Any], links: _Links) -> list[dict[str, Any]]:
    out = []
    for table, info in sorted((release.get("validation") or {}).items()):
        report = info.get("report")
        out.append({"table": table, "rows_in": info.get("rows_in"), "rows_valid": info.get("rows_valid"),
                    "rows_quarantined": info.get("rows_quarantined"),
                    "href": links.key(report) if report else None})
    return out


def render_catalog(release: dict, statistics: pd.DataFrame, overdue_ageing: pd.DataFrame,
                   changes: dict[str, dict[str, int]], dictionary: pd.DataFrame, *, link_base: str) -> str:
    """The catalog page (HTML) of ``release`` (a release manifest as in the contract).

    ``statistics`` is the public compliance_statistics table, ``overdue_ageing`` the counts per
    ageing bucket (:func:`pantau.publishing.charts.overdue_ageing`), ``changes`` the counts per dataset
    against the previous release (a dataset missing there falls back to the manifest's own
    ``changes``), ``dictionary`` the field dictionary. ``link_base`` is "" for the page inside the
    release folder and ``"releases/<rid>/"`` for the stable page at ``published/index.html``.
    """
    if isinstance(changes, pd.DataFrame):
        raise TypeError("render_catalog(release, statistics, overdue_ageing, changes, dictionary, *, link_base): "
                        "a DataFrame came as changes; pass the counts per dataset there ({} uses the manifest's)")
    rid = str(release["release"])
    links = _Links(rid, link_base)
    k = (release.get("disclosure") or {}).get("k")
    datasets = _datasets(release, changes or {}, links)
    statistics = statistics if statistics is not None else pd.DataFrame()
    ageing = overdue_ageing if overdue_ageing is not None else pd.DataFrame(columns=["bucket", "count"])
    # The release's own k, whatever the caller applied: the page is public.
    ageing = charts.suppress_ageing(ageing, k)
    ageing_rows = [{"bucket": str(r["bucket"]), "count": r.get("count"),
                    "hidden": bool(r.get("suppressed")) if not pd.isna(r.get("suppressed", False)) else False}
                   for r in ageing.to_dict("records")]
    chart_svgs = {
        "province": charts.follow_up_rate_by_province(statistics),
        "election": charts.follow_up_rate_by_election(statistics),
        "days": charts.time_to_follow_up(statistics),
        "ageing": charts.overdue_ageing_chart(ageing),
    }
    public_files = [f for d in datasets if d["public"] for f in d["files"]]
    restricted_files = [dict(f, dataset=d["name"]) for d in datasets if not d["public"] for f in d["files"]]
    return _env.get_template("catalog.html.j2").render(
        release=release, rid=rid, links={
            "manifest": links.release("release.json"), "datapackage": links.release("datapackage.json"),
            "dcat": links.release("dcat.jsonld")},
        datasets=datasets, national=_national(statistics),
        provinces=_statistics_rows(charts.province_rows(statistics), "province"),
        elections=_statistics_rows(charts.election_rows(statistics), "election"),
        ageing=ageing_rows, charts={name: Markup(svg) for name, svg in chart_svgs.items()},  # our own SVG, cleaned in charts
        dictionary=_dictionary(dictionary, [d["name"] for d in datasets]),
        validation=_validation(release, links), sources=sorted((release.get("sources") or {}).items()),
        public_files=public_files, restricted_files=restricted_files,
        k=k, hidden_word=charts.HIDDEN, none_word=charts.NONE,
        first_release=not release.get("previous_release"),
    )
