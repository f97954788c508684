"""The baseline of bench/commands.py: a minimal discord.py bot that answers every interaction
at once, on the same fake Discord. What it costs is what the platform library and the fake
cost; what prepbot takes beyond it is prepbot's own.

    python bench/null_discord_bot.py  # DISCORD_TOKEN, DISCORD_API_BASE_URL, DISCORD_GATEWAY_URL
"""

from __future__ import annotations

import asyncio
import os

import discord
import yarl
from discord import gateway, ui
from discord.http import Route


class Answer(ui.Modal, title="Answer"):
    """Submissions are answered in on_interaction: the fake submits at once, sometimes before
    discord.py has stored the modal it just sent."""

    answer = ui.TextInput(label="Your answer", style=discord.TextStyle.paragraph)


class NullBot(discord.Client):
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        data = interaction.data or {}
        if interaction.type is discord.InteractionType.component and data.get("custom_id") == (
            "answer"
        ):
            await interaction.response.send_modal(Answer())
        else:
            await interaction.response.send_message("ok", ephemeral=True)


async def main() -> None:
    Route.BASE = os.environ["DISCORD_API_BASE_URL"].rstrip("/")
    gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    client = NullBot(intents=discord.Intents.none())
    async with client:
        await client.start(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    asyncio.run(main())
