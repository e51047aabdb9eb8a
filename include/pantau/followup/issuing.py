"""Issuing the blocking list: BKN approves or rejects the current release's candidates, once per list.

Pantau lists the candidates (:mod:`pantau.followup.blocking`); BKN decides whether to block their
personnel data (Peraturan BKN 1/2023, docs/DOMAIN.md §2.3). The DAG ``pantau_blocking_approval`` asks an
approver through Airflow's human-in-the-loop operator; this module is everything around that question,
in plain Python:

* :func:`prepare_approval` reads the current release's ``blocking_candidates`` and says whether there is
  anything to ask: nothing when the list is empty or when this list (by :func:`list_digest`) already
  has a decision. Otherwise it returns the request: release, digest, counts and the Markdown body the
  approver reads.
* :func:`settle` records the answer (``state/blocking/decisions/<digest>.json``, the first answer for a
  list stands) and, on approval, publishes the list as issued under a restricted national prefix outside
  the immutable release::

      published/blocking/issued/<as_of>-<digest12>/data.parquet, data.csv   the release's files, byte for byte
      published/blocking/issued/<as_of>-<digest12>/issued.json              what was issued, by whose decision
      published/blocking/current.json                                        the newest issued list

While BKN decides, the request's release is pinned against retention (:func:`pin_for_approval`); the
pin goes when the decision is recorded. A rejected list is recorded and not issued. Both steps are idempotent: a retry after any fault finishes
the same decision and the same issued files, and a list is never put to the approver twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pantau.publishing import release
from pantau.storage import ObjectStore, sha256_hex

__all__ = ["APPROVE", "DAY_COLUMNS", "DECISIONS_PREFIX", "ISSUED_POINTER", "ISSUED_PREFIX", "REJECT", "SUMMARY_KEYS",
           "approval_body", "approval_request", "decision_key", "find_decision", "issue_list", "issued_prefix",
           "list_digest", "pin_for_approval", "prepare_approval", "record_decision", "release_manifest",
           "request_for", "settle", "summary", "unpin_after_decision"]

DATASET = "blocking_candidates"
DECISIONS_PREFIX = "state/blocking/decisions"
ISSUED_PREFIX = "published/blocking/issued"
ISSUED_POINTER = "published/blocking/current.json"
#: The options of Airflow's ``ApprovalOperator``; the answer arrives as one of them.
APPROVE, REJECT = "Approve", "Reject"
#: Columns that change every day for the same candidates (they count days up to the as-of date). They are
#: left out of the list digest: the same candidates a day later are the same list, already decided.
DAY_COLUMNS = ("as_of", "working_days_past_due", "working_days_past_escalation")
#: The approver's table stops here (the UI has to stay usable); the restricted CSV holds every row.
MAX_BODY_ROWS = 300
WIB = ZoneInfo("Asia/Jakarta")
_DIGEST_VERSION = "pantau-blocking-list 1"


def _cell(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (date, datetime, pd.Timestamp)):
        return value.isoformat()
    text = str(value)
    return None if text in ("None", "nan", "<NA>", "NaT") else text


def list_digest(frame: pd.DataFrame) -> str:
    """SHA-256 over the list's rows without :data:`DAY_COLUMNS`, independent of row and column order."""
    columns = sorted(c for c in frame.columns if c not in DAY_COLUMNS)
    lines = sorted(json.dumps([_cell(v) for v in row], ensure_ascii=False)
                   for row in frame[columns].itertuples(index=False, name=None))
    digest = hashlib.sha256(f"{_DIGEST_VERSION}\n{json.dumps(columns)}\n".encode())
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def decision_key(digest: str) -> str:
    return f"{DECISIONS_PREFIX}/{digest}.json"


def issued_prefix(as_of: str, digest: str) -> str:
    return f"{ISSUED_PREFIX}/{as_of}-{digest[:12]}"


def find_decision(store: ObjectStore, digest: str) -> dict[str, Any] | None:
    """The recorded decision on the list with this digest, if any."""
    found: dict[str, Any] | None = store.get_json(decision_key(digest))
    return found


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(value: Any) -> str:
    """One table cell: Markdown and HTML characters escaped, one line. Names come from agencies' files."""
    text = _cell(value)
    if text is None:
        return "–"
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    keys = pd.DataFrame({"ppk": frame["ppk"].map(_cell).fillna("(PPK tidak diketahui)"),
                         "kode": frame["registry_kode_instansi"].map(_cell).fillna("–"),
                         "instansi": frame["registry_nama_instansi"].map(_cell).fillna("(instansi tidak diketahui)")})
    counts = keys.groupby(["ppk", "kode", "instansi"], dropna=False).size().rename("calon").reset_index()
    per_ppk = counts.groupby("ppk")["calon"].transform("sum")
    return counts.assign(_ppk_total=per_ppk).sort_values(["_ppk_total", "ppk", "calon", "kode"],
                                                          ascending=[False, True, False, True], kind="mergesort")


_TABLE = (("nama", "Nama"), ("nip", "NIP"), ("registry_nama_instansi", "Instansi"), ("ppk", "PPK"),
          ("nomor_rekomendasi", "Nomor rekomendasi"), ("tanggal_rekomendasi", "Tanggal rekomendasi"),
          ("rekomendasi_sanksi", "Sanksi direkomendasikan"), ("due_date", "Batas tindak lanjut"),
          ("escalation_date", "Tanggal eskalasi"), ("working_days_past_escalation", "Hari kerja lewat eskalasi"))


def approval_body(frame: pd.DataFrame, manifest: Mapping[str, Any], digest: str, csv_url: str,
                  max_rows: int = MAX_BODY_ROWS) -> str:
    """What the approver reads (Markdown, Bahasa Indonesia): what approving does, counts per PPK and
    agency, the candidates table, the release and the restricted CSV."""
    counts = _counts(frame)
    ppks = counts["ppk"].nunique()
    lines = [
        f"**Daftar calon pemblokiran data kepegawaian** (Peraturan BKN 1/2023) dari rilis Pantau "
        f"`{manifest['release']}` per {manifest['as_of']}: **{len(frame)} rekomendasi** yang tidak "
        f"ditindaklanjuti PPK melewati batas eskalasi, di {ppks} PPK dan {len(counts)} instansi.",
        "",
        f"- Rilis: `{manifest['release']}`",
        f"- Digest daftar: `{digest}`",
        f"- File CSV lengkap (terbatas, nasional): `{csv_url}`",
        "",
        f"**{APPROVE}**: daftar ini diterbitkan sebagai daftar resmi untuk pemblokiran dan keputusan Anda "
        f"dicatat. **{REJECT}**: daftar tidak diterbitkan; keputusan dicatat dan daftar yang sama tidak "
        "diajukan lagi. Daftar lain (calon bertambah atau berkurang) diajukan sebagai permintaan baru.",
        "",
        "### Jumlah per PPK dan instansi",
        "",
        "| PPK | Kode instansi | Instansi | Calon |",
        "|---|---|---|---:|",
    ]
    lines += [f"| {_md(r.ppk)} | {_md(r.kode)} | {_md(r.instansi)} | {r.calon} |" for r in counts.itertuples()]
    lines += ["", "### Daftar calon", "",
              "| No. | " + " | ".join(label for _, label in _TABLE) + " |",
              "|---:|" + "---|" * len(_TABLE)]
    shown = frame.head(max_rows)
    for number, row in enumerate(shown.to_dict("records"), start=1):
        lines.append(f"| {number} | " + " | ".join(_md(row.get(column)) for column, _ in _TABLE) + " |")
    if len(frame) > len(shown):
        lines += ["", f"_{len(frame) - len(shown)} baris lainnya tidak ditampilkan di sini; semuanya ada di file CSV._"]
    return "\n".join(lines) + "\n"


#: What the DAG passes between its tasks (XCom) and logs: no name, no NIP. The body is rebuilt from the
#: release by :func:`approval_request` where it is needed (the approval form).
SUMMARY_KEYS = ("release", "as_of", "list_digest", "rows", "ppk_offices", "agencies", "csv_key", "csv_url")


def release_manifest(store: ObjectStore, release_id: str) -> dict[str, Any]:
    """The manifest of one release (``release.json``); ``FileNotFoundError`` when it is gone."""
    manifest: dict[str, Any] | None = store.get_json(f"{release.release_prefix(release_id)}/release.json")
    if manifest is None:
        raise FileNotFoundError(f"release {release_id} is gone (retention?); pin releases awaiting a blocking "
                                "decision in state/releases/pinned.json")
    return manifest


def approval_request(store: ObjectStore, manifest: Mapping[str, Any], *, bucket: str | None = None,
                     max_rows: int = MAX_BODY_ROWS, frame: pd.DataFrame | None = None) -> dict[str, Any]:
    """The request for ``manifest``'s blocking list: :data:`SUMMARY_KEYS` plus ``subject`` and ``body``."""
    frame = release.read_dataset(store, DATASET, manifest) if frame is None else frame
    digest = list_digest(frame)
    rid = manifest["release"]
    csv_key = release.dataset_key(manifest, DATASET, "data.csv")
    csv_url = f"s3://{bucket or store.bucket}/{csv_key}"
    counts = _counts(frame)
    return {
        "release": rid, "as_of": manifest["as_of"], "list_digest": digest, "rows": len(frame),
        "ppk_offices": int(counts["ppk"].nunique()), "agencies": len(counts), "csv_key": csv_key, "csv_url": csv_url,
        "subject": (f"Persetujuan BKN: daftar calon pemblokiran, {len(frame)} rekomendasi "
                    f"(rilis {rid}, digest {digest[:12]})"),
        "body": approval_body(frame, manifest, digest, csv_url, max_rows),
    }


def prepare_approval(store: ObjectStore, *, bucket: str | None = None,
                     max_rows: int = MAX_BODY_ROWS) -> tuple[dict[str, Any] | None, str]:
    """The approval request for the current release's blocking list, or ``None`` and why nothing is asked.

    Raises ``FileNotFoundError`` when nothing is published yet or the release has no blocking list (a
    retry cannot help: the DAG fails at once with this sentence).
    """
    manifest = release.current_manifest(store)
    if manifest is None:
        raise FileNotFoundError("nothing is published yet, so there is no blocking list to approve: run "
                                "pantau_reconcile first")
    if DATASET not in manifest.get("datasets", {}):
        raise FileNotFoundError(f"release {manifest['release']} has no {DATASET} dataset to approve")
    frame = release.read_dataset(store, DATASET, manifest)
    rid = manifest["release"]
    if frame.empty:
        return None, f"release {rid} lists no blocking candidate: nothing to approve"
    digest = list_digest(frame)
    decided = find_decision(store, digest)
    if decided is not None:
        return None, (f"release {rid}: this blocking list ({len(frame)} candidates, digest {digest[:12]}) was already "
                      f"{decided['decision']} on {decided['responded_at']} for release {decided['release']}; "
                      "not asking again")
    request = approval_request(store, manifest, bucket=bucket, max_rows=max_rows, frame=frame)
    return request, (f"release {rid}: blocking list of {len(frame)} candidates (digest {digest[:12]}) "
                     "awaits BKN approval")


def request_for(store: ObjectStore, summary: Mapping[str, Any], *, bucket: str | None = None,
                max_rows: int = MAX_BODY_ROWS) -> dict[str, Any]:
    """The full request (with the body) for a :data:`SUMMARY_KEYS` summary, rebuilt from its release; the
    list must still have the digest the summary names."""
    request = approval_request(store, release_manifest(store, str(summary["release"])), bucket=bucket,
                               max_rows=max_rows)
    if request["list_digest"] != summary["list_digest"]:
        raise ValueError(f"release {summary['release']} no longer holds blocking list {summary['list_digest'][:12]}")
    return request


def summary(request: Mapping[str, Any]) -> dict[str, Any]:
    """:data:`SUMMARY_KEYS` of a request: safe for XCom and logs."""
    return {key: request[key] for key in SUMMARY_KEYS}


PIN_BY = "pantau_blocking_approval"


def pin_for_approval(store: ObjectStore, request: Mapping[str, Any]) -> None:
    """Keep the request's release while BKN decides (``state/releases/pinned.json``, which retention
    honours): the approval may take days, reconcile may publish many releases meanwhile, and the issued
    files are copied from this release. Only one request waits at a time (the DAG runs one at a time),
    so this DAG's earlier pins (an unanswered request) are replaced."""
    pins = [p for p in store.get_json(release.PINNED_KEY, default=[])
            if not (isinstance(p, dict) and p.get("by") == PIN_BY)]
    pins.append({"release": request["release"], "by": PIN_BY,
                 "reason": f"blocking list {request['list_digest'][:12]} awaits BKN approval"})
    store.put_json(release.PINNED_KEY, pins)


def unpin_after_decision(store: ObjectStore, digest: str) -> None:
    """Drop this DAG's pin for the list with ``digest`` (the decision is recorded, the files issued)."""
    pins = store.get_json(release.PINNED_KEY, default=[])
    kept = [p for p in pins if not (isinstance(p, dict) and p.get("by") == PIN_BY
                                    and str(p.get("reason", "")).startswith(f"blocking list {digest[:12]} "))]
    if len(kept) != len(pins):
        store.put_json(release.PINNED_KEY, kept)


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(WIB).isoformat()
    return str(value)


def record_decision(store: ObjectStore, request: Mapping[str, Any], response: Mapping[str, Any],
                    run_id: str | None = None) -> dict[str, Any]:
    """Record the approver's answer to ``request`` (the HITL response: ``chosen_options``,
    ``responded_by_user`` ``{id, name}``, ``responded_at``). The first answer on a list stands: a later
    one is returned with ``ignored_answer`` set and not written."""
    chosen = list(response.get("chosen_options") or [])
    if chosen not in ([APPROVE], [REJECT]):
        raise ValueError(f"the approval answer must be exactly one of {APPROVE!r} or {REJECT!r}, got {chosen!r}")
    user = dict(response.get("responded_by_user") or {})
    decision = {
        "decision": "approved" if chosen == [APPROVE] else "rejected",
        "list_digest": request["list_digest"], "release": request["release"], "as_of": request["as_of"],
        "rows": int(request["rows"]),
        "responded_by": {"id": str(user.get("id", "")), "name": str(user.get("name", ""))} if user else None,
        "responded_at": _when(response.get("responded_at")),
        "run_id": run_id,
        "recorded_at": datetime.now(UTC).astimezone(WIB).isoformat(timespec="seconds"),
    }
    key = decision_key(request["list_digest"])
    existing: dict[str, Any] | None = store.get_json(key)
    if existing is not None:
        same = all(existing.get(k) == decision[k] for k in ("decision", "responded_by", "responded_at"))
        return existing if same else {**existing, "ignored_answer": {k: decision[k] for k in
                                                                     ("decision", "responded_by", "responded_at")}}
    store.put_json(key, decision)
    return decision


def issue_list(store: ObjectStore, request: Mapping[str, Any], decision: Mapping[str, Any]) -> dict[str, Any]:
    """Publish an approved list under :func:`issued_prefix`: the release's Parquet and CSV byte for byte
    (checked against the release manifest's SHA-256), then ``issued.json``, then the pointer."""
    if decision.get("decision") != "approved" or decision.get("list_digest") != request["list_digest"]:
        raise ValueError(f"list {request['list_digest'][:12]} is not approved; a list is issued only on approval")
    prefix = issued_prefix(str(request["as_of"]), str(request["list_digest"]))
    manifest_key = f"{prefix}/issued.json"
    existing: dict[str, Any] | None = store.get_json(manifest_key)
    if existing is None:
        source_manifest = release_manifest(store, str(request["release"]))
        files: dict[str, Any] = {}
        for fmt in ("data.parquet", "data.csv"):
            source = source_manifest["datasets"][DATASET]["files"][fmt]
            body = store.get_bytes(source["key"])
            if sha256_hex(body) != source["sha256"]:
                raise OSError(f"{source['key']} does not hold what release {request['release']} recorded; "
                              "nothing was issued")
            store.put_once(f"{prefix}/{fmt}", body, "text/csv; charset=utf-8" if fmt.endswith(".csv")
                           else "application/vnd.apache.parquet")
            files[fmt] = {"key": f"{prefix}/{fmt}", "sha256": source["sha256"], "bytes": len(body),
                          "source": source["key"]}
        existing = {
            "access": "restricted", "dataset": DATASET, "list_digest": request["list_digest"],
            "release": request["release"], "as_of": request["as_of"], "rows": int(request["rows"]),
            "legal_basis": "Peraturan BKN 1/2023",
            "decision": {k: v for k, v in decision.items() if k != "ignored_answer"}, "files": files,
            "issued_at": datetime.now(UTC).astimezone(WIB).isoformat(timespec="seconds"),
        }
        store.put_json(manifest_key, existing)
    pointer = store.get_json(ISSUED_POINTER)
    if pointer is None or pointer.get("manifest") != manifest_key:
        store.put_json(ISSUED_POINTER, {"manifest": manifest_key, "list_digest": request["list_digest"],
                                        "release": request["release"], "as_of": request["as_of"]})
    return existing


def settle(store: ObjectStore, request: Mapping[str, Any], response: Mapping[str, Any],
           run_id: str | None = None) -> dict[str, Any]:
    """Record the answer, then issue the list when the recorded decision is an approval."""
    decision = record_decision(store, request, response, run_id)
    result: dict[str, Any] = {"decision": decision["decision"], "list_digest": request["list_digest"],
                              "release": request["release"], "decision_key": decision_key(request["list_digest"]),
                              "issued": None, "ignored_answer": decision.get("ignored_answer")}
    if decision["decision"] == "approved" and decision["list_digest"] == request["list_digest"]:
        issued = issue_list(store, request, decision)
        result["issued"] = issued["files"]["data.csv"]["key"].rsplit("/", 1)[0]
    unpin_after_decision(store, str(request["list_digest"]))
    return result
