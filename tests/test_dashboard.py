"""The web dashboard in process: sign-in links, sessions, roles, and every page, on SQLite and
PostgreSQL, through aiohttp's test client (the browser tests are in test_dashboard_browser)."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import web
from bot.adapters.transcript import Transcript
from bot.engine.core import Engine
from bot.engine.signin import SignIn
from bot.features import build_engine
from bot.features.mock.scorecard import to_csv
from bot.store.store import Store
from bot.web import dashboard

SIGNIN = SignIn(public_url="http://dash.test", secret=b"k" * 32)
LINK = re.compile(r"http://dash\.test(/dashboard/signin\?token=[\w.-]+)")


@dataclass
class Site:
    engine: Engine
    chat: Transcript
    client: TestClient

    async def link(self, user: str, chat: Transcript | None = None) -> str:
        await (chat or self.chat).say(user, "dashboard")
        found = LINK.search((chat or self.chat).private())
        assert found, (chat or self.chat).private()
        return found.group(1)

    async def open_link(self, path: str) -> tuple[int, str]:
        """Open the link and press Sign in, as the browser does; the final status and page."""
        page = await self.client.get(path)
        if page.status != 200:
            return page.status, await page.text()
        token = re.search(r'name="token" value="([^"]+)"', await page.text()).group(1)
        guard = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
        done = await self.client.post("/dashboard/signin", data={"token": token, "csrf": guard})
        return done.status, await done.text()

    async def sign_in(self, user: str, chat: Transcript | None = None) -> str:
        status, text = await self.open_link(await self.link(user, chat))
        assert status == 200, text
        return text

    async def server_id(self) -> int:
        return (await self.engine.store.ensure_server("test", "s1")).id


@pytest.fixture
async def site(store: Store, bank, clock) -> AsyncIterator[Site]:
    engine = build_engine(store=store, bank=bank, clock=clock, rng=random.Random(3), signin=SIGNIN)

    async def ready() -> dict[str, bool]:
        return {"database": True}

    app = web.build_app(ready=ready)
    dashboard.setup(app, engine=engine, signin=SIGNIN)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Site(engine, Transcript(engine, leads={"lead"}, admins={"boss"}), client)
    finally:
        await client.close()
        await engine.close()


async def practise(chat: Transcript, user: str, grade: str = "Good") -> None:
    await chat.say(user, "today")
    await chat.press(user, "Answer")
    await chat.fill(user, answer=f"{user}'s secret answer: a thread pool reuses threads")
    await chat.press(user, grade)


async def test_without_a_public_url_the_command_says_how_to_set_it(engine: Engine):
    chat = Transcript(engine)
    await chat.say("ann", "dashboard")
    chat.expect("PREPBOT_PUBLIC_URL")
    assert chat.last[0].audience == "ann"


async def test_a_link_signs_in_once_with_a_safe_cookie(site: Site):
    path = await site.link("ann")
    assert site.chat.last[0].audience == "ann"  # the link is private
    page = await site.client.get(path)
    assert page.status == 200 and "Sign in" in await page.text()
    # Never cached, framed or passed on as a referrer (the URL holds the token); no script.
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    token = re.search(r'name="token" value="([^"]+)"', await page.text()).group(1)
    guard = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
    # A previewer that fetched the link spent nothing; a forged form is refused.
    forged = await site.client.post("/dashboard/signin", data={"token": token, "csrf": "x"})
    assert forged.status == 403
    done = await site.client.post(
        "/dashboard/signin", data={"token": token, "csrf": guard}, allow_redirects=False
    )
    assert done.status == 303
    assert done.headers["Location"] == f"/dashboard/{await site.server_id()}/"
    cookie = next(c for c in done.headers.getall("Set-Cookie") if "prepbot_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # plain http here; https public URLs add it (below)
    status, text = await site.open_link(path)
    assert status == 403 and "already used" in text


async def test_expired_and_forged_links_are_refused(site: Site, clock):
    path = await site.link("ann")
    clock.now += timedelta(minutes=11)
    status, text = await site.open_link(path)
    assert status == 403 and "expired" in text
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    status, _ = await site.open_link(forged)
    assert status == 403
    page = await site.client.get("/dashboard/1/")
    assert page.status == 401 and "/prep dashboard" in await page.text()


async def test_https_public_urls_get_secure_cookies():
    assert SignIn(public_url="https://prep.example.com", secret=b"k").secure
    assert not SIGNIN.secure
    assert "k" * 8 not in repr(SIGNIN)  # the key never shows in a repr or a log line


async def test_overview_counts_streaks_topics_and_hardest_questions(site: Site):
    for user in ("ann", "bob", "cid"):
        await practise(site.chat, user, grade="Again")
    text = await site.sign_in("ann")
    assert 'id="week">3<' in text and 'id="month">3<' in text
    assert "Streak board" in text and "Ann" in text and "<svg" in text
    assert "Hardest questions" in text and "0%" in text
    assert "Mock rounds" not in text  # members see no lead sections
    assert "secret answer" not in text


async def test_member_pages_show_answer_texts_to_their_author_only(site: Site):
    await practise(site.chat, "ann")
    await practise(site.chat, "bob")
    sid = await site.server_id()
    ann = await site.engine.store.find_member("test", "ann")
    bob = await site.engine.store.find_member("test", "bob")
    await site.sign_in("ann")
    own = await site.client.get(f"/dashboard/{sid}/me")
    text = await own.text()
    assert own.status == 200 and "ann&#39;s secret answer" in text and "Good" in text
    assert "<svg" in text and "Calendar" in text
    other = await site.client.get(f"/dashboard/{sid}/members/{bob.id}")
    assert other.status == 403
    await site.sign_in("lead")
    seen = await site.client.get(f"/dashboard/{sid}/members/{ann.id}")
    text = await seen.text()
    assert seen.status == 200 and "Good" in text and "secret answer" not in text
    assert (await site.client.get(f"/dashboard/{sid}/members/999999")).status == 404


async def test_roles_and_servers_are_enforced(site: Site):
    sid = await site.server_id()
    await site.sign_in("ann")
    assert (await site.client.get(f"/dashboard/{sid}/rounds")).status == 403
    assert (await site.client.get(f"/dashboard/{sid}/rounds/export.csv")).status == 403
    other = Transcript(site.engine, server="s2")
    await other.say("ann", "today")
    other_sid = (await site.engine.store.ensure_server("test", "s2")).id
    refused = await site.client.get(f"/dashboard/{other_sid}/")
    assert refused.status == 403 and "another server" in await refused.text()
    await site.sign_in("boss")
    page = await site.client.get(f"/dashboard/{sid}/rounds")
    assert page.status == 200 and "admin" in await page.text()


async def run_round(chat: Transcript, candidate: str, score: int) -> None:
    await chat.say("lead", f"mock start candidate:{candidate} count:2 minutes:30")
    await chat.say("lead", f"mock score {score} =cmd|note")
    await chat.say("lead", "mock next")
    await chat.say("lead", "mock score 3")
    await chat.say("lead", "mock end")


async def test_rounds_filter_scorecards_and_exports(site: Site):
    await practise(site.chat, "ann")
    await run_round(site.chat, "ann", 5)
    await run_round(site.chat, "bob", 1)
    sid = await site.server_id()
    ann = await site.engine.store.find_member("test", "ann")
    await site.sign_in("lead")
    listed = await (await site.client.get(f"/dashboard/{sid}/rounds")).text()
    assert 'id="found">2 rounds<' in listed and "8/10" in listed and "4/10" in listed
    filtered = await (await site.client.get(f"/dashboard/{sid}/rounds?candidate={ann.id}")).text()
    assert 'id="found">1 round<' in filtered and "8/10" in filtered and "4/10" not in filtered
    nothing = await (await site.client.get(f"/dashboard/{sid}/rounds?from=2030-01-01")).text()
    assert "No rounds match" in nothing
    rows, _ = await site.engine.store.round_rows(sid, candidate=ann.id)
    card = await (await site.client.get(f"/dashboard/{sid}/rounds/{rows[0].id}")).text()
    assert 'id="total">8/10<' in card and "=cmd|note" in card
    export = await site.client.get(f"/dashboard/{sid}/rounds/export.csv?candidate={ann.id}")
    assert export.status == 200 and "attachment" in export.headers["Content-Disposition"]
    body = await export.text()
    assert body == to_csv([await site.engine.mock.scorecard(rows[0].id)])
    assert next(csv.DictReader(io.StringIO(body)))["note"] == "'=cmd|note"  # formula-safe
    markdown = await site.client.get(f"/dashboard/{sid}/rounds/export.md")
    assert "## Round" in await markdown.text()
    assert (await site.client.get(f"/dashboard/{sid + 1}/rounds/{rows[0].id}")).status == 403


async def test_question_bank_search_and_filters(site: Site):
    await practise(site.chat, "ann", grade="Easy")
    sid = await site.server_id()
    await site.sign_in("ann")
    everything = await (await site.client.get(f"/dashboard/{sid}/questions")).text()
    total = len(site.engine.bank)
    assert f'id="found">{total} question' in everything and "100% of 1" in everything
    hard = await (await site.client.get(f"/dashboard/{sid}/questions?difficulty=hard")).text()
    expected = sum(q.difficulty == "hard" for q in site.engine.bank.questions.values())
    assert f'id="found">{expected} question' in hard
    q = next(iter(site.engine.bank.questions.values()))
    found = await (await site.client.get(f"/dashboard/{sid}/questions?q={q.id}")).text()
    assert 'id="found">1 question<' in found and q.id in found
    odd = await site.client.get(f"/dashboard/{sid}/questions?topic=<b>&page=x&q=%3Cscript%3E")
    assert odd.status == 200 and "<script>" not in await odd.text()


async def test_sign_out_needs_the_form_token_and_ends_the_session(site: Site):
    sid = await site.server_id()
    text = await site.sign_in("ann")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    assert (await site.client.post("/dashboard/signout", data={"csrf": "nope"})).status == 403
    assert (await site.client.get(f"/dashboard/{sid}/")).status == 200
    out = await site.client.post("/dashboard/signout", data={"csrf": csrf})
    assert out.status == 200 and "signed out" in await out.text()
    assert (await site.client.get(f"/dashboard/{sid}/")).status == 401


async def test_sessions_end_after_their_time_and_on_forget_me(site: Site, clock):
    sid = await site.server_id()
    await site.sign_in("ann")
    clock.now += timedelta(hours=11)
    assert (await site.client.get(f"/dashboard/{sid}/")).status == 200
    clock.now += timedelta(hours=2)
    assert (await site.client.get(f"/dashboard/{sid}/")).status == 401
    await site.sign_in("ann")
    unused = await site.link("ann")
    await site.chat.say("ann", "forget-me confirm")
    site.chat.expect("1 dashboard sessions")
    assert (await site.client.get(f"/dashboard/{sid}/")).status == 401
    status, _ = await site.open_link(unused)
    assert status == 403


async def tallies(store: Store) -> tuple[set, dict]:
    """The stored tallies: (server, week, member) rows, and per (server, question) counts."""
    from bot.store.tallies import _stored

    async with store.read() as tx:
        return await _stored(tx)


async def agree(store: Store) -> bool:
    """Whether `prepbot db check` finds the tallies equal to a recount of the answers."""
    from bot.store.tallies import recount

    return await recount(store) == []


async def test_the_tallies_agree_with_the_answers_through_forget_me(site: Site, clock):
    for user, grade in (("ann", "Good"), ("bob", "Again"), ("cid", "Easy")):
        await practise(site.chat, user, grade=grade)
    clock.now += timedelta(days=8)
    await practise(site.chat, "ann", grade="Hard")
    other = Transcript(site.engine, server="s2", channel="c2")
    await practise(other, "ann")
    weeks, stats = await tallies(site.engine.store)
    assert await agree(site.engine.store)
    assert len(weeks) == 5 and sum(a for a, _, _ in stats.values()) == 5
    await site.chat.say("ann", "forget-me confirm")
    weeks, stats = await tallies(site.engine.store)
    assert await agree(site.engine.store)
    assert len(weeks) == 2 and sum(a for a, _, _ in stats.values()) == 2


async def test_the_upgrade_fills_the_tallies_from_stored_answers(store: Store, bank, clock):
    """Answers stored before the dashboard existed are counted by the migration."""
    from alembic import command

    from bot.store import database

    engine = build_engine(store=store, bank=bank, clock=clock, rng=random.Random(3))
    chat = Transcript(engine)
    try:
        for user, grade in (("ann", "Good"), ("bob", "Again")):
            await practise(chat, user, grade=grade)
        clock.now += timedelta(days=8)
        await practise(chat, "ann", grade="Easy")
        expected = await tallies(store)
        assert await agree(store) and len(expected[0]) == 3
        async with store.engine.begin() as conn:  # back to 0008, keeping the answers
            await conn.run_sync(
                lambda sync: command.downgrade(database._alembic_config(sync), "0008")
            )
        await store.upgrade()
        assert await tallies(store) == expected
    finally:
        await engine.close()


async def test_the_link_arrives_intact_on_slack_and_the_console(tmp_path):
    """Discord is proven end to end by the browser tests; Slack gets `<url|label>`."""
    from tests.surfaces import surfaces

    async with surfaces(tmp_path, signin=SIGNIN) as s:
        slack = await s.slack_says("dashboard")
        linked = re.search(r"<(http://dash\.test/dashboard/signin\?token=[\w.-]+)\|Open", slack)
        assert linked and f"{linked.group(1)}\n" in slack + "\n"
        console = await s.console.handle("dashboard")
        assert LINK.search(console) and "works once, for 10 minutes" in console


async def test_db_check_finds_and_repairs_tallies_that_drifted(site: Site):
    from sqlalchemy import delete, update

    from bot.store.schema import practice_weeks, question_stats
    from bot.store.tallies import recount

    for user in ("ann", "bob"):
        await practise(site.chat, user)
    store = site.engine.store
    expected = await tallies(store)
    async with store.write() as tx:
        await tx.conn.execute(update(question_stats).values(answered=question_stats.c.answered + 5))
        ann = await store.find_member("test", "ann")
        await tx.conn.execute(delete(practice_weeks).where(practice_weeks.c.member_id == ann.id))
    found = await recount(store)
    assert len(found) == 2 and "not tallied" in found[0] and "answers/grades/good" in found[1]
    assert await recount(store, repair=True) == found
    assert await recount(store) == [] and await tallies(store) == expected


async def test_the_question_bank_is_what_the_server_can_draw(site: Site):
    """Its own pack's questions in, a switched-off topic's out; another server sees neither."""
    from tests.test_community import add_pack, pack_file, question

    boss = Transcript(site.engine, admins={"boss"})
    assert "added" in await add_pack(boss, pack_file("team.yaml", [question("locks")]))
    await boss.say("boss", "topics off alpha")
    sid = await site.server_id()
    await site.sign_in("ann")
    page = await (await site.client.get(f"/dashboard/{sid}/questions")).text()
    shipped = site.engine.bank.questions.values()
    drawn = sum(q.topic != "alpha" for q in shipped) + 1
    assert f'id="found">{drawn} questions<' in page
    assert not any(q.id in page for q in shipped if q.topic == "alpha")
    mine = await (await site.client.get(f"/dashboard/{sid}/questions?q=locks")).text()
    assert f"s{sid}.locks" in mine and "this server's pack" in mine
    assert '<option value="alpha"' not in page
    alpha = await (await site.client.get(f"/dashboard/{sid}/questions?topic=alpha")).text()
    assert f'id="found">{drawn} questions<' in alpha  # an off topic is no filter
    other = Transcript(site.engine, server="s2")
    await site.sign_in("ann", other)
    other_sid = (await site.engine.store.ensure_server("test", "s2")).id
    theirs = await (await site.client.get(f"/dashboard/{other_sid}/questions")).text()
    assert f'id="found">{len(site.engine.bank)} questions<' in theirs
    theirs = await (await site.client.get(f"/dashboard/{other_sid}/questions?q=locks")).text()
    assert 'id="found">0 questions<' in theirs


QUEUE_FORM = re.compile(r'<form method="post" action="[^"]*/queues".*?</form>', re.S)


async def press(site: Site, page: str, label: str, **form: str) -> str:
    """Submit the page's first form whose button says `label` (with `form` as its fields)."""
    html = next((f for f in QUEUE_FORM.findall(page) if f">{label}</button>" in f), None)
    assert html, page
    action = re.search(r'name="action" value="([^"]+)"', html)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    data = {"csrf": csrf, "action": action.group(1), **({"form": "1", **form} if form else {})}
    sid = await site.server_id()
    done = await site.client.post(f"/dashboard/{sid}/queues", data=data)
    assert done.status == 200, await done.text()
    return await done.text()


async def test_admins_review_the_queues_with_the_chats_actions(site: Site):
    from tests.test_community import SUGGESTION, suggest

    chat = site.chat
    await suggest(chat, "ann")
    await suggest(chat, "bob", question="What does a semaphore count?")
    await chat.say("cid", "question alpha-easy-1")
    await chat.press("cid", "Reveal")
    await chat.press("cid", "Report a problem")
    await chat.fill("cid", problem="The answer says <b>[x](https://evil.example)</b>.")
    sid = await site.server_id()
    for user in ("ann", "lead"):
        assert "Queues</a>" not in await site.sign_in(user)
        refused = await site.client.get(f"/dashboard/{sid}/queues")
        assert refused.status == 403 and "for admins" in await refused.text()
        assert (await site.client.post(f"/dashboard/{sid}/queues")).status == 403
    assert "Queues</a>" in await site.sign_in("boss")
    page = await (await site.client.get(f"/dashboard/{sid}/queues")).text()
    assert "Suggestion 1 · by Ann" in page and "What does a semaphore count?" in page
    assert "alpha-easy-1 · 1 report" in page
    assert "&lt;b&gt;[x](https://evil.example)&lt;/b&gt;" in page  # shown exactly, inert
    # Edit opens the chat's form, prefilled; saving it shows the edited card.
    form = await press(site, page, "Edit")
    assert 'value="alpha medium"' in form and 'name="form" value="1"' in form
    edited = {**SUGGESTION, "question": "How does a pool bound work in flight?"}
    page = await press(site, form, "Send", **edited)
    assert "Suggestion edited" in page and "How does a pool bound work in flight?" in page
    page = await press(site, page, "Approve")
    assert "Suggestion approved" in page and f"s{sid}.suggestion-1" in page
    bank = await site.engine.kit.bank_for(sid)
    assert bank.get(f"s{sid}.suggestion-1").question == edited["question"]
    # Reject asks for a reason; an empty one changes nothing.
    form = await press(site, page, "Reject")
    assert "sent to the author privately" in form
    assert "Give the author a reason" in await press(site, form, "Send", reason=" ")
    page = await press(site, form, "Send", reason="We have this one: alpha-medium-1.")
    assert "Suggestion rejected" in page and "No suggestions are waiting" in page
    notices = {d.user_ref: d.reply for d in await site.engine.run_jobs() if d.user_ref}
    assert notices["ann"].private and "suggestion-1" in notices["ann"].plain_text()
    assert notices["bob"].private and "alpha-medium-1" in notices["bob"].plain_text()
    page = await press(site, page, "Resolve")
    assert "1 report of <code>alpha-easy-1</code> resolved" in page and "No open reports" in page


async def test_queue_forms_need_the_token_and_run_only_queue_actions(site: Site):
    from bot.engine.messages import Action, QuestionRef

    sid = await site.server_id()
    await site.sign_in("boss")
    page = await (await site.client.get(f"/dashboard/{sid}/queues")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    resolve = Action("report-resolve", QuestionRef("alpha-easy-1")).encode()
    url = f"/dashboard/{sid}/queues"
    forged = await site.client.post(url, data={"csrf": "x", "action": resolve})
    assert forged.status == 403
    other = Action("topics-off", None).encode()
    for action in (other, "prep:v2:nothing", "junk"):
        refused = await site.client.post(url, data={"csrf": csrf, "action": action})
        assert refused.status == 400
    done = await site.client.post(url, data={"csrf": csrf, "action": resolve})
    assert done.status == 200 and "No open reports of that question here" in await done.text()
