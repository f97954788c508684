"""`prepbot doctor` against the fake Discord and Slack: passing and failing checklists."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.doctor import SLACK_SCOPES
from tests.conftest import FIXTURE_CONTENT, ROOT
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack


async def doctor(tmp_path: Path, **env: str) -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=tmp_path,
        env={
            **base,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
            "PREPBOT_BUILTIN_CONTENT": "false",
            "PREPBOT_CONTENT_DIRS": str(FIXTURE_CONTENT),
            "PYTHONPATH": str(ROOT),
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode()


async def test_no_platform_is_fine(tmp_path: Path):
    code, out = await doctor(tmp_path)
    assert code == 0, out
    assert "✔ database:" in out and "is empty; `prepbot run` migrates it" in out
    assert "✔ content: 10 questions in 3 topics" in out
    assert "none configured" in out and "All good." in out
    assert "✔ web dashboard: off" in out


async def test_the_dashboard_check_says_what_is_missing(tmp_path: Path):
    code, out = await doctor(tmp_path, PREPBOT_PUBLIC_URL="http://prep.example.com")
    assert code == 0, out
    assert "links point at http://prep.example.com/dashboard/" in out
    assert "PREPBOT_DASHBOARD_SECRET is not set" in out and "behind TLS" in out


async def test_discord_token_works_and_is_refused(tmp_path: Path):
    with FakeDiscord() as fake:
        code, out = await doctor(tmp_path, **fake.env())
        assert code == 0, out
        assert "✔ discord: signed in as prepbot" in out
        assert "scope=bot+applications.commands" in out
        assert fake.token not in out
        env = {**fake.env(), "DISCORD_TOKEN": "not-the-token"}
        code, out = await doctor(tmp_path, **env)
    assert code == 1
    assert "✘ discord: DISCORD_TOKEN was refused (401)" in out and "1 check(s) failed." in out


async def test_slack_tokens_scopes_and_modes(tmp_path: Path):
    async with FakeSlack(scopes=("commands", "chat:write")) as fake:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": fake.api_url,
        }
        code, out = await doctor(tmp_path, **env)
        assert code == 1
        assert "✔ slack: signed in as prepbot in Fake Team" in out
        assert "✘ slack scopes: missing chat:write.public" in out and "users:read" in out
        assert "✔ slack socket mode: app-level token works" in out
        assert BOT_TOKEN not in out and APP_TOKEN not in out
        fake.scopes = [*SLACK_SCOPES]
        code, out = await doctor(tmp_path, **env)
        assert code == 0, out
        code, out = await doctor(tmp_path, **{**env, "SLACK_APP_TOKEN": "xapp-wrong"})
        assert code == 1 and "✘ slack socket mode: SLACK_APP_TOKEN was refused" in out
        env.pop("SLACK_APP_TOKEN")
        code, out = await doctor(
            tmp_path, **{**env, "SLACK_SIGNING_SECRET": "s" * 32, "SLACK_BOT_TOKEN": "xoxb-x"}
        )
        assert code == 1 and "✘ slack: SLACK_BOT_TOKEN was refused (invalid_auth)" in out


async def test_a_broken_pack_fails_the_content_check(tmp_path: Path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "topics.yaml").write_text("- slug: a\n  title: A\n")
    (broken / "q.yaml").write_text("- id: x\n  topic: [a\n")
    code, out = await doctor(tmp_path, PREPBOT_CONTENT_DIRS=str(broken))
    assert code == 1 and "✘ content: 1 problem(s)" in out and "malformed YAML" in out
