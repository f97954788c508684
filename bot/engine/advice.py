"""What the engine asks of an AI chat service, without knowing how it is reached.

The composition root passes an implementation (bot/ai.py, over HTTP) when one is configured;
features that offer AI feedback find it on the kit, or None.
"""

from __future__ import annotations

from typing import Protocol


class AdviceError(Exception):
    """The service did not give a usable answer; `reason` is for the member."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Advisor(Protocol):
    where: str  # the service's host, named to the member whose answer is sent there

    async def chat(self, messages: list[dict[str, str]]) -> str:
        """The assistant's reply to `messages`; AdviceError when there is none in time."""
        ...
