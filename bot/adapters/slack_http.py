"""Slack's HTTP mode: `POST /slack/events`, verified before anything reads it.

Unsigned or badly signed requests (junk JSON, a bad `payload=`, a non-numeric timestamp)
get 401 without reaching a parser or leaving a traceback; a signed request replayed inside
Slack's 5-minute window, or retried by Slack (`X-Slack-Retry-Num`), is answered once.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class Replays:
    """Signatures of requests already handled within Slack's 5-minute window."""

    WINDOW = 300.0

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def seen(self, signature: str) -> bool:
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen = {s: t for s, t in self._seen.items() if t > now}
        if self._seen.get(signature, 0.0) > now:
            return True
        self._seen[signature] = now + self.WINDOW
        return False


class HttpMode:
    def __init__(self, app: AsyncApp, signing_secret: str):
        self.app = app
        # Socket Mode has no secret and no endpoint; nothing then verifies as valid.
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.replays = Replays()
        self._next_warning = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        signature = headers.get("X-Slack-Signature", "")
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        try:
            valid = self.verifier is not None and self.verifier.is_valid(
                body=body, timestamp=timestamp, signature=signature
            )
        except (TypeError, ValueError):
            valid = False
        if not valid:
            self._warn()
            return web.Response(status=401, text="invalid request signature")
        if headers.get("X-Slack-Retry-Num") or self.replays.seen(signature):
            return web.Response(status=200)  # handled when it first came
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    def _warn(self) -> None:
        if time.monotonic() > self._next_warning:
            # A wrong SLACK_SIGNING_SECRET or clock looks like this; at most once a minute.
            self._next_warning = time.monotonic() + 60
            log.warning(
                "refused a request to %s with a bad or stale signature: check "
                "SLACK_SIGNING_SECRET and that this server's clock is right",
                EVENTS_PATH,
            )
