"""The bot's web server: health probes and metrics; adapters mount their routes (Slack HTTP), and
the web dashboard (bot/web/dashboard) adds its pages when PREPBOT_PUBLIC_URL is set."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]


def build_app(
    *,
    ready: ReadyCheck,
    metrics: Metrics | None = None,
    routes: list[web.RouteDef] | None = None,
) -> web.Application:
    """The aiohttp application: `/healthz`, `/readyz`, `/metrics`, plus adapter routes."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        checks = await ready()
        status = 200 if all(checks.values()) else 503
        return web.json_response({"ready": status == 200, "checks": checks}, status=status)

    async def metrics_page(_request: web.Request) -> web.Response:
        assert metrics is not None
        response = web.Response(body=metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if metrics is not None:
        app.router.add_get("/metrics", metrics_page)
    app.router.add_routes(routes or [])
    return app


async def start(app: web.Application, *, port: int, host: str = "127.0.0.1") -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port)
    await site.start()
    log.info("web server listening on %s:%d", host, port)
    return runner
