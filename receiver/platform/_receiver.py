"""One request to a deployed receiver (its admin or verify route), with the caller's httpx client
or a client of its own for that request."""

from __future__ import annotations

import httpx


def request_receiver(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    http_client: httpx.Client | None,
    timeout: float,
    verify: bool,
) -> httpx.Response:
    """``method url``; httpx's errors are the caller's to translate."""
    if http_client is not None:
        return http_client.request(method, url, headers=headers, timeout=timeout)
    with httpx.Client(timeout=timeout, verify=verify) as client:
        return client.request(method, url, headers=headers)
