"""What validation does differently on a table of national size gives the same verdicts.

From ``SPLIT_ROWS`` rows each rule runs in a GX run of its own, on the columns it reads; GX must not
keep the validated frame afterwards (at 6M persons that was 2.3 GB held for the rest of the task).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from pantau.validation import validate, validate_frame
from pantau.validation.gx_runner import DATA_SOURCE, gx_context

from .conftest import AS_OF, follow_ups, registry


def _run(dataset: str, frame: pd.DataFrame, settings, references=None):
    return validate_frame(dataset, frame, run_key="r1", as_of=AS_OF, previous_rows=None, settings=settings,
                          references=references, track_rows=True)


def _defective_registry() -> pd.DataFrame:
    frame = registry(12)
    frame.loc[2, "nip"] = frame.loc[3, "nip"]  # a repeated NIP (cross-row rule)
    frame.loc[5, "nama"] = None
    frame.loc[7, "nip"] = "12345"
    frame.loc[9, "jenis_asn"] = "KONTRAK"
    return frame


@pytest.mark.parametrize(("dataset", "make", "references"), [
    ("registry", _defective_registry, None),
    ("follow_ups", lambda: follow_ups(6), {"nomor_rekomendasi": {"R-0000/KASN/2024", "R-0001/KASN/2024"}}),
])
def test_one_run_per_rule_gives_the_verdicts_of_one_run(monkeypatch, settings, dataset, make, references):
    together = _run(dataset, make(), settings, references)
    monkeypatch.setattr(validate, "SPLIT_ROWS", 1)
    calls: list[tuple[list[str], list[str]]] = []
    original = validate.run_suite

    def counting(suite, names, view, *args):
        calls.append((list(names), list(view.columns)))
        return original(suite, names, view, *args)

    monkeypatch.setattr(validate, "run_suite", counting)
    apart = _run(dataset, make(), settings, references)
    # Both rows holding the repeated NIP, the nameless one, the short NIP, the unknown ASN type.
    assert dataset != "registry" or len(together.quarantine) == 5
    for name in ("valid", "quarantine", "flagged", "verdicts"):
        pd.testing.assert_frame_equal(getattr(apart, name), getattr(together, name))
    how = ("duration_s",)
    assert {k: v for k, v in apart.summary.items() if k not in how} == \
        {k: v for k, v in together.summary.items() if k not in how}
    # One run for the table rules (on a placeholder of the whole shape), then one per rule on what it reads.
    assert len(calls) > 2 and all(len(names) == 1 for names, _ in calls[1:])
    assert any(columns == ["nip"] for _, columns in calls[1:]) or dataset != "registry"


def test_gx_keeps_no_validated_frame(settings):
    _run("registry", registry(8), settings)
    manager = gx_context().data_sources.get(DATA_SOURCE).get_execution_engine().batch_manager
    assert manager.batch_data_cache == {}
    assert not manager.batch_cache


def test_birth_dates_are_compared_in_one_step_and_out_of_range_years_still_fail(settings):
    from datetime import date

    from pantau.validation.schema import comparable_view

    frame = registry(6)
    frame["tanggal_lahir"] = [date(1980, 1, 2), date(2031, 5, 6), None, date(1975, 3, 4), date(1990, 7, 8),
                              date(1969, 12, 31)]
    view = comparable_view(frame, {"tanggal_lahir": "date"})
    # Nanoseconds: the unit GX compares column-wise (seconds went value by value, 10 s at 6M rows).
    assert view["tanggal_lahir"].dt.unit == "ns"
    assert _run("registry", frame, settings).quarantine["reason_code"].tolist() == ["future_date"]
    # A year with no nanosecond form keeps its unit, and is still a future date, not a null.
    frame.loc[4, "tanggal_lahir"] = date(9999, 1, 1)
    assert comparable_view(frame, {"tanggal_lahir": "date"})["tanggal_lahir"].dt.unit == "s"
    out = _run("registry", frame, settings)
    assert sorted(out.quarantine["record_key"]) == sorted(frame.loc[[1, 4], "nip"])
    assert set(out.quarantine["reason_code"]) == {"future_date"}


def test_valid_rows_written_in_batches_read_back_as_the_valid_frame(store, settings):
    out = _run("registry", _defective_registry(), settings)
    assert list(out.dropped) == sorted(out.dropped) and len(out.dropped) == 5
    batches = list(out.valid_batches(rows=4))
    assert len(batches) == 3  # 12 input rows, 4 at a time; the quarantined ones left out of each
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), out.valid)
    schema = pa.Schema.from_pandas(out.checked, preserve_index=False)
    streamed = store.put_parquet_batches("validated/registry/batches.parquet", out.valid_batches(rows=4), schema)
    whole = store.put_parquet("validated/registry/whole.parquet", out.valid)
    pd.testing.assert_frame_equal(store.get_parquet(streamed), store.get_parquet(whole))
    # A table with no rows still makes a readable object with every column.
    nothing = store.put_parquet_batches("validated/registry/empty.parquet", iter([out.checked.iloc[:0]]), schema)
    assert list(store.get_parquet(nothing).columns) == list(out.checked.columns)


def test_dictionary_encoded_batches_are_written_as_their_values(store, settings):
    from pantau.storage import plain_schema

    # As a staged registry is read: text columns as str (one of them without any value), some as codes.
    plain = _defective_registry().astype({"status": "str", "bkd": "str", "nip_reason": "str"})
    assert plain["nip_reason"].isna().all()
    encoded = plain.astype({"status": "category", "bkd": "category", "nip_reason": "category"})
    out = _run("registry", encoded, settings)
    assert isinstance(next(out.valid_batches(rows=4))["status"].dtype, pd.CategoricalDtype)  # codes held
    streamed = store.put_parquet_batches("validated/registry/encoded.parquet", out.valid_batches(rows=4),
                                         plain_schema(out.checked))
    whole = store.put_parquet("validated/registry/plain.parquet", _run("registry", plain, settings).valid)
    pd.testing.assert_frame_equal(store.get_parquet(streamed), store.get_parquet(whole))
    assert plain_schema(out.checked).equals(pa.Schema.from_pandas(plain, preserve_index=False), check_metadata=True)


def test_repeated_values_are_found_by_sorting_nulls_never_count():
    values = pd.Series(["a", "b", None, "a", "c", None, "b", "a"], dtype="str")
    assert validate._repeated_rows(values).tolist() == [0, 1, 3, 6, 7]
    assert validate._repeated_rows(pd.Series(["x", "y"], dtype=object)).tolist() == []
    assert validate._repeated_rows(pd.Series([], dtype="str")).tolist() == []
    # Not text (numbers, a mix): GX checks the column whole, as before.
    assert validate._repeated_rows(pd.Series([1, 2, 1])) is None
    assert validate._repeated_rows(pd.Series(["1", 1], dtype=object)) is None


@pytest.mark.parametrize("repeat", [True, False])
def test_uniqueness_on_the_repeated_rows_only_gives_the_verdict_of_the_whole_column(monkeypatch, settings, repeat):
    frame = registry(12)
    if repeat:
        frame.loc[[2, 8, 11], "nip"] = frame.loc[3, "nip"]
    frame.loc[5, "nip"] = None
    whole = _run("registry", frame.copy(), settings)
    monkeypatch.setattr(validate, "SPLIT_ROWS", 1)
    seen: list[int] = []
    original = validate.run_suite

    def sizes(suite, names, view, *args):
        if names == ["nip_unique"]:
            seen.append(len(view))
        return original(suite, names, view, *args)

    monkeypatch.setattr(validate, "run_suite", sizes)
    apart = _run("registry", frame.copy(), settings)
    assert seen == [4 if repeat else 0]  # GX saw the four rows holding the repeated NIP, or none
    for name in ("valid", "quarantine", "flagged", "verdicts"):
        pd.testing.assert_frame_equal(getattr(apart, name), getattr(whole, name))
    how = ("duration_s",)
    assert {k: v for k, v in apart.summary.items() if k not in how} == \
        {k: v for k, v in whole.summary.items() if k not in how}
    assert ("duplicate_key" in set(apart.quarantine["reason_code"])) is repeat
