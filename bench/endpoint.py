"""A minimal user endpoint for benchmarks, in its own process, speaking just enough of
the protocol: PING, INDEX_ENDPOINT (one job listening to ``bench.run``) and
EXECUTE_JOB, which does what the SDK does for a job with one task (create it,
complete it, answer SUCCESS) and records when each EXECUTE_JOB arrived.

    python -m bench.endpoint PORT API_URL API_KEY ARRIVALS_FILE
"""

import json
import sys
import time

import aiohttp
from aiohttp import web

JOB = {
    "id": "bench-job",
    "name": "Benchmark job",
    "version": "1.0.0",
    "event": {"name": "bench.run", "title": "Bench", "source": "trigger.dev"},
    "trigger": {
        "type": "static",
        "title": "bench.run",
        "rule": {"event": "bench.run", "source": "trigger.dev"},
    },
    "integrations": {},
    "enabled": True,
    "preprocessRuns": False,
}
TASK_KEY = "f" * 64


def make_app(api_url: str, api_key: str, arrivals_path: str) -> web.Application:
    arrivals = open(arrivals_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the app
    session_holder: dict[str, aiohttp.ClientSession] = {}

    async def api(method: str, path: str, body: object, headers: dict[str, str]) -> object:
        if "s" not in session_holder:  # one keep-alive session for the process
            session_holder["s"] = aiohttp.ClientSession()
        session = session_holder["s"]
        async with session.request(
            method,
            f"{api_url}{path}",
            data=json.dumps(body),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                **headers,
            },
        ) as response:
            return await response.json()

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get("x-trigger-api-key") != api_key:
            return web.json_response({"message": "bad key"}, status=401)
        action = request.headers.get("x-trigger-action")
        headers = {"trigger-version": "2023-09-29", "trigger-sdk-version": "2.3.19"}
        if action == "PING":
            return web.json_response({"ok": True}, headers=headers)
        if action == "INDEX_ENDPOINT":
            body = {"jobs": [JOB], "sources": [], "dynamicTriggers": [], "dynamicSchedules": []}
            return web.json_response(body, headers=headers)
        if action != "EXECUTE_JOB":
            return web.json_response({"message": "Method not allowed"}, status=405)
        execution = await request.json()
        run_id = execution["run"]["id"]
        arrivals.write(f"{execution['event']['id']} {time.time()}\n")
        if not any(task["idempotencyKey"] == TASK_KEY for task in execution.get("tasks", [])):
            created = await api(
                "POST",
                f"/api/v1/runs/{run_id}/tasks",
                {"idempotencyKey": TASK_KEY, "displayKey": "work", "name": "work", "noop": False},
                {"Idempotency-Key": TASK_KEY, "Trigger-Version": "2023-09-29"},
            )
            task = created["task"]  # type: ignore[index]
            await api(
                "POST",
                f"/api/v1/runs/{run_id}/tasks/{task['id']}/complete",
                {"output": json.dumps({"ok": True})},
                {"Trigger-Version": "2023-11-01"},
            )
        return web.json_response({"status": "SUCCESS", "output": {"ok": True}}, headers=headers)

    async def close_session(_: web.Application) -> None:
        if "s" in session_holder:
            await session_holder["s"].close()

    app = web.Application()
    app.router.add_post("/api/trigger", handle)
    app.on_cleanup.append(close_session)
    return app


if __name__ == "__main__":
    port, api_url, api_key, arrivals_path = sys.argv[1:5]
    web.run_app(
        make_app(api_url, api_key, arrivals_path), host="127.0.0.1", port=int(port), print=None
    )
