"""`prepbot db backup` and `db restore` on SQLite, while the bot has the database open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.adapters.transcript import Transcript
from bot.engine.content import load_valid_bank
from bot.features import build_engine
from bot.store.schema import answers
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT, ROOT


def prepbot(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def count_answers(store: Store) -> int:
    async with store.read() as tx:
        return (await tx.conn.execute(select(func.count()).select_from(answers))).scalar_one()


async def test_a_backup_taken_while_running_restores_that_state(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    store = Store.from_url(url)
    await store.upgrade()
    engine = build_engine(store=store, bank=load_valid_bank([FIXTURE_CONTENT]))
    try:
        chat = Transcript(engine)
        await chat.say("ann", "today")
        await chat.say("ann", "answer a thread pool reuses worker threads")
        saved = prepbot(url, "backup", str(tmp_path / "one.db"))
        assert saved.returncode == 0 and "Backed up to" in saved.stdout, saved.stderr
        await chat.say("bob", "today")
        await chat.say("bob", "answer the event loop schedules coroutines")
        assert await count_answers(store) == 2
        again = prepbot(url, "backup", str(tmp_path / "one.db"))
        assert again.returncode == 1 and "exists" in again.stderr  # never overwritten
        restored = prepbot(url, "restore", str(tmp_path / "one.db"))
        assert restored.returncode == 0, restored.stderr
        assert await count_answers(store) == 1  # the running store sees the restored state
        await chat.say("cat", "today")
        chat.expect("Question of the day")
    finally:
        await engine.close()
        await store.close()


def test_postgresql_and_bad_files_get_a_clear_message(tmp_path: Path):
    pg = prepbot("postgresql+asyncpg://u@127.0.0.1/db", "backup", str(tmp_path / "x"))
    assert pg.returncode == 1 and "pg_dump" in pg.stderr
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    bad = prepbot(url, "restore", str(junk))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
