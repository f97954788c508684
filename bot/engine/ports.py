"""What the engine may ask of a platform beyond sending messages: small, neutral ports.

An adapter that can do more than post (Discord can grant roles) is attached to the engine
under its platform's name by the composition root; features look it up through the `Kit`.
A platform without the capability is simply not attached, or says so (`has_roles`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class RoleError(Exception):
    """The platform refused a role change; `message` says why and what an admin can do."""

    def __init__(self, message: str, *, status: int = 0):
        super().__init__(message)
        self.message = message
        self.status = status


@runtime_checkable
class RolePort(Protocol):
    """Roles granted to members of a server (Discord). Ids are the platform's own."""

    has_roles: bool

    async def grant_role(self, server_ref: str, user_ref: str, role_ref: str) -> None:
        """Give a member a role; RoleError when the platform refuses."""

    async def remove_role(self, server_ref: str, user_ref: str, role_ref: str) -> None:
        """Take a role from a member; RoleError when the platform refuses."""

    async def role_problem(self, server_ref: str, role_ref: str) -> str | None:
        """Why the bot could not manage `role_ref` on the server (no Manage Roles, its own
        role sits below), or None when it can."""
