"""Screenshots of the web dashboard for the README, taken by headless Chromium.

    python scripts/dashboard_screenshots.py [--out docs]

Builds a small demo team in a temporary SQLite file by running the real engine (members
practising over twelve weeks, two finished mock rounds led by the admin, ana, a suggested
question and two problem reports waiting for review), serves the
dashboard on 127.0.0.1, signs in as ana through a link from the `dashboard` command, and
saves each main page as a PNG (light and dark, desktop and phone width). Needs Debian's
chromium package and Playwright (dev extras).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import socket
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import web  # noqa: E402
from bot.adapters.transcript import Transcript  # noqa: E402
from bot.config import BUILTIN_CONTENT_DIR  # noqa: E402
from bot.engine.content import load_valid_bank  # noqa: E402
from bot.engine.signin import SignIn  # noqa: E402
from bot.features import build_engine  # noqa: E402
from bot.store.store import Store  # noqa: E402
from bot.web import dashboard  # noqa: E402
from tests.browser import chromium, need_browser  # noqa: E402

START = datetime(2026, 3, 2, 9, 0)  # a Monday, twelve weeks before the shots
TEAM = {  # member: how likely they practise on a given day
    "ana": 0.9,
    "bram": 0.7,
    "chen": 0.6,
    "dita": 0.5,
    "eli": 0.35,
    "femi": 0.25,
    "gus": 0.15,
}
GRADES = ("Again", "Hard", "Good", "Good", "Easy")
SHOTS = (  # file, path below /dashboard/<server>/, width, height, colour scheme
    ("dashboard-overview.png", "", 1280, 900, "light"),
    ("dashboard-overview-dark.png", "", 1280, 900, "dark"),
    ("dashboard-member.png", "me", 1280, 900, "light"),
    ("dashboard-rounds.png", "rounds", 1280, 700, "light"),
    ("dashboard-scorecard.png", "rounds/1", 1280, 700, "dark"),
    ("dashboard-questions.png", "questions?difficulty=hard", 1280, 800, "light"),
    ("dashboard-queues.png", "queues", 1280, 900, "light"),
    ("dashboard-phone.png", "", 390, 844, "dark"),
)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def practise(chat: Transcript, user: str, rng: random.Random) -> None:
    await chat.say(user, "question open")
    await chat.press(user, "Answer")
    await chat.fill(
        user, answer="A thread pool reuses worker threads; the GIL serialises bytecode."
    )
    grade = rng.choice(GRADES)
    if any(b.label == grade for card in chat.cards for b in card.buttons):
        await chat.press(user, grade)  # (a question of the output kind grades itself)


async def demo_team(chat: Transcript, clock: Clock) -> None:
    rng = random.Random(4)
    for day in range(84):
        clock.now = START + timedelta(days=day)
        for user, chance in TEAM.items():
            if rng.random() < chance * (0.6 + day / 200):
                await practise(chat, user, rng)
    for candidate, scores in (("chen", (4, 3, 5)), ("dita", (2, 4, 3))):
        await chat.say("ana", f"mock start candidate:{candidate} count:3 minutes:30")
        for score in scores:
            clock.now += timedelta(minutes=6)
            await chat.say("ana", f"mock score {score} explained the trade-offs")
            await chat.say("ana", "mock next")
    await queue_items(chat)


async def queue_items(chat: Transcript) -> None:
    """A suggested question and two reports of one question, for the admins' queues."""
    await chat.say("bram", "suggest")
    await chat.fill(
        "bram",
        question="What does `functools.lru_cache` keep, and when does it evict?",
        answer="It maps the call's arguments to results and drops the least recently used "
        "entry once maxsize is reached; arguments must be hashable.",
        key_points="maps arguments to results\nevicts the least recently used\nhashable arguments",
        topic="python-fundamentals medium",
        hint="Think about what the name says.",
    )
    for user, problem in (
        ("chen", "The answer never mentions the GIL, which is the point of the question."),
        ("eli", "Second key point reads as if threads run bytecode in parallel."),
    ):
        await chat.say(user, "question race-condition-threading-lock-counter")
        await chat.press(user, "Reveal")
        await chat.press(user, "Report a problem")
        await chat.fill(user, problem=problem)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shoot(link: str, base: str, out: Path) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(link)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        for name, path, width, height, scheme in SHOTS:
            page.set_viewport_size({"width": width, "height": height})
            page.emulate_media(color_scheme=scheme)
            page.goto(base + path)
            # The question bank is long: its first screen shows what it is.
            page.screenshot(path=str(out / name), full_page="questions" not in path)
            print(f"wrote {out / name}")


async def main(out: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    signin = SignIn(public_url=url, secret=b"screenshots" * 3)
    clock = Clock(START)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.from_url(f"sqlite+aiosqlite:///{tmp}/demo.db", synchronous="NORMAL")
        await store.upgrade()
        bank = load_valid_bank([BUILTIN_CONTENT_DIR])
        engine = build_engine(
            store=store, bank=bank, clock=clock, rng=random.Random(2), signin=signin
        )
        chat = Transcript(engine, platform="discord", server="guild", admins={"ana"})
        await store.ensure_server("discord", "guild", "Platform team")
        await demo_team(chat, clock)
        await chat.say("ana", "dashboard")
        link = re.search(r"http://\S+token=[\w.-]+", chat.private()).group(0)

        async def ready() -> dict[str, bool]:
            return {"database": True}

        app = web.build_app(ready=ready)
        dashboard.setup(app, engine=engine, signin=signin)
        runner = await web.start(app, port=port)
        server_id = (await store.ensure_server("discord", "guild")).id
        try:
            base = f"{url}/dashboard/{server_id}/"
            await asyncio.to_thread(shoot, link, base, out)
        finally:
            await runner.cleanup()
            await engine.close()
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    need_browser()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(args.out))
