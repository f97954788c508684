"""An OpenAI-compatible chat-completions client (a local Ollama or vLLM, or a hosted one).

One POST per request, bounded by a timeout; 429s, server errors, timeouts and malformed
replies become AdviceErrors with a sentence for the member. The API key never leaves the
Authorization header.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import aiohttp

from bot.config import Settings
from bot.engine.advice import AdviceError

log = logging.getLogger(__name__)
MAX_TOKENS = 400


class ChatClient:
    def __init__(self, *, base_url: str, model: str, api_key: str | None, timeout: float):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout
        self.where = urlsplit(base_url).netloc or base_url

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatClient | None:
        """A client when PREPBOT_AI_BASE_URL and PREPBOT_AI_MODEL are set, else None."""
        if not (settings.ai_base_url and settings.ai_model):
            return None
        key = settings.ai_api_key.get_secret_value() if settings.ai_api_key else None
        return cls(
            base_url=settings.ai_base_url,
            model=settings.ai_model,
            api_key=key,
            timeout=settings.ai_timeout,
        )

    async def chat(self, messages: list[dict[str, str]]) -> str:
        body = {"model": self.model, "messages": messages, "max_tokens": MAX_TOKENS}
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url, json=body, headers=self.headers) as resp,
            ):
                if resp.status == 429:
                    raise AdviceError("The review service is busy right now; try again later.")
                if resp.status >= 400:
                    log.warning("AI service answered %s", resp.status)
                    raise AdviceError("The review service refused the request; try again later.")
                data = await resp.json(content_type=None)
        except TimeoutError:
            raise AdviceError(
                f"The review service did not answer within {self.timeout:.0f} s."
            ) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            log.warning("AI service unreachable or unreadable: %s", type(exc).__name__)
            raise AdviceError("The review service could not be reached.") from None
        return _content(data)


def _content(data: object) -> str:
    try:
        text = data["choices"][0]["message"]["content"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        raise AdviceError("The review service sent a reply that could not be read.") from None
    if not isinstance(text, str) or not text.strip():
        raise AdviceError("The review service sent an empty reply.")
    return text.strip()


async def check(settings: Settings) -> tuple[bool, str]:
    """For `prepbot doctor`: a one-line chat request to the configured endpoint."""
    client = ChatClient.from_settings(settings)
    if client is None:
        return True, "off (set PREPBOT_AI_BASE_URL and PREPBOT_AI_MODEL to offer AI reviews)"
    try:
        await client.chat([{"role": "user", "content": "Reply with OK."}])
    except AdviceError as exc:
        return False, f"{client.where}: {exc.reason}"
    return True, f"{client.where} answers with model {client.model}"
