"""POST a JSON body to a URL a user gave (a run webhook, an ``io.waitForEvent``
callback): one place for the user agent, the timeout, no redirects, and the reason a
delivery failed."""

import aiohttp

from kongflow.services.endpoints.endpoint_api import USER_AGENT


async def post_json(
    http: aiohttp.ClientSession,
    url: str,
    body: bytes,
    *,
    timeout_seconds: float,
    headers: dict[str, str] | None = None,
) -> str | None:
    """POST ``body`` (JSON) to ``url``: None when it answered 2xx, else why not. Only
    the answer's status is read."""
    sent = {"content-type": "application/json", "user-agent": USER_AGENT, **(headers or {})}
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    try:
        async with http.post(
            url, data=body, headers=sent, timeout=timeout, allow_redirects=False
        ) as response:
            status = response.status
    except TimeoutError:
        return f"POST {url} failed: no answer within {timeout_seconds} s"
    except aiohttp.ClientError as exc:
        return f"POST {url} failed: {type(exc).__name__}: {exc}"
    if not 200 <= status < 300:
        return f"POST {url} answered HTTP {status}"
    return None
