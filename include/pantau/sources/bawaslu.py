"""Client for the Bawaslu case API (docs/DOMAIN.md §4.1)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import RetryError, retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from pantau.exceptions import SourceError
from pantau.sources.http import retrying_session

log = logging.getLogger(__name__)

CASES_PATH = "/api/v1/netralitas/kasus"


class InvalidJsonPage(Exception):
    """A 200 answer whose body is not JSON (the API sends these now and then)."""


@dataclass(frozen=True)
class Page:
    number: int
    body: bytes
    records: list[Any]
    total: int
    total_pages: int


class BawasluClient:
    """Pages through the case list; retries transport faults; re-scans when paging drifted."""

    def __init__(
        self, base_url: str, token: str, *, timeout_s: float = 10.0, retries: int = 6, json_attempts: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.json_attempts = json_attempts
        self.session = retrying_session(retries, backoff_factor=backoff_s)

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:  # never show the token
        return f"BawasluClient({self.base_url!r})"

    def _get(self, params: dict[str, Any]) -> requests.Response:
        try:
            response = self.session.get(
                self.base_url + CASES_PATH,
                params=params,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise SourceError(f"Bawaslu API unreachable after retries at {self.base_url}: {exc}") from exc
        if response.status_code == 401:
            raise SourceError("Bawaslu API refused the token (401): check the password of connection bawaslu_api")
        if response.status_code != 200:
            raise SourceError(
                f"Bawaslu API answered {response.status_code} after retries for page {params.get('page')}: "
                f"{response.text[:200]}"
            )
        return response

    def fetch_page(self, updated_since: str | None, page: int, per_page: int) -> Page:
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if updated_since:
            params["updated_since"] = updated_since

        @retry(
            retry=retry_if_exception_type(InvalidJsonPage),
            stop=stop_after_attempt(self.json_attempts),
            wait=wait_exponential(multiplier=0.2, max=5),
            reraise=False,
        )
        def attempt() -> Page:
            response = self._get(params)
            try:
                body = response.json()
                records = body["data"]
                meta = body["meta"]
                return Page(page, response.content, records, int(meta["total"]), int(meta["total_pages"]))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("Bawaslu page %s was not valid JSON (%s); retrying", page, exc)
                raise InvalidJsonPage(str(exc)) from exc

        try:
            return attempt()
        except RetryError as exc:
            raise SourceError(
                f"Bawaslu API sent an invalid JSON body for page {page} {self.json_attempts} times in a row; "
                "nothing was staged and the watermark was not moved. Retry the task later, or ask Bawaslu "
                "to check the endpoint."
            ) from exc

    def scan(self, updated_since: str | None, per_page: int) -> Iterator[Page]:
        """Every page of one pass over the result set, in order."""
        first = self.fetch_page(updated_since, 1, per_page)
        yield first
        for number in range(2, first.total_pages + 1):
            yield self.fetch_page(updated_since, number, per_page)
