"""EndpointApi: every call kongflow makes to a user's endpoint (server → SDK).

All calls are ``POST <endpoint url>`` with ``x-trigger-api-key`` (the environment's
secret key, which the SDK compares with its own) and ``x-trigger-action``. The SDK
answers JSON; an error answer is ``{"message": ...}``. Failures become typed errors
so callers can record a precise reason:

* :class:`EndpointUnreachable`: no HTTP answer (refused, DNS, timeout, TLS);
* :class:`EndpointUnauthorized`: 401, the endpoint holds another key;
* :class:`EndpointBadResponse`: any other unexpected status, a body that is not
  JSON or not the expected shape (with the validation detail), or one too large.

Retries are not done here: the worker job that made the call decides.

The client is aiohttp's: measured with ``bench/http_client_cost.py``, one keep-alive
POST costs about 0.2 ms of client CPU against about 1 ms with httpx, and the process
making these calls is the one that limits run throughput.
"""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin

import aiohttp
from pydantic import BaseModel, ValidationError

from kongflow.domain.protocol.base import WireModel
from kongflow.domain.protocol.index import IndexEndpointResponse, describe_validation_error

API_VERSION = "2023-09-29"
USER_AGENT = "kongflow/0.1 (triggerdotdev-server/2.0.0 compatible)"
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 5.0
MAX_REDIRECTS = 5
READ_CHUNK_BYTES = 64 * 1024

ModelT = TypeVar("ModelT", bound=BaseModel)


class EndpointError(Exception):
    """A call to an endpoint did not give a usable answer."""

    code = "endpoint_error"

    def __init__(self, message: str, *, status: int | None = None, raw: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.raw = raw

    def as_json(self) -> dict[str, Any]:
        """The shape stored on an EndpointIndex's ``error``."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.raw is not None:
            body["raw"] = self.raw
        return body


class EndpointUnreachable(EndpointError):
    code = "endpoint_unreachable"


class EndpointUnauthorized(EndpointError):
    code = "endpoint_unauthorized"


class EndpointBadResponse(EndpointError):
    code = "endpoint_bad_response"


class Pong(WireModel):
    ok: bool
    error: str | None = None


class ValidateResponse(WireModel):
    ok: bool
    endpoint_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class EndpointVersions:
    """What the endpoint says about itself in its response headers."""

    trigger_version: str | None
    sdk_version: str | None


@dataclass(frozen=True)
class EndpointAnswer:
    """A parsed answer with the endpoint's version headers and how long it took."""

    body: Any
    versions: EndpointVersions
    elapsed_ms: float


@dataclass(frozen=True)
class IndexAnswer:
    """INDEX_ENDPOINT's answer; ``url`` is where it came from after redirects."""

    index: IndexEndpointResponse
    versions: EndpointVersions
    url: str


def _snippet(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def parse_answer(model: type[ModelT], body: Any, action: str) -> ModelT:
    """Validate an endpoint's JSON answer, as :class:`EndpointBadResponse` on mismatch."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = describe_validation_error(exc)
        raise EndpointBadResponse(
            f"The endpoint's {action} answer has an unexpected shape: " + "; ".join(problems[:20]),
            raw=_snippet(json.dumps(body, default=str)),
        ) from exc


@dataclass(frozen=True)
class RawAnswer:
    """An endpoint's answer, read completely (bounded by MAX_RESPONSE_BYTES), with how
    long the endpoint took to give it."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes
    elapsed_ms: float

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class EndpointApi:
    """The endpoint at ``url``, called with the environment's secret ``api_key``;
    ``timeout`` bounds calls that do not set their own."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.http = http
        self.url = url
        self.api_key = api_key
        self.timeout_seconds = timeout

    async def _post(
        self,
        action: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        http_timeout: float | None = None,
        url: str | None = None,
    ) -> RawAnswer:
        request_headers = {
            "x-trigger-api-key": self.api_key,
            "x-trigger-action": action,
            "x-trigger-version": API_VERSION,
            "user-agent": USER_AGENT,
            "accept": "application/json",
            **(headers or {}),
        }
        if json_body is not None:
            content = json.dumps(json_body).encode()
            request_headers["content-type"] = "application/json"
        target = url or self.url
        total = self.timeout_seconds if http_timeout is None else http_timeout
        timeout = aiohttp.ClientTimeout(total=total, connect=min(total, CONNECT_TIMEOUT_SECONDS))
        started = time.perf_counter()
        try:
            async with self.http.post(
                target, data=content, headers=request_headers, timeout=timeout,
                allow_redirects=False,
            ) as response:  # fmt: skip
                body = bytearray()
                async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
                    body.extend(chunk)
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise EndpointBadResponse(
                            f"The endpoint's {action} answer is larger than "
                            f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB.",
                            status=response.status,
                        )
        except TimeoutError as exc:
            raise EndpointUnreachable(
                f"Could not connect to endpoint {target}: no answer to {action} in time."
            ) from exc
        except aiohttp.ClientError as exc:
            raise EndpointUnreachable(
                f"Could not connect to endpoint {target}: {type(exc).__name__}: {exc}"
            ) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        return RawAnswer(response.status, response.headers, bytes(body), elapsed_ms)

    @staticmethod
    def _json(response: RawAnswer, action: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            kind = response.headers.get("content-type", "no content type")
            raise EndpointBadResponse(
                f"The endpoint answered {action} with something that is not JSON ({kind}).",
                status=response.status_code,
                raw=_snippet(response.text),
            ) from exc

    def _check(self, response: RawAnswer, action: str) -> Any:
        """The JSON body of a 2xx answer; typed errors otherwise."""
        if response.status_code == 401:
            raise EndpointUnauthorized(
                _error_message(response) or "The endpoint refused kongflow's API key.",
                status=401,
                raw=_snippet(response.text),
            )
        if not 200 <= response.status_code < 300:
            message = _error_message(response)
            raise EndpointBadResponse(
                f"The endpoint answered {action} with HTTP {response.status_code}"
                + (f": {message}" if message else "."),
                status=response.status_code,
                raw=_snippet(response.text),
            )
        return self._json(response, action)

    async def call(
        self,
        action: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        http_timeout: float | None = None,
    ) -> EndpointAnswer:
        """Send ``action`` and return the 2xx JSON answer (typed errors otherwise)."""
        response = await self._post(
            action, json_body=json_body, content=content, headers=headers, http_timeout=http_timeout
        )
        body = self._check(response, action)
        return EndpointAnswer(
            body=body, versions=_versions(response), elapsed_ms=response.elapsed_ms
        )

    async def ping(self, endpoint_id: str) -> tuple[Pong, EndpointVersions]:
        """PING: does an SDK client with id ``endpoint_id`` answer with our key?"""
        answer = await self.call("PING", headers={"x-trigger-endpoint-id": endpoint_id})
        return parse_answer(Pong, answer.body, "PING"), answer.versions

    async def validate(self) -> ValidateResponse:
        """VALIDATE: which endpoint id does the SDK at this URL have?"""
        answer = await self.call("VALIDATE")
        return parse_answer(ValidateResponse, answer.body, "VALIDATE")

    async def index_endpoint(self) -> IndexAnswer:
        """INDEX_ENDPOINT, following up to five redirects (the answer says where from)."""
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._post("INDEX_ENDPOINT", url=url)
            location = response.headers.get("location")
            if 300 <= response.status_code < 400 and location:
                url = urljoin(url, location)
                continue
            body = self._check(response, "INDEX_ENDPOINT")
            index = parse_answer(IndexEndpointResponse, body, "INDEX_ENDPOINT")
            return IndexAnswer(index=index, versions=_versions(response), url=url)
        raise EndpointBadResponse(f"The endpoint redirected more than {MAX_REDIRECTS} times.")

    async def execute_job(self, body: Mapping[str, Any], *, timeout_ms: int) -> RawAnswer:
        """EXECUTE_JOB: run (a chunk of) a job. The answer is returned whatever its
        status, because the run engine reads meaning into error statuses and bodies
        (only a missing answer raises :class:`EndpointUnreachable`)."""
        return await self._post(
            "EXECUTE_JOB",
            json_body=body,
            http_timeout=timeout_ms / 1000,
        )

    async def preprocess_run(self, body: Mapping[str, Any]) -> EndpointAnswer:
        """PREPROCESS_RUN (legacy): ``{abort, properties}`` for a run about to start."""
        return await self.call("PREPROCESS_RUN", json_body=body)

    async def initialize_trigger(
        self,
        trigger_id: str,
        params: Any,
        *,
        account_id: str | None = None,
        metadata: Any = None,
    ) -> EndpointAnswer:
        """INITIALIZE_TRIGGER: the registration (rule and source) for a dynamic trigger."""
        body: dict[str, Any] = {"id": trigger_id, "params": params}
        if account_id is not None:
            body["accountId"] = account_id
        if metadata is not None:
            body["metadata"] = metadata
        return await self.call("INITIALIZE_TRIGGER", json_body=body)

    async def deliver_http_source_request(
        self, raw_body: bytes, ts_headers: Mapping[str, str]
    ) -> EndpointAnswer:
        """DELIVER_HTTP_SOURCE_REQUEST: hand an external webhook to its source handler."""
        return await self._deliver("DELIVER_HTTP_SOURCE_REQUEST", raw_body, ts_headers)

    async def deliver_http_endpoint_request_for_response(
        self, raw_body: bytes, ts_headers: Mapping[str, str]
    ) -> EndpointAnswer:
        """DELIVER_HTTP_ENDPOINT_REQUEST_FOR_RESPONSE: let user code answer a request."""
        return await self._deliver(
            "DELIVER_HTTP_ENDPOINT_REQUEST_FOR_RESPONSE", raw_body, ts_headers
        )

    async def deliver_webhook_request(
        self, raw_body: bytes, ts_headers: Mapping[str, str]
    ) -> EndpointAnswer:
        """DELIVER_WEBHOOK_REQUEST: verify a webhook and let it generate events."""
        return await self._deliver("DELIVER_WEBHOOK_REQUEST", raw_body, ts_headers)

    async def _deliver(
        self, action: str, raw_body: bytes, ts_headers: Mapping[str, str]
    ) -> EndpointAnswer:
        headers = {"content-type": "application/octet-stream", **ts_headers}
        return await self.call(action, content=raw_body, headers=headers)

    async def probe_execution_timeout(self, timeout_ms: int) -> EndpointAnswer:
        """PROBE_EXECUTION_TIMEOUT: the endpoint holds the request ``timeout_ms``."""
        return await self.call(
            "PROBE_EXECUTION_TIMEOUT",
            json_body={"timeout": timeout_ms},
            http_timeout=timeout_ms / 1000 + 10,
        )

    async def run_notification(self, notification: Mapping[str, Any]) -> EndpointAnswer:
        """RUN_NOTIFICATION: tell the job's onSuccess/onFailure handlers a run ended."""
        return await self.call("RUN_NOTIFICATION", json_body=notification)


def _versions(response: RawAnswer) -> EndpointVersions:
    return EndpointVersions(
        trigger_version=response.headers.get("trigger-version"),
        sdk_version=response.headers.get("trigger-sdk-version"),
    )


def _error_message(response: RawAnswer) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return None
