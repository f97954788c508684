"""Command line: run, console, content validate, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from bot import __version__
from bot.config import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prepbot", description="Daily interview practice for Discord, Slack and terminals."
    )
    parser.add_argument("--version", action="version", version=f"prepbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="run the bot on every configured platform")

    console = sub.add_parser("console", help="practise in this terminal (no tokens needed)")
    console.add_argument("--db", type=Path, help="SQLite file to use instead of DATABASE_URL")
    console.add_argument("--user", help="your name in the console (default: your login)")

    content = sub.add_parser("content", help="work with question packs")
    content_sub = content.add_subparsers(dest="content_command", metavar="ACTION")
    validate = content_sub.add_parser("validate", help="check question files")
    validate.add_argument(
        "dirs", nargs="*", type=Path, help="pack directories (default: the configured ones)"
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations (also done at start-up)")
    return parser


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"Configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _configure_logging(settings: Settings) -> None:
    from bot import logs

    secrets = [
        s.get_secret_value()
        for s in (
            settings.discord_token,
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
        )
        if s is not None
    ]
    logs.configure(level=settings.log_level, fmt=settings.log_format, secrets=secrets)


def _validate(dirs: list[Path]) -> int:
    from bot.engine.content import load_bank

    settings = None if dirs else _settings()
    directories = dirs or (settings.all_content_dirs if settings else [])
    bank, problems = load_bank(directories)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"OK: {len(bank)} questions in {len(bank.topics)} topics.")
    return 0


def _db_upgrade(settings: Settings) -> int:
    from bot.store.database import create_engine, current_revision, upgrade

    async def go() -> str | None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    print(f"Database at revision {asyncio.run(go())}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    from bot.engine.content import ContentError

    try:
        return _main(argv)
    except ContentError as exc:
        print(f"The question bank has problems:\n{exc}", file=sys.stderr)
        print("Fix them (see `prepbot content validate`) and start again.", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "content":
        if args.content_command == "validate":
            return _validate(args.dirs)
        _parser().parse_args(["content", "--help"])
    if args.command == "console":
        overrides: dict[str, object] = {}
        if args.db:
            overrides["database_url"] = f"sqlite+aiosqlite:///{args.db}"
        settings = _settings(**overrides)
        _configure_logging(settings)
        from bot.app import run_console

        user = args.user or getpass.getuser() or "you"
        return asyncio.run(run_console(settings, user=user))
    if args.command == "run":
        settings = _settings()
        _configure_logging(settings)
        from bot.app import run

        return asyncio.run(run(settings))
    if args.command == "db":
        if args.db_command == "upgrade":
            settings = _settings()
            _configure_logging(settings)
            return _db_upgrade(settings)
        _parser().parse_args(["db", "--help"])
    _parser().print_help()
    return 0
