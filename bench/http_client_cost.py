"""Benchmark the client CPU of one keep-alive POST to an endpoint: httpx against aiohttp.

kongflow calls the user's endpoint once per execution, in the process that is the
bottleneck of run throughput, so the client's own cost matters. Each client posts
a 2 KB JSON body 3,000 times (after a warm-up) to a local server that answers a
small JSON document, reading the answer in chunks as EndpointApi does; the figure
is this process's CPU time per request. The server runs in another process.

    .venv/bin/python -m bench.http_client_cost
"""

import asyncio
import json
import multiprocessing
import socket
import time

import aiohttp
import httpx
from aiohttp import web

REQUESTS = 3000
BODY = json.dumps({"event": {"payload": "x" * 2000}}).encode()


def _serve(port: int) -> None:
    async def answer(_: web.Request) -> web.Response:
        return web.json_response({"status": "SUCCESS", "output": {"ok": True}})

    app = web.Application()
    app.router.add_post("/", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def _httpx(url: str) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(REQUESTS):
            request = client.build_request("POST", url, content=BODY, timeout=30)
            response = await client.send(request, stream=True)
            async for _chunk in response.aiter_bytes():
                pass
            await response.aclose()


async def _aiohttp(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(REQUESTS):
            timeout = aiohttp.ClientTimeout(total=30)
            async with session.post(url, data=BODY, timeout=timeout) as response:
                async for _chunk in response.content.iter_chunked(65536):
                    pass


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.post(url, content=b"{}")
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        for name, client in (("httpx", _httpx), ("aiohttp", _aiohttp)):
            asyncio.run(client(url))  # warm-up run
            started = time.process_time()
            asyncio.run(client(url))
            cost = (time.process_time() - started) / REQUESTS * 1e6
            print(f"{name:<8} {cost:5.0f} µs of client CPU per POST")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
