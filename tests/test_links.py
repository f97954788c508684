"""`prepbot content check-links --offline`: hosts, and versioned docs past their end of life."""

from __future__ import annotations

from bot.engine.content import Question
from bot.links import findings, hosts


def question(*refs: str) -> Question:
    return Question("q", "t", "easy", "?", "!", ("k",), references=refs)


def test_versioned_documentation_links_are_judged_by_their_support_window():
    q = question(
        "https://docs.djangoproject.com/en/5.1/topics/cache/",
        "https://docs.djangoproject.com/en/5.2/topics/cache/",
        "https://docs.djangoproject.com/en/stable/topics/cache/",
        "https://docs.python.org/3/library/asyncio.html",
        "https://docs.python.org/3.8/library/asyncio.html",
        "https://docs.python.org/3.12/library/asyncio.html",
        "https://www.postgresql.org/docs/12/sql-select.html",
        "https://www.postgresql.org/docs/current/sql-select.html",
        "https://peps.python.org/pep-0703/",
    )
    verdicts = {(f.url.split("/")[2], f.version, f.verdict) for f in findings([q])}
    assert verdicts == {
        ("docs.djangoproject.com", "5.1", "end of life"),
        ("docs.djangoproject.com", "5.2", "not current"),
        ("docs.python.org", "3.8", "end of life"),
        ("docs.python.org", "3.12", "not current"),
        ("www.postgresql.org", "12", "end of life"),
    }
    assert hosts([q])["docs.python.org"] == 3


def test_the_command_lists_hosts_and_says_what_it_checked(tmp_path):
    import subprocess
    import sys

    from tests.conftest import FIXTURE_CONTENT, ROOT

    done = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check-links", "--offline"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PREPBOT_BUILTIN_CONTENT": "false",
            "PREPBOT_CONTENT_DIRS": str(FIXTURE_CONTENT),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "docs.python.org" in done.stdout and "0 link(s) to end-of-life" in done.stdout
