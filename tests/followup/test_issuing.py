"""The blocking list's approval, without Airflow: what is asked, what is recorded, what is issued.

Releases are built with the library (``blocking_candidates`` over an overdue frame, ``publish_release``)
in moto's S3 server on 127.0.0.1, as the other publishing tests do.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from pantau.followup import blocking_candidates, issuing
from pantau.publishing import release
from pantau.storage import ObjectStore, sha256_hex

AS_OF = date(2025, 3, 3)
APPROVER = {"id": "bkn_approver", "name": "bkn_approver"}
WHEN = datetime(2025, 3, 4, 2, 30, tzinfo=UTC)


def overdue(n: int, *, first: int = 0, hostile: bool = False) -> pd.DataFrame:
    """``n`` escalated recommendations over two PPK offices and three agencies."""
    rows = []
    for i in range(first, first + n):
        agency = ("33.10.01", "Dinas Pendidikan Kabupaten Klaten", "Bupati Klaten") if i % 3 == 0 else \
                 ("33.10.02", "Dinas Kesehatan Kabupaten Klaten", "Bupati Klaten") if i % 3 == 1 else \
                 ("13.06.01", "Dinas Pendidikan Kabupaten Agam", "Bupati Agam")
        name = f"Pegawai {i:03d}"
        if hostile and i == first:
            name = "Budi | **<script>x</script>** [klik](http://evil.example)"
        rows.append({"state": "escalated", "follow_up_state": None, "registry_nama": name, "rec_nama": name,
                     "nip": f"19720903199305{i:04d}", "registry_kode_instansi": agency[0],
                     "registry_nama_instansi": agency[1], "ppk": agency[2], "registry_kode_wilayah": agency[0][:5],
                     "case_kode_wilayah": agency[0][:5], "pemilihan": "PILKADA 2024",
                     "nomor_register": f"{i:03d}/REG/2024", "nomor_rekomendasi": f"R-{i:03d}/KASN/2024",
                     "tanggal_rekomendasi": date(2024, 11, 1), "rekomendasi_sanksi": "hukuman disiplin sedang",
                     "due_date": date(2024, 11, 21), "escalation_date": date(2024, 12, 11)})
    if rows:
        rows.append({**rows[0], "state": "overdue", "nomor_rekomendasi": "R-999/KASN/2024"})  # not escalated yet
    return pd.DataFrame(rows)


def publish(store: ObjectStore, candidates: pd.DataFrame, as_of: date = AS_OF, run: str = "run1") -> dict:
    result = release.publish_release(store, {"blocking_candidates": candidates}, extracts={}, unassigned={},
                                     as_of=as_of, facts={"run_id": run, "run_key": run})
    return result.manifest


def answer(option: str, who: dict | None = None) -> dict:
    return {"chosen_options": [option], "params_input": {}, "responded_at": WHEN,
            "responded_by_user": who or APPROVER}


def test_nothing_published_fails_with_a_sentence(store):
    with pytest.raises(FileNotFoundError, match="run pantau_reconcile first"):
        issuing.prepare_approval(store)


def test_empty_list_asks_nothing(store):
    publish(store, blocking_candidates(overdue(1).iloc[:0], AS_OF))
    request, why = issuing.prepare_approval(store)
    assert request is None
    assert "no blocking candidate" in why


def test_request_shows_the_list(store):
    candidates = blocking_candidates(overdue(7, hostile=True), AS_OF)
    manifest = publish(store, candidates)
    request, why = issuing.prepare_approval(store)
    assert request is not None and "awaits BKN approval" in why
    assert request["release"] == manifest["release"] and request["rows"] == 7
    assert (request["ppk_offices"], request["agencies"]) == (2, 3)
    body = request["body"]
    assert manifest["release"] in body and request["list_digest"] in body
    assert request["csv_url"] == f"s3://{store.bucket}/{release.dataset_key(manifest, 'blocking_candidates', 'data.csv')}"
    assert request["csv_url"] in body
    # counts per PPK and agency: Klaten's two agencies hold 3 + 2 candidates, Agam's one 2
    assert "| Bupati Klaten | 33.10.01 | Dinas Pendidikan Kabupaten Klaten | 3 |" in body
    assert "| Bupati Klaten | 33.10.02 | Dinas Kesehatan Kabupaten Klaten | 2 |" in body
    assert "| Bupati Agam | 13.06.01 | Dinas Pendidikan Kabupaten Agam | 2 |" in body
    for i in range(1, 7):
        assert f"19720903199305{i:04d}" in body and f"R-{i:03d}/KASN/2024" in body
    assert "R-999/KASN/2024" not in body  # overdue but not escalated: not a candidate
    # a hostile name cannot break the table, inject HTML or a link
    assert "<script>" not in body and "](http" not in body
    assert r"Budi \| \*\*\<script\>x\</script\>\*\* \[klik\]\(http://evil.example\)" in body
    table = [line for line in body.splitlines() if line.startswith("| 1 |")]
    assert len(table) == 1 and table[0].count(" | ") == len(issuing._TABLE)


def test_summary_carries_no_personal_data_and_rebuilds_the_request(store):
    """The DAG passes the summary through XCom and logs it; the approval form rebuilds the body from it."""
    publish(store, blocking_candidates(overdue(4), AS_OF))
    request, _ = issuing.prepare_approval(store)
    assert request is not None
    summary = issuing.summary(request)
    assert set(summary) == set(issuing.SUMMARY_KEYS)
    text = repr(summary)
    assert "Pegawai" not in text and "1972090319930" not in text
    assert issuing.request_for(store, summary) == request
    # a new release with another list does not change what the approver of this summary is shown
    publish(store, blocking_candidates(overdue(6), AS_OF), run="run2")
    assert issuing.request_for(store, summary)["body"] == request["body"]
    with pytest.raises(ValueError, match="no longer holds"):
        issuing.request_for(store, {**summary, "list_digest": "0" * 64})


def test_body_is_cut_but_the_csv_has_every_row(store):
    publish(store, blocking_candidates(overdue(12), AS_OF))
    request, _ = issuing.prepare_approval(store, max_rows=5)
    assert request is not None
    assert "| 5 |" in request["body"] and "| 6 |" not in request["body"]
    assert "7 baris lainnya" in request["body"]


def test_approve_records_and_issues_once(store):
    candidates = blocking_candidates(overdue(5), AS_OF)
    manifest = publish(store, candidates)
    request, _ = issuing.prepare_approval(store)
    result = issuing.settle(store, request, answer(issuing.APPROVE), run_id="manual__1")
    assert result["decision"] == "approved"
    decision = store.get_json(issuing.decision_key(request["list_digest"]))
    assert decision["decision"] == "approved" and decision["responded_by"] == APPROVER
    assert decision["release"] == manifest["release"] and decision["list_digest"] == request["list_digest"]
    assert decision["responded_at"] == "2025-03-04T09:30:00+07:00" and decision["run_id"] == "manual__1"
    prefix = issuing.issued_prefix(AS_OF.isoformat(), request["list_digest"])
    assert result["issued"] == prefix and prefix == f"published/blocking/issued/2025-03-03-{request['list_digest'][:12]}"
    issued = store.get_json(f"{prefix}/issued.json")
    assert issued["decision"]["responded_by"] == APPROVER and issued["rows"] == 5
    for fmt in ("data.parquet", "data.csv"):
        body = store.get_bytes(f"{prefix}/{fmt}")
        assert sha256_hex(body) == manifest["datasets"]["blocking_candidates"]["files"][fmt]["sha256"]
    assert list(pd.read_parquet(io.BytesIO(store.get_bytes(f"{prefix}/data.parquet")))["nip"]) == list(candidates["nip"])
    assert store.get_json(issuing.ISSUED_POINTER)["manifest"] == f"{prefix}/issued.json"
    # a retry of the settling task changes nothing; the list is never asked again
    keys = sorted(store.list("published/blocking/")) + sorted(store.list("state/blocking/"))
    assert issuing.settle(store, request, answer(issuing.APPROVE), run_id="manual__1")["issued"] == prefix
    assert sorted(store.list("published/blocking/")) + sorted(store.list("state/blocking/")) == keys
    again, why = issuing.prepare_approval(store)
    assert again is None and "already approved" in why


def test_release_is_kept_while_bkn_decides(store):
    """The approval can take days; retention must not delete the release the issued files are copied from."""
    publish(store, blocking_candidates(overdue(3), AS_OF))
    request, _ = issuing.prepare_approval(store)
    store.put_json(release.PINNED_KEY, [{"release": "2020-01-01-000000000000", "by": "steward", "reason": "audit"}])
    issuing.pin_for_approval(store, request)
    for day in range(4, 8):  # four more releases, keep=2: without the pin the asked release would go
        publish(store, blocking_candidates(overdue(3 + day), date(2025, 3, day)), as_of=date(2025, 3, day), run=f"r{day}")
        release.apply_retention(store, keep=2)
    assert store.exists(f"{release.release_prefix(request['release'])}/release.json")
    result = issuing.settle(store, request, answer(issuing.APPROVE))
    assert result["issued"] is not None
    # the pin goes with the decision; someone else's pin stays
    assert store.get_json(release.PINNED_KEY) == [{"release": "2020-01-01-000000000000", "by": "steward",
                                                   "reason": "audit"}]
    release.apply_retention(store, keep=2)
    assert not store.exists(f"{release.release_prefix(request['release'])}/release.json")


def test_reject_records_and_issues_nothing(store):
    publish(store, blocking_candidates(overdue(4), AS_OF))
    request, _ = issuing.prepare_approval(store)
    result = issuing.settle(store, request, answer(issuing.REJECT))
    assert result["decision"] == "rejected" and result["issued"] is None
    assert store.get_json(issuing.decision_key(request["list_digest"]))["responded_by"] == APPROVER
    assert list(store.list("published/blocking/")) == []
    assert issuing.prepare_approval(store)[0] is None
    with pytest.raises(ValueError, match="not approved"):
        issuing.issue_list(store, request, store.get_json(issuing.decision_key(request["list_digest"])))


def test_first_answer_stands(store):
    publish(store, blocking_candidates(overdue(3), AS_OF))
    request, _ = issuing.prepare_approval(store)
    issuing.settle(store, request, answer(issuing.REJECT))
    later = issuing.settle(store, request, answer(issuing.APPROVE, {"id": "other", "name": "other"}))
    assert later["decision"] == "rejected" and later["issued"] is None
    assert later["ignored_answer"]["decision"] == "approved"
    assert store.get_json(issuing.decision_key(request["list_digest"]))["decision"] == "rejected"


def test_same_candidates_next_day_are_the_same_list(store):
    """The day counters move every day; the candidates do not: no new question."""
    publish(store, blocking_candidates(overdue(4), AS_OF))
    request, _ = issuing.prepare_approval(store)
    issuing.settle(store, request, answer(issuing.REJECT))
    nxt = date(2025, 3, 4)
    manifest = publish(store, blocking_candidates(overdue(4), nxt), as_of=nxt, run="run2")
    assert manifest["release"] != request["release"]  # a new release ...
    again, why = issuing.prepare_approval(store)
    assert again is None and "already rejected" in why  # ... with the same list
    # one more candidate is a different list and is asked
    publish(store, blocking_candidates(overdue(5), nxt), as_of=nxt, run="run3")
    changed, _ = issuing.prepare_approval(store)
    assert changed is not None and changed["list_digest"] != request["list_digest"]


def test_digest_ignores_row_and_column_order():
    frame = blocking_candidates(overdue(6), AS_OF)
    shuffled = frame.sample(frac=1.0, random_state=3)[list(reversed(frame.columns))]
    assert issuing.list_digest(shuffled) == issuing.list_digest(frame)
    changed = frame.copy()
    changed.loc[0, "rekomendasi_sanksi"] = "hukuman disiplin berat"
    assert issuing.list_digest(changed) != issuing.list_digest(frame)


def test_an_answer_must_be_one_option(store):
    publish(store, blocking_candidates(overdue(2), AS_OF))
    request, _ = issuing.prepare_approval(store)
    with pytest.raises(ValueError, match="exactly one"):
        issuing.record_decision(store, request, {"chosen_options": [issuing.APPROVE, issuing.REJECT]})
    assert issuing.find_decision(store, request["list_digest"]) is None
