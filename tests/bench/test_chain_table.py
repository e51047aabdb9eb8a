"""The ``pantau bench chain`` table: rows, totals, the ratio and the goal verdicts (no Airflow, no world)."""

from __future__ import annotations

from pantau.bench.chain import GOALS, ChainRun, StageResult, format_table, stage_records, verdicts


def _run(name: str, walls: list[float], rss: float = 900.0, store: float | None = 300.0) -> ChainRun:
    stages = [StageResult(f"dag{i}", w, 1000 * (i + 1), rss) for i, w in enumerate(walls)]
    return ChainRun(name, stages, store)


def test_goals_met_when_full_is_short_lean_and_the_increment_small() -> None:
    full, incremental = _run("full", [100, 200]), _run("incremental", [10, 15])
    assert [met for _, _, met in verdicts(full, incremental)] == [True, True, True]


def test_each_goal_fails_on_its_own_figure() -> None:
    slow = _run("full", [GOALS["full_wall_s"], 1])
    assert [met for _, _, met in verdicts(slow, _run("i", [1]))] == [False, True, True]
    store_heavy = _run("full", [10], store=GOALS["peak_rss_mb"] + 1)
    assert [met for _, _, met in verdicts(store_heavy, _run("i", [0.5]))] == [True, False, True]
    assert [met for _, _, met in verdicts(_run("full", [100]), _run("i", [10.5]))] == [True, True, False]


def test_a_failed_stage_fails_its_run_goal_and_a_missing_increment_is_not_measured() -> None:
    full = _run("full", [10])
    full.stages[0].ok = False
    goals = verdicts(full, None)
    assert goals[0][2] is False and goals[2][2] is None


def test_table_has_a_row_per_stage_and_task_the_totals_the_ratio_and_the_verdicts() -> None:
    full, incremental = _run("full", [100, 300]), _run("incremental", [20, 20])
    full.stages[1].tasks = {"validate_sources": 120.0, "reconcile_and_publish": 170.0}
    lines = format_table([full, incremental])
    text = "\n".join(lines)
    assert sum(line.startswith("full ") and " dag" in line for line in lines) == 2
    assert "task reconcile_and_publish" in text
    total = next(line for line in lines if line.startswith("full") and "TOTAL" in line)
    assert "400.0" in total and "3,000" in total and "8" in total.split()[-2]  # 3,000 records / 400 s = 8/s
    assert "ratio incremental / full: 10.0% (40.0 s / 400.0 s)" in text
    assert any("object store (moto) peak RSS" in line and line.rstrip().endswith("300") for line in lines)
    assert sum(line.startswith("goal ") for line in lines) == 3 and "not met" not in text


def test_records_are_read_from_what_each_dag_prints() -> None:
    bkd = ["bkd:bkd01:pegawai: 50910 in = 50910 staged + 0 quarantined; reasons {}",
           "bkd:bkd01:tindak_lanjut: 478 in = 477 staged + 1 quarantined; reasons {}", "noise"]
    assert stage_records("pantau_ingest_bkd", bkd) == 51388
    assert stage_records("pantau_ingest_bawaslu", ["bawaslu: 5000 in = 4959 staged + 41 quarantined"]) == 5000
    assert stage_records("pantau_reconcile", ["validated bawaslu_cases: 4959 in = 4959 valid + 0 quarantined",
                                              "validated registry: unchanged since the last run"]) == 4959
    assert stage_records("pantau_alerts", ["alerts: 170 sent, 0 already sent"]) == 170
    assert stage_records("pantau_alerts", ["nothing"]) is None


def test_the_peak_rss_a_dag_process_prints_is_the_line_the_bench_reads(capsys) -> None:
    """A stage's peak RSS is the child's own VmHWM (ru_maxrss after a vfork carries the bench's own peak)."""
    from pantau.bench.chain import _PEAK_LINE
    from pantau_airflow.run import _print_peak_rss

    _print_peak_rss()
    line = capsys.readouterr().out.strip()
    found = _PEAK_LINE.match(line)
    assert found is not None and 10 < int(found.group("mib")) < 100_000, line
