"""A local OpenAI-compatible chat-completions server on 127.0.0.1, for the AI review.

`mode` says how it answers the next requests: "ok" (a short review), "slow" (longer than the
client waits), "429", "malformed" (JSON without choices), "grading" (a review that also
grades). Every request is recorded.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from tests.fakes.serving import serve

REVIEW = (
    "Covered: separate processes for CPU-bound work.\n"
    "Missing or wrong: nothing on the thread pool for blocking calls.\n"
    "Tip: say when you would mix them with to_thread."
)


class FakeOpenAI:
    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self.runner, self.port = await serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _chat(self, request: web.Request) -> web.Response:
        self.requests.append(
            {"body": await request.json(), "auth": request.headers.get("Authorization")}
        )
        if self.mode == "slow":
            await asyncio.sleep(1.5)  # past the client timeout of the tests (1 s)
        if self.mode == "429":
            return web.json_response({"error": {"message": "rate limited"}}, status=429)
        if self.mode == "malformed":
            return web.json_response({"id": "x", "object": "chat.completion"})
        text = REVIEW + ("\nScore: 9/10" if self.mode == "grading" else "")
        return web.json_response(
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
        )
