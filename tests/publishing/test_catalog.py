"""Catalog page, charts and change counts (issue 10): built on synthetic inputs shaped as in the contract.

``synthetic_release`` and the builders beside it are also used by test_catalog_browser.py.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import time
from datetime import date
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from pantau.publishing import charts
from pantau.publishing.catalog import render_catalog
from pantau.publishing.changes import canonical_text, changes

RID = "2026-03-02-3f2a9c1b7d4e"
PREVIOUS = "2026-03-01-aaaaaaaaaaaa"
STATISTICS_COLUMNS = [
    "level", "election", "province_code", "province_name", "kabkota_code", "kabkota_name", "agency_code",
    "agency_name", "persons", "reported", "forwarded", "recommended", "proven", "followed_up", "follow_up_rate",
    "median_working_days_to_follow_up", "suppressed", "suppression_note"]


# ------------------------------------------------------------------ synthetic inputs


def _stat(level: str, election: str = "SEMUA", province: tuple[str, str] | None = None, *, persons: int,
          proven: int, followed: int, days: float | None, hidden: bool = False) -> dict:
    row = dict.fromkeys(STATISTICS_COLUMNS)
    row.update(level=level, election=election, suppressed=hidden)
    if province:
        row.update(province_code=province[0], province_name=province[1])
    if hidden:  # what the disclosure control publishes for a small cell: no figure at all
        row["suppression_note"] = "kurang dari 3 orang"
        return row
    row.update(persons=persons, reported=persons, forwarded=persons, recommended=persons - 1, proven=proven,
               followed_up=followed, follow_up_rate=round(followed / proven, 4) if proven else None,
               median_working_days_to_follow_up=days)
    return row


def synthetic_statistics(provinces: int = 4) -> pd.DataFrame:
    """A public compliance_statistics table: national, two elections (one hidden), provinces (one hidden)."""
    names = ["Aceh", "Sumatera Barat", "Jawa Tengah", "Bali", "Papua", "Riau", "Jambi", "Banten"]
    codes = ["11", "13", "33", "51", "91", "14", "15", "36"]
    rows = [_stat("national", persons=1200, proven=800, followed=600, days=9.0),
            _stat("election", "Pemilu 2024", persons=900, proven=600, followed=480, days=8.0),
            _stat("election", "Pilkada 2020", persons=2, proven=1, followed=1, days=3.0, hidden=True),
            _stat("election", "Pilkada 2024", persons=300, proven=200, followed=120, days=12.5)]
    for i in range(provinces):
        name, code = names[i % len(names)], codes[i % len(codes)] if i < len(codes) else f"{90 + i}"
        if code == "51":
            rows.append(_stat("province", province=(code, name), persons=1, proven=1, followed=0, days=None,
                              hidden=True))
        else:
            proven = 40 + 10 * i
            rows.append(_stat("province", province=(code, name), persons=proven + 5, proven=proven,
                              followed=proven * 3 // 4, days=7.0 + i))
    frame = pd.DataFrame(rows, columns=STATISTICS_COLUMNS)
    return frame.astype({"persons": "Int64", "proven": "Int64", "followed_up": "Int64", "suppressed": bool})


def synthetic_dictionary() -> pd.DataFrame:
    rows = [("consolidated_cases", "nomor_register", "string", "none", "Nomor register Bawaslu", "Bawaslu register number"),
            ("consolidated_cases", "nip", "string", "direct", "NIP terpadan", "Matched NIP"),
            ("consolidated_cases", "registry_nama", "string", "direct", "Nama di registri", "Name in the registry"),
            ("compliance_statistics", "follow_up_rate", "number", "none", "Tingkat tindak lanjut", "Follow-up rate"),
            ("compliance_statistics", "province_code", "string", "quasi", "Kode provinsi", "Province code")]
    return pd.DataFrame(rows, columns=["dataset", "field", "type", "pii", "description_id", "description_en"])


def _files(prefix: str, dataset: str, rows: int) -> dict:
    # As publishing.release writes them: data.<ext> for national and public files alike.
    return {f"data.{ext}": {
        "key": (f"published/releases/{RID}/public/{dataset}/data.{ext}" if prefix == "public"
                else f"published/releases/{RID}/restricted/national/{dataset}/data.{ext}"),
        "sha256": hashlib.sha256(f"{dataset}.{ext}".encode()).hexdigest(), "bytes": 1000 + rows * (3 if ext == "csv" else 2)}
        for ext in ("parquet", "csv", "xlsx")}


def synthetic_release(rows: int = 1500, previous: str | None = PREVIOUS) -> dict:
    """A release manifest shaped as in the contract."""
    restricted = {"consolidated_cases": (rows, ["nomor_register", "nomor_rekomendasi", "follow_up_key"]),
                  "overdue_recommendations": (rows // 10, ["nomor_rekomendasi"]),
                  "review_queue": (rows // 50, ["item_id"]),
                  "blocking_candidates": (rows // 40, ["nomor_rekomendasi"])}
    public = {"compliance_statistics": (42, ["level", "election", "province_code", "kabkota_code", "agency_code"]),
              "quarantine_summary": (7, ["source", "reason_code"])}
    datasets: dict[str, dict] = {}
    for name, (n, key) in restricted.items():
        datasets[name] = {"access": "restricted", "description": f"Dataset {name} <terbatas>", "rows": n,
                          "schema": [{"name": k, "type": "string"} for k in key], "key": key,
                          "files": _files("restricted", name, n),
                          "extracts": {f"ppk-{i:03d}": {"rows": 1, "files": {}} for i in range(17)},
                          "unassigned_rows": 3, "changes": {"added": n, "removed": 0, "changed": 0, "unchanged": 0}}
    for name, (n, key) in public.items():
        datasets[name] = {"access": "public", "description": f"Dataset {name}", "rows": n,
                          "schema": [{"name": k, "type": "string"} for k in key], "key": key,
                          "files": _files("public", name, n),
                          "changes": {"added": n, "removed": 0, "changed": 0, "unchanged": 0}}
    return {
        "release": RID, "as_of": "2026-03-02", "created_at": "2026-03-02T07:00:00+07:00", "run_id": "run-1",
        "run_key": "run1", "code_version": "pantau 0.1.0", "previous_release": previous,
        "content_digest": "3f2a9c1b7d4e" + "0" * 52, "policy": {"follow_up_days": 14}, "disclosure": {"k": 3},
        "sources": {"bawaslu_cases": {"staged": "run1", "validated": "run1", "key": "staging/bawaslu_cases/run1.parquet",
                                      "sha256": "ab" * 32}},
        "validation": {"bawaslu_cases": {"rows_in": 120, "rows_valid": 118, "rows_quarantined": 2,
                                         "report": "published/validation/run1/bawaslu_cases.html"}},
        "datasets": datasets,
        "access": {"ppk-000": {"name": "Bupati Klaten", "policy": f"published/releases/{RID}/access/ppk-000.policy.json",
                               "prefix": f"published/releases/{RID}/restricted/ppk/ppk-000/"}},
        "lineage": {"inputs": [], "outputs": []},
    }


def synthetic_ageing() -> pd.DataFrame:
    return charts.ageing_counts([0, 1, 2, 3, 7, 8, 9, 30, 30, 30, 30, 50, 55, 60], k=3)


def synthetic_changes() -> dict[str, dict[str, int]]:
    return {"consolidated_cases": {"added": 12, "removed": 3, "changed": 5, "unchanged": 1480}}


def render(link_base: str = "", **overrides: object) -> str:
    arguments: dict = {"release": synthetic_release(), "statistics": synthetic_statistics(),
                       "overdue_ageing": synthetic_ageing(), "changes": synthetic_changes(),
                       "dictionary": synthetic_dictionary()}
    arguments.update(overrides)
    return render_catalog(**arguments, link_base=link_base)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def figure(page: str, name: str) -> str:
    found = [a.get("data-value") for _, a in tags(page) if a.get("data-figure") == name]
    assert len(found) == 1, f"expected one data-figure={name!r}, found {len(found)}"
    return str(found[0])


# ------------------------------------------------------------------ changes


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"k": [f"K{i}" for i in range(n)], "v": np.arange(n), "t": ["x"] * n})


def test_changes_counts_added_removed_changed_unchanged() -> None:
    old = _frame(10)
    new = old.drop(index=[0, 1]).copy()
    new.loc[5, "v"] = 500
    new.loc[6, "t"] = None
    new = pd.concat([new, pd.DataFrame({"k": ["NEW1", "NEW2", "NEW3"], "v": [1, 2, 3], "t": ["y"] * 3})])
    assert changes(old, new, ["k"]) == {"added": 3, "removed": 2, "changed": 2, "unchanged": 6}


def test_changes_without_a_previous_version_counts_every_row_added() -> None:
    assert changes(None, _frame(4), ["k"]) == {"added": 4, "removed": 0, "changed": 0, "unchanged": 0}


def test_changes_ignores_row_order_and_dtypes_of_a_file_read_back() -> None:
    old = pd.DataFrame({"k": ["a", "b", "c"], "n": pd.array([1, 2, None], dtype="Int64"),
                        "d": pd.array([date(2024, 1, 2), None, date(2024, 3, 4)], dtype=object),
                        "ts": pd.to_datetime(["2024-01-01 07:00", None, "2024-02-01 00:00"]).tz_localize("Asia/Jakarta"),
                        "lst": [["x", "y"], None, []]})
    new = pd.DataFrame({"k": ["c", "b", "a"], "n": [None, 2.0, 1.0],
                        "d": pd.to_datetime(["2024-03-04", None, "2024-01-02"]),
                        "ts": pd.to_datetime(["2024-01-31 17:00", None, "2024-01-01 00:00"]).tz_localize("UTC"),
                        "lst": [np.array([], dtype=object), None, np.array(["x", "y"], dtype=object)]})
    assert changes(old, new, ["k"]) == {"added": 0, "removed": 0, "changed": 0, "unchanged": 3}


def test_null_equals_null_in_keys_and_values_but_not_a_value() -> None:
    old = pd.DataFrame({"a": ["1", None, None], "b": [None, "x", None], "v": [None, np.nan, "z"]})
    new = pd.DataFrame({"a": ["1", None, None], "b": [None, "x", None], "v": [np.nan, None, "zz"]})
    assert changes(old, new, ["a", "b"]) == {"added": 0, "removed": 0, "changed": 1, "unchanged": 2}
    assert canonical_text(pd.Series(["", None])).iloc[0] != canonical_text(pd.Series(["", None])).iloc[1]


def test_duplicate_keys_pair_as_a_multiset() -> None:
    old = pd.DataFrame({"k": ["a", "a", "a", "b"], "v": [1, 2, 3, 9]})
    new = pd.DataFrame({"k": ["a", "a", "b", "b"], "v": [3, 4, 9, 9]})
    # a: 3 stays, 1|2 -> 4 is one change, one 'a' row removed; b: 9 stays, a second 9 is added.
    assert changes(old, new, ["k"]) == {"added": 1, "removed": 1, "changed": 1, "unchanged": 2}


def test_a_column_added_with_values_changes_rows_an_empty_one_does_not() -> None:
    old = _frame(3)
    assert changes(old, old.assign(extra=None), ["k"])["unchanged"] == 3
    assert changes(old, old.assign(extra=["e", None, None]), ["k"]) == {
        "added": 0, "removed": 0, "changed": 1, "unchanged": 2}


def test_changes_refuses_a_missing_key_column() -> None:
    with pytest.raises(ValueError, match="missing"):
        changes(_frame(2), _frame(2).drop(columns="k"), ["k"])


def test_changes_totals_always_add_up_on_random_edits() -> None:
    rng = np.random.default_rng(7)
    old = pd.DataFrame({"k": rng.integers(0, 300, 1000).astype(str), "v": rng.integers(0, 3, 1000)})
    new = old.sample(frac=0.9, random_state=3).copy()
    new.loc[new.index[:50], "v"] = 7
    new = pd.concat([new, old.head(40)])
    result = changes(old, new, ["k"])
    assert result["added"] + result["changed"] + result["unchanged"] == len(new)
    assert result["removed"] + result["changed"] + result["unchanged"] == len(old)
    assert result["changed"] >= 1 and result["removed"] >= 1


def test_changes_on_50k_rows_is_fast() -> None:
    n = 50_000
    rng = np.random.default_rng(1)
    old = pd.DataFrame({"nomor_register": [f"{i:06d}/Reg" for i in range(n)],
                        "nomor_rekomendasi": pd.Series([f"B-{i}" if i % 3 else None for i in range(n)]),
                        **{f"c{j}": rng.choice(["a", "b", "c", None], n) for j in range(30)},
                        "x": rng.random(n), "d": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")})
    new = old.sample(frac=1.0, random_state=2).reset_index(drop=True)
    new.loc[:99, "x"] = -1.0
    started = time.perf_counter()
    result = changes(old, new, ["nomor_register", "nomor_rekomendasi"])
    elapsed = time.perf_counter() - started
    assert result == {"added": 0, "removed": 0, "changed": 100, "unchanged": n - 100}
    assert elapsed < 3.0, f"changes() took {elapsed:.2f} s on 50k rows"


# ------------------------------------------------------------------ charts


def test_chart_svg_is_deterministic_and_inlinable() -> None:
    statistics = synthetic_statistics()
    first, second = charts.follow_up_rate_by_province(statistics), charts.follow_up_rate_by_province(statistics)
    assert first == second
    assert first.startswith("<svg ") and first.endswith("</svg>")
    assert "http" not in first and "<?xml" not in first and "xlink" not in first and "<metadata" not in first
    assert 'role="img"' in first and "<title>Tingkat tindak lanjut per provinsi" in first


def test_chart_svg_bytes_are_the_same_in_another_process() -> None:
    # matplotlib salts its SVG ids with a random uuid unless svg.hashsalt is set: a new process shows it.
    script = ("import hashlib, sys, pandas as pd; from pantau.publishing import charts; "
              "frame = pd.DataFrame({'level': ['election', 'election'], 'election': ['A', 'B'], "
              "'follow_up_rate': [0.5, None], 'suppressed': [False, True]}); "
              "sys.stdout.write(hashlib.sha256(charts.follow_up_rate_by_election(frame).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
               for _ in range(2)}
    frame = pd.DataFrame({"level": ["election", "election"], "election": ["A", "B"], "follow_up_rate": [0.5, None],
                          "suppressed": [False, True]})
    digests.add(hashlib.sha256(charts.follow_up_rate_by_election(frame).encode()).hexdigest())
    assert len(digests) == 1


def test_province_chart_shows_hidden_cells_as_words_not_bars() -> None:
    svg = charts.follow_up_rate_by_province(synthetic_statistics(provinces=4))
    provinces = synthetic_statistics(provinces=4).query("level == 'province'")
    shown = int((~provinces["suppressed"]).sum())
    assert len(re.findall(r'<g id="chart-rate-province-bar-\d+"', svg)) == shown
    assert svg.count(">disembunyikan<") == int(provinces["suppressed"].sum()) == 1
    assert "75%" in svg  # 30 of 40 followed up in Aceh


def test_ids_of_two_charts_do_not_collide() -> None:
    statistics = synthetic_statistics()
    ids = [re.findall(r'\bid="([^"]+)"', svg) for svg in (charts.follow_up_rate_by_province(statistics),
                                                           charts.follow_up_rate_by_election(statistics),
                                                           charts.time_to_follow_up(statistics),
                                                           charts.overdue_ageing_chart(synthetic_ageing()))]
    everything = [i for group in ids for i in group]
    assert len(everything) == len(set(everything))


def test_empty_inputs_give_a_no_data_figure() -> None:
    empty = pd.DataFrame(columns=STATISTICS_COLUMNS)
    for svg in (charts.follow_up_rate_by_province(empty), charts.follow_up_rate_by_election(empty),
                charts.time_to_follow_up(empty), charts.overdue_ageing_chart(pd.DataFrame(columns=["bucket", "count"]))):
        assert svg.startswith("<svg ") and "no data" in svg and "bar-" not in svg


def test_ageing_counts_hide_small_cells_and_a_complementary_one() -> None:
    ageing = charts.ageing_counts([0, 0, 0, 0, 7, 30, 30, 30, 50, 50, 50, 50, 51], k=3)
    assert list(ageing["bucket"]) == ["0–5", "6–10", "11–20", "21–40", ">40"]
    assert ageing["suppressed"].tolist() == [False, True, False, True, False]  # 1 hidden, then the smallest other
    assert ageing["count"].iloc[[0, 2, 4]].tolist() == [4, 0, 5]
    assert ageing["count"].iloc[[1, 3]].isna().all()
    assert ageing_counts_total(charts.ageing_counts(range(100))) == 100


def ageing_counts_total(frame: pd.DataFrame) -> int:
    return int(frame["count"].sum())


def test_overdue_ageing_counts_working_days_past_due() -> None:
    overdue = pd.DataFrame({"due_date": ["2026-02-27", "2026-02-02", "2026-03-02"],
                            "state": ["overdue", "escalated", "upcoming"]})
    ageing = charts.overdue_ageing(overdue, date(2026, 3, 2))
    # Fri 27 Feb -> Mon 2 Mar: 1 working day; 2 Feb -> 2 Mar: 20 working days (no holiday between).
    assert ageing.set_index("bucket")["count"].to_dict() == {"0–5": 1, "6–10": 0, "11–20": 1, "21–40": 0, ">40": 0}


def test_overdue_ageing_reads_as_of_from_the_frame() -> None:
    overdue = pd.DataFrame({"due_date": [date(2026, 2, 27)], "state": ["overdue"], "as_of": [date(2026, 3, 2)]})
    assert charts.overdue_ageing(overdue).set_index("bucket")["count"]["0–5"] == 1
    with pytest.raises(ValueError, match="as_of"):
        charts.overdue_ageing(overdue.drop(columns="as_of"))


# ------------------------------------------------------------------ the page


def test_page_hides_small_ageing_counts_with_the_release_k_whatever_the_caller_passed() -> None:
    unsuppressed = charts.ageing_counts([0, 0, 0, 0, 7, 30, 30, 30, 50, 50, 50, 50, 51])  # no k
    assert not unsuppressed["suppressed"].any()
    page = render(overdue_ageing=unsuppressed)
    assert figure(page, "ageing-0") == "4" and figure(page, "ageing-4") == "5"
    assert figure(page, "ageing-1") == "" and figure(page, "ageing-3") == ""  # 1, and its complement 3
    assert re.search(r'data-figure="ageing-1"[^>]*>disembunyikan<', page)


def test_a_frame_in_the_changes_place_is_refused_with_the_signature() -> None:
    arguments = synthetic_release(), synthetic_statistics(), synthetic_ageing(), synthetic_dictionary()
    with pytest.raises(TypeError, match="changes, dictionary"):
        render_catalog(*arguments, None, link_base="")  # type: ignore[arg-type]


def test_page_has_the_release_figures() -> None:
    page = render()
    assert f'id="release-id" data-figure="release">{RID}<' in page
    assert figure(page, "rows-consolidated_cases") == "1500"
    assert figure(page, "rows-compliance_statistics") == "42"
    assert figure(page, "extracts-consolidated_cases") == "17"
    assert figure(page, "national-follow_up_rate") == "0.75"
    assert figure(page, "rate-province-11") == "0.75"
    assert figure(page, "changed-consolidated_cases") == "5"
    # a dataset missing from the changes argument falls back to the manifest's own counts
    assert figure(page, "added-review_queue") == "30"
    assert "2026-03-01-aaaaaaaaaaaa" in page and "2026-03-02" in page
    assert "1.500" in page  # Indonesian thousands separator


def test_hidden_cells_say_disembunyikan_and_carry_no_value() -> None:
    page = render()
    hidden = [a for _, a in tags(page) if a.get("data-suppressed") == "true"]
    names = {a["data-figure"] for a in hidden}
    assert {"rate-province-51", "rate-election-Pilkada 2020"} <= names
    assert all(a.get("data-value") == "" for a in hidden)
    assert re.search(r'data-figure="rate-province-51"[^>]*>disembunyikan', page)


def test_public_datasets_link_relative_downloads_restricted_ones_do_not() -> None:
    page = render()
    hrefs = [a["href"] for t, a in tags(page) if t == "a" and a.get("href")]
    assert "public/compliance_statistics/data.csv" in hrefs
    assert "public/quarantine_summary/data.xlsx" in hrefs
    assert not [h for h in hrefs if "restricted/" in h]
    assert "akses terbatas: per kantor PPK" in page


def test_stable_page_links_one_level_up_into_the_release() -> None:
    inside, stable = render(""), render(f"releases/{RID}/")
    inside_links = {a["href"] for t, a in tags(inside) if t == "a"}
    stable_links = {a["href"] for t, a in tags(stable) if t == "a"}
    assert "release.json" in inside_links and f"releases/{RID}/release.json" in stable_links
    assert f"releases/{RID}/public/compliance_statistics/data.parquet" in stable_links
    # the validation report lives outside the release folder
    assert "../../validation/run1/bawaslu_cases.html" in inside_links
    assert "validation/run1/bawaslu_cases.html" in stable_links
    with pytest.raises(ValueError, match="link_base"):
        render("somewhere/else/")


def test_page_is_self_contained() -> None:
    page = render()
    assert "<script" not in page.lower()
    assert not re.search(r"(?i)\b(?:https?|ftp|file|data|javascript):|//[a-z0-9]", page)  # no URL of any kind
    for tag, attributes in tags(page):
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attributes.get(name)
            assert value is None or not re.match(r"[a-z][a-z0-9+.-]*:|//", value), (tag, name, value)
        assert not (tag == "link" and attributes.get("rel") == "stylesheet")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.count("<svg ") == 4


def test_text_from_the_manifest_is_escaped() -> None:
    page = render()
    assert "Dataset consolidated_cases &lt;terbatas&gt;" in page
    assert "<terbatas>" not in page


def test_dictionary_is_collapsible_per_dataset_with_pii_class() -> None:
    page = render()
    details = [a.get("data-dataset") for t, a in tags(page) if t == "details" and a.get("id", "").startswith("dictionary-")]
    assert details == ["consolidated_cases", "compliance_statistics"]
    assert "NIP terpadan" in page and "Matched NIP" in page and 'data-pii="direct"' in page


def test_checksums_and_how_to_verify() -> None:
    release = synthetic_release()
    page = render(release=release)
    for name in ("compliance_statistics", "quarantine_summary"):
        for info in release["datasets"][name]["files"].values():
            assert f"{info['sha256']}  public/{name}/data." in page
    assert "sha256sum -c SHA256SUMS" in page


def test_restricted_national_checksums_listed_in_either_manifest_spelling() -> None:
    release = synthetic_release()
    national = release["datasets"]["review_queue"]["files"]
    release["datasets"]["review_queue"]["files"] = {f"national/{name}": info for name, info in national.items()}
    for page in (render(), render(release=release)):
        for info in national.values():
            assert f"<code>restricted/national/review_queue/data.{info['key'].rsplit('.', 1)[1]}</code>" in page
            assert info["sha256"] in page


def test_first_release_and_missing_inputs_render() -> None:
    page = render(release=synthetic_release(previous=None), changes={}, dictionary=None,
                  statistics=pd.DataFrame(columns=STATISTICS_COLUMNS), overdue_ageing=None)
    assert "rilis pertama" in page and page.count("no data") == 4
    assert figure(page, "added-consolidated_cases") == "1500"


def test_page_is_deterministic() -> None:
    assert render() == render()


def test_render_of_a_50k_row_release_is_well_under_two_seconds() -> None:
    # Aggregates of a 50k-row release: 38 provinces, every election, 500 kab/kota rows in the table.
    statistics = synthetic_statistics(provinces=38)
    kabkota = pd.DataFrame([_stat("kabkota", province=("33", "Jawa Tengah"), persons=10, proven=8, followed=5,
                                  days=4.0) | {"kabkota_code": f"33.{i:02d}"} for i in range(500)],
                           columns=STATISTICS_COLUMNS)
    statistics = pd.concat([statistics, kabkota], ignore_index=True)
    render(statistics=statistics, release=synthetic_release(rows=50_000))  # warm-up: imports, fonts
    started = time.perf_counter()
    page = render(statistics=statistics, release=synthetic_release(rows=50_000))
    elapsed = time.perf_counter() - started
    assert figure(page, "rows-consolidated_cases") == "50000"
    assert elapsed < 1.5, f"render_catalog took {elapsed:.2f} s"
