"""What validation does differently on a table of national size gives the same verdicts.

From ``SPLIT_ROWS`` rows each rule runs in a GX run of its own, on the columns it reads; GX must not
keep the validated frame afterwards (at 6M persons that was 2.3 GB held for the rest of the task).
"""

from __future__ import annotations

import pandas as pd
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
