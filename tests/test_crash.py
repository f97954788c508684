"""Crash test: `kill -9` of the real `prepbot run` at random moments while answers arrive
through the fake Discord. After each restart, every answer that got a reply is stored, and
every member's counters equal a recomputation from the raw answers (`prepbot db check`).
Seeded and bounded: 200 answers, three kills."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.process import BotProcess

ANSWERS = 200
KILLS = 3
MEMBERS = 12


def test_kill_9_at_random_moments_loses_no_acknowledged_answer(tmp_path: Path):
    rng = random.Random(16)
    kills = set(rng.sample(range(10, ANSWERS - 10), KILLS))
    acknowledged: list[str] = []
    with FakeDiscord() as fake:
        bot = BotProcess(fake, tmp_path)
        bot.start()
        try:
            users = [fake.user(f"member{i}") for i in range(MEMBERS)]
            for user in users:
                fake.reply(fake.slash("today", user=user))
            for n in range(ANSWERS):
                text = f"answer {n}: a thread pool reuses worker threads"
                interaction = fake.slash("answer", user=users[n % MEMBERS], text=text)
                if n in kills:
                    time.sleep(rng.random() * 0.03)  # somewhere in the answer's path
                    assert bot.proc is not None
                    bot.proc.kill()  # SIGKILL: no shutdown, no flush
                    bot.proc.wait(timeout=10)
                    bot.proc = None
                    try:
                        seen = fake.reply(interaction, timeout=0.5)
                    except AssertionError:
                        seen = None  # never answered: the member was not told it was saved
                    if seen is not None and "Answer saved" in seen.text:
                        acknowledged.append(text)
                    bot.start()
                    continue
                if "Answer saved" in fake.reply(interaction, timeout=15).text:
                    acknowledged.append(text)
        finally:
            bot.stop()
    assert len(acknowledged) >= ANSWERS - KILLS
    with sqlite3.connect(tmp_path / "prepbot.db") as db:
        stored = {row[0] for row in db.execute("SELECT text FROM answers")}
    assert [t for t in acknowledged if t not in stored] == []
    checked = subprocess.run(
        [sys.executable, "-m", "bot", "db", "check"],
        cwd=ROOT,
        env={**bot.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0 and "All counters agree." in checked.stdout, checked.stdout
