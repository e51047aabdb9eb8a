"""One HTTP session policy for every source: retries with backoff, Retry-After, timeouts."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def retrying_session(retries: int, backoff_factor: float = 0.5, backoff_max: float = 30.0) -> requests.Session:
    """A session that retries 429/5xx/connection errors/read timeouts on GET.

    urllib3 honours ``Retry-After`` on 429 and 503 (``respect_retry_after_header``), which is what
    the Bawaslu API asks of clients that page too fast.
    """
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
