"""The dashboard in a real browser: headless Chromium against the real `prepbot run` process,
which talks to the fake Discord. Members get their sign-in link from the bot's private reply,
exactly as on Discord. Kept few and quick: one browser and one bot for the module."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.engine.signin import SignIn
from tests.browser import REQUIRE_BROWSER, browser_missing, chromium, need_browser
from tests.fakes.discord_server import MODAL, FakeDiscord, User
from tests.fakes.process import BotProcess
from tests.test_community import SUGGESTION
from tests.test_discord_e2e import KEY_POINT_ANSWER, answer_via_modal
from tests.test_discord_rounds import settled, start_round

if browser_missing() and not REQUIRE_BROWSER:  # one line in the summary, not one per test
    pytest.skip(f"browser tests skipped: {browser_missing()}", allow_module_level=True)

SECRET = "browser-test-signing-key-0123456789"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/dashboard/signin\?token=[\w.-]+")


class DashboardBot(BotProcess):
    serve_dashboard = True


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDiscord]:
    need_browser()
    with FakeDiscord() as fake:
        yield fake


@pytest.fixture(scope="module")
def people(fake: FakeDiscord) -> dict[str, User]:
    return {
        "ann": fake.user("ann"),
        "bob": fake.user("bob"),
        "lee": fake.user("lee", roles=[fake.lead_role_id]),
        "boss": fake.user("boss", manage_guild=True),
    }


@pytest.fixture(scope="module")
def bot(fake: FakeDiscord, people, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The bot, with practice and two finished mock rounds already done over Discord."""
    process = DashboardBot(
        fake,
        tmp_path_factory.mktemp("dashboard"),
        PREPBOT_LEAD_ROLES=fake.lead_role_id,
        PREPBOT_DASHBOARD_SECRET=SECRET,
    )
    process.start()
    try:
        for name in ("ann", "bob"):
            today = fake.reply(fake.slash("today", user=people[name]))
            saved = answer_via_modal(
                fake, today.message_with("Answer"), KEY_POINT_ANSWER, user=people[name]
            )
            fake.reply(fake.click(saved.message_with("Good"), "Good", user=people[name]))
        room = fake.add_channel("interviews")
        for candidate, score in (("ann", 4), ("bob", 2)):
            start_round(
                fake, user=people["lee"], channel=room, candidate=people[candidate], count=2
            )
            settled(
                fake,
                fake.slash(
                    "mock",
                    "score",
                    user=people["lee"],
                    channel=room,
                    score=score,
                    note="clear on pools",
                ),
            )
            settled(fake, fake.slash("mock", "end", user=people["lee"], channel=room))
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser(bot) -> Iterator[Any]:
    with chromium() as context:
        yield context


@pytest.fixture
def page(browser) -> Iterator[Any]:
    browser.clear_cookies()
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()


def link_for(fake: FakeDiscord, user: User) -> str:
    seen = fake.reply(fake.slash("me", "dashboard", user=user))
    assert seen.ephemeral, "the link goes to the member only"
    found = LINK.search(seen.text)
    assert found, seen.text
    return found.group(0)


def sign_in(page: Any, link: str) -> Any:
    """Open the link and press Sign in; the page's response."""
    page.goto(link)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return page


def server_ids(bot: BotProcess) -> dict[str, int]:
    with sqlite3.connect(bot.workdir / "prepbot.db") as db:
        return dict(db.execute("SELECT external_id, id FROM servers").fetchall())


def test_a_member_signs_in_from_the_private_link_and_sees_their_own_page(
    fake: FakeDiscord, people, bot, page
):
    sign_in(page, link_for(fake, people["ann"]))
    sid = server_ids(bot)[fake.guild_id]
    assert page.url.endswith(f"/dashboard/{sid}/")
    assert page.locator("#week").inner_text() == "2"
    assert (
        "Streak board" in page.content() and "Mock rounds" not in page.locator("nav").inner_text()
    )
    page.get_by_role("link", name="My practice").click()
    assert KEY_POINT_ANSWER in page.locator("#history").inner_text()
    assert page.locator("svg.calendar").count() == 1
    # A lead's page is refused to a member.
    refused = page.goto(f"{bot_url(bot)}/dashboard/{sid}/rounds")
    assert refused.status == 403 and "team leads" in page.content()


def bot_url(bot: BotProcess) -> str:
    return f"http://127.0.0.1:{bot.port}"


def test_a_lead_filters_rounds_downloads_an_export_and_signs_out(
    fake: FakeDiscord, people, bot, page
):
    sign_in(page, link_for(fake, people["lee"]))
    page.get_by_role("link", name="Mock rounds").click()
    assert page.locator("#found").inner_text() == "2 rounds"
    page.get_by_label("Candidate").select_option(label="ann")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert page.locator("#found").inner_text() == "1 round"
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [r["candidate"] for r in rows] == ["ann", "ann"] and rows[0]["score"] == "4"
    page.locator("#rounds a").first.click()
    assert page.locator("#total").inner_text() == "4/5"
    page.get_by_role("link", name="Questions").click()
    page.get_by_label("Difficulty").select_option("easy")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert "difficulty=easy" in page.url and "questions" in page.locator("#found").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert "signed out" in page.content()
    again = page.goto(f"{bot_url(bot)}/dashboard/{server_ids(bot)[fake.guild_id]}/")
    assert again.status == 401


def test_reused_expired_and_other_server_links_are_refused(fake: FakeDiscord, people, bot, page):
    link = link_for(fake, people["bob"])
    sign_in(page, link)
    sid = server_ids(bot)[fake.guild_id]
    assert page.url.endswith(f"/dashboard/{sid}/")
    # Another server's page: the DM "server" the bot keeps for direct messages.
    fake.reply(fake.slash("streak", user=people["bob"], dm=True))
    other = server_ids(bot)["dm"]
    refused = page.goto(f"{bot_url(bot)}/dashboard/{other}/")
    assert refused.status == 403 and "another server" in page.content()
    # The same link again: already used.
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "already used" in page.content()
    # A correctly signed link past its ten minutes.
    signer = SignIn(public_url=bot_url(bot), secret=SECRET.encode())
    token, _ = signer.link_token(datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=11))
    expired = page.goto(signer.link(token))
    assert expired.status == 403 and "expired" in page.content()


def test_an_admin_approves_and_rejects_suggestions_on_the_queues_page(
    fake: FakeDiscord, people, bot, page
):
    for question in ("What does a semaphore count?", "Why does a pool queue tasks?"):
        opened = fake.reply(fake.slash("suggest", user=people["ann"]))
        assert opened.callback_type == MODAL and opened.modal is not None
        form = {**SUGGESTION, "question": question}
        sent = fake.reply(fake.submit(opened.modal["custom_id"], form, user=people["ann"]))
        assert "Suggestion sent" in sent.text
    sign_in(page, link_for(fake, people["boss"]))
    page.get_by_role("link", name="Queues").click()
    first = page.locator("#suggestions .card").filter(has_text="What does a semaphore count?")
    with page.expect_navigation():
        first.get_by_role("button", name="Approve").click()
    assert "Suggestion approved" in page.locator("#notice").inner_text()
    assert "What does a semaphore count?" not in page.locator("#suggestions").inner_text()
    with page.expect_navigation():
        page.locator("#suggestions").get_by_role("button", name="Reject").click()
    page.get_by_label("Why not?").fill("We have this one already.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert "Suggestion rejected" in page.locator("#notice").inner_text()
    assert "No suggestions are waiting" in page.locator("#suggestions").inner_text()
