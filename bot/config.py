"""Settings from the environment and `.env`, validated once at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/prepbot.db"
_PACKAGE_DIR = Path(__file__).resolve().parent
# An installed wheel carries the bank inside the package; a source checkout at its root.
BUILTIN_CONTENT_DIR = (
    _PACKAGE_DIR / "content"
    if (_PACKAGE_DIR / "content").is_dir()
    else _PACKAGE_DIR.parent / "content"
)


class ConfigError(Exception):
    """Raised with one readable line per invalid setting."""


class Settings(BaseSettings):
    """Every setting prepbot reads; `.env.example` mirrors it line for line."""

    # Empty values count as unset, so a copied .env.example (empty or default) changes nothing.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    discord_token: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    # Extra pack directories, separated by ":" or ",".
    content_dirs: str = Field("", alias="PREPBOT_CONTENT_DIRS")
    builtin_content: bool = Field(True, alias="PREPBOT_BUILTIN_CONTENT")
    default_timezone: str = Field("UTC", alias="PREPBOT_DEFAULT_TIMEZONE")
    daily_reviews: int = Field(5, alias="PREPBOT_DAILY_REVIEWS", ge=1, le=100)
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL", alias="PREPBOT_SQLITE_SYNCHRONOUS"
    )
    web_port: int = Field(8080, alias="PREPBOT_WEB_PORT", ge=0, le=65535)
    # Where the web server listens: loopback by default, since /metrics and /readyz answer
    # anyone; containers set 0.0.0.0 where the platform keeps the port private.
    web_host: str = Field("127.0.0.1", alias="PREPBOT_WEB_HOST")
    # The web dashboard: the address members open (its sign-in links start with it), the key
    # that signs those links, and how long a signed-in browser stays signed in.
    public_url: str | None = Field(None, alias="PREPBOT_PUBLIC_URL")
    dashboard_secret: SecretStr | None = Field(None, alias="PREPBOT_DASHBOARD_SECRET")
    dashboard_session_hours: float = Field(
        12.0, alias="PREPBOT_DASHBOARD_SESSION_HOURS", gt=0, le=24 * 30
    )
    log_level: str = "INFO"
    log_format: str = "text"
    # Who may run admin commands beyond the platform's own admins, and who leads mock rounds.
    # Comma-separated ids: Discord role ids for the *_ROLES, user ids of any platform for *_USERS.
    admin_roles: str = Field("", alias="PREPBOT_ADMIN_ROLES")
    admin_users: str = Field("", alias="PREPBOT_ADMIN_USERS")
    lead_roles: str = Field("", alias="PREPBOT_LEAD_ROLES")
    lead_users: str = Field("", alias="PREPBOT_LEAD_USERS")
    # Who reviews members' question suggestions besides admins.
    reviewer_roles: str = Field("", alias="PREPBOT_REVIEWER_ROLES")
    reviewer_users: str = Field("", alias="PREPBOT_REVIEWER_USERS")
    discord_guild_id: str | None = Field(None, alias="PREPBOT_DISCORD_GUILD_ID")
    # Several instances share a large Discord bot: each runs some shards of the count.
    discord_shard_count: int | None = Field(None, alias="PREPBOT_DISCORD_SHARD_COUNT", ge=1)
    discord_shard_ids: str = Field("", alias="PREPBOT_DISCORD_SHARD_IDS")
    # Optional AI review of answers: any OpenAI-compatible chat-completions endpoint.
    ai_base_url: str | None = Field(None, alias="PREPBOT_AI_BASE_URL")
    ai_model: str | None = Field(None, alias="PREPBOT_AI_MODEL")
    ai_api_key: SecretStr | None = Field(None, alias="PREPBOT_AI_API_KEY")
    ai_timeout: float = Field(20.0, alias="PREPBOT_AI_TIMEOUT", gt=0, le=120)
    ai_daily_cap: int = Field(200, alias="PREPBOT_AI_DAILY_CAP", ge=0)
    ai_member_seconds: int = Field(60, alias="PREPBOT_AI_MEMBER_SECONDS", ge=0)
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    slack_api_url: str | None = None

    def secret_values(self) -> list[str]:
        """Every secret a log line must never show: tokens, the AI key, and the database
        password (alone, and as `:password@` in a URL, which stays safe to mask when short)."""
        values = [
            s.get_secret_value()
            for s in (
                self.discord_token,
                self.slack_bot_token,
                self.slack_app_token,
                self.slack_signing_secret,
                self.ai_api_key,
                self.dashboard_secret,
            )
            if s is not None
        ]
        try:
            password = make_url(self.database_url).password
        except Exception:  # an unparsable URL is refused elsewhere
            password = None
        if password:
            values += [str(password), f":{password}@"]
        return values

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}; use an IANA name such as Europe/Berlin"
            ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL; expected sqlite+aiosqlite:///path.db "
                "or postgresql+asyncpg://user@host/db"
            ) from None
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg", "postgresql"):
            raise ValueError(
                f"unsupported driver {url.drivername!r}; use sqlite+aiosqlite or postgresql+asyncpg"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in value:
            raise ValueError("an http:// or https:// address, e.g. https://prep.example.com")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(
                "the address alone, without a path: the dashboard is served at its /dashboard/"
            )
        return value.rstrip("/")

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("must be text or json")
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @model_validator(mode="after")
    def _discord_shards(self) -> Settings:
        ids = id_list(self.discord_shard_ids)
        if ids and not self.discord_shard_count:
            raise ValueError("PREPBOT_DISCORD_SHARD_IDS: needs PREPBOT_DISCORD_SHARD_COUNT")
        count = self.discord_shard_count or 0
        if any(not i.isdigit() or int(i) >= count for i in ids):
            raise ValueError(
                f"PREPBOT_DISCORD_SHARD_IDS: each id is a number from 0 to {count - 1}"
            )
        return self

    @model_validator(mode="after")
    def _slack_mode(self) -> Settings:
        if self.slack_bot_token and not (self.slack_app_token or self.slack_signing_secret):
            raise ValueError(
                "SLACK_SIGNING_SECRET: required for Slack HTTP mode (or set SLACK_APP_TOKEN "
                "for Socket Mode)"
            )
        return self

    @property
    def all_content_dirs(self) -> list[Path]:
        """The shipped bank first, then the operator's own packs."""
        extra = [Path(p.strip()) for p in self.content_dirs.replace(",", ":").split(":")]
        return [BUILTIN_CONTENT_DIR] * self.builtin_content + [p for p in extra if str(p) != "."]


# The variable behind each setting: its alias, else its name in capitals.
ENV_NAMES = {field: (info.alias or field.upper()) for field, info in Settings.model_fields.items()}


@lru_cache(maxsize=64)  # read on every command, from a few settings
def id_list(value: str) -> frozenset[str]:
    """A comma-separated setting as a set of ids."""
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise ConfigError naming each bad variable."""
    try:
        return Settings(**overrides)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            if not err["loc"]:  # a check across settings names its variable itself
                lines.append(message)
                continue
            field = str(err["loc"][0])
            lines.append(f"{ENV_NAMES.get(field, field.upper())}: {message}")
        raise ConfigError("\n".join(lines)) from None
