"""An embedded S3 endpoint (moto) standing in for MinIO, with optional persistence to a folder.

Why a child process: moto keeps every backend in module-level globals, so two
``ThreadedMotoServer`` instances in one process share buckets and objects (checked with moto
5.2.5: a bucket made through one server is listed by the other), and ``/moto-api/reset`` would
wipe every instance at once. Each ``EmbeddedObjectStore`` therefore runs its
``ThreadedMotoServer`` in its own Python process (``main()`` below), which also lets the OS
pick the port. The child exits when
its stdin closes, so it cannot outlive the parent.

Why the mirror: moto keeps objects in memory only. With ``persist_dir`` the store restores
``persist_dir/<bucket>/<key>`` on ``start()`` and mirrors every object back on ``stop()``
(files of deleted objects and buckets are removed), so the demo's outputs are browsable files and
survive between runs. Everything goes through the minio client, as the pipelines' own I/O does.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import mimetypes
import os
import select
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from minio import Minio
from minio.helpers import check_bucket_name

log = logging.getLogger(__name__)

DEFAULT_ACCESS_KEY = "pantau"
DEFAULT_SECRET_KEY = "pantau-local-secret"  # moto accepts any credentials; not a real secret
_READY_PREFIX = "READY "
_TMP_SUFFIX = ".pantau-tmp"
_START_TIMEOUT_S = 30.0
#: moto buffers each object in a ``SpooledTemporaryFile`` of ``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE`` bytes (default
#: 5 MiB - 1 KiB) and spills larger objects to a temporary file. 1 MiB keeps the many mid-sized objects of a
#: national run (page JSON, staged Parquet chunks) on disk rather than in the server's memory.
DEFAULT_KEY_BUFFER_BYTES = 1 << 20
# Imported rather than run with -m, which would import this module twice (package + __main__).
_CHILD_CODE = "from pantau.simulate.servers.objectstore import main; main()"


def is_bucket_name(name: str) -> bool:
    try:
        check_bucket_name(name, strict=True)
    except ValueError:
        return False
    return True


def key_path_problem(key: str) -> str | None:
    """Why object ``key`` cannot be mirrored to a file and restored as the same key, or None.

    Keys are split on every ``/`` (``PurePosixPath`` would fold ``a//b`` and ``a/./b`` into ``a/b``
    and restore them under another key). A key is refused when a file system cannot hold it as
    written: an empty segment (``//``, a leading or trailing ``/``), a ``.`` or ``..`` segment, a NUL,
    or the mirror's own temporary suffix.
    """
    if not key:
        return "the key is empty"
    segments = key.split("/")
    if any(segment == "" for segment in segments):
        return "the key has an empty segment (a leading, trailing or doubled '/'), which a folder cannot hold"
    if any(segment in (".", "..") for segment in segments):
        return "the key has a '.' or '..' segment, which names another folder on disk"
    if "\x00" in key:
        return "the key holds a NUL character, which no file name can"
    if key.endswith(_TMP_SUFFIX):
        return f"the key ends with {_TMP_SUFFIX}, the mirror's own suffix for unfinished files"
    return None


def safe_key_path(root: Path, key: str) -> Path | None:
    """Where object ``key`` lives under ``root``; None for keys a file system cannot mirror and restore as the
    same key (:func:`key_path_problem`)."""
    if key_path_problem(key) is not None:
        return None
    return root.joinpath(*key.split("/"))


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class EmbeddedObjectStore:
    """S3 on ``host:port`` (0 = ephemeral) backed by moto in a child process."""

    def __init__(
        self,
        persist_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        key_buffer_bytes: int | None = DEFAULT_KEY_BUFFER_BYTES,
    ) -> None:
        self.persist_dir = Path(persist_dir) if persist_dir is not None else None
        self.host = host
        self._requested_port = port
        self.access_key = access_key
        self.secret_key = secret_key
        self._proc: subprocess.Popen[str] | None = None
        self._port: int | None = None
        self.key_buffer_bytes = key_buffer_bytes  # None: moto's own default

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> EmbeddedObjectStore:
        if self._proc is not None:
            raise RuntimeError("EmbeddedObjectStore already started")
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD_CODE, "--host", self.host, "--port", str(self._requested_port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=self._child_env(),
        )
        try:
            self._port = self._await_ready(self._proc)
            if self.persist_dir is not None:
                self.restore(self.persist_dir)
        except BaseException:
            self._terminate()
            raise
        return self

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.key_buffer_bytes is not None:
            env["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] = str(int(self.key_buffer_bytes))
        return env

    @property
    def pid(self) -> int | None:
        """The moto child's process id (for measuring its memory), or None when not started."""
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> None:
        if self._proc is None:
            return
        try:
            if self.persist_dir is not None:
                self.mirror(self.persist_dir)
        finally:
            self._terminate()

    def __enter__(self) -> EmbeddedObjectStore:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @staticmethod
    def _await_ready(proc: subprocess.Popen[str]) -> int:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], _START_TIMEOUT_S)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith(_READY_PREFIX):
            raise RuntimeError(f"embedded object store did not start (exit code {proc.poll()}, said {line!r})")
        return int(line[len(_READY_PREFIX):])

    def _terminate(self) -> None:
        proc, self._proc, self._port = self._proc, None, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # the child's signal to stop
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        finally:
            if proc.stdout is not None:
                proc.stdout.close()

    # -- addresses and client ----------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("EmbeddedObjectStore not started")
        return self._port

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def client(self) -> Minio:
        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False)

    # -- persistence ---------------------------------------------------------------------------
    def restore(self, folder: Path) -> int:
        """Upload ``folder/<bucket>/<key>`` files into the store; returns the object count."""
        client = self.client()
        count = 0
        if not folder.is_dir():
            return 0
        for bucket_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            if not is_bucket_name(bucket_dir.name):
                log.warning("skipping %s: not a valid bucket name", bucket_dir)
                continue
            if not client.bucket_exists(bucket_dir.name):
                client.make_bucket(bucket_dir.name)
            for path in sorted(p for p in bucket_dir.rglob("*") if p.is_file()):
                if path.name.endswith(_TMP_SUFFIX):
                    continue  # left over from an interrupted mirror
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                key = path.relative_to(bucket_dir).as_posix()
                client.fput_object(bucket_dir.name, key, str(path), content_type=content_type)
                count += 1
        return count

    def mirror(self, folder: Path) -> int:
        """Write every object to ``folder/<bucket>/<key>`` and delete what no longer exists;
        returns the object count."""
        client = self.client()
        folder.mkdir(parents=True, exist_ok=True)
        buckets = {bucket.name for bucket in client.list_buckets()}
        count = 0
        for bucket in sorted(buckets):
            count += self._mirror_bucket(client, bucket, folder / bucket)
        for stale in folder.iterdir():
            # Only folders we would have restored as buckets are ours to delete.
            if stale.is_dir() and is_bucket_name(stale.name) and stale.name not in buckets:
                shutil.rmtree(stale)
        return count

    @staticmethod
    def _mirror_bucket(client: Minio, bucket: str, root: Path) -> int:
        root.mkdir(parents=True, exist_ok=True)
        kept: set[Path] = set()
        for obj in client.list_objects(bucket, recursive=True):
            name = obj.object_name or ""
            path = safe_key_path(root, name)
            if path is None:
                log.warning("object s3://%s/%s is not mirrored to %s and will not be restored: %s", bucket,
                            ascii(name)[1:-1], root, key_path_problem(name))
                continue
            clash = next((p for p in (path, *path.parents) if p in kept or p == root), None)
            if clash is not None and clash != root:
                log.warning("object s3://%s/%s is not mirrored to %s and will not be restored: its file would "
                            "replace or sit inside the file of another object (%s)", bucket, ascii(name)[1:-1],
                            root, clash.relative_to(root).as_posix())
                continue
            kept.add(path)
            etag = (obj.etag or "").strip('"')
            if path.is_file() and path.stat().st_size == obj.size and _md5(path) == etag:
                continue  # unchanged since the last mirror
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + _TMP_SUFFIX)
            response = client.get_object(bucket, name)
            try:
                with tmp.open("wb") as handle:
                    for chunk in response.stream(1 << 20):
                        handle.write(chunk)
            finally:
                response.close()
                response.release_conn()
            tmp.replace(path)
        _prune(root, kept)
        return len(kept)


def _prune(root: Path, kept: set[Path]) -> None:
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file() and path not in kept:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _serve_child(host: str, port: int) -> None:
    """Child process: run moto until stdin closes."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    print(f"{_READY_PREFIX}{server.get_host_and_port()[1]}", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Embedded S3 (moto) child process; stops when stdin closes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    _serve_child(args.host, args.port)


if __name__ == "__main__":
    main()
