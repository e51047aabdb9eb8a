"""Client for the recommendation exports of KASN/BKN (DESIGN §4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from pantau.exceptions import SourceError
from pantau.sources.http import retrying_session


@dataclass(frozen=True)
class ExportFile:
    name: str
    updated_at: str
    sha256: str


class RecommendationsClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout_s: float = 30.0, retries: int = 6) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.session = retrying_session(retries)

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

    def index_bytes(self) -> bytes:
        return self._get("/exports/index.json").content

    @staticmethod
    def parse_index(body: bytes) -> list[ExportFile]:
        import json

        try:
            entries: list[dict[str, Any]] = json.loads(body)
            return [ExportFile(str(e["name"]), str(e.get("updated_at", "")), str(e["sha256"])) for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"recommendation feed index.json is not the documented list of files: {exc}") from exc

    def fetch(self, name: str) -> bytes:
        return self._get("/exports/" + quote(name)).content
