"""One Discord interaction's responses: the first response, the deferred original, followups."""

from __future__ import annotations

import contextlib

import discord

from bot.adapters.discord_render import Outgoing, notice

SEE_BELOW = "See the message below."


def _detached(view: discord.ui.View | discord.ui.Modal) -> discord.ui.View | discord.ui.Modal:
    """Stop a view before sending so discord.py does not keep it: clicks route by custom id."""
    view.stop()
    return view


def _detached_kwargs(kwargs: dict[str, object]) -> dict[str, object]:
    view = kwargs.get("view")
    if isinstance(view, discord.ui.View):
        _detached(view)
    return kwargs


class Response:
    """Which call sends the next message of one interaction: the first response, the
    deferred original, or a followup."""

    def __init__(self, interaction: discord.Interaction, deferred_public: bool | None):
        self.interaction = interaction
        self.deferred_public = deferred_public
        self.fresh = deferred_public is None  # nothing sent yet
        self.original_open = deferred_public is not None  # "thinking…" waits to be filled

    async def send(self, message: Outgoing, *, private: bool) -> discord.Message | None:
        interaction = self.interaction
        if self.fresh:
            self.fresh = False
            callback = await interaction.response.send_message(
                **_detached_kwargs(message.send_kwargs()), ephemeral=private
            )
            resource = callback.resource
            return resource if isinstance(resource, discord.InteractionMessage) else None
        if self.original_open:
            self.original_open = False
            if (not self.deferred_public) == private:  # the deferral's visibility is the reply's
                return await interaction.edit_original_response(
                    **_detached_kwargs(message.edit_kwargs())
                )
            # The deferral fixed the original's visibility and this message wants the other
            # one (a refusal after a slow public command): fill the original in, send this as
            # a followup with its own visibility, and drop the original.
            await interaction.edit_original_response(**notice(SEE_BELOW).edit_kwargs())
            sent = await interaction.followup.send(
                **_detached_kwargs(message.send_kwargs()), ephemeral=private, wait=True
            )
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            return sent
        return await interaction.followup.send(
            **_detached_kwargs(message.send_kwargs()), ephemeral=private, wait=True
        )
