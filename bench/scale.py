"""Benchmark: commands per second with one and with two `prepbot run` instances on one
PostgreSQL database, under the same load.

    python bench/scale.py [--discord-members 120] [--slack-members 40] [--seconds 20]

Each run gets a fresh database, the fake Discord with two guilds per shard (shards 0 and 1 of
2) and the fake Slack in HTTP mode behind a round-robin balancer (tests/instances.py). The
one-instance run (the baseline, measured in the same run) runs both shards in one process;
the two-instance run gives each instance one shard, and the balancer alternates between them.
Members work in a closed loop for `--seconds`: each repeats what bench/commands.py has a
member do (`today`, Answer, the form, Good, `streak`), starting again as soon as the last
reply arrives, so the instances stay saturated. Prints, for each run:
- commands per second (interactions answered with their final reply, over the window);
- answers submitted and answers in the database (no answer may be lost);
- the daily posts seeded for every channel, each of which must be made exactly once;
- CPU used during the window by each instance, by PostgreSQL and by this driver (the fakes,
  the balancer and the members run here), to show what limits the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.commands import ANSWER, Timings, cpu_seconds, prepbot_member  # noqa: E402
from bot.config import BUILTIN_CONTENT_DIR  # noqa: E402
from bot.engine.core import PUBLIC_COOLDOWN  # noqa: E402
from tests.fakes.slack_server import (  # noqa: E402
    TEAM_ID,
    Call,
    FakeSlack,
    Member,
    SlackSender,
    block_actions,
    slash_command,
    view_submission,
)
from tests.instances import Instances  # noqa: E402

DAILY = "Question of the day"
SLACK_CHANNELS = 8  # each Slack member's own channels, visited in turn
MEMBER_CHANNEL = "C0MEMBER"  # prefix of the Slack members' own channels
FORM = "application/x-www-form-urlencoded"


class KeyedSlack(FakeSlack):
    """The fake Slack with one waiter per expected call, so that a load driver's wait costs
    O(1) per call rather than a scan of everything received."""

    def __init__(self) -> None:
        super().__init__()
        self.waiters: dict[tuple[str, str], asyncio.Future[Call]] = {}

    def expect(self, method: str, key: str) -> asyncio.Future[Call]:
        future = asyncio.get_running_loop().create_future()
        self.waiters[(method, key)] = future
        return future

    def _record(self, call: Call) -> Call:
        if len(self.calls) > 1000:  # a long run keeps only the recent calls (and daily posts)
            self.calls = [c for c in self.calls[:-200] if daily_post(c)] + self.calls[-200:]
        super()._record(call)
        key = {
            "chat.postMessage": call.args.get("channel"),
            "chat.postEphemeral": call.args.get("channel"),
            "views.open": call.args.get("trigger_id"),
            "response_url": call.args.get("key"),
        }.get(call.method)
        if call.method == "chat.postMessage" and "thread_ts" in call.args:
            key = None  # the discussion thread under a post
        future = self.waiters.pop((call.method, str(key)), None)
        if future is not None and not future.done():
            future.set_result(call)
        return call


def daily_post(call: Call) -> bool:
    """A scheduled daily question (not a member's `today`, which posts in their own channel)."""
    return (
        call.method == "chat.postMessage"
        and "thread_ts" not in call.args
        and not call.args["channel"].startswith(MEMBER_CHANNEL)
        and DAILY in call.text()
    )


async def slack_member(
    sender: SlackSender, slack: KeyedSlack, member: Member, into: Timings
) -> None:
    """The same five steps through the balancer; each request may reach either instance."""

    async def step(name: str, method: str, key: str, send: Any) -> Call:
        waiting = slack.expect(method, key)
        began = time.monotonic()
        status, _ = await send
        acked = time.monotonic() - began
        assert status == 200, f"{name}: HTTP {status}"
        call = await asyncio.wait_for(waiting, 30)
        into[name].append((acked, time.monotonic() - began))
        return call

    def command(text: str, key: str) -> Any:
        url = f"{slack.base}/response/{key}"
        fields = slash_command(text, member, response_url=url, trigger_id=f"trig-{key}")
        return sender.post(urlencode(fields), FORM)

    def click(label: str, message: Call, key: str, **extra: Any) -> Any:
        url = f"{slack.base}/response/{key}"
        payload = block_actions(
            message.button(label), member, response_url=url, trigger_id=key, **extra
        )
        return sender.interact(payload)

    channel = member.channel_id
    asked = await step("today", "chat.postMessage", channel, command("today", channel))
    key = uuid.uuid4().hex
    opened = await step("answer", "views.open", key, click("Answer", asked, key))
    form = view_submission(opened.args["view"], {"answer": ANSWER}, member, trigger_id=key)
    saved = await step("submit", "chat.postEphemeral", channel, sender.interact(form))
    key = uuid.uuid4().hex
    await step("good", "response_url", key, click("Good", saved, key, ephemeral=True))
    key = uuid.uuid4().hex
    await step("streak", "response_url", key, command("streak", key))


async def closed_loop(deployment: Instances, args: argparse.Namespace) -> tuple[Timings, float]:
    """Every member repeats its five steps until the window closes; (timings, seconds).

    A member's `today` is a public post, which prepbot allows once per PUBLIC_COOLDOWN per
    member and channel: members move to the next of their channels each round, and wait out
    the cooldown only if they come back to a channel sooner (never at saturation)."""
    timings: Timings = defaultdict(list)
    discord, slack = deployment.discord, deployment.slack
    assert isinstance(slack, KeyedSlack)
    rng = random.Random(7)
    began = time.monotonic()
    deadline = began + args.seconds

    async def member(channels: list[str], cycle: Any) -> None:
        await asyncio.sleep(rng.uniform(0, 1.0))  # they start within the first second
        last: dict[str, float] = {}
        turn = rng.randrange(len(channels))
        while time.monotonic() < deadline:
            channel = channels[turn % len(channels)]
            turn += 1
            await asyncio.sleep(last.get(channel, -1e9) + PUBLIC_COOLDOWN - time.monotonic())
            last[channel] = time.monotonic()
            await cycle(channel)

    guild_channels = [channel for _, channel in deployment.guild_channels]
    work = [
        member(guild_channels, lambda c, u=u: prepbot_member(discord, u, timings, c))
        for u in (discord.user(f"member{i}") for i in range(args.discord_members))
    ]
    async with SlackSender(url=deployment.events_url, fake=slack) as sender:
        for person, channels in slack_people(args).items():
            work.append(member(channels, slack_cycle(sender, slack, person, timings)))
        await asyncio.gather(*work)
    return timings, time.monotonic() - began


def slack_cycle(sender: SlackSender, slack: KeyedSlack, person: Member, into: Timings) -> Any:
    """`person`'s five steps in a given channel."""
    return lambda channel: slack_member(sender, slack, replace(person, channel_id=channel), into)


def slack_people(args: argparse.Namespace) -> dict[Member, list[str]]:
    """Each with channels of their own: `today` posts there, one reply per member to wait for."""
    return {
        Member(f"U0M{i:04d}", f"m{i}"): [
            f"{MEMBER_CHANNEL}{i:04d}X{k}" for k in range(SLACK_CHANNELS)
        ]
        for i in range(args.slack)
    }


def postgres_cpu(deployment: Instances) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL process serving the deployment's database."""
    sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    used = {}
    for (pid,) in deployment.query(sql + " AND pid <> pg_backend_pid()"):
        with contextlib.suppress(OSError):  # a connection closed meanwhile
            used[pid] = cpu_seconds(pid)
    return used


def postgres_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples (a connection's process that ended in between is not
    counted, nor the server's own writers: a lower bound)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def daily_posts(deployment: Instances) -> Counter[str]:
    posts: Counter[str] = Counter()
    for r in deployment.discord.requests_to("POST", r"/channels/\d+/messages"):
        if DAILY in str(r.body):
            posts[r.path.split("/")[2]] += 1
    for call in deployment.slack.calls:
        if daily_post(call):
            posts[call.args["channel"]] += 1
    return posts


def run(shards: list[list[int]], args: argparse.Namespace) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Instances(
            Path(tmp),
            guilds_per_shard=args.guilds,
            slack_channels=args.channels,
            slack=KeyedSlack(),
            content_dirs=(BUILTIN_CONTENT_DIR,),
            LOG_LEVEL="INFO",
        ) as deployment,
    ):
        channels = deployment.channels()
        # Questions a member answers and grades (no output-reading ones) in every channel; the
        # Slack members' own channels get no post within the run (due in 10 hours).
        deployment.seed_schedules(channels, minutes_ago=5, options="kind=open")
        own = [("slack", TEAM_ID, c) for cs in slack_people(args).values() for c in cs]
        deployment.seed_schedules(own, minutes_ago=-600, options="kind=open")
        deployment.start(shards)
        deployment.discord.wait_until(
            lambda: len(daily_posts(deployment)) >= len(channels),
            timeout=60,
            what="every channel's daily post",
        )
        pids = [p.proc.pid for p in deployment.processes if p.proc is not None]
        before = (
            [cpu_seconds(pid) for pid in pids],
            postgres_cpu(deployment),
            own_cpu(),
            machine_cpu(),
        )
        timings, seconds = deployment.discord.run(closed_loop(deployment, args), 600)
        after = (
            [cpu_seconds(pid) for pid in pids],
            postgres_cpu(deployment),
            own_cpu(),
            machine_cpu(),
        )
        connections = deployment.query(
            "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()"
        )[0][0]
        codes = deployment.stop()
        answers = deployment.query("SELECT count(*) FROM answers")[0][0]
        posts = daily_posts(deployment)
    return {
        "interactions": sum(len(v) for v in timings.values()),
        "submitted": len(timings["submit"]),
        "answers": answers,
        "seconds": seconds,
        "instance_cpu": [b - a for a, b in zip(before[0], after[0], strict=True)],
        "postgres_cpu": postgres_used(before[1], after[1]),
        "driver_cpu": after[2] - before[2],
        "machine_cpu": after[3] - before[3],
        "connections": connections,
        "posts": posts,
        "channels": {c for _, _, c in channels},
        "codes": codes,
    }


def report(title: str, figures: dict[str, Any]) -> tuple[float, float]:
    """Print one run's figures; (commands per second, instance CPU ms per command)."""
    seconds = figures["seconds"]
    rate = figures["interactions"] / seconds
    print(f"{title}: {figures['interactions']} interactions in {seconds:.1f} s")
    busy = sum(figures["instance_cpu"])
    each = busy * 1000 / figures["interactions"]
    print(f"  commands per second: {rate:8.1f}   (instance CPU per command: {each:.2f} ms)")
    lost = figures["submitted"] - figures["answers"]
    print(
        f"  answers submitted {figures['submitted']}, in the database {figures['answers']}"
        f" (lost: {lost})"
    )
    posts, channels = figures["posts"], figures["channels"]
    once = sum(posts[c] == 1 for c in channels)
    twice = sum(posts[c] > 1 for c in channels)
    print(f"  daily posts: {once} of {len(channels)} channels exactly once, {twice} more than once")
    cores = " + ".join(f"{c / seconds:.2f}" for c in figures["instance_cpu"])
    print(
        f"  CPU in cores: instances {cores}; PostgreSQL {figures['postgres_cpu'] / seconds:.2f};"
        f" driver, fakes and balancer {figures['driver_cpu'] / seconds:.2f};"
        f" the whole machine {figures['machine_cpu'] / seconds:.2f} of {os.cpu_count()}"
    )
    print(f"  PostgreSQL connections open at the end of the window: {figures['connections']}")
    print(f"  exit codes: {figures['codes']}")
    return rate, each


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (every process, not only ours)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    idle = int(fields[3]) + int(fields[4])  # idle and iowait
    return (sum(map(int, fields[:8])) - idle) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discord-members", type=int, default=120)
    parser.add_argument("--slack-members", dest="slack", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the load window")
    parser.add_argument("--guilds", type=int, default=8, help="Discord guilds per shard")
    parser.add_argument("--channels", type=int, default=20, help="Slack channels with a daily post")
    parser.add_argument(
        "--rounds", type=int, default=2, help="one-then-two pairs, interleaved against drift"
    )
    args = parser.parse_args()
    print(
        f"{args.discord_members} Discord members on {2 * args.guilds} guilds and {args.slack} Slack"
        f" members through the balancer, closed loop for {args.seconds:g} s; {os.cpu_count()} cores"
    )
    ratios, projected = [], []
    for round_ in range(1, args.rounds + 1):
        one = run([[0, 1]], args)
        two = run([[0], [1]], args)
        print(f"\nround {round_}")
        base, base_cpu = report("baseline: one instance (shards 0 and 1)", one)
        ours, our_cpu = report("two instances (shard 0, shard 1), balancer alternating", two)
        ratios.append(ours / base)
        projected.append(2 * base_cpu / our_cpu)
        print(f"ratio of commands per second (two instances / one): {ours / base:.2f}")
        print(
            "projected with a full core for each instance, from the CPU per command:"
            f" 2 x {base_cpu:.2f} / {our_cpu:.2f} = {projected[-1]:.2f}"
        )
    listed = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"\nmeasured ratios by round: {listed}; median {statistics.median(ratios):.2f}")
    listed = ", ".join(f"{r:.2f}" for r in projected)
    print(f"projected ratios by round: {listed}; median {statistics.median(projected):.2f}")
    print(
        "The instances, PostgreSQL, the fakes and this driver share the machine's cores with"
        " whatever else runs (each instance in its own session, as a service is). Where the whole"
        " machine is near all its cores, the measured ratio is the share of CPU the instances"
        " got, not what prepbot can do; the projection is the ratio a core per instance gives."
    )


if __name__ == "__main__":
    main()
