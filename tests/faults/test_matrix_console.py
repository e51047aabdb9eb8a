"""Fault matrix: what the demo's console says when a DAG fails (issue 12: "failed in 341 s" alone)."""

from __future__ import annotations

import sys
import textwrap

from pantau.demo import run_airflow


def test_dead_source_console_says_why(tmp_path, capsys) -> None:
    """A DAG that fails prints its task's own error sentence and where the full log is, not only "failed in N s"."""
    script = textwrap.dedent("""
        print("==> pantau_ingest_bawaslu: dag.test()")
        print("Traceback (most recent call last):")
        print('  File "x.py", line 1, in <module>')
        print("pantau.exceptions.SourceError: the Bawaslu API at 127.0.0.1 did not answer after 5 attempts in 341 s; "
              "nothing was staged. Check the connection pantau_bawaslu and re-run.")
        print("==> pantau_ingest_bawaslu: failed in 341.0 s")
    """)
    log_path = tmp_path / "airflow.log"
    status = run_airflow({}, [sys.executable, "-c", script], log_path)
    out = capsys.readouterr().out
    assert status == 0
    failed_line = next(line for line in out.splitlines() if "failed in" in line)
    why = out.splitlines()[out.splitlines().index(failed_line) + 1]
    assert "why: the Bawaslu API at 127.0.0.1 did not answer after 5 attempts" in why
    assert str(log_path) in why
    assert "Traceback" not in out
    assert "Traceback" in log_path.read_text(encoding="utf-8")


def test_successful_dag_prints_no_why(tmp_path, capsys) -> None:
    """A DAG that succeeds after a retried error prints no "why" line: the error was survived."""
    script = 'print("ValueError: transient"); print("==> pantau_reconcile: success in 3.0 s")'
    run_airflow({}, [sys.executable, "-c", script], tmp_path / "airflow.log")
    assert "why:" not in capsys.readouterr().out
