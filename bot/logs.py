"""Logging set-up: text or JSON lines, with secrets masked wherever they appear."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable

MASK = "***"


class SecretFilter(logging.Filter):
    """Replaces any configured secret value in a record's final message."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        # Short values are masked only in a form that cannot occur by chance (`:pw@`).
        self.secrets = sorted(
            {s for s in secrets if s and (len(s) >= 6 or s.startswith(":"))}, key=len, reverse=True
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        for secret in self.secrets:
            message = message.replace(secret, MASK)
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        for key in ("command", "platform", "duration_ms", "channel", "post_id"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        return json.dumps(payload, ensure_ascii=False)


def configure(*, level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr in the chosen format; mask secrets."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries are chatty at INFO; their warnings still show.
    for name in ("discord", "slack_bolt", "slack_sdk", "apscheduler", "aiosqlite", "alembic"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))
