"""`prepbot schedule import FILE.yaml`: many channel schedules at once, all or nothing."""

from __future__ import annotations

from typing import Any

from bot.engine.messages import Refusal
from bot.engine.registry import Command
from bot.features.schedules.spec import ScheduleSpec

WHERE = ("platform", "server", "channel")  # a file names the channel; its options follow


async def import_schedules(engine: Any, entries: object) -> tuple[int, list[str]]:
    """Save schedules from a loaded YAML list; return (saved, problems). All or nothing."""
    if not isinstance(entries, list):
        return 0, ["the file must be a list of schedules"]
    registry, kit = engine.registry, engine.kit
    set_command: Command = registry.commands[("schedule", "set")]
    known = {*WHERE, *(o.name for o in set_command.options)}  # the keys `schedule set` takes
    problems: list[str] = []
    parsed = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"#{n}: each schedule must be a mapping")
            continue
        unknown = sorted(set(entry) - known)
        missing = [k for k in WHERE if not entry.get(k)]
        if unknown or missing:
            problems.append(f"#{n}: unknown {unknown} / missing {missing}".replace("[] / ", ""))
            continue
        values = {
            key: ",".join(map(str, value)) if isinstance(value, list) else str(value)
            for key, value in entry.items()
            if key not in WHERE and value is not None
        }
        try:
            checked = registry.check(set_command, values, prefix="")
        except Refusal as exc:
            problems.append(f"#{n} ({entry['channel']}): {exc.message}")
            continue
        spec = ScheduleSpec(timezone=kit.default_timezone).changed(checked)
        parsed.append((str(entry["platform"]), str(entry["server"]), str(entry["channel"]), spec))
    if problems:
        return 0, problems
    for platform, server, channel, spec in parsed:
        ref = await kit.store.ensure_server(platform, server)
        await kit.store.save_schedule(server_id=ref.id, channel_id=channel, **spec.columns())
    await kit.changed()
    return len(parsed), []
