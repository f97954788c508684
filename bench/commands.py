"""Benchmark: command latency as members feel it, through the real `prepbot run` on the fake
Discord.

    python bench/commands.py [--members 200] [--spread 1.0] [--questions 1000] [--think 0]

A real `prepbot run` process (discord.py, engine, SQLite file, the shipped bank grown to
`--questions` questions) is pointed at the fake Discord of tests/fakes. `--members` members
start within `--spread` seconds, each doing what a member does on a normal morning:
`/prep today`, Answer (the form opens), submit the form, Good, `/prep streak`: five
interactions each. Prints, from the moment the fake sends an interaction to the bot:
- the first response (Discord drops an interaction unanswered after 3 s) and the final reply
  (what the member waits for), p50/p95/p99, overall and per step;
- the same load against a baseline measured in the same run: a minimal discord.py bot that
  answers every interaction at once (bench/null_discord_bot.py) on the same fake;
- start-up (process start to the first reply) and resident memory, idle and at peak.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import BUILTIN_CONTENT_DIR  # noqa: E402
from tests.fakes.discord_server import FakeDiscord, Interaction, Seen, User  # noqa: E402
from tests.fakes.process import BotProcess  # noqa: E402

ANSWER = "A thread pool reuses worker threads; the GIL is released while waiting on I/O."
STEPS = ("today", "answer", "submit", "good", "streak")
Timings = dict[str, list[tuple[float, float]]]  # step -> [(first response, final reply)]
THINK = [0.0]  # --think: a member's mean pause before each step (0: the next step at once)


async def timed(fake: FakeDiscord, step: str, interaction: Interaction, into: Timings) -> Seen:
    seen = await fake.answered(interaction)
    if THINK[0]:  # reading and typing before the next step
        await asyncio.sleep(random.uniform(0.5, 1.5) * THINK[0])
    assert interaction.acked_at is not None and interaction.touched_at is not None
    pushed = interaction.pushed_at
    into[step].append((interaction.acked_at - pushed, interaction.touched_at - pushed))
    return seen


async def prepbot_member(
    fake: FakeDiscord, user: User, into: Timings, channel: str | None = None
) -> None:
    """today, Answer, the form, Good, streak, in `channel` (default: the test guild's)."""
    today = await timed(fake, "today", fake.slash("today", user=user, channel=channel), into)
    post = today.message_with("Answer")
    opened = await timed(fake, "answer", fake.click(post, "Answer", user=user), into)
    assert opened.modal is not None, "Answer opens the form"
    form = fake.submit(opened.modal["custom_id"], {"answer": ANSWER}, user=user, channel=channel)
    saved = await timed(fake, "submit", form, into)
    graded = saved.message_with("Good")
    await timed(fake, "good", fake.click(graded, "Good", user=user), into)
    await timed(fake, "streak", fake.slash("streak", user=user, channel=channel), into)


async def null_member(fake: FakeDiscord, user: User, into: Timings) -> None:
    command = {"id": fake.snowflake(), "name": "prep", "type": 1, "options": []}
    await timed(fake, "today", fake.command(command, user=user), into)
    opened = await timed(fake, "answer", fake.click_id("answer", user=user), into)
    assert opened.modal is not None
    form = fake.submit(opened.modal["custom_id"], {"answer": ANSWER}, user=user)
    await timed(fake, "submit", form, into)
    await timed(fake, "good", fake.click_id("good", user=user), into)
    await timed(fake, "streak", fake.command(command, user=user), into)


Member = Callable[[FakeDiscord, User, Timings], Awaitable[None]]


async def burst(fake: FakeDiscord, member: Member, users: list[User], spread: float) -> Timings:
    timings: Timings = defaultdict(list)
    rng = random.Random(7)

    async def one(user: User) -> None:
        await asyncio.sleep(rng.uniform(0, spread))
        await member(fake, user, timings)

    await asyncio.gather(*(one(u) for u in users))
    return timings


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def grow_bank(target: int, into: Path) -> int:
    """Copies of the shipped bank under new ids, so that `target` questions are loaded."""
    files = sorted(BUILTIN_CONTENT_DIR.glob("*.yaml"))
    questions = [q for f in files if f.name != "topics.yaml" for q in yaml.safe_load(f.read_text())]
    have, copy = len(questions) + 100, 0  # the output questions under output/ count too
    while have < target:
        copy += 1
        extra = [{**q, "id": f"{q['id']}-copy{copy}"} for q in questions[: target - have]]
        for start in range(0, len(extra), 50):  # files under the bank's 1 MB cap
            part = into / f"copy{copy}-{start // 50}.yaml"
            part.write_text(yaml.safe_dump(extra[start : start + 50], sort_keys=False))
        have += len(extra)
    return have


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def report(title: str, timings: Timings) -> tuple[float, float, float]:
    finals = [final for step in STEPS for _, final in timings[step]]
    firsts = [first for step in STEPS for first, _ in timings[step]]
    overall = percentiles(finals)
    print(f"{title}: {len(finals)} interactions")
    print("  final reply    p50 {:8.1f} ms  p95 {:8.1f} ms  p99 {:8.1f} ms".format(*overall))
    print(
        "  first response p50 {:8.1f} ms  p95 {:8.1f} ms  p99 {:8.1f} ms".format(
            *percentiles(firsts)
        )
    )
    print(f"  first responses over 3 s: {sum(f > 3.0 for f in firsts)}")
    for step in STEPS:
        p50, _, p99 = percentiles([final for _, final in timings[step]])
        print(f"    {step:<7} final p50 {p50:8.1f} ms  p99 {p99:8.1f} ms")
    return overall


def run_prepbot(args: argparse.Namespace, workdir: Path) -> tuple[Timings, dict[str, float]]:
    extra = workdir / "content"
    extra.mkdir()
    loaded = grow_bank(args.questions, extra)
    with FakeDiscord() as fake:
        bot = BotProcess(
            fake,
            workdir,
            PREPBOT_BUILTIN_CONTENT="true",
            PREPBOT_CONTENT_DIRS=str(extra),
            LOG_LEVEL="INFO",
        )
        began = time.monotonic()
        bot.start()
        warm = fake.run(fake.answered(fake.slash("today", user=fake.user("warm"))), 30)
        assert warm.messages, "the first reply"
        started = time.monotonic() - began
        assert bot.proc is not None
        idle = memory_kb(bot.proc.pid)["VmRSS"]
        users = [fake.user(f"member{i}") for i in range(args.members)]
        profiler = profile(bot.proc.pid, args.profile) if args.profile else None
        cpu, wall = cpu_seconds(bot.proc.pid), time.monotonic()
        timings = fake.run(burst(fake, prepbot_member, users, args.spread), 600)
        cpu, wall = cpu_seconds(bot.proc.pid) - cpu, time.monotonic() - wall
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        peak = memory_kb(bot.proc.pid)["VmHWM"]
        bot.stop()
    figures = {"started": started, "idle": idle, "peak": peak, "questions": loaded}
    return timings, {**figures, "cpu": cpu, "wall": wall}


def profile(pid: int, out: str) -> subprocess.Popen[bytes]:
    """py-spy sampling the bot during the burst (py-spy is not a project dependency)."""
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [str(spy), "record", "--format", "raw", "--rate", "200", "-o", out, "-p", str(pid)]
    proc = subprocess.Popen(cmd)
    time.sleep(1.0)  # attached before the first member starts
    return proc


def run_null(args: argparse.Namespace) -> tuple[Timings, float]:
    """The baseline's timings and the CPU seconds its process spent on the burst."""
    with FakeDiscord() as fake:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "null_discord_bot.py")],
            env={"PATH": "/usr/bin:/bin", **fake.env()},
        )
        try:
            fake.wait_identified()
            users = [fake.user(f"member{i}") for i in range(args.members)]
            cpu = cpu_seconds(proc.pid)
            timings = fake.run(burst(fake, null_member, users, args.spread), 600)
            return timings, cpu_seconds(proc.pid) - cpu
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--spread", type=float, default=1.0, help="seconds over which they start")
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a member pauses between steps"
    )
    parser.add_argument("--profile", help="write a py-spy raw profile of the burst to this file")
    args = parser.parse_args()
    THINK[0] = args.think
    baseline, baseline_cpu = run_null(args)
    with tempfile.TemporaryDirectory() as tmp:
        timings, figures = run_prepbot(args, Path(tmp))
    pause = f", pausing {args.think:g} s on average between steps" if args.think else ""
    print(f"{args.members} members starting within {args.spread:g} s, 5 interactions each{pause}\n")
    ours = report("prepbot run", timings)
    base = report("baseline (minimal discord.py bot, same fake)", baseline)
    print(f"\nratio of p99 final reply (prepbot / baseline): {ours[2] / base[2]:.1f}")
    cpu, wall = figures["cpu"], figures["wall"]
    each = cpu * 1000 / (len(STEPS) * args.members)
    base_each = baseline_cpu * 1000 / (len(STEPS) * args.members)
    print(f"bot CPU during the burst: {cpu:.2f} s in {wall:.2f} s ({each:.2f} ms per interaction)")
    print(
        f"baseline CPU: {base_each:.2f} ms per interaction; prepbot's own work: "
        f"{each - base_each:.2f} ms per interaction (ratio {each / base_each:.1f})"
    )
    print(f"start-up to the first reply: {figures['started']:.2f} s")
    print(
        f"resident memory with {figures['questions']:.0f} questions: "
        f"idle {figures['idle'] / 1024:.0f} MB, peak {figures['peak'] / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
