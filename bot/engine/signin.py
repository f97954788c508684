"""Web dashboard sign-in tokens: signed, short-lived, stored only as hashes.

A link token is a random nonce, its expiry and an HMAC of both under the operator's secret.
The web server checks the signature and expiry before it asks the database, which holds the
token's SHA-256 and spends it on first use. Session cookies are random tokens, also stored
hashed. Tokens and the secret never appear in a log line or a repr.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

LINK_LIFETIME = timedelta(minutes=10)
_NONCE_BYTES = 18
_MAC_BYTES = 18


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _seconds(moment: datetime) -> int:
    """A naive UTC time as Unix seconds."""
    return int(moment.replace(tzinfo=UTC).timestamp())


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret_token() -> str:
    """A random token for a session cookie or a CSRF field."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SignIn:
    """How dashboard links are made: the public base URL, the signing key, session length."""

    public_url: str | None
    secret: bytes = field(repr=False)
    session_lifetime: timedelta = timedelta(hours=12)

    @property
    def secure(self) -> bool:
        """Whether the dashboard is served over https (cookies then carry `Secure`)."""
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()[:_MAC_BYTES])

    def link_token(self, now: datetime) -> tuple[str, datetime]:
        """A fresh link token and when it expires."""
        expires = now + LINK_LIFETIME
        payload = f"{_b64(secrets.token_bytes(_NONCE_BYTES))}.{_seconds(expires)}"
        return f"{payload}.{self._mac(payload)}", expires

    def valid(self, token: str, now: datetime) -> bool:
        """Whether `token` was signed with our secret and has not expired (used or not is
        the database's to say)."""
        nonce, _, rest = token.partition(".")
        expiry, _, mac = rest.partition(".")
        if not (nonce and expiry.isdigit() and mac) or len(token) > 200:
            return False
        if not hmac.compare_digest(self._mac(f"{nonce}.{expiry}"), mac):
            return False
        return int(expiry) > _seconds(now)

    def link(self, token: str) -> str:
        assert self.public_url
        return f"{self.public_url.rstrip('/')}/dashboard/signin?token={token}"
