"""``pantau bench ingest``: ingestion throughput and peak memory at national scale.

Generates (or reuses) a world with 100k Bawaslu cases and a 6M-person registry, starts the
Bawaslu simulator and the embedded S3 server, then runs each stage in its own child process so
that the peak RSS reported (``ru_maxrss`` of that child) is the stage's own, not the parent's
(which holds the simulator's records) nor the S3 server's (a separate process as in production).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pantau.exceptions import ConfigError

STAGES = ("bawaslu", "bkd", "combine")
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


def _store(env: dict[str, str]) -> Any:
    from pantau.storage import ObjectStore

    return ObjectStore.connect(env["s3"], env["access_key"], env["secret_key"], env["bucket"])


def run_stage(stage: str) -> None:
    """Child-process entry: run one stage, print one JSON line with its figures and peak RSS."""
    env = json.loads(os.environ["PANTAU_BENCH_ENV"])
    started = time.monotonic()
    figures = {"bawaslu": _stage_bawaslu, "bkd": _stage_bkd, "combine": _stage_combine}[stage](env)
    seconds = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"stage": stage, "seconds": round(seconds, 1),
                      "records_per_s": round(figures["records"] / seconds) if seconds else None,
                      "peak_rss_mib": round(peak_kib / 1024), **figures}), flush=True)


def _spawn(stage: str, env: dict[str, str]) -> dict[str, Any]:
    child_env = {**os.environ, "PANTAU_BENCH_ENV": json.dumps(env)}
    process = subprocess.run([sys.executable, "-m", "pantau.bench.ingest", stage], env=child_env,
                             capture_output=True, text=True, check=False)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        raise ConfigError(f"bench stage {stage} failed (exit {process.returncode}): {process.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def _world(world: Path | None, home: Path) -> Path:
    from pantau.demo import ensure_world

    path = world or home / "bench" / "world"
    manifest_path = path / "manifest.json"
    if world is not None and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded = {**manifest.get("options", {}), "seed": manifest.get("seed")}
        if any(recorded.get(k) != v for k, v in BENCH_OPTIONS.items()):
            raise ConfigError(f"{path} holds a world generated with other options ({recorded}); the benchmark "
                              f"needs {BENCH_OPTIONS}. Point --world at an empty folder to generate one.")
    print(f"world: {path} (generating if needed: ~2.5 min for 6M persons)", flush=True)
    ensure_world(path, dict(BENCH_OPTIONS), progress=True)
    return path


def bench_ingest(world: Path | None, stages: tuple[str, ...] = STAGES) -> list[dict[str, Any]]:
    from pantau.settings import pantau_home
    from pantau.simulate.servers import BawasluApiServer, EmbeddedObjectStore

    home = pantau_home()
    path = _world(world, home)
    token = "bench-token"  # only checked by the local simulator
    results = []
    with EmbeddedObjectStore() as s3, BawasluApiServer(path, token) as api:
        env = {"world": str(path), "url": api.url, "token": token, "s3": s3.endpoint,
               "access_key": s3.access_key, "secret_key": s3.secret_key, "bucket": "pantau-bench"}
        for stage in stages:
            print(f"stage {stage} ...", flush=True)
            result = _spawn(stage, env)
            print(f"  {_describe(result)}", flush=True)
            results.append(result)
    return results


def _describe(result: dict[str, Any]) -> str:
    return (f"{result['stage']}: {result['records']:,} records in {result['seconds']} s = "
            f"{result['records_per_s']:,} records/s; peak RSS {result['peak_rss_mib']:,} MiB")


if __name__ == "__main__":
    run_stage(sys.argv[1])
