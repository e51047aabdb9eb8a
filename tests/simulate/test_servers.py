"""The local HTTP simulators and the SMTP sink, over real sockets on 127.0.0.1.

Each test builds a tiny world (docs/SIMULATOR.md layout) in tmp_path rather than running the
generator, so these tests pin the servers' contract on their own.
"""

from __future__ import annotations

import http.client
import io
import json
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
from minio import Minio

from pantau.simulate.servers import BawasluApiServer, ExportsServer, FaultConfig, SmtpSink
from pantau.simulate.servers.faults import FaultInjector

pytestmark = pytest.mark.integration

TOKEN = "test-token"
API = "/api/v1/netralitas/kasus"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def case(register: str, updated_at: Any, **extra: Any) -> str:
    record = {"nomor_register": register, "jenis": "laporan", "status": "diteruskan", "updated_at": updated_at}
    record.update(extra)
    return json.dumps(record)


# Odd spacing and key order on purpose: the API must send these bytes exactly as written.
MALFORMED = '{"nomor_register":  "999/Reg/LP/PB/Kab/13.06/XI/2023", "kategori": 12, "tanggal_register": ' \
            '"2023-02-30", "updated_at": "2023-02-30T10:00:00+07:00", "unknown_field": [1, 2]}'
PHASE1 = [
    case("003/Reg/LP/PB/Kab/13.06/XI/2023", "2023-11-20T09:30:00+07:00"),
    case("001/Reg/LP/PB/Kab/13.06/XI/2023", "2023-11-14T08:00:00+07:00"),
    # 10:00 WITA is 09:00 WIB: earlier than 003 although its wall-clock time is later.
    case("002/Reg/LT/PB/Kab/73.71/XI/2023", "2023-11-20T10:00:00+08:00"),
]
PHASE2 = [
    *PHASE1[1:],
    case("003/Reg/LP/PB/Kab/13.06/XI/2023", "2023-12-01T10:00:00+07:00", status="dihentikan"),
    case("004/Reg/LP/PB/Kab/13.06/XII/2023", "2023-12-02T10:00:00Z"),
    case("005/Reg/LP/PB/Kab/13.06/XII/2023", "2023-12-03T10:00:00"),  # no offset: read as WIB
    MALFORMED,
    "this line is not JSON",
]


def write_world(root: Path) -> Path:
    (root / "bawaslu").mkdir(parents=True)
    (root / "bawaslu" / "cases_phase1.jsonl").write_text("\n".join(PHASE1) + "\n", encoding="utf-8")
    (root / "bawaslu" / "cases_phase2.jsonl").write_text("\n".join(PHASE2) + "\n", encoding="utf-8")
    for phase, csv_body in ((1, "No;Nama\r\n1;Budi\r\n"), (2, "No;Nama\r\n1;Budi Santoso\r\n")):
        folder = root / "exports" / f"phase{phase}"
        folder.mkdir(parents=True)
        (folder / "rekomendasi_2024-03.csv").write_bytes(b"\xef\xbb\xbf" + csv_body.encode("cp1252"))
        (folder / "rekomendasi_2024-02.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
        (folder / ".hidden").write_text("no", encoding="utf-8")
        index = [{"name": "rekomendasi_2024-03.csv", "updated_at": "2024-04-01T00:00:00+07:00", "sha256": "x"}]
        (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    (root / "secret.txt").write_text("outside the exports folder", encoding="utf-8")
    return root


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    return write_world(tmp_path / "world")


@pytest.fixture()
def api(world: Path) -> Iterator[BawasluApiServer]:
    with BawasluApiServer(world, TOKEN) as server:
        yield server


def get_cases(server: BawasluApiServer, timeout: float = 5, **params: Any) -> requests.Response:
    return requests.get(server.url + API, params=params, headers=AUTH, timeout=timeout)


def registers(response: requests.Response) -> list[str]:
    return [r["nomor_register"] for r in response.json()["data"]]


# -- Bawaslu API: contract -----------------------------------------------------------------
def test_requests_without_the_right_bearer_token_get_401(api: BawasluApiServer) -> None:
    missing = requests.get(api.url + API, timeout=5)
    wrong = requests.get(api.url + API, headers={"Authorization": "Bearer nope"}, timeout=5)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.json()["error"] == "unauthorized"
    assert get_cases(api).status_code == 200


def test_pages_cover_every_record_once_in_instant_order(api: BawasluApiServer) -> None:
    first = get_cases(api, per_page=2, page=1).json()
    assert first["meta"] == {"page": 1, "per_page": 2, "total": 6, "total_pages": 3}
    pages = [get_cases(api, per_page=2, page=n) for n in (1, 2, 3)]
    assert [reg for page in pages for reg in registers(page)] == [
        "001/Reg/LP/PB/Kab/13.06/XI/2023",
        "002/Reg/LT/PB/Kab/73.71/XI/2023",
        "003/Reg/LP/PB/Kab/13.06/XI/2023",
        "004/Reg/LP/PB/Kab/13.06/XII/2023",
        "005/Reg/LP/PB/Kab/13.06/XII/2023",
        "999/Reg/LP/PB/Kab/13.06/XI/2023",  # unreadable updated_at: last
    ]
    past_end = get_cases(api, per_page=2, page=9).json()
    assert past_end["data"] == [] and past_end["meta"]["total_pages"] == 3
    assert get_cases(api).json()["meta"]["per_page"] == 100


def test_updated_since_compares_instants_and_always_includes_unreadable_records(
    api: BawasluApiServer,
) -> None:
    # 2023-12-02T10:00Z is 17:00 WIB, so 16:59 WIB includes 004, and the naive 005 (WIB).
    response = get_cases(api, updated_since="2023-12-02T16:59:00+07:00")
    assert registers(response) == [
        "004/Reg/LP/PB/Kab/13.06/XII/2023",
        "005/Reg/LP/PB/Kab/13.06/XII/2023",
        "999/Reg/LP/PB/Kab/13.06/XI/2023",
    ]
    assert response.json()["meta"]["total"] == 3
    # A client that forgets to encode "+" sends a space; it is read as the offset it meant.
    raw = requests.get(f"{api.url}{API}?updated_since=2023-12-02T17:01:00+07:00", headers=AUTH, timeout=5)
    assert registers(raw) == ["005/Reg/LP/PB/Kab/13.06/XII/2023", "999/Reg/LP/PB/Kab/13.06/XI/2023"]


@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": "x"}, {"per_page": 1001}, {"per_page": 0}, {"updated_since": "kemarin"}],
)
def test_bad_parameters_get_400_with_a_json_error(api: BawasluApiServer, params: dict[str, Any]) -> None:
    response = get_cases(api, **params)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_malformed_records_are_served_byte_for_byte_and_non_json_lines_are_dropped(
    api: BawasluApiServer,
) -> None:
    response = get_cases(api)
    assert MALFORMED.encode() in response.content
    assert b"this line is not JSON" not in response.content
    malformed = response.json()["data"][-1]
    assert malformed["kategori"] == 12 and malformed["unknown_field"] == [1, 2]


def test_phase_switch_changes_the_served_state(api: BawasluApiServer) -> None:
    assert api.phase == 2  # newest by default
    assert get_cases(api).json()["meta"]["total"] == 6
    switched = requests.post(api.url + "/_sim/phase", json={"phase": 1}, timeout=5)
    assert switched.json()["phase"] == 1
    assert registers(get_cases(api)) == [
        "001/Reg/LP/PB/Kab/13.06/XI/2023",
        "002/Reg/LT/PB/Kab/73.71/XI/2023",
        "003/Reg/LP/PB/Kab/13.06/XI/2023",
    ]
    assert requests.post(api.url + "/_sim/phase", json={"phase": 7}, timeout=5).status_code == 400
    assert requests.post(api.url + "/_sim/phase", data=b"nonsense", timeout=5).status_code == 400


def test_a_missing_world_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        BawasluApiServer(tmp_path, TOKEN).start()


# -- Bawaslu API: runtime faults -------------------------------------------------------------
def faulty_api(world: Path, **rates: Any) -> BawasluApiServer:
    return BawasluApiServer(world, TOKEN, FaultConfig(**rates))


def stats(server: BawasluApiServer | ExportsServer) -> dict[str, Any]:
    return requests.get(server.url + "/_sim/stats", timeout=5).json()


def test_429_carries_retry_after_and_a_retrying_client_gets_through(world: Path) -> None:
    with faulty_api(world, rate_429=1.0, retry_after_s=7) as server:
        answers = [get_cases(server, page=1) for _ in range(4)]
        assert [a.status_code for a in answers] == [429, 429, 429, 200]
        assert answers[0].headers["Retry-After"] == "7"
        assert stats(server)["by_status"] == {"429": 3, "200": 1}
        assert stats(server)["faults"] == {"429": 3}


def test_5xx_faults_are_server_errors(world: Path) -> None:
    with faulty_api(world, rate_5xx=1.0) as server:
        codes = {get_cases(server, page=1).status_code for _ in range(3)}
        assert codes <= {500, 502, 503}
        assert stats(server)["faults"] == {"5xx": 3}


def test_timeout_fault_delays_the_answer_past_the_client_timeout(world: Path) -> None:
    with faulty_api(world, rate_timeout=1.0, timeout_delay_s=1.0) as server:
        with pytest.raises(requests.exceptions.ReadTimeout):
            get_cases(server, timeout=0.2)
        started = time.monotonic()
        assert get_cases(server, timeout=5).status_code == 200  # slow but complete
        assert time.monotonic() - started >= 0.9


def test_invalid_json_fault_is_a_truncated_200(world: Path) -> None:
    with faulty_api(world, rate_invalid_json=1.0) as server:
        response = get_cases(server)
        assert response.status_code == 200
        with pytest.raises(ValueError):
            response.json()


def test_page_drift_shifts_the_window_but_not_the_meta(world: Path, api: BawasluApiServer) -> None:
    clean = get_cases(api, per_page=2, page=2).json()
    with faulty_api(world, rate_page_drift=1.0, seed=3) as server:
        drifted = get_cases(server, per_page=2, page=2).json()
    assert drifted["meta"] == clean["meta"]
    assert len(drifted["data"]) == 2 and drifted["data"] != clean["data"]
    all_registers = registers(get_cases(api))
    start = all_registers.index(drifted["data"][0]["nomor_register"])
    assert start in (1, 3)  # one record early or late


def test_fault_sequence_is_reproducible_for_a_seed(world: Path) -> None:
    config: dict[str, Any] = {"rate_429": 0.2, "rate_5xx": 0.2, "rate_invalid_json": 0.2, "seed": 11}

    def run() -> list[int]:
        with faulty_api(world, **config) as server:
            return [get_cases(server, per_page=1, page=n % 6 + 1).status_code for n in range(25)]

    first, second = run(), run()
    assert first == second
    assert {429, 200} <= set(first)


def test_fault_injector_caps_consecutive_failures_per_url() -> None:
    injector = FaultInjector(FaultConfig(rate_5xx=1.0, max_consecutive_faults=2))
    kinds = [injector.decide("/a").kind for _ in range(6)]
    assert kinds == ["5xx", "5xx", None, "5xx", "5xx", None]
    assert injector.decide("/b").kind == "5xx"  # counted per URL


def test_fault_rates_outside_unit_interval_are_rejected() -> None:
    with pytest.raises(ValueError):
        FaultConfig(rate_429=1.5)


# -- Exports ---------------------------------------------------------------------------------
@pytest.fixture()
def exports(world: Path) -> Iterator[ExportsServer]:
    with ExportsServer(world) as server:
        yield server


def test_exports_index_and_files_with_content_types(exports: ExportsServer, world: Path) -> None:
    index = requests.get(exports.url + "/exports/index.json", timeout=5)
    assert index.headers["Content-Type"].startswith("application/json")
    assert index.json()[0]["name"] == "rekomendasi_2024-03.csv"
    csv = requests.get(exports.url + "/exports/rekomendasi_2024-03.csv", timeout=5)
    assert csv.headers["Content-Type"] == "text/csv"
    assert csv.content == (world / "exports/phase2/rekomendasi_2024-03.csv").read_bytes()
    xlsx = requests.get(exports.url + "/exports/rekomendasi_2024-02.xlsx", timeout=5)
    assert xlsx.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.content.startswith(b"PK")


def test_exports_phase_switch_serves_the_earlier_publication(exports: ExportsServer) -> None:
    corrected = requests.get(exports.url + "/exports/rekomendasi_2024-03.csv", timeout=5).content
    requests.post(exports.url + "/_sim/phase", json={"phase": 1}, timeout=5).raise_for_status()
    original = requests.get(exports.url + "/exports/rekomendasi_2024-03.csv", timeout=5).content
    assert b"Santoso" in corrected and b"Santoso" not in original


@pytest.mark.parametrize(
    "path",
    [
        "/exports/nope.xlsx",
        "/exports/",
        "/exports/.hidden",
        "/exports/../../secret.txt",
        "/exports/..%2F..%2Fsecret.txt",
        "/exports/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/exports/..%5C..%5Csecret.txt",
        "/bawaslu/cases_phase1.jsonl",
    ],
)
def test_exports_unknown_names_and_traversal_get_404(exports: ExportsServer, path: str) -> None:
    # http.client sends the path as written; requests would normalise the dots away.
    connection = http.client.HTTPConnection("127.0.0.1", exports.port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 404
    assert json.loads(body)["error"] == "not_found"


def test_exports_optional_token(world: Path) -> None:
    with ExportsServer(world, token="t") as server:
        url = server.url + "/exports/index.json"
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, headers={"Authorization": "Bearer t"}, timeout=5).status_code == 200


def test_exports_faults_apply(world: Path) -> None:
    with ExportsServer(world, FaultConfig(rate_5xx=1.0)) as server:
        assert requests.get(server.url + "/exports/index.json", timeout=5).status_code >= 500
        assert stats(server)["faults"] == {"5xx": 1}


# -- SMTP sink -------------------------------------------------------------------------------
def mail(subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "pantau@example.go.id"
    message["To"] = "ppk@agam.go.id"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("Rekomendasi belum ditindaklanjuti.")
    message.add_alternative("<p>Rekomendasi belum ditindaklanjuti.</p>", subtype="html")
    return message


def test_smtp_sink_writes_eml_files_and_fail_next_gives_451(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    with SmtpSink(outbox) as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
            client.send_message(mail("Satu", "<1/a@pantau>"), to_addrs=["ppk@agam.go.id", "bkn@bkn.go.id"])
            sink.fail_next(1)
            with pytest.raises(smtplib.SMTPDataError) as failed:
                client.send_message(mail("Hilang?", "<2@pantau>"))
            assert failed.value.smtp_code == 451
            client.send_message(mail("Dua", "<2@pantau>"))
        files = sink.files()
        messages = sink.messages()
    assert [m["Subject"] for m in messages] == ["Satu", "Dua"]
    assert messages[0]["X-RcptTo"] == "ppk@agam.go.id, bkn@bkn.go.id"
    assert messages[0].get_body(("html",)) is not None
    assert files[0].name.startswith("000001-") and files[0].name.endswith("-1_a@pantau.eml")
    # A restarted sink continues the counter, so file names keep sorting in arrival order.
    with SmtpSink(outbox) as sink, smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
        client.send_message(mail("Tiga", "<3@pantau>"))
        assert sink.files()[-1].name.startswith("000003-")


# -- CLI -------------------------------------------------------------------------------------
def test_cli_serve_prints_urls_serves_and_stops_on_sigterm(world: Path, tmp_path: Path) -> None:
    urls_file = tmp_path / "urls.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pantau.simulate.cli_serve", "serve", "--data", str(world), "--token", TOKEN,
         "--phase", "1", "--rate-429", "0", "--urls-file", str(urls_file),
         "--smtp-outbox", str(tmp_path / "outbox"), "--s3-persist", str(tmp_path / "s3")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not urls_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        urls = json.loads(urls_file.read_text(encoding="utf-8"))
        response = requests.get(urls["bawaslu"] + API, headers=AUTH, timeout=5)
        assert response.json()["meta"]["total"] == 3  # --phase 1
        assert requests.get(urls["exports"] + "/exports/index.json", timeout=5).status_code == 200
        smtp_port = int(urls["smtp"].rsplit(":", 1)[1])
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
            client.send_message(mail("Lewat CLI", "<cli@pantau>"))
        store = Minio(urls["s3"].removeprefix("http://"), "k", "s", secure=False)
        store.make_bucket("cli-bucket")
        store.put_object("cli-bucket", "a.txt", io.BytesIO(b"x"), 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert urls["bawaslu"] in out and "simulators stopped" in out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert (tmp_path / "s3" / "cli-bucket" / "a.txt").read_bytes() == b"x"  # mirrored on SIGTERM


def test_cli_serve_reports_unusable_options(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pantau.simulate.cli_serve", "serve", "--data", str(tmp_path)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "no phase data" in result.stderr


def test_cli_help_documents_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pantau.simulate.cli_serve", "serve", "--help"],
        capture_output=True, text=True, check=True,
    )
    for option in ("--data", "--host", "--bawaslu-port", "--exports-port", "--token", "--phase", "--rate-429",
                   "--rate-5xx", "--rate-timeout", "--rate-invalid-json", "--rate-page-drift",
                   "--timeout-delay", "--fault-seed", "--retry-after"):
        assert option in result.stdout
