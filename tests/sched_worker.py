"""A separate process that runs one scheduler catch-up and the features' jobs once, for the
two-process tests.

    python -m tests.sched_worker URL SCHEMA|- ISO_UTC_NOW OUTFILE

Each post it makes is appended as one line to OUTFILE.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from bot.engine.content import load_valid_bank
from bot.features import build_engine
from bot.scheduling import Scheduler
from bot.store.store import Store
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.recording import RecordingAdapter


class AppendingAdapter(RecordingAdapter):
    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def _send(self, kind, target, reply):  # type: ignore[no-untyped-def]
        sent = super()._send(kind, target, reply)
        with open(self.path, "a") as out:  # O_APPEND: lines from two processes do not mix
            out.write(f"{target}\n")
        return sent


async def main(url: str, schema: str, now: str, out: str) -> None:
    store = Store.from_url(url, schema=None if schema == "-" else schema)
    moment = datetime.fromisoformat(now)
    engine = build_engine(
        store=store, bank=load_valid_bank([FIXTURE_CONTENT]), clock=lambda: moment
    )
    scheduler = Scheduler(
        engine=engine, adapters={"test": AppendingAdapter(out)}, clock=lambda: moment
    )
    await scheduler.reload()
    await scheduler.sweep()
    await scheduler.run_jobs()  # the features' jobs: the weekly digest
    await engine.close()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
