"""Client for the Bawaslu case API (docs/DOMAIN.md §4.1)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryError, retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from pantau.exceptions import SourceError
from pantau.sources.http import retrying_session

log = logging.getLogger(__name__)

CASES_PATH = "/api/v1/netralitas/kasus"
#: Paging sanity: a scan never asks for more pages than this (500 records a page: 50M records), and
#: stops when this many pages in a row come back empty although ``meta`` promises more.
MAX_PAGES = 100_000
MAX_EMPTY_PAGES = 3


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
        self.retries = retries
        self.max_pages = MAX_PAGES
        self.max_empty_pages = MAX_EMPTY_PAGES
        self.session = retrying_session(retries, backoff_factor=backoff_s)

    def close(self) -> None:
        self.session.close()

    def __repr__(self) -> str:  # never show the token
        return f"BawasluClient({self.base_url!r})"

    @property
    def host(self) -> str:
        """Where the API is, without credentials or path: what an error message may name."""
        parts = urlsplit(self.base_url)
        return f"{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"

    def _get(self, params: dict[str, Any]) -> requests.Response:
        started = time.monotonic()
        try:
            response = self.session.get(
                self.base_url + CASES_PATH,
                params=params,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise SourceError(
                f"Bawaslu API at {self.host} did not answer page {params.get('page')}: {self.retries + 1} attempts "
                f"over {time.monotonic() - started:.0f} s failed ({_cause(exc)}); nothing was staged and the "
                "watermark was not moved. Check that the API is up and that connection bawaslu_api points at it, "
                "then re-run the DAG."
            ) from exc
        if response.status_code == 401:
            raise SourceError("Bawaslu API refused the token (401): check the password of connection bawaslu_api")
        if response.status_code != 200:
            raise SourceError(
                f"Bawaslu API at {self.host} answered {response.status_code} for page {params.get('page')} after "
                f"{self.retries + 1} attempts over {time.monotonic() - started:.0f} s: {response.text[:200]!r}; "
                "nothing was staged and the watermark was not moved. Re-run the DAG later, or ask Bawaslu about "
                "the endpoint if it persists."
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
            except ValueError as exc:
                log.warning("Bawaslu page %s was not valid JSON (%s); retrying", page, exc)
                raise InvalidJsonPage("the body is not JSON") from exc
            problem = _page_problem(body)
            if problem:
                log.warning("Bawaslu page %s is unusable (%s); retrying", page, problem)
                raise InvalidJsonPage(problem)
            meta = body["meta"]
            return Page(page, response.content, body["data"], int(meta["total"]), int(meta["total_pages"]))

        try:
            return attempt()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise SourceError(
                f"Bawaslu API at {self.host} sent an invalid JSON body for page {page} {self.json_attempts} times in "
                f"a row ({cause}); nothing was staged and the watermark was not moved. Retry the task later, or ask "
                "Bawaslu to check the endpoint."
            ) from exc

    def scan(self, updated_since: str | None, per_page: int) -> Iterator[Page]:
        """Every page of one pass over the result set, in order.

        ``meta`` is checked before it is trusted: ``total_pages`` must fit ``total`` and ``per_page``
        and stay under :data:`MAX_PAGES`, and a run of empty pages where records were promised ends the
        scan with an error instead of paging on for hours.
        """
        first = self.fetch_page(updated_since, 1, per_page)
        expected = max(1, math.ceil(first.total / per_page)) if first.total >= 0 else -1
        if first.total < 0 or first.total_pages < 0 or first.total_pages > expected + 1:
            raise SourceError(
                f"Bawaslu API at {self.host} reported total_pages={first.total_pages} for total={first.total} at "
                f"per_page={per_page} (at most {expected} pages expected); its paging metadata cannot be trusted, "
                "so nothing was staged and the watermark was not moved. Ask Bawaslu to check meta.total_pages."
            )
        if first.total_pages > self.max_pages:
            raise SourceError(
                f"Bawaslu API at {self.host} reported {first.total_pages} pages of {per_page} records, more than "
                f"the {self.max_pages} a scan may read; nothing was staged. Raise PANTAU_BAWASLU_PER_PAGE or check "
                "meta.total with Bawaslu."
            )
        yield first
        empty = 0 if first.records else 1
        for number in range(2, first.total_pages + 1):
            page = self.fetch_page(updated_since, number, per_page)
            empty = 0 if page.records else empty + 1
            if empty >= self.max_empty_pages:
                raise SourceError(
                    f"Bawaslu API at {self.host} sent {empty} empty pages in a row (up to page {number} of "
                    f"{first.total_pages}, {first.total} records promised); nothing was staged and the watermark "
                    "was not moved. Ask Bawaslu to check the endpoint's paging."
                )
            yield page


def _page_problem(body: Any) -> str | None:
    """Why a parsed page body breaks the contract ``{"data": [...], "meta": {"total", "total_pages"}}``."""
    if not isinstance(body, dict):
        return f"the body is a JSON {type(body).__name__}, not an object"
    if "data" not in body or "meta" not in body:
        return "the body lacks 'data' or 'meta'"
    if not isinstance(body["data"], list):
        shown = "null" if body["data"] is None else f"a {type(body['data']).__name__}"
        return f"'data' is {shown}, not a list of records"
    meta = body["meta"]
    if not isinstance(meta, dict):
        return "'meta' is not an object"
    for name in ("total", "total_pages"):
        value = meta.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            return f"meta.{name} is {value!r}, not a whole number"
    return None


def _cause(exc: Exception) -> str:
    """The innermost reason of a transport failure in a few words (no URL with a query string)."""
    reason = exc
    while reason.__context__ is not None and reason.__context__ is not reason:
        reason = reason.__context__  # type: ignore[assignment]
    text = type(reason).__name__
    detail = str(reason).split(":")[-1].strip()
    return f"{text}: {detail}" if detail and len(detail) < 120 else text
