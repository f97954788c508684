"""Two real `prepbot run` instances on one PostgreSQL database: Discord shards 0 and 1 of 2 on
the fake Discord, Slack in HTTP mode behind a round-robin balancer. Every daily post is made
exactly once, and every member's answer is kept, whichever instance took it."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import need_postgres
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import Member, SlackSender, block_actions, view_submission
from tests.instances import Instances

pytestmark = pytest.mark.postgres
ANSWER = "A thread pool reuses worker threads; the GIL is released while waiting on I/O."
DAILY = "Question of the day"


async def discord_member(fake: FakeDiscord, name: str, channel: str) -> str:
    """today, Answer, submit the form, in `channel`; the text of the saved answer's reply."""
    user = fake.user(name)
    today = await fake.answered(fake.slash("today", user=user, channel=channel))
    opened = await fake.answered(fake.click(today.message_with("Answer"), "Answer", user=user))
    assert opened.modal is not None, "Answer opens the form"
    form = fake.submit(opened.modal["custom_id"], {"answer": ANSWER}, user=user, channel=channel)
    return (await fake.answered(form)).text


async def slack_member(deployment: Instances, member: Member) -> str:
    """The same through the balancer: each request may reach either instance."""
    slack = deployment.slack
    async with SlackSender(url=deployment.events_url, fake=slack) as sender:
        mark = len(slack.calls)
        assert (await sender.command("today", member))[0] == 200
        here = lambda c: c.args.get("channel") == member.channel_id  # noqa: E731
        asked = lambda c: here(c) and DAILY in c.text() and "thread_ts" not in c.args  # noqa: E731
        question = await slack.wait_for("chat.postMessage", asked, after=mark, within=20)
        mark = len(slack.calls)
        trigger = f"trig-{member.user_id}"
        click = block_actions(
            question.button("Answer"),
            member,
            response_url=slack.new_response_url(),
            trigger_id=trigger,
        )
        assert (await sender.interact(click))[0] == 200
        mine = lambda c: c.args.get("trigger_id") == trigger  # noqa: E731
        opened = await slack.wait_for("views.open", mine, after=mark, within=20)
        mark = len(slack.calls)
        submission = view_submission(
            opened.args["view"], {"answer": ANSWER}, member, trigger_id=f"t-{member.user_id}"
        )
        assert (await sender.interact(submission))[0] == 200
        saved = await slack.wait_for("chat.postEphemeral", here, after=mark, within=20)
        return saved.text()


def daily_posts(deployment: Instances) -> Counter[str]:
    """Channel -> how many daily questions were posted there, on both platforms."""
    posts: Counter[str] = Counter()
    for r in deployment.discord.requests_to("POST", r"/channels/\d+/messages"):
        if DAILY in str(r.body):
            posts[r.path.split("/")[2]] += 1
    for call in deployment.slack.calls_to("chat.postMessage"):
        if DAILY in call.text() and not call.args.get("thread_ts"):
            posts[call.args["channel"]] += 1
    return posts


def test_two_instances_post_every_daily_question_once_and_keep_every_answer(tmp_path: Path):
    need_postgres()
    with Instances(tmp_path, guilds_per_shard=3, slack_channels=6, LOG_LEVEL="INFO") as deployment:
        channels = deployment.channels()
        deployment.seed_schedules(channels, minutes_ago=5)
        deployment.start([[0], [1]])  # together: both start-up catch-ups race for every post
        discord = deployment.discord
        identified = [p["d"]["shard"] for p in discord.gateway_received if p["op"] == 2]
        assert sorted(identified) == [[0, 2], [1, 2]]

        def all_posted() -> bool:
            return set(daily_posts(deployment)) >= {c for _, _, c in channels}

        discord.wait_until(all_posted, timeout=20, what="every channel's daily post")

        # Members on both shards and through the balancer answer at the same time.
        async def everyone() -> list[str]:
            on_discord = [
                discord_member(discord, f"m{i}", channel)
                for i, (_, channel) in enumerate(deployment.guild_channels * 2)
            ]
            on_slack = [
                # Their own channels: there `today` posts too, apart from the daily posts.
                slack_member(deployment, Member(f"U0M{i}", f"m{i}", f"C0MEMBER{i}"))
                for i in range(6)
            ]
            return await asyncio.gather(*on_discord, *on_slack)

        replies = discord.run(everyone(), 60)
        assert all("Answer saved" in text for text in replies), replies
        assert len(deployment.balancer.forwarded) == 2  # Slack reached both instances
        assert deployment.stop() == [0, 0]
        posts = daily_posts(deployment)
        posts = Counter({c: n for c, n in posts.items() if not c.startswith("C0MEMBER")})
        assert posts == Counter({channel: 1 for _, _, channel in channels})
        assert deployment.query("SELECT count(*) FROM answers") == [(len(replies),)]
        logs = "\n".join(p.stderr() for p in deployment.processes)
        assert "Traceback" not in logs
        for process in deployment.processes:  # each start-up catch-up saw every post due
            assert f"scheduler: {len(channels)} items" in process.stderr()
