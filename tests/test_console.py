"""The console adapter as a person scripts it: `prepbot console` with piped stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURE_CONTENT


def console(db: Path, script: str, *extra_env: tuple[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PREPBOT_BUILTIN_CONTENT": "false",
        "PREPBOT_CONTENT_DIRS": str(FIXTURE_CONTENT),
        "DATABASE_URL": "sqlite+aiosqlite:///unused.db",
        **dict(extra_env),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--db", str(db), "--user", "ann"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_scripted_session_keeps_its_streak_across_runs(tmp_path: Path):
    db = tmp_path / "console.db"
    first = console(
        db, "today\nanswer A thread pool reuses worker threads\ngrade good\nstreak\nquit\n"
    )
    assert first.returncode == 0, first.stderr
    assert "Question of the day" in first.stdout
    assert "Answer saved" in first.stdout and "✅ thread pool reuses worker threads" in first.stdout
    assert "Graded Good" in first.stdout
    assert "1 day streak, today counted" in first.stdout
    second = console(db, "/prep streak\n")
    assert second.returncode == 0, second.stderr
    assert "1 day streak, today counted" in second.stdout
    assert "Traceback" not in first.stderr + second.stderr


def test_bad_input_gets_a_one_line_hint_never_a_traceback(tmp_path: Path):
    script = "\n".join(
        [
            "frobnicate",
            "grade",
            "grade superb",
            "question nosuchtopic",
            "timezone Mars/Olympus",
            "leaderboard forever",
            "answer " + "y" * 10_000,
            "",
        ]
    )
    result = console(tmp_path / "c.db", script)
    assert result.returncode == 0
    out = result.stdout
    assert "Unknown command `frobnicate`" in out
    assert "Usage: `grade <again|hard|good|easy>`" in out
    assert "Unknown topic `nosuchtopic`" in out
    assert "not a timezone I know" in out
    assert "`period` is one of week, month, all" in out
    assert "10,000 characters" in out
    assert "Traceback" not in out + result.stderr


def test_answer_without_text_reads_a_multiline_form(tmp_path: Path):
    result = console(
        tmp_path / "f.db",
        "today\nanswer\nthe event loop schedules coroutines\nand more\n\nstreak\n",
    )
    assert "Type your answer" in result.stdout
    assert "Answer saved" in result.stdout and "✅ event loop schedules coroutines" in result.stdout


def test_bad_content_is_reported_not_raised(tmp_path: Path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "topics.yaml").write_text("- slug: alpha\n  title: A\n")
    (broken / "q.yaml").write_text("- id: x\n  topic: [alpha\n")
    result = console(tmp_path / "b.db", "today\n", ("PREPBOT_CONTENT_DIRS", str(broken)))
    assert result.returncode == 1
    assert "q.yaml: line" in result.stderr and "Traceback" not in result.stderr


def test_run_without_tokens_points_at_the_console(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "No chat platform is configured" in result.stdout and "prepbot console" in result.stdout


def test_a_mock_round_in_the_console_and_its_export(tmp_path: Path):
    db = tmp_path / "mock.db"
    script = "\n".join(
        [
            "mock start candidate:ann topics:alpha count:2 minutes:30",
            "mock answer The thread pool reuses worker threads",
            "mock score 4 solid",
            "mock next",
            "mock score 3",
            "mock next",
            "mock history",
            "",
        ]
    )
    result = console(db, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Question 1 of 2" in out and "Key · Q1" in out  # the lead's key
    assert "mock score 1-5 [note]" in out
    assert "Scorecard · ann" in out and "Total: 7/10" in out and "Average: 3.5" in out
    assert "ann · 3.5/5 · lead ann" in out
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "PREPBOT_BUILTIN_CONTENT": "false",
        "PREPBOT_CONTENT_DIRS": str(FIXTURE_CONTENT),
    }
    exported = subprocess.run(
        [sys.executable, "-m", "bot", "mock", "export", "--format", "csv"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    lines = exported.splitlines()
    assert lines[0] == "round,date,candidate,lead,position,topic,question,score,seconds,note"
    assert lines[1].endswith(",4,0,solid") and lines[2].endswith(",3,0,")


def test_a_group_round_and_a_timeout_across_console_sessions(tmp_path: Path):
    import sqlite3
    from datetime import UTC, datetime, timedelta

    db = tmp_path / "group.db"
    first = console(
        db,
        "mock start group topics:alpha count:2 minutes:20\n"
        "mock answer everyone's first answer\n"
        "mock score 3 fine\n"
        "mock next\n",
    )
    assert first.returncode == 0, first.stderr
    assert (
        "2 questions for the group" in first.stdout and "everyone answers privately" in first.stdout
    )
    assert "== Answered ==\nann" in first.stdout
    # The bot is closed; time passes beyond the round's deadline.
    past = (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE mock_rounds SET deadline = ?", (past.strftime("%Y-%m-%d %H:%M:%S.%f"),)
        )
    second = console(db, "streak\n")
    assert "== Scorecard · group ==" in second.stdout and "time is up" in second.stdout
    assert "3/5** in" not in second.stdout  # bold markers are dropped in the terminal
    assert "1. Alpha Topic: 3/5 in" in second.stdout and "fine" in second.stdout
    third = console(db, "mock next\n")
    assert "No mock interview is open here" in third.stdout
