"""Community content in process: suggestions and their review, packs and topics per server,
problem reports, limits, forget-me; on a real store (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.engine.options import FileArg
from bot.engine.packs import MAX_PACK_QUESTIONS

SUGGESTION = {
    "question": "How does a thread pool bound the work in flight?",
    "answer": "It keeps a fixed number of worker threads and queues the rest of the tasks.",
    "key_points": "fixed number of workers\nqueued tasks wait",
    "topic": "alpha medium",
    "hint": "Think about what waits.",
}


def question(qid: str, topic: str = "gamma", **extra) -> dict:
    return {
        "id": qid,
        "topic": topic,
        "difficulty": "easy",
        "question": f"Pack question {qid}: what does a lock protect?",
        "answer": f"Answer {qid}: a lock protects shared state from concurrent writers.",
        "key_points": ["shared state", "one writer at a time"],
        **extra,
    }


def pack_file(name: str, questions: list[dict]) -> FileArg:
    return FileArg(name, yaml.safe_dump(questions).encode())


def chat_for(engine: Engine, server: str = "s1") -> Transcript:
    return Transcript(engine, server=server, admins={"boss"})


async def add_pack(chat: Transcript, file: FileArg, user: str = "boss") -> str:
    """`pack add` with an attached file, as an adapter hands it over."""
    engine = chat.engine
    cmd, _ = engine.registry.parse("pack add", prefix="")
    reply = await engine.invoke(chat.actor(user), cmd, {"file": file}, prefix="")
    return reply.plain_text()


async def server_bank(engine: Engine, chat: Transcript):
    place = await engine.kit.place(chat.actor("boss"))
    return place.server.id, await engine.kit.bank_for(place.server.id)


async def suggest(chat: Transcript, user: str = "ann", **changes: str) -> None:
    await chat.say(user, "suggest")
    assert chat.forms[user].title == "Suggest a question"
    await chat.fill(user, **{**SUGGESTION, **changes})


async def test_a_suggestion_edited_and_approved_joins_the_servers_bank(engine: Engine):
    chat = chat_for(engine)
    await suggest(chat)
    chat.expect("Suggestion sent")
    await chat.say("ann", "suggestions")
    chat.expect("Only admins and reviewers")
    await chat.say("boss", "suggestions")
    chat.expect("Suggestion 1 · by Ann", "How does a thread pool bound the work in flight?")
    await chat.press("boss", "Edit")
    form = chat.forms["boss"]
    assert {f.name: f.value for f in form.fields}["topic"] == "alpha medium"  # prefilled
    await chat.fill("boss", **{**SUGGESTION, "question": "How does a pool bound work in flight?"})
    chat.expect("Suggestion edited", "How does a pool bound work in flight?")
    await chat.press("boss", "Approve")
    text = chat.expect("Suggestion approved")
    server_id, bank = await server_bank(engine, chat)
    qid = f"s{server_id}.suggestion-1"
    assert qid in text and bank.get(qid).question == "How does a pool bound work in flight?"
    # The author hears back once, by DM.
    notices = [d for d in await engine.run_jobs() if d.user_ref == "ann"]
    assert len(notices) == 1 and qid in notices[0].reply.plain_text()
    assert not [d for d in await engine.run_jobs() if d.user_ref == "ann"]
    # In the topic counts, and practised by id, credited.
    await chat.say("ann", "topics")
    chat.expect("(`alpha`): 7 (3 easy · 3 medium · 1 hard)", "11 questions drawn here")
    await chat.say("ann", f"question {qid}")
    chat.expect("How does a pool bound work in flight?", "suggested by Ann")
    await chat.say("boss", "suggestions")
    chat.expect("No suggestions are waiting")


async def test_reviewers_review_and_leads_do_not(engine: Engine):
    chat = Transcript(engine, server="s1", reviewers={"rita"}, leads={"leo"})
    await suggest(chat)
    await chat.say("leo", "suggestions")
    chat.expect("Only admins and reviewers")
    await chat.say("rita", "suggestions")
    button = chat.button("rita", "Approve")
    refused = await engine.run_custom_id(chat.actor("leo"), button.action.encode())
    assert "Only admins and reviewers" in refused.plain_text()
    await chat.press("rita", "Approve")
    chat.expect("Suggestion approved")


async def test_a_rejected_author_is_told_why_privately(engine: Engine):
    chat = chat_for(engine)
    await suggest(chat)
    await chat.say("boss", "suggestions")
    await chat.press("boss", "Reject")
    await chat.fill("boss", reason="We have this one already: see alpha-medium-1.")
    chat.expect("Suggestion rejected")
    (notice,) = [d for d in await engine.run_jobs() if d.user_ref == "ann"]
    assert notice.reply.private
    assert "We have this one already" in notice.reply.plain_text()
    await chat.press("boss", "Approve")  # the queue's old button
    chat.expect("already rejected")


async def test_a_suggestion_is_checked_like_the_bank_and_capped_per_day(engine: Engine, clock):
    chat = chat_for(engine)
    await suggest(chat, topic="nonsense hardest", key_points="")
    chat.expect("needs a fix", "topic", "difficulty", "key_points", "nothing was saved")
    for _ in range(5):
        await suggest(chat)
    await chat.say("ann", "suggest")
    chat.expect("the limit is 5")
    clock.now += timedelta(days=1, minutes=1)
    await chat.say("ann", "suggest")
    assert "ann" in chat.forms


async def test_member_text_is_shown_as_plain_text(engine: Engine):
    chat = chat_for(engine)
    sneaky = "Why [click here](https://evil.example) and **bold** @everyone <@123>?"
    await suggest(chat, question=sneaky)
    await chat.say("boss", "suggestions")
    body = chat.cards[1].body
    assert "\\[click here\\]\\(https://evil.example\\)" in body and "\\*\\*bold\\*\\*" in body
    await chat.press("boss", "Approve")
    server_id, bank = await server_bank(engine, chat)
    assert bank.get(f"s{server_id}.suggestion-1").question.startswith("Why \\[click here\\]")


async def test_a_pack_with_three_errors_is_refused_listing_all_and_importing_nothing(
    engine: Engine,
):
    chat = chat_for(engine)
    bad = [
        question("good-one"),
        question("no-topic", topic="astrology"),
        {k: v for k, v in question("no-answer").items() if k != "answer"},
        question("good-one"),  # a duplicate id
    ]
    text = await add_pack(chat, pack_file("Team Pack.yaml", bad))
    assert "3 problems; nothing imported" in text
    assert "no-topic: topic: unknown topic 'astrology'" in text
    assert "no-answer: answer: missing or empty" in text
    assert "good-one: id: duplicate id in this pack" in text
    await chat.say("boss", "pack list")
    chat.expect("No packs here yet")
    _, bank = await server_bank(engine, chat)
    assert bank is engine.kit.bank  # nothing changed: the shipped bank itself


async def test_a_pack_is_added_disabled_enabled_exported_and_removed(engine: Engine):
    chat = chat_for(engine)
    await chat.say("ann", "pack list")
    chat.expect("Only admins")
    text = await add_pack(chat, pack_file("locks.yaml", [question("lock-1"), question("lock-2")]))
    assert "Pack `locks` added with 2 questions" in text
    server_id, bank = await server_bank(engine, chat)
    pack_ids = {f"s{server_id}.lock-1", f"s{server_id}.lock-2"}
    assert pack_ids <= {q.id for q in bank.select(("gamma",))}
    await chat.say("boss", "pack list")
    chat.expect("`locks`: 2 questions, on")
    # Only gamma drawn: practice comes from gamma and the pack.
    await chat.say("boss", "topics off alpha")
    await chat.say("boss", "topics off beta")
    await chat.say("ann", "topics")
    chat.expect("off here")
    await chat.say("ann", "question alpha")
    chat.expect("`alpha` is switched off on this server")
    await chat.say("ann", "question")
    assert chat.cards[0].fields[0].value == "Gamma Topic"
    await chat.say("boss", "pack disable locks")
    chat.expect("no longer drawn")
    _, bank = await server_bank(engine, chat)
    assert not pack_ids & {q.id for q in bank.select()}
    await chat.say("ann", f"question s{server_id}.lock-1")
    chat.expect("No question has the id")
    await chat.say("boss", "pack enable locks")
    await chat.say("boss", "pack export locks")
    exported = yaml.safe_load(chat.cards[0].attachment.data)
    assert [q["id"] for q in exported] == ["lock-1", "lock-2"]
    again = await add_pack(chat, pack_file("locks.yaml", exported))
    assert "lock-1: id: already in pack 'locks'" in again
    await chat.say("boss", "pack remove locks")
    chat.expect("`locks` and its 2 questions are gone")
    _, bank = await server_bank(engine, chat)
    assert not pack_ids & set(bank.questions)


async def test_limits_of_a_pack(engine: Engine):
    chat = chat_for(engine)
    many = [question(f"q-{i}") for i in range(MAX_PACK_QUESTIONS + 1)]
    assert "a pack holds at most 500" in await add_pack(chat, pack_file("big.yaml", many))
    huge = FileArg("huge.yaml", b"# padding\n" * 110_000)
    assert "larger than 1 MB" in await add_pack(chat, huge)
    assert "malformed YAML" in await add_pack(chat, FileArg("x.yaml", b"- id: [unclosed"))
    await chat.say("boss", "pack add")
    chat.expect("attach it to `/prep pack add`")


async def test_two_servers_see_only_their_own_packs_and_suggestions(engine: Engine):
    one, two = chat_for(engine, "s1"), chat_for(engine, "s2")
    await add_pack(one, pack_file("locks.yaml", [question("lock-1")]))
    await add_pack(two, pack_file("locks.yaml", [question("lock-1")]))  # same name, same id
    await suggest(one)
    id_one, bank_one = await server_bank(engine, one)
    id_two, bank_two = await server_bank(engine, two)
    assert (
        f"s{id_one}.lock-1" in bank_one.questions and f"s{id_two}.lock-1" not in bank_one.questions
    )
    assert (
        f"s{id_two}.lock-1" in bank_two.questions and f"s{id_one}.lock-1" not in bank_two.questions
    )
    await two.say("ann", f"question s{id_one}.lock-1")
    two.expect("No question has the id")
    await two.say("boss", "suggestions")
    two.expect("No suggestions are waiting")
    await one.say("boss", "suggestions")
    button = one.button("boss", "Approve")  # server one's button, pressed on server two
    reply = await engine.run_custom_id(two.actor("boss"), button.action.encode())
    assert "not one of this server's" in reply.plain_text()


async def test_a_report_reaches_the_admins_queue_and_the_operator(engine: Engine, store):
    chat = chat_for(engine)
    await chat.say("ann", "question alpha-easy-1")
    await chat.press("ann", "Reveal")
    await chat.press("ann", "Report a problem")
    await chat.fill("ann", problem="The answer says [x](https://evil.example) twice.")
    chat.expect("Your report went to the admins")
    await chat.say("bob", "question alpha-easy-1")
    await chat.press("bob", "Reveal")
    await chat.press("bob", "Report a problem")
    await chat.fill("bob", problem="Typo in the second key point.")
    await chat.say("ann", "reports")
    chat.expect("Only admins")
    await chat.say("boss", "reports")
    chat.expect("alpha-easy-1 · 2 reports", "Typo in the second key point.")
    rows = await store.all_reports()
    assert [(r.question_id, r.server) for r in rows] == [("alpha-easy-1", "s1")] * 2
    await chat.press("boss", "Resolve")
    chat.expect("2 reports of `alpha-easy-1` resolved")
    await chat.say("boss", "reports")
    chat.expect("No open reports")


async def test_forget_me_removes_suggestions_and_reports_and_anonymises_approved(
    engine: Engine, store
):
    chat = chat_for(engine)
    await suggest(chat)
    await suggest(chat, question="A second one that stays pending, about queues?")
    await chat.say("boss", "suggestions")
    await chat.press("boss", "Approve")
    await chat.say("ann", "question alpha-easy-1")
    await chat.press("ann", "Reveal")
    await chat.press("ann", "Report a problem")
    await chat.fill("ann", problem="Something is off.")
    await chat.say("ann", "forget-me confirm")
    text = chat.expect("2 suggestions", "1 problem reports", "credited to a former member")
    assert "Ann" not in text
    server_id, bank = await server_bank(engine, chat)
    assert bank.get(f"s{server_id}.suggestion-1").credit == "a former member"
    assert await store.all_reports() == []
    await chat.say("boss", "suggestions")
    chat.expect("No suggestions are waiting")


async def test_the_view_is_cached_and_rebuilt_only_on_change(engine: Engine):
    chat = chat_for(engine)
    library = engine.kit.library
    await add_pack(chat, pack_file("locks.yaml", [question("lock-1")]))
    server_id, first = await server_bank(engine, chat)
    builds = library.builds
    for _ in range(5):
        await chat.say("ann", "question")
    assert library.builds == builds and await engine.kit.bank_for(server_id) is first
    await chat.say("boss", "topics off alpha")
    assert (await engine.kit.bank_for(server_id)).disabled == {"alpha"}
    assert library.builds == builds + 1


@pytest.mark.parametrize("words", ["topics off", "topics on nowhere", "topics sideways alpha"])
async def test_topic_switch_mistakes_get_a_clear_message(engine: Engine, words):
    chat = chat_for(engine)
    await chat.say("boss", words)
    assert chat.cards[0].tone == "warning"


async def test_every_topic_off_is_refused(engine: Engine):
    chat = chat_for(engine)
    await chat.say("boss", "topics off alpha")
    await chat.say("boss", "topics off beta")
    await chat.say("boss", "topics off gamma")
    chat.expect("keep one topic on")
    await chat.say("ann", "topics off gamma")
    chat.expect("Only admins")


async def test_another_instance_sees_a_change_when_it_next_checks_versions(store, bank, clock):
    from bot.features import build_engine

    one = build_engine(store=store, bank=bank, clock=clock)
    two = build_engine(store=store, bank=bank, clock=clock)
    try:
        chat_one, chat_two = chat_for(one), chat_for(two)
        server_id, _ = await server_bank(two, chat_two)  # two has looked: shipped bank cached
        await add_pack(chat_one, pack_file("locks.yaml", [question("lock-1")]))
        qid = f"s{server_id}.lock-1"
        assert qid not in (await two.kit.bank_for(server_id)).questions  # within its 30 s
        two.kit.library.refresh()  # as when its refresh interval has passed
        assert qid in (await two.kit.bank_for(server_id)).questions
        await chat_one.say("boss", "pack disable locks")
        two.kit.library.refresh()
        assert qid not in (await two.kit.bank_for(server_id)).questions
    finally:
        await one.close()
        await two.close()


async def test_the_daily_post_and_mock_rounds_draw_only_enabled_topics_and_packs(engine: Engine):
    chat = Transcript(engine, server="s1", admins={"boss"}, leads={"lead"})
    await add_pack(chat, pack_file("locks.yaml", [question(f"lock-{i}") for i in range(3)]))
    await chat.say("boss", "topics off alpha")
    await chat.say("boss", "topics off beta")
    server_id, bank = await server_bank(engine, chat)
    drawn = {q.id for q in bank.select()}
    assert len(drawn) == 4 and {f"s{server_id}.lock-{i}" for i in range(3)} < drawn
    await chat.say("ann", "today")
    assert chat.cards[0].footer.removeprefix("id: ") in drawn
    await chat.say("lead", "mock start candidate:ann count:4 minutes:30")
    chat.expect("Mock interview")
    row = await engine.mock.rounds.open_round(server_id, "c1")
    assert {item.question_id for item in await engine.mock.rounds.items(row.id)} == drawn
    await chat.say("boss", "pack disable locks")
    await chat.say("lead", "mock end")
    await chat.say("lead", "mock start candidate:ann count:2 minutes:30")
    chat.expect("Only 1 questions match")
