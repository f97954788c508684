"""A real `prepbot run` process pointed at a fake platform, for wire-level tests and benches."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.fakes.discord_server import FakeDiscord

FIXTURE_CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "content"
START_TIMEOUT = 45.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """`python -m bot run` pointed at the fake; restartable, always terminated."""

    def __init__(self, fake: FakeDiscord, workdir: Path, **env: str):
        self.fake = fake
        self.workdir = workdir
        own = ("DISCORD_", "SLACK_", "PREPBOT_", "DATABASE_URL", "LOG_")  # none of the caller's
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
        self.env.update(
            {
                **fake.env(),
                "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'prepbot.db'}",
                "PREPBOT_BUILTIN_CONTENT": "false",
                "PREPBOT_CONTENT_DIRS": str(FIXTURE_CONTENT),
                "LOG_LEVEL": "DEBUG",
                **env,
            }
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []
        self.starts = 0

    serve_dashboard = False  # set PREPBOT_PUBLIC_URL to the web server's own address
    # Its own session, as a service manager starts each instance: the kernel then shares the
    # CPU between it and the caller's processes rather than within the caller's one group.
    own_session = False

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the process without waiting (several instances then start together)."""
        port = self.port = free_port()
        self.env["PREPBOT_WEB_PORT"] = str(port)
        if self.serve_dashboard:
            self.env["PREPBOT_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        log = self.workdir / f"stderr-{len(self.logs)}.log"
        self.logs.append(log)
        identified = self.fake.identified
        with log.open("wb") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=self.workdir,
                env=self.env,
                stdout=sink,
                stderr=sink,
                start_new_session=self.own_session,
            )
        self.starts += 1
        self._identified = identified

    def wait_ready(self) -> None:
        """Until /readyz answers 200 and the process has identified on the fake gateway."""
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready(self.port):
            if self.proc.poll() is not None:
                raise AssertionError(f"prepbot exited at start-up:\n{self.stderr()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"prepbot did not become ready:\n{self.stderr()}")
            time.sleep(0.1)
        self.fake.wait_identified(self._identified + 1)

    @staticmethod
    def _ready(port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        return proc.returncode

    def restart(self) -> None:
        self.stop()
        self.start()

    def stderr(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())
