"""Validation report pages: rendered from real GX results, never a value from the data, nothing fetched."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from pantau.settings import ValidationSettings
from pantau.validation import validate_frame
from pantau.validation.domain import domain_parameters
from pantau.validation.gx_runner import run_suite
from pantau.validation.report import (
    INDEX_LIMIT,
    index_entry,
    merge_index,
    render_validation_index,
    render_validation_report,
    verdict,
)
from pantau.validation.suites import load_suite, parse_suite
from pantau.validation.validate import BatchRejected

from .conftest import AS_OF, FACTORIES

SECRET_NIPS = ["197912252006041099", "19791225 2006 04 1 099"]
SECRET_NAMES = ["Siti Rahmawati Kusumaningrum", "Bambang Hadi Wibisono"]
#: Anything pointing outside the page: a scheme in src/href/url(), a protocol-relative link, a script.
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)|url\(|<script|@import""", re.I)


def _run(dataset: str, frame: pd.DataFrame, settings: ValidationSettings, **kwargs: object):
    options: dict[str, object] = {"run_key": "run7", "as_of": AS_OF, "previous_rows": None, "settings": settings}
    options.update(kwargs)
    return validate_frame(dataset, frame, **options)  # type: ignore[arg-type]


def _registry_with_personal_defects() -> pd.DataFrame:
    frame = FACTORIES["registry"](12)
    frame.loc[1, ["nip", "nip_raw"]] = SECRET_NIPS[1]  # fails nip_18_digits: GX lists the value
    frame.loc[[2, 3], ["nip", "nip_raw"]] = SECRET_NIPS[0]  # fails nip_unique: GX lists it twice
    frame.loc[[2, 3], "nama"] = SECRET_NAMES
    frame.loc[4, "status"] = "dibekukan"  # not personal, still a value from the data
    return frame


def _gx_text(results: dict[str, object]) -> str:
    return " ".join(str(getattr(r, "result", "")) for r in results.values())


def _assert_self_contained(page: str) -> None:
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)
    assert "http://" not in page and "https://" not in page


def test_gx_context_declares_no_data_docs_site() -> None:
    from pantau.validation.gx_runner import gx_context

    assert not gx_context().config.data_docs_sites


def test_page_from_real_gx_results_holds_no_nip_name_or_value(settings: ValidationSettings) -> None:
    frame = _registry_with_personal_defects()
    outcome = _run("registry", frame, settings)
    gx_text = _gx_text(outcome.results)
    assert all(v in gx_text for v in [*SECRET_NIPS, "dibekukan"])  # GX's own results do carry them
    page = render_validation_report("registry", "run7", outcome.summary, outcome.results,
                                    suite=load_suite(settings.expectations_dir, "registry"),
                                    version="staging/registry/run7.parquet",
                                    quarantine_key="quarantine/validation/registry/run7.parquet", bucket="pantau")
    for value in [*SECRET_NIPS, *SECRET_NAMES, "dibekukan", *frame["nip"], *frame["nama"]]:
        assert value not in page, value
    assert "rows quarantined" in page and "staging/registry/run7.parquet" in page
    assert "s3://pantau/quarantine/validation/registry/run7.parquet" in page
    row = re.search(r"<code>nip_18_digits</code>.*?</tr>", page, re.S)
    assert row and "failed" in row.group(0) and ">1<" in row.group(0) and "8.33" in row.group(0)  # 1 of 12
    assert "<code>nip_format</code>" in row.group(0) and "nip does not match ^[0-9]{18}$" in row.group(0)
    unique = re.search(r"<code>nip_unique</code>.*?</tr>", page, re.S)
    assert unique and ">2<" in unique.group(0) and "<code>duplicate_key</code>" in unique.group(0)
    _assert_self_contained(page)


def test_names_in_a_failing_name_rule_stay_out(settings: ValidationSettings) -> None:
    # No Pantau suite has a value rule on a name column today; one written later must not leak either.
    raw = {"name": "registry", "meta": {"pantau": {"key": ["nip"], "columns": {"nama": "text"}}},
           "expectations": [{"type": "expect_column_values_to_match_regex", "kwargs": {"column": "nama",
                             "regex": "^Orang"}, "meta": {"name": "nama_plain", "reason_code": "empty_name"}}]}
    suite = parse_suite(raw)
    frame = FACTORIES["registry"](6)
    frame.loc[[1, 4], "nama"] = SECRET_NAMES
    results = run_suite(suite, ["nama_plain"], frame, domain_parameters(), "run7")
    assert all(n in _gx_text(results) for n in SECRET_NAMES)
    summary = {"dataset": "registry", "run_key": "run7", "rows_in": 6, "success": True, "rows_quarantined": 2}
    page = render_validation_report("registry", "run7", summary, results, suite=suite)
    assert not any(n in page for n in SECRET_NAMES)
    assert re.search(r"<code>nama_plain</code>.*?failed.*?>2<.*?33\.33", page, re.S)


def test_rejected_batch_page_names_causes_without_values(settings: ValidationSettings) -> None:
    frame = FACTORIES["registry"](6)
    # Type drift in a column not known as personal: the failure message quotes an example value.
    frame["updated_at"] = SECRET_NAMES * 3
    frame = frame.drop(columns=["unit_kerja"])
    with pytest.raises(BatchRejected) as caught:
        _run("registry", frame, settings)
    error = caught.value
    assert SECRET_NAMES[0] in error.args[0]
    page = render_validation_report("registry", "run7", error.summary, error.results,
                                    suite=load_suite(settings.expectations_dir, "registry"),
                                    rejected_key="quarantine/validation/registry/run7-rejected.parquet")
    assert verdict(error.summary) == "rejected" and ">rejected<" in page
    assert "schema drift" in page and "type drift" in page
    assert "missing contract column(s): unit_kerja" in page
    assert re.search(r"<code>updated_at</code></td><td>timestamp</td>", page)
    assert "quarantine/validation/registry/run7-rejected.parquet" in page
    assert not any(n in page for n in SECRET_NAMES)
    _assert_self_contained(page)


def test_verdicts(settings: ValidationSettings) -> None:
    clean = _run("recommendations", FACTORIES["recommendations"](), settings)
    assert verdict(clean.summary) == "passed"
    page = render_validation_report("recommendations", "run7", clean.summary, clean.results,
                                    suite=load_suite(settings.expectations_dir, "recommendations"))
    assert ">passed<" in page and "Where the records are" not in page  # nothing quarantined: no object named
    assert "not evaluated" not in page
    assert page == render_validation_report("recommendations", "run7", clean.summary, clean.results,
                                             suite=load_suite(settings.expectations_dir, "recommendations"))


def test_rules_not_evaluated_are_listed(settings: ValidationSettings) -> None:
    outcome = _run("follow_ups", FACTORIES["follow_ups"](), settings)  # no references: the reference rule is skipped
    assert outcome.summary["expectations_skipped"]
    page = render_validation_report("follow_ups", "run7", outcome.summary, outcome.results,
                                    suite=load_suite(settings.expectations_dir, "follow_ups"))
    for name in outcome.summary["expectations_skipped"]:
        assert re.search(rf"<code>{name}</code>.*?not evaluated", page, re.S)


def test_page_without_suite_reads_rules_from_results(settings: ValidationSettings) -> None:
    outcome = _run("registry", _registry_with_personal_defects(), settings)
    page = render_validation_report("registry", "run7", outcome.summary, outcome.results)
    assert "<code>nip_unique</code>" in page and not any(v in page for v in SECRET_NIPS)


def test_index_is_newest_first_relative_and_bounded() -> None:
    entries: list[dict[str, object]] = []
    for run, table in [("run1", "registry"), ("run2", "registry"), ("run2", "follow_ups")]:
        summary = {"run_key": run, "dataset": table, "rows_in": 3, "success": True, "rows_quarantined": 0}
        entries = merge_index(entries, index_entry(summary, f"published/validation/{run}/{table}.html"))
    retry = {"run_key": "run1", "dataset": "registry", "rows_in": 3, "success": False}
    entries = merge_index(entries, index_entry(retry, "published/validation/run1/registry.html"))
    page = render_validation_index(entries)
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs == ["run1/registry.html", "run2/follow_ups.html", "run2/registry.html"]
    assert len(entries) == 3 and entries[-1]["verdict"] == "rejected"
    _assert_self_contained(page)
    many = entries
    for i in range(INDEX_LIMIT + 5):
        many = merge_index(many, index_entry({"run_key": f"r{i}", "dataset": "registry"}, f"published/validation/r{i}/x.html"))
    assert len(many) == INDEX_LIMIT and many[-1]["run_key"] == f"r{INDEX_LIMIT + 4}"


def test_index_tolerates_old_entries_and_quotes_links() -> None:
    page = render_validation_index([{"run_key": "a b", "dataset": "registry", "key": "published/validation/a b/registry.html"}])
    assert 'href="a%20b/registry.html"' in page


def test_as_of_is_shown(settings: ValidationSettings) -> None:
    outcome = _run("registry", FACTORIES["registry"](), settings, as_of=date(2025, 7, 1))
    page = render_validation_report("registry", "run7", outcome.summary, outcome.results)
    assert "2025-07-01" in page
