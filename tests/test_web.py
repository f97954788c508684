"""The web server: /healthz, /readyz (up, and with the database gone), /metrics."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot import web
from bot.features import build_engine
from bot.metrics import Metrics
from bot.store.store import Store
from tests.conftest import make_actor


async def client_for(store: Store, metrics: Metrics) -> TestClient:
    async def ready() -> dict[str, bool]:
        try:
            ok = await store.ping()
        except Exception:
            ok = False
        return {"database": ok, "content": True}

    client = TestClient(TestServer(web.build_app(ready=ready, metrics=metrics)))
    await client.start_server()
    return client


async def test_health_ready_and_metrics(tmp_path: Path, bank):
    store = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await store.upgrade()
    metrics = Metrics()
    engine = build_engine(store=store, bank=bank, observer=metrics)
    client = await client_for(store, metrics)
    try:
        assert (await client.get("/healthz")).status == 200
        ready = await client.get("/readyz")
        assert ready.status == 200 and (await ready.json())["checks"]["database"] is True
        actor = make_actor()
        await engine.run_text(actor, "today")
        await engine.run_text(actor, "answer thread pool")
        await engine.run_text(actor, "nonsense")
        page = await (await client.get("/metrics")).text()
        assert 'prepbot_commands_total{command="today",outcome="ok",platform="test"} 1.0' in page
        assert (
            'prepbot_commands_total{command="unknown",outcome="refused",platform="test"} 1.0'
            in page
        )
        assert 'prepbot_answers_total{platform="test"} 1.0' in page
        assert 'prepbot_command_seconds_count{command="answer"} 1.0' in page
        assert "prepbot_scheduler_lag_seconds" in page and "prepbot_mock_rounds_open" in page
    finally:
        await client.close()
        await engine.close()
        await store.close()


async def test_readyz_fails_when_the_database_is_gone():
    store = Store.from_url("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")  # refused
    client = await client_for(store, Metrics())
    try:
        assert (await client.get("/healthz")).status == 200  # alive all the same
        ready = await client.get("/readyz")
        body = await ready.json()
        assert ready.status == 503 and body == {
            "ready": False,
            "checks": {"database": False, "content": True},
        }
    finally:
        await client.close()
        await store.close()
