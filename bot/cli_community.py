"""Command line for community content: `prepbot pack add|list` for a server, and
`prepbot content reports` for the operator."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings

PLATFORMS = ("discord", "slack", "console")


def add_parsers(sub: argparse._SubParsersAction, content_sub: argparse._SubParsersAction) -> None:
    pack = sub.add_parser("pack", help="a server's own question packs")
    pack_sub = pack.add_subparsers(dest="pack_command", metavar="ACTION")
    add = pack_sub.add_parser("add", help="check a YAML pack and add it to a server")
    add.add_argument("--server", required=True, help="PLATFORM:ID, e.g. discord:1234567890")
    add.add_argument("file", type=Path, help="the pack: a YAML list of questions")
    listing = pack_sub.add_parser("list", help="a server's packs")
    listing.add_argument("--server", required=True, help="PLATFORM:ID, e.g. slack:T0123")
    reports = content_sub.add_parser(
        "reports", help="problem reports of shipped questions, across servers, with counts"
    )
    reports.add_argument("--export", type=Path, help="write them as YAML to FILE")
    reports.add_argument(
        "--all", action="store_true", help="also reports of servers' own pack questions"
    )


def dispatch(args: argparse.Namespace, settings: Any) -> int | None:
    """Run a community command; None when `args` is not one of them."""
    if args.command == "pack" and args.pack_command in ("add", "list"):
        server = _server(args.server)
        if server is None:
            return 2
        if args.pack_command == "add":
            return _pack_add(settings(), server, args.file)
        return _pack_list(settings(), server)
    if args.command == "content" and args.content_command == "reports":
        return _reports(settings(), args.export, show_all=args.all)
    return None


def _server(text: str) -> tuple[str, str] | None:
    platform, _, external_id = text.partition(":")
    if platform not in PLATFORMS or not external_id:
        print(
            f"--server is PLATFORM:ID with PLATFORM one of {', '.join(PLATFORMS)} "
            "(e.g. discord:1234567890, slack:T0123, console:local)",
            file=sys.stderr,
        )
        return None
    return platform, external_id


def _pack_add(settings: Settings, server: tuple[str, str], path: Path) -> int:
    from bot.app import services
    from bot.engine.messages import Refusal
    from bot.engine.options import FileArg
    from bot.engine.packs import MAX_PACK_BYTES

    try:
        with path.open("rb") as f:
            data = f.read(MAX_PACK_BYTES + 1)
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 1

    async def go() -> str:
        async with services(settings) as svc:
            row = await svc.store.ensure_server(*server)
            file = FileArg(path.name, data)
            return await svc.engine.packs.import_pack(row.id, file, by="operator", limit=None)

    try:
        print(asyncio.run(go()).replace("`", ""))
    except Refusal as exc:
        print(exc.message.replace("\\", "").replace("`", ""), file=sys.stderr)
        return 1
    return 0


def _pack_list(settings: Settings, server: tuple[str, str]) -> int:
    from bot.app import services

    async def go() -> list:
        async with services(settings) as svc:
            row = await svc.store.ensure_server(*server)
            return await svc.store.packs(row.id)

    rows = asyncio.run(go())
    for row in rows:
        state = "on" if row.enabled else "off"
        print(f"{row.name}\t{row.question_count} questions\t{state}\t{row.size_bytes} bytes")
    if not rows:
        print("No packs on that server.")
    return 0


def _reports(settings: Settings, export: Path | None, *, show_all: bool) -> int:
    import yaml

    from bot.app import services
    from bot.engine.library import NAMESPACED

    async def go() -> tuple[list, dict[str, str]]:
        async with services(settings) as svc:
            rows = await svc.store.all_reports()
            return rows, {qid: q.source for qid, q in svc.bank.questions.items()}

    rows, sources = asyncio.run(go())
    grouped: dict[str, list] = {}
    for row in rows:
        if show_all or not NAMESPACED.fullmatch(row.question_id):
            grouped.setdefault(row.question_id, []).append(row)
    ordered = sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for qid, found in ordered:
        where = sorted({f"{r.platform}:{r.server}" for r in found})
        print(f"{qid}: {len(found)} report(s) from {', '.join(where)}")
        for r in found:
            print(f"  - {r.created_at:%Y-%m-%d} {' '.join(r.text.split())[:200]}")
    if not ordered:
        print("No open reports.")
    if export is not None:
        document = [
            {
                "question": qid,
                "file": sources.get(qid, ""),
                "count": len(found),
                "reports": [
                    {
                        "server": f"{r.platform}:{r.server}",
                        "date": r.created_at.isoformat(timespec="seconds"),
                        "text": r.text,
                    }
                    for r in found
                ],
            }
            for qid, found in ordered
        ]
        export.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        print(f"Wrote {len(document)} question(s) to {export}.")
    return 0
