"""Settings: each bad value named by its variable, in one line."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name in ("DATABASE_URL", "PREPBOT_DEFAULT_TIMEZONE", "LOG_FORMAT", "PREPBOT_WEB_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_defaults():
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/prepbot.db"
    assert settings.default_timezone == "UTC"
    # /metrics and /readyz answer anyone who reaches them: loopback unless told otherwise.
    assert settings.web_host == "127.0.0.1"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "not a url", "DATABASE_URL: not a database URL"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: unsupported driver"),
        ("PREPBOT_DEFAULT_TIMEZONE", "Mars/Olympus", "PREPBOT_DEFAULT_TIMEZONE: unknown timezone"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: must be text or json"),
        ("PREPBOT_WEB_PORT", "99999", "PREPBOT_WEB_PORT:"),
        ("PREPBOT_PUBLIC_URL", "prep.example.com", "PREPBOT_PUBLIC_URL: an http:// or https://"),
        ("PREPBOT_PUBLIC_URL", "https://x.example/prep", "PREPBOT_PUBLIC_URL: the address alone"),
        ("PREPBOT_DASHBOARD_SESSION_HOURS", "0", "PREPBOT_DASHBOARD_SESSION_HOURS:"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_content_dirs_split_on_colons_and_commas(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PREPBOT_CONTENT_DIRS", "/a:/b,/c")
    monkeypatch.setenv("PREPBOT_BUILTIN_CONTENT", "false")
    assert [str(p) for p in load_settings().all_content_dirs] == ["/a", "/b", "/c"]


def test_dotenv_is_read(tmp_path):
    (tmp_path / ".env").write_text("PREPBOT_DEFAULT_TIMEZONE=Asia/Tokyo\n")
    assert load_settings().default_timezone == "Asia/Tokyo"


def test_env_example_lists_every_setting():
    import re
    from pathlib import Path

    from bot.config import ENV_NAMES, Settings

    names = {
        ENV_NAMES.get(field, (info.alias or field).upper())
        for field, info in Settings.model_fields.items()
    }
    example = Path(__file__).resolve().parent.parent / ".env.example"
    listed = set(re.findall(r"^([A-Z_]+)=", example.read_text(), re.M))
    assert listed == names


def test_slack_needs_a_mode(monkeypatch: pytest.MonkeyPatch):
    for name in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith("SLACK_SIGNING_SECRET: required for Slack HTTP mode")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert load_settings().slack_app_token is not None


def test_a_copied_env_example_changes_nothing(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    settings = load_settings()
    assert settings.discord_token is None and settings.slack_bot_token is None
    assert settings.discord_shard_count is None and settings.database_url.startswith("sqlite")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PREPBOT_DISCORD_SHARD_IDS": "1"}, "PREPBOT_DISCORD_SHARD_IDS: needs"),
        (
            {"PREPBOT_DISCORD_SHARD_COUNT": "2", "PREPBOT_DISCORD_SHARD_IDS": "0,2"},
            "PREPBOT_DISCORD_SHARD_IDS: each id is a number from 0 to 1",
        ),
        ({"PREPBOT_DISCORD_SHARD_COUNT": "0"}, "PREPBOT_DISCORD_SHARD_COUNT:"),
    ],
)
def test_discord_shards_are_checked(monkeypatch: pytest.MonkeyPatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)


def test_logs_never_show_the_database_password(capsys):
    import logging

    from bot import logs

    settings = load_settings(
        database_url="postgresql+asyncpg://prepbot:hunter2@db.internal:5432/prepbot",
        ai_api_key="sk-secret-key-123",
    )
    logs.configure(level="INFO", fmt="text", secrets=settings.secret_values())
    try:
        log = logging.getLogger("test.masking")
        log.warning("connecting to %s with %s", settings.database_url, "sk-secret-key-123")
        log.warning("short values stay when they occur by chance: hunter is here")
    finally:
        logs.configure(level="WARNING", fmt="text", secrets=())
    err = capsys.readouterr().err
    assert "hunter2" not in err and "sk-secret-key-123" not in err
    assert "postgresql+asyncpg://prepbot***db.internal" in err
    assert "hunter is here" in err
