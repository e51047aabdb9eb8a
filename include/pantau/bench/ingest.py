"""``pantau bench ingest``: ingestion throughput and peak memory at national scale.

Generates (or reuses) a world with 100k Bawaslu cases and a 6M-person registry, starts the
Bawaslu simulator and the embedded S3 server, then runs each stage in its own child process so
that the peak RSS reported (``ru_maxrss`` of that child) is the stage's own, not the parent's
(which holds the simulator's records) nor the S3 server's (a separate process as in production).

``bkd-extract`` (not run by default) times BKD extraction alone, :func:`pantau.pipeline.bkd.land`
(SQL to raw Parquet chunks) over every BKD of a world of any size, median of ``--repeat`` runs:
see :func:`bench_extract`.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pantau.exceptions import ConfigError

STAGES = ("bawaslu", "bkd", "combine")
#: Stages run only when named: ``bkd-extract`` repeats extraction alone (see :func:`bench_extract`).
EXTRA_STAGES = ("bkd-extract",)
#: Where ``bkd-extract`` puts the chunks: the embedded S3 server (a Python process, so its own cost
#: weighs on a small machine), or nowhere (``null``: encoded to Parquet, counted, dropped).
SINKS = ("s3", "null")
BENCH_OPTIONS = {"seed": 20241127, "registry_size": 6_000_000, "cases": 100_000}


def _stage_bawaslu(env: dict[str, str]) -> dict[str, Any]:
    from pantau.bench.runner import ingest_bawaslu
    from pantau.settings import IngestSettings
    from pantau.sources.bawaslu import BawasluClient

    settings = IngestSettings.from_env()
    client = BawasluClient(env["url"], env["token"], timeout_s=settings.http_timeout_s)
    try:
        result = ingest_bawaslu(client, _store(env), "bench", max(settings.bawaslu_per_page, 1000))
    finally:
        client.close()
    count = result["count"]
    return {"records": count.records_in, "staged": count.staged, "quarantined": count.quarantined,
            "pages": len(result["manifest"]["pages"])}


def _stage_bkd(env: dict[str, str]) -> dict[str, Any]:
    from pantau.bench.runner import ingest_bkd
    from pantau.settings import IngestSettings
    from pantau.simulate.world import world_bkd_sources

    chunk_rows = IngestSettings.from_env().bkd_chunk_rows
    records = staged = 0
    for source in world_bkd_sources(Path(env["world"])):
        for count in ingest_bkd(source, _store(env), "bench", chunk_rows)["counts"]:
            records += count.records_in
            staged += count.staged
    return {"records": records, "staged": staged, "chunk_rows": chunk_rows}


def _stage_combine(env: dict[str, str]) -> dict[str, Any]:
    from pantau.pipeline import bkd
    from pantau.simulate.world import world_bkd_sources

    codes = sorted(s.code for s in world_bkd_sources(Path(env["world"])))
    combined = bkd.combine(_store(env), codes, "bench")
    return {"records": combined["registry_rows"], "transfers": combined["transfers"],
            "follow_ups": combined["follow_ups"]}


class _NullStore:
    """An object store that keeps nothing: an empty state (no watermarks, so every pull is full) and
    chunk bytes counted, not kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def get_json(self, key: str) -> None:
        return None

    def put_json(self, key: str, value: Any) -> str:
        return key

    def put_once(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> bool:
        self.bytes += len(data)
        return True


def _stage_bkd_extract(env: dict[str, str]) -> dict[str, Any]:
    import sqlalchemy as sa

    from pantau.pipeline import bkd
    from pantau.settings import IngestSettings
    from pantau.simulate.world import world_bkd_sources

    chunk_rows = IngestSettings.from_env().bkd_chunk_rows
    store = _NullStore() if env["sink"] == "null" else _store(env)
    records = chunks = 0
    for source in world_bkd_sources(Path(env["world"])):
        engine = sa.create_engine(source.url)
        try:
            manifest = bkd.land(engine, source, store, env["run_key"], chunk_rows)
        finally:
            engine.dispose()
        for table in manifest["tables"].values():
            records += table["rows"]
            chunks += len(table["chunks"])
    return {"records": records, "chunks": chunks, "chunk_rows": chunk_rows, "sink": env["sink"]}


def _store(env: dict[str, str]) -> Any:
    from pantau.storage import ObjectStore

    return ObjectStore.connect(env["s3"], env["access_key"], env["secret_key"], env["bucket"])


_PRELOAD = ("pandas", "pyarrow.parquet", "sqlalchemy", "pantau.pipeline.bkd", "pantau.bench.runner",
            "pantau.simulate.world", "pantau.storage")


def _peak_rss_kib(usage: resource.struct_rusage) -> int:
    """This process's peak RSS: ``VmHWM``, which starts afresh with the process's own memory.
    ``ru_maxrss`` does not: Linux carries the parent's peak into a child started by vfork (as
    subprocess does), so a parent that had generated a 6M world made every stage look like 2 GiB."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return int(usage.ru_maxrss)  # KiB on Linux


def run_stage(stage: str) -> None:
    """Child-process entry: run one stage, print one JSON line with its figures and peak RSS."""
    env = json.loads(os.environ["PANTAU_BENCH_ENV"])
    for module in _PRELOAD:  # imported before the clock starts: ~1.5 s, a sixth of a 1M-row extraction
        importlib.import_module(module)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    figures = {"bawaslu": _stage_bawaslu, "bkd": _stage_bkd, "combine": _stage_combine,
               "bkd-extract": _stage_bkd_extract}[stage](env)
    seconds = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = _peak_rss_kib(usage)
    # The stage's CPU time (all its threads): on a machine shared with other work, records per
    # CPU second tell a slow stage from a busy machine.
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps({"stage": stage, "seconds": round(seconds, 1),
                      "records_per_s": round(figures["records"] / seconds) if seconds else None,
                      "peak_rss_mib": round(peak_kib / 1024), "cpu_seconds": round(cpu, 1),
                      **figures}), flush=True)


def _spawn(stage: str, env: dict[str, str]) -> dict[str, Any]:
    child_env = {**os.environ, "PANTAU_BENCH_ENV": json.dumps(env)}
    process = subprocess.run([sys.executable, "-m", "pantau.bench.ingest", stage], env=child_env,
                             capture_output=True, text=True, check=False)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        raise ConfigError(f"bench stage {stage} failed (exit {process.returncode}): {process.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def _world(world: Path | None, home: Path, *, any_size: bool = False) -> Path:
    from pantau.demo import ensure_world

    path = world or home / "bench" / "world"
    manifest_path = path / "manifest.json"
    if any_size and manifest_path.exists():
        return path
    if world is not None and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded = {**manifest.get("options", {}), "seed": manifest.get("seed")}
        if any(recorded.get(k) != v for k, v in BENCH_OPTIONS.items()):
            raise ConfigError(f"{path} holds a world generated with other options ({recorded}); the benchmark "
                              f"needs {BENCH_OPTIONS}. Point --world at an empty folder to generate one.")
    print(f"world: {path} (generating if needed: ~2.5 min for 6M persons)", flush=True)
    ensure_world(path, dict(BENCH_OPTIONS), progress=True)
    return path


def bench_ingest(world: Path | None, stages: tuple[str, ...] = STAGES, *, repeat: int = 1,
                 sink: str = "s3") -> list[dict[str, Any]]:
    """Run ``stages`` in order, each in its own child process; ``repeat`` and ``sink`` apply to
    ``bkd-extract`` (see :func:`bench_extract`), which alone accepts a world of any size."""
    from pantau.settings import pantau_home
    from pantau.simulate.servers import BawasluApiServer, EmbeddedObjectStore

    home = pantau_home()
    if set(stages) <= set(EXTRA_STAGES):
        path = _world(world, home, any_size=True)
        return [bench_extract(path, repeat=repeat, sink=sink)]
    path = _world(world, home)
    token = "bench-token"  # only checked by the local simulator
    results = []
    with EmbeddedObjectStore() as s3, BawasluApiServer(path, token) as api:
        env = {"world": str(path), "url": api.url, "token": token, "s3": s3.endpoint,
               "access_key": s3.access_key, "secret_key": s3.secret_key, "bucket": "pantau-bench"}
        for stage in stages:
            if stage in EXTRA_STAGES:
                result = bench_extract(path, repeat=repeat, sink=sink, s3=env)
            else:
                print(f"stage {stage} ...", flush=True)
                result = _spawn(stage, env)
                print(f"  {_describe(result)}", flush=True)
            results.append(result)
    return results


def bench_extract(world: Path, *, repeat: int = 3, sink: str = "s3",
                  s3: dict[str, str] | None = None) -> dict[str, Any]:
    """BKD extraction alone: :func:`pantau.pipeline.bkd.land` over every BKD database of ``world``
    (any size; generate one with ``pantau simulate generate``), full pulls, ``repeat`` times, each in
    its own child process. Returns the median run's figures (``stage`` ``bkd-extract``, ``records``,
    ``seconds``, ``records_per_s``, ``peak_rss_mib``: the child's ``ru_maxrss``) plus every run in
    ``runs``. ``sink``: ``s3`` lands the chunks in an object store (``s3``: the endpoint, keys and
    bucket of a running one, as :func:`bench_ingest` passes them; else an embedded one is started),
    ``null`` encodes and drops them."""
    from pantau.simulate.servers import EmbeddedObjectStore

    if repeat < 1:
        raise ConfigError(f"--repeat must be at least 1, not {repeat}")
    if sink not in SINKS:
        raise ConfigError(f"unknown sink {sink!r}: use one of {', '.join(SINKS)}")
    if not (Path(world) / "manifest.json").exists():
        raise ConfigError(f"{world} holds no generated world (no manifest.json); generate one with "
                          "pantau simulate generate --out <folder> --registry-size <persons>")
    runs: list[dict[str, Any]] = []
    with EmbeddedObjectStore() if sink == "s3" and s3 is None else _no_server() as server:
        env = dict(s3 or {})
        if server is not None:
            env = {"s3": server.endpoint, "access_key": server.access_key, "secret_key": server.secret_key,
                   "bucket": "pantau-bench"}
        for number in range(1, repeat + 1):
            print(f"stage bkd-extract ({sink}) run {number}/{repeat} ...", flush=True)
            # A new run key each time: the raw zone is write-once, and a repeat must land every chunk.
            result = _spawn("bkd-extract", {**env, "world": str(world), "sink": sink,
                                            "run_key": f"bench-extract-{os.getpid()}-{number}"})
            print(f"  {_describe(result)}", flush=True)
            runs.append(result)
    ranked = sorted(runs, key=lambda r: r["seconds"])
    median = ranked[(len(ranked) - 1) // 2]
    return {**median, "repeat": repeat, "world": str(world), "runs": runs}


@contextmanager
def _no_server() -> Iterator[None]:
    yield None


def _describe(result: dict[str, Any]) -> str:
    return (f"{result['stage']}: {result['records']:,} records in {result['seconds']} s = "
            f"{result['records_per_s']:,} records/s; peak RSS {result['peak_rss_mib']:,} MiB; "
            f"CPU {result.get('cpu_seconds')} s")


if __name__ == "__main__":
    run_stage(sys.argv[1])
