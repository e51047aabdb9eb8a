"""Client for the recommendation exports of KASN/BKN (docs/DOMAIN.md §4.2)."""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
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


#: Characters an export name may not hold: path separators, URL syntax (scheme, query, fragment,
#: percent-escapes) and anything Windows refuses in a file name.
_NAME_FORBIDDEN = re.compile(r'[/\\:?#%<>"|*]')
MAX_EXPORT_NAME = 255


def export_name_problem(name: str) -> str | None:
    """Why ``name`` from index.json cannot be fetched as ``/exports/<name>``, or None when it can.

    A name is one plain file name inside the export folder, as the feed's contract says
    (docs/DOMAIN.md §4.2): no path segments (``../``, ``a/b``), no scheme (``http:``, ``file:``),
    no query or fragment, no percent-escape that a server could decode into one of those, no
    control characters, no leading dot. Anything else is refused before any request is made.
    """
    if not name or not name.strip():
        return "the name is empty"
    if len(name) > MAX_EXPORT_NAME:
        return f"the name is longer than {MAX_EXPORT_NAME} characters"
    if name.startswith(".") or name in (".", ".."):
        return "the name starts with a dot (hidden file or parent folder)"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "the name holds control or invisible characters"
    bad = sorted(set(_NAME_FORBIDDEN.findall(name)))
    if bad:
        return f"the name holds {' '.join(bad)}, which make it a path, a URL or an escape, not a file name"
    return None


def escaped(name: str) -> str:
    """``name`` safe to show in one line of a log or a message: non-printable characters escaped."""
    return ascii(name)


def require_export_name(name: str) -> None:
    """Raise :class:`SourceError` naming ``name`` (escaped) when it is not a plain export file name."""
    problem = export_name_problem(name)
    if problem is not None:
        raise SourceError(f"recommendation feed lists the export {escaped(name)}, which is not fetched: {problem}. "
                          "Ask the feed to publish the file under a plain file name.")


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
        require_export_name(name)
        return self._verified("/exports/" + quote(name, safe=""), lambda body: sha256_hex(body) == sha256,
                              f"{name} (sha256 {sha256[:12]}…)")

    @staticmethod
    def parse_index(body: bytes) -> list[ExportFile]:
        try:
            entries: list[dict[str, Any]] = json.loads(body)
            return [ExportFile(str(e["name"]), str(e.get("updated_at", "")), str(e["sha256"])) for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"recommendation feed index.json is not the documented list of files: {exc}") from exc

    def fetch(self, name: str) -> bytes:
        require_export_name(name)
        return self._get("/exports/" + quote(name, safe="")).content
