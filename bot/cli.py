"""Command line: run, console, content validate, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections import Counter
from pathlib import Path

from bot import __version__
from bot import cli_community as community
from bot.adapters.base import StartError
from bot.config import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prepbot", description="Daily interview practice for Discord, Slack and terminals."
    )
    parser.add_argument("--version", action="version", version=f"prepbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("run", help="run the bot on every configured platform")
    sub.add_parser("doctor", help="check configuration, database, content and platform tokens")
    discord_cli = sub.add_parser("discord", help="Discord helpers")
    discord_sub = discord_cli.add_subparsers(dest="discord_command", metavar="ACTION")
    invite = discord_sub.add_parser(
        "invite-url", help="the OAuth2 URL that adds the bot with its commands to a server"
    )
    invite.add_argument(
        "application_id",
        nargs="?",
        help="the Application ID (Developer Portal > General Information); "
        "default: asked of Discord with DISCORD_TOKEN",
    )
    invite.add_argument(
        "--roles",
        action="store_true",
        help="also ask for Manage Roles (only needed for milestone roles: `/prep roles set`)",
    )

    console = sub.add_parser("console", help="practise in this terminal (no tokens needed)")
    console.add_argument("--db", type=Path, help="SQLite file to use instead of DATABASE_URL")
    console.add_argument("--user", help="your name in the console (default: your login)")

    _content_parser(sub)
    _admin_parsers(sub)
    return parser


def _content_parser(sub: argparse._SubParsersAction) -> None:
    content = sub.add_parser("content", help="work with question packs")
    content_sub = content.add_subparsers(dest="content_command", metavar="ACTION")
    validate = content_sub.add_parser("validate", help="check question files")
    validate.add_argument(
        "dirs", nargs="*", type=Path, help="pack directories (default: the configured ones)"
    )

    importer = content_sub.add_parser(
        "import", help="turn a Markdown question list into YAML for review"
    )
    importer.add_argument(
        "file", type=Path, help="Markdown file: `> Section`, `### Question`, bullets"
    )
    importer.add_argument(
        "--topic-map",
        action="append",
        default=[],
        metavar="SECTION=SLUG",
        help="map a section title to a topic slug (repeatable)",
    )
    importer.add_argument("-o", "--output", type=Path, help="write YAML here (default: stdout)")
    content_sub.add_parser("stats", help="questions per topic and difficulty, kind and review")
    community.add_parsers(sub, content_sub)
    links = content_sub.add_parser(
        "check-links", help="reference links by host; versioned docs past their end of life"
    )
    links.add_argument(
        "--offline", action="store_true", help="read the links only (the only mode: no fetches)"
    )


def _admin_parsers(sub: argparse._SubParsersAction) -> None:
    schedule = sub.add_parser("schedule", help="channel schedules")
    schedule_sub = schedule.add_subparsers(dest="schedule_command", metavar="ACTION")
    schedule_import = schedule_sub.add_parser(
        "import", help="create or replace channel schedules from a YAML file"
    )
    schedule_import.add_argument("file", type=Path)

    mock = sub.add_parser("mock", help="mock-interview rounds")
    mock_sub = mock.add_subparsers(dest="mock_command", metavar="ACTION")
    export = mock_sub.add_parser("export", help="finished rounds as Markdown or CSV")
    export.add_argument("--member", help="only rounds of this candidate (platform user id)")
    export.add_argument("--platform", help="the member's platform (discord, slack, console)")
    export.add_argument("--format", choices=("md", "csv"), default="md")
    export.add_argument("-o", "--output", type=Path, help="write here (default: stdout)")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations (also done at start-up)")
    check = db_sub.add_parser("check", help="recompute every member's counters; report drift")
    check.add_argument("--repair", action="store_true", help="write the recomputed values")
    backup = db_sub.add_parser("backup", help="copy the SQLite database to FILE (bot may run)")
    backup.add_argument("file", type=Path)
    restore = db_sub.add_parser("restore", help="copy a backup FILE back into the database")
    restore.add_argument("file", type=Path)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        print(f"Configuration error:\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _configure_logging(settings: Settings) -> None:
    from bot import logs

    secrets = settings.secret_values()
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


def _content_import(path: Path, topic_map: list[str], output: Path | None) -> int:
    from bot.engine.content import Problem, load_bank, parse_question
    from bot.importer import parse_markdown, to_yaml

    mapping = {}
    for item in topic_map:
        section, sep, slug = item.partition("=")
        if not sep or not slug.strip():
            print(f"--topic-map wants SECTION=SLUG, not {item!r}", file=sys.stderr)
            return 2
        mapping[section.strip().lower()] = slug.strip()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 1
    bank, _problems = load_bank(_settings().all_content_dirs)

    def topic_for(section: str) -> str | None:
        if section.lower() in mapping:
            return mapping[section.lower()]
        found = bank.find_topic(section)
        return found.slug if found else None

    imported = parse_markdown(text, topic_for=topic_for)
    problems: list[Problem] = []
    target = output or Path("<stdout>")
    for position, raw in enumerate(imported.questions, 1):
        parse_question(raw, position, target, bank.topics, problems)
    clash = [q["id"] for q in imported.questions if q["id"] in bank.questions]
    if imported.questions:
        rendered = to_yaml(imported.questions)
        if output:
            output.write_text(rendered, encoding="utf-8")
        else:
            sys.stdout.write(rendered)
    print(
        f"Imported {len(imported.questions)} questions in {len(imported.topics)} topics.",
        file=sys.stderr,
    )
    for note in imported.notes:
        print(f"review: {note}", file=sys.stderr)
    for qid in clash:
        print(f"note: {qid} already exists in the bank", file=sys.stderr)
    for problem in problems:
        print(f"invalid: {problem}", file=sys.stderr)
    return 0 if imported.questions and not problems else 1


def _content_stats() -> int:
    from bot.engine.content import DIFFICULTIES, load_valid_bank

    bank = load_valid_bank(_settings().all_content_dirs)
    width = max(len(slug) for slug in bank.by_topic)
    print(f"{'topic':<{width}}  " + "  ".join(f"{d:>6}" for d in DIFFICULTIES) + "   total")
    totals = dict.fromkeys(DIFFICULTIES, 0)
    for slug, questions in bank.by_topic.items():
        counts = {d: sum(q.difficulty == d for q in questions) for d in DIFFICULTIES}
        for d in DIFFICULTIES:
            totals[d] += counts[d]
        cells = "  ".join(f"{counts[d]:>6}" for d in DIFFICULTIES)
        print(f"{slug:<{width}}  {cells}  {len(questions):>6}")
    cells = "  ".join(f"{totals[d]:>6}" for d in DIFFICULTIES)
    print(f"{'all':<{width}}  {cells}  {len(bank):>6}")
    questions = list(bank.questions.values())
    kinds = Counter(q.kind for q in questions)
    print("\nby kind: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
    reviewed = Counter(q.reviewed or "not reviewed" for q in questions)
    print("by review: " + ", ".join(f"{month} {n}" for month, n in sorted(reviewed.items())))
    return 0


def _check_links() -> int:
    from bot.engine.content import load_valid_bank
    from bot.links import findings, hosts

    bank = load_valid_bank(_settings().all_content_dirs)
    questions = list(bank.questions.values())
    print("Reference links by host (read offline; nothing is fetched):")
    for host, n in hosts(questions).most_common():
        print(f"  {n:>4}  {host}")
    found = findings(questions)
    for f in found:
        print(f"{f.verdict}: {f.question}: {f.url} (version {f.version})")
    stale = sum(f.verdict == "end of life" for f in found)
    print(f"{stale} link(s) to end-of-life documentation, {len(found) - stale} not current.")
    return 1 if stale else 0


def _schedule_import(settings: Settings, path: Path) -> int:
    import yaml

    from bot.app import services
    from bot.engine.content import read_yaml_text
    from bot.features.schedules.importer import import_schedules

    try:
        entries = read_yaml_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        print(f"cannot read {path}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1

    async def go() -> tuple[int, list[str]]:
        async with services(settings) as svc:
            return await import_schedules(svc.engine, entries)

    saved, problems = asyncio.run(go())
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        print("Nothing was imported.", file=sys.stderr)
        return 1
    print(f"Imported {saved} schedule(s); a running bot picks them up within 5 minutes.")
    return 0


def _mock_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import services
    from bot.features.mock.scorecard import to_csv, to_markdown

    async def go() -> str | None:
        async with services(settings) as svc:
            member_id = None
            if args.member:
                platforms = [args.platform] if args.platform else ["discord", "slack", "console"]
                for platform in platforms:
                    found = await svc.store.find_member(platform, args.member)
                    if found is not None:
                        member_id = found.id
                        break
                else:
                    return None
            rows = await svc.engine.mock.rounds.history(None, member_id, limit=10_000)
            cards = [await svc.engine.mock.scorecard(row.id) for row in reversed(rows)]
            return to_csv(cards) if args.format == "csv" else to_markdown(cards)

    text = asyncio.run(go())
    if text is None:
        print(f"No member {args.member!r} found.", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _invite_url(application_id: str | None, *, roles: bool = False) -> int:
    from bot.adapters.discord_adapter import invite_url

    if not application_id:
        settings = _settings()
        if settings.discord_token is None:
            print(
                "Give the Application ID (Developer Portal > General Information), "
                "or set DISCORD_TOKEN to look it up.",
                file=sys.stderr,
            )
            return 2
        application_id = asyncio.run(_application_id(settings))
        if application_id is None:
            print("Discord refused DISCORD_TOKEN; check it with `prepbot doctor`.", file=sys.stderr)
            return 1
    if not application_id.isdigit():
        print(f"{application_id!r} is not an Application ID (a number).", file=sys.stderr)
        return 2
    print(invite_url(application_id, roles=roles))
    return 0


async def _application_id(settings: Settings) -> str | None:
    import aiohttp

    from bot.doctor import DISCORD_API, TIMEOUT

    assert settings.discord_token is not None
    base = (settings.discord_api_base_url or DISCORD_API).rstrip("/")
    headers = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.get(f"{base}/oauth2/applications/@me", headers=headers) as resp,
    ):
        if resp.status != 200:
            return None
        return str((await resp.json(content_type=None))["id"])


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


def _db_check(repair: bool) -> int:
    from bot.features.practice.recount import check
    from bot.store import rank_counts
    from bot.store.store import Store
    from bot.store.tallies import recount

    async def go() -> list:
        store = Store.from_url(_settings().database_url)
        try:
            await store.upgrade()
            # Rank counts last: repaired counters move them, and a recount then follows.
            return (
                await check(store, repair=repair)
                + await recount(store, repair=repair)
                + await rank_counts.check(store, repair=repair)
            )
        finally:
            await store.close()

    differences = asyncio.run(go())
    for d in differences:
        if isinstance(d, str):  # the dashboard's tallies and the rank counts
            print(d)
            continue
        print(f"server {d.server_id} member {d.member_id}: {d.column} {d.stored} != {d.recomputed}")
    verb = "repaired" if repair else "found"
    print(f"{len(differences)} difference(s) {verb}." if differences else "All counters agree.")
    return 1 if differences and not repair else 0


def _db_copy(action: str, path: Path) -> int:
    from bot.store import backup

    try:
        pages = getattr(backup, action)(_settings().database_url, path)
    except (backup.BackupError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    done = f"Backed up to {path}" if action == "backup" else f"Restored from {path}"
    print(f"{done} ({pages} pages).")
    return 0


def main(argv: list[str] | None = None) -> int:
    from bot.engine.content import ContentError

    try:
        return _main(argv)
    except StartError as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    except ContentError as exc:
        print(f"The question bank has problems:\n{exc}", file=sys.stderr)
        print("Fix them (see `prepbot content validate`) and start again.", file=sys.stderr)
        return 1


def _console(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.db:
        overrides["database_url"] = f"sqlite+aiosqlite:///{args.db}"
    settings = _settings(**overrides)
    # In a terminal session the per-command log lines would interleave with the answers:
    # warnings only, unless LOG_LEVEL asks for more.
    if "log_level" not in settings.model_fields_set:
        settings.log_level = "WARNING"
    _configure_logging(settings)
    from bot.app import run_console

    user = args.user or getpass.getuser() or "you"
    return asyncio.run(run_console(settings, user=user))


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    done = community.dispatch(args, _settings)
    if done is not None:
        return done
    if args.command == "content":
        if args.content_command == "validate":
            return _validate(args.dirs)
        if args.content_command == "import":
            return _content_import(args.file, args.topic_map, args.output)
        if args.content_command == "stats":
            return _content_stats()
        if args.content_command == "check-links":
            return _check_links()
        _parser().parse_args(["content", "--help"])
    if args.command == "console":
        return _console(args)
    if args.command == "discord":
        if args.discord_command == "invite-url":
            return _invite_url(args.application_id, roles=args.roles)
        _parser().parse_args(["discord", "--help"])
    if args.command == "doctor":
        from bot.doctor import report, run_checks

        settings = _settings()
        checks = asyncio.run(run_checks(settings))
        print(report(checks))
        return 0 if all(c.ok for c in checks) else 1
    if args.command == "run":
        settings = _settings()
        _configure_logging(settings)
        from bot.app import run

        return asyncio.run(run(settings))
    if args.command == "schedule":
        if args.schedule_command == "import":
            settings = _settings()
            _configure_logging(settings)
            return _schedule_import(settings, args.file)
        _parser().parse_args(["schedule", "--help"])
    if args.command == "mock":
        if args.mock_command == "export":
            settings = _settings()
            _configure_logging(settings)
            return _mock_export(settings, args)
        _parser().parse_args(["mock", "--help"])
    if args.command == "db":
        if args.db_command == "upgrade":
            settings = _settings()
            _configure_logging(settings)
            return _db_upgrade(settings)
        if args.db_command == "check":
            return _db_check(args.repair)
        if args.db_command in ("backup", "restore"):
            return _db_copy(args.db_command, args.file)
        _parser().parse_args(["db", "--help"])
    _parser().print_help()
    return 0
