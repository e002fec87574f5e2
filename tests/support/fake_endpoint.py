"""A scriptable stand-in for a user's endpoint, served on loopback.

Each action's answer is set by the test (status, JSON or raw body, headers, delay),
so the server's handling of misbehaving endpoints can be checked without Node.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.http import serve_app


@dataclass
class Answer:
    status: int = 200
    json_body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeEndpoint:
    """Answers per ``x-trigger-action``; records every request it receives."""

    endpoint_id: str
    api_key: str
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    redirect_index_to: str | None = None  # INDEX_ENDPOINT on the main path redirects here

    def answer(self, action: str, **kwargs: Any) -> None:
        self.answers[action] = Answer(**kwargs)

    def index_jobs(self, jobs: list[Any], **extra: Any) -> None:
        body = {"jobs": jobs, "sources": [], "dynamicTriggers": [], "dynamicSchedules": []}
        self.answer("INDEX_ENDPOINT", json_body={**body, **extra})

    async def handle(self, request: Request) -> Response:
        action = request.headers.get("x-trigger-action", "")
        self.requests.append(
            {"action": action, "path": request.url.path, "headers": dict(request.headers)}
        )
        if request.headers.get("x-trigger-api-key") != self.api_key:
            return Response(json.dumps({"message": "Forbidden: client apiKey mismatch"}), 401)
        answer = self.answers.get(action)
        if (
            action == "INDEX_ENDPOINT"
            and self.redirect_index_to
            and request.url.path == "/api/trigger"
        ):
            answer = Answer(status=307, headers={"location": self.redirect_index_to})
        if answer is None:
            if action == "PING":
                ok = request.headers.get("x-trigger-endpoint-id") == self.endpoint_id
                answer = Answer(json_body={"ok": ok} if ok else {"ok": False, "error": "mismatch"})
            else:
                answer = Answer(status=405, json_body={"message": "Method not allowed"})
        if answer.delay:
            await asyncio.sleep(answer.delay)
        content = answer.raw if answer.raw is not None else json.dumps(answer.json_body).encode()
        headers = {
            "content-type": "application/json",
            "trigger-version": "2023-09-29",
            "trigger-sdk-version": "2.3.19",
            **answer.headers,
        }
        return Response(content, answer.status, headers=headers)


@asynccontextmanager
async def fake_endpoint(endpoint_id: str, api_key: str) -> AsyncIterator[FakeEndpoint]:
    """Serve a :class:`FakeEndpoint` at ``<base>/api/trigger`` (and ``/moved``)."""
    fake = FakeEndpoint(endpoint_id=endpoint_id, api_key=api_key)
    app = Starlette(
        routes=[
            Route("/api/trigger", fake.handle, methods=["POST"]),
            Route("/moved", fake.handle, methods=["POST"]),
        ]
    )
    async with serve_app(app) as base:
        fake.url = f"{base}/api/trigger"
        yield fake
