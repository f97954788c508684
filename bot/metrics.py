"""Prometheus metrics: one registry per process, built by the composition root."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """What `/metrics` shows; the engine and scheduler report through it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "prepbot_commands",
            "Commands and button clicks handled, by name, platform and outcome.",
            ["command", "platform", "outcome"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "prepbot_command_seconds",
            "Time the engine took per command.",
            ["command"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.answers = Counter(
            "prepbot_answers", "Answers recorded.", ["platform"], registry=self.registry
        )
        self.posts = Counter(
            "prepbot_posts",
            "Scheduled posts, by platform and result (made or failed).",
            ["platform", "result"],
            registry=self.registry,
        )
        self.scheduler_lag = Gauge(
            "prepbot_scheduler_lag_seconds",
            "How late the latest scheduled job started after its due time.",
            registry=self.registry,
        )
        self.mock_rounds_open = Gauge(
            "prepbot_mock_rounds_open", "Mock-interview rounds open now.", registry=self.registry
        )

    # The engine's observer interface --------------------------------------------------

    def command(self, name: str, platform: str, seconds: float, outcome: str) -> None:
        self.commands.labels(name, platform, outcome).inc()
        self.command_seconds.labels(name).observe(seconds)

    def answer(self, platform: str) -> None:
        self.answers.labels(platform).inc()

    def rounds_open(self, count: int) -> None:
        self.mock_rounds_open.set(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
