"""Community content on the console (a scripted session) and from the command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from tests.conftest import FIXTURE_CONTENT
from tests.test_community import question
from tests.test_console import console


def write_pack(path: Path, questions: list[dict]) -> Path:
    path.write_text(yaml.safe_dump(questions))
    return path


def test_the_whole_flow_in_a_console_session(tmp_path: Path):
    bad = write_pack(
        tmp_path / "bad.yaml",
        [
            question("x", topic="astrology"),
            {k: v for k, v in question("y").items() if k != "answer"},
            question("z", difficulty="brutal"),
        ],
    )
    good = write_pack(tmp_path / "good.yaml", [question("lock-1"), question("lock-2")])
    script = [
        "suggest",
        *("How does a thread pool bound the work in flight?", ""),
        *("It keeps a fixed number of worker threads and queues the rest.", ""),
        *("fixed number of workers", "queued tasks wait", ""),
        *("alpha medium", ""),
        *("", ""),  # no hint
        "suggestions",
        "Edit",
        *("How does a pool bound the work in flight?", ""),
        *("", "", "", ""),  # the rest as they were
        "Approve",
        "topics",
        "question s1.suggestion-1",
        f"pack add {bad}",
        "pack list",
        f"pack add {good}",
        "pack list",
        "pack disable good",
        "question s1.lock-1",
        "pack remove good",
        "question alpha-easy-1",
        "reveal",
        "Report a problem",
        *("The second key point is wrong.", ""),
        "reports",
        "suggest",
        *("What does a semaphore bound?", ""),
        *("How many tasks hold it at once; the rest wait for a release.", ""),
        *("a counter of permits", ""),
        *("alpha easy", ""),
        *("", ""),
        "suggestions",
        "Reject",
        *("Duplicate of alpha-easy-1.", ""),
        "streak",  # any command: the notices are shown before it
        "quit",
    ]
    run = console(tmp_path / "c.db", "\n".join(script) + "\n")
    out = run.stdout
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "Suggestion sent" in out and "Suggestion 1 · by ann" in out
    assert "Suggestion edited" in out and "It is question `s1.suggestion-1`" in out
    assert "Your suggestion is question `s1.suggestion-1` now" in out  # the DM, in the console
    assert "(`alpha`): 7 (3 easy · 3 medium · 1 hard)" in out
    assert "How does a pool bound the work in flight?" in out and "suggested by ann" in out
    assert "3 problems; nothing imported" in out
    assert "Pack `good` added with 2 questions" in out and "`good`: 2 questions, on" in out
    assert "no longer drawn" in out and "No question has the id `s1.lock-1` here" in out
    assert "`good` and its 2 questions are gone" in out
    assert "Your report went to the admins" in out
    assert "alpha-easy-1 · 1 report" in out
    assert "Suggestion rejected" in out and "Why: Duplicate of alpha-easy-1." in out


def test_pack_add_and_content_reports_from_the_command_line(tmp_path, monkeypatch, capsys):
    from bot.cli import main
    from bot.store.store import Store

    db = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("PREPBOT_BUILTIN_CONTENT", "false")
    monkeypatch.setenv("PREPBOT_CONTENT_DIRS", str(FIXTURE_CONTENT))
    bad = write_pack(tmp_path / "bad.yaml", [question("x", topic="nope"), {"id": "y"}])
    assert main(["pack", "add", "--server", "discord:42", str(bad)]) == 1
    assert "nothing imported" in capsys.readouterr().err
    good = write_pack(tmp_path / "team.yaml", [question("lock-1")])
    assert main(["pack", "add", "--server", "discord:42", str(good)]) == 0
    assert "Pack team added with 1 question" in capsys.readouterr().out
    assert main(["pack", "list", "--server", "discord:42"]) == 0
    assert "team\t1 questions\ton" in capsys.readouterr().out
    assert main(["pack", "list", "--server", "irc:1"]) == 2

    async def report() -> None:
        store = Store.from_url(f"sqlite+aiosqlite:///{db}")
        server = await store.ensure_server("discord", "42")
        other = await store.ensure_server("slack", "T1")
        member = await store.ensure_member("discord", "7", "Ann")
        from datetime import datetime

        when = datetime(2026, 3, 1, 9, 0)
        await store.add_report(server.id, member.id, "alpha-easy-1", "Typo here.", when)
        await store.add_report(other.id, member.id, "alpha-easy-1", "Wrong claim.", when)
        await store.add_report(server.id, member.id, f"s{server.id}.lock-1", "Mine.", when)
        await store.close()

    asyncio.run(report())
    out = tmp_path / "reports.yaml"
    assert main(["content", "reports", "--export", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "alpha-easy-1: 2 report(s) from discord:42, slack:T1" in printed
    assert "lock-1" not in printed  # a server's own question is its admins' matter
    (entry,) = yaml.safe_load(out.read_text())
    assert entry["question"] == "alpha-easy-1" and entry["count"] == 2
    assert entry["file"].endswith("alpha.yaml")
    assert {r["text"] for r in entry["reports"]} == {"Typo here.", "Wrong claim."}
