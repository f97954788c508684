"""Community content on the wire: real discord.py and slack-bolt against the local fakes.

What only the fakes prove: a Discord attachment and a Slack shared file reach `pack add`,
the suggestion forms open as modals (prefilled for Edit), and a rejected author's DM goes
out through the scheduler.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml

from bot.scheduling import Scheduler
from tests.fakes.discord_server import MODAL
from tests.fakes.slack_server import Member, file_shared, view_submission
from tests.surfaces import surfaces
from tests.test_community import SUGGESTION, question

GOOD = yaml.safe_dump([question("lock-1"), question("lock-2")]).encode()
BAD = yaml.safe_dump(
    [
        question("x", topic="astrology"),
        {k: v for k, v in question("y").items() if k != "answer"},
        question("z", difficulty="brutal"),
    ]
).encode()


async def test_discord_pack_attachment_and_the_suggestion_review(tmp_path: Path):
    async with surfaces(tmp_path) as s:
        fake = s.discord
        boss, ann = fake.user("boss", manage_guild=True), fake.user("ann")

        async def slash(*path: str, user, **options):
            return await asyncio.to_thread(fake.reply, fake.slash(*path, user=user, **options))

        refused = await slash("pack", "add", user=ann, file=("locks.yaml", GOOD))
        assert "Only admins" in refused.text and refused.ephemeral
        bad = await slash("pack", "add", user=boss, file=("bad.yaml", BAD))
        assert "3 problems; nothing imported" in bad.text
        good = await slash("pack", "add", user=boss, file=("locks.yaml", GOOD))
        assert "Pack `locks` added with 2 questions" in good.text
        assert fake.uploads  # the bot fetched the attachment from the (fake) CDN

        opened = await slash("suggest", user=ann)
        assert opened.callback_type == MODAL and opened.modal is not None
        inputs = [c for row in opened.modal["components"] for c in row["components"]]
        assert len(inputs) == 5  # Discord's most per modal
        custom_id = opened.modal["custom_id"]
        sent = await asyncio.to_thread(fake.reply, fake.submit(custom_id, SUGGESTION, user=ann))
        assert "Suggestion sent" in sent.text

        queue = await slash("pack", "suggestions", user=boss)
        assert "Suggestion 1 · by ann" in queue.text
        message = queue.message_with("Edit")
        edit = await asyncio.to_thread(fake.reply, fake.click(message, "Edit", user=boss))
        assert edit.modal is not None
        prefilled = {
            c["custom_id"]: c.get("value")
            for row in edit.modal["components"]
            for c in row["components"]
        }
        assert prefilled["topic"] == "alpha medium"
        edited = {**SUGGESTION, "question": "How does a pool bound the work in flight?"}
        saved = await asyncio.to_thread(
            fake.reply, fake.submit(edit.modal["custom_id"], edited, user=boss)
        )
        assert "Suggestion edited" in saved.text
        approved = await asyncio.to_thread(
            fake.reply, fake.click(saved.message_with("Approve"), "Approve", user=boss)
        )
        assert "Suggestion approved" in approved.text
        topics = await slash("topics", user=ann)
        assert "(`alpha`): 7 (" in topics.text

        # Practised by id; reported from under its reference answer; in the admins' queue.
        qid = next(q for q in approved.text.split("`") if q.endswith(".suggestion-1"))
        asked = await slash("question", user=ann, id=qid)
        assert "How does a pool bound the work in flight?" in asked.text
        assert "suggested by ann" in asked.text
        revealed = await asyncio.to_thread(
            fake.reply, fake.click(asked.message_with("Reveal"), "Reveal", user=ann)
        )
        form = await asyncio.to_thread(
            fake.reply,
            fake.click(revealed.message_with("Report a problem"), "Report a problem", user=ann),
        )
        assert form.modal is not None
        reported = await asyncio.to_thread(
            fake.reply, fake.submit(form.modal["custom_id"], {"problem": "Typo."}, user=ann)
        )
        assert "Your report went to the admins" in reported.text
        queue = await slash("pack", "reports", user=boss)
        assert f"{qid} · 1 report" in queue.text and "Typo." in queue.text

        # The pack, switched off and removed.
        assert "no longer drawn" in (await slash("pack", "disable", user=boss, name="locks")).text
        listed = await slash("pack", "list", user=boss)
        assert "`locks`: 2 questions, **off**" in listed.text
        removed = await slash("pack", "remove", user=boss, name="locks")
        assert "`locks` and its 2 questions are gone" in removed.text


async def test_slack_shared_pack_and_a_rejection_told_by_dm(tmp_path: Path):
    async with surfaces(tmp_path) as s:
        slack, sender = s.slack, s.slack_sender
        boss, ann = Member(user_id="U0BOSS", user_name="boss"), Member()
        slack.admins.add(boss.user_id)

        async def share(member: Member, data: bytes, name: str) -> str:
            after = len(slack.calls)
            file = slack.share_file(name, data)
            event = file_shared(member, "pack add", file, channel="D" + member.user_id[1:])
            assert (await sender.event(event))[0] == 200
            return (await slack.wait_for("chat.postEphemeral", after=after)).text()

        assert "Only admins" in await share(ann, GOOD, "locks.yaml")
        assert "3 problems; nothing imported" in await share(boss, BAD, "bad.yaml")
        assert "Pack `locks` added with 2 questions" in await share(boss, GOOD, "locks.yaml")
        fetched = slack.calls_to("files-pri")
        assert fetched and all(c.status == 200 for c in fetched[-1:])

        after = len(slack.calls)
        status, _ = await sender.command("suggest", ann)
        assert status == 200
        opened = await slack.wait_for("views.open", after=after)
        after = len(slack.calls)
        submission = view_submission(opened.args["view"], SUGGESTION, ann, trigger_id="t1")
        assert (await sender.interact(submission))[0] == 200
        assert "Suggestion sent" in (await slack.wait_for("chat.postEphemeral", after=after)).text()

        after = len(slack.calls)
        await sender.command("suggestions", boss)
        queue = await slack.wait_for("response_url", after=after)
        after = len(slack.calls)
        await sender.click(queue.button("Reject"), boss)
        opened = await slack.wait_for("views.open", after=after)
        after = len(slack.calls)
        reason = view_submission(
            opened.args["view"], {"reason": "Too close to alpha-1."}, boss, trigger_id="t2"
        )
        await sender.interact(reason)
        await slack.wait_for("chat.postEphemeral", after=after)

        after = len(slack.calls)
        scheduler = Scheduler(engine=s.engine, adapters=s.adapters)
        assert await scheduler.run_jobs() >= 1
        dm = await slack.wait_for(
            "chat.postMessage", lambda c: "Too close to alpha-1." in c.text(), after=after
        )
        assert dm.args["channel"].startswith("D")  # a direct message to the author

        # A second suggestion: edited in a prefilled modal, approved, practised by id.
        after = len(slack.calls)
        await sender.command("suggest", ann)
        opened = await slack.wait_for("views.open", after=after)
        again = {**SUGGESTION, "question": "What bounds the work a thread pool takes in?"}
        await sender.interact(view_submission(opened.args["view"], again, ann, trigger_id="t3"))
        await slack.wait_for("chat.postEphemeral", after=after)
        after = len(slack.calls)
        await sender.command("suggestions", boss)
        queue = await slack.wait_for("response_url", after=after)
        after = len(slack.calls)
        await sender.click(queue.button("Edit"), boss)
        opened = await slack.wait_for("views.open", after=after)
        view = opened.args["view"]
        view = json.loads(view) if isinstance(view, str) else view
        initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
        assert initial["topic"] == "alpha medium"
        edited = {**again, "question": "What bounds the work a pool takes in?"}
        after = len(slack.calls)
        await sender.interact(view_submission(view, edited, boss, trigger_id="t4"))
        saved = await slack.wait_for("chat.postEphemeral", after=after)
        assert "Suggestion edited" in saved.text()
        after = len(slack.calls)
        await sender.click(saved.button("Approve"), boss)
        approved = await slack.wait_for("response_url", after=after)
        assert "Suggestion approved" in approved.text()
        qid = next(q for q in approved.text().split("`") if q.endswith(".suggestion-2"))
        assert "What bounds the work a pool takes in?" in await s.slack_says(f"question {qid}", ann)
        assert "(`alpha`): 7 (" in await s.slack_says("topics", ann)
        assert "no longer drawn" in await s.slack_says("pack disable locks", boss)
        assert "its 2 questions are gone" in await s.slack_says("pack remove locks", boss)
