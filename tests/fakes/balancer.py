"""A round-robin HTTP load balancer on 127.0.0.1, as one stands in front of several bot
instances in Slack's HTTP mode: each request goes to the next instance, whole (method, path,
headers, body), and its answer comes back as it is."""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web

from tests.fakes.serving import serve

# Hop-by-hop and length headers: the balancer's own connections set them.
DROPPED = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


class RoundRobin:
    """Forwards every request to the next of `ports` in turn (set `ports` before use)."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.forwarded: dict[int, int] = {}  # requests per port
        self.port = 0
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> RoundRobin:
        # One pooled session, as a balancer keeps connections open to its backends.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner, self.port = await serve(app)
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None and self.ports, "no instance behind the balancer"
        port = self.ports[next(self._turn) % len(self.ports)]
        self.forwarded[port] = self.forwarded.get(port, 0) + 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROPPED}
        async with self._session.request(
            request.method,
            f"http://127.0.0.1:{port}{request.rel_url}",
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in DROPPED}
            return web.Response(status=answer.status, body=body, headers=kept)
