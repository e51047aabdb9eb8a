"""Client for the recommendation exports of KASN/BKN (docs/DOMAIN.md §4.2)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from pantau.exceptions import SourceError
from pantau.sources.http import retrying_session
from pantau.storage import sha256_hex

log = logging.getLogger(__name__)


def _parses(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ExportFile:
    name: str
    updated_at: str
    sha256: str


class RecommendationsClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = 30.0, retries: int = 6,
                 backoff_s: float = 0.5, attempts: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.session = retrying_session(retries, backoff_factor=backoff_s)
        self.attempts = attempts

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:
        return f"RecommendationsClient({self.base_url!r})"

    def _get(self, path: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self.session.get(self.base_url + path, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise SourceError(f"recommendation feed unreachable after retries at {self.base_url}: {exc}") from exc
        if response.status_code != 200:
            raise SourceError(f"recommendation feed answered {response.status_code} for {path}: {response.text[:200]}")
        return response

    def _verified(self, path: str, check: Callable[[bytes], bool], what: str) -> bytes:
        """GET ``path`` until ``check`` accepts the body: a transfer cut mid-body still answers 200,
        so only the content tells (index.json must parse, a file must match its sha256)."""
        for attempt in range(1, self.attempts + 1):
            body = self._get(path).content
            if check(body):
                return body
            log.warning("%s arrived damaged (attempt %s of %s); fetching again", what, attempt, self.attempts)
            time.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
        raise SourceError(f"{what} arrived damaged {self.attempts} times in a row from {self.base_url}; the feed "
                          "is mid-publication or corrupt. Nothing staged; retry later.")

    def index_bytes(self) -> bytes:
        return self._verified("/exports/index.json", _parses, "index.json")

    def fetch_verified(self, name: str, sha256: str) -> bytes:
        """The file, checked against the sha256 that index.json announced."""
        return self._verified("/exports/" + quote(name), lambda body: sha256_hex(body) == sha256,
                              f"{name} (sha256 {sha256[:12]}…)")

    @staticmethod
    def parse_index(body: bytes) -> list[ExportFile]:
        try:
            entries: list[dict[str, Any]] = json.loads(body)
            return [ExportFile(str(e["name"]), str(e.get("updated_at", "")), str(e["sha256"])) for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"recommendation feed index.json is not the documented list of files: {exc}") from exc

    def fetch(self, name: str) -> bytes:
        return self._get("/exports/" + quote(name)).content
