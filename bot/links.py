"""Reference links of the bank, read offline: which hosts they point at, and which pin a
documentation version that is past its end of life (or not the current one).

Nothing here fetches anything: the rules below are the support windows of each project's
documentation, kept by hand (update them when a release reaches its end of life).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.engine.content import Question

# (host, pattern of the version in the path, oldest supported, current)
VERSIONED_DOCS = (
    ("docs.djangoproject.com", re.compile(r"^/en/(\d+\.\d+)/"), (5, 2), (6, 0)),
    ("docs.python.org", re.compile(r"^/(\d+(?:\.\d+)?)/"), (3, 10), (3, 14)),
    ("www.postgresql.org", re.compile(r"^/docs/(\d+)/"), (14,), (18,)),
)


@dataclass(frozen=True)
class Finding:
    question: str
    url: str
    version: str
    verdict: str  # "end of life" | "not current"


def hosts(questions: Iterable[Question]) -> Counter[str]:
    """How many reference links point at each host."""
    return Counter(urlsplit(url).netloc for q in questions for url in q.references)


def findings(questions: Iterable[Question]) -> list[Finding]:
    """Versioned documentation links that are past their end of life or not current."""
    found = []
    for q in questions:
        for url in q.references:
            parts = urlsplit(url)
            for host, pattern, oldest, current in VERSIONED_DOCS:
                match = pattern.match(parts.path) if parts.netloc == host else None
                if match is None:
                    continue
                version = tuple(int(n) for n in match.group(1).split("."))
                if version == (3,) and host == "docs.python.org":
                    continue  # /3/ always shows the newest Python 3
                if version < oldest:
                    found.append(Finding(q.id, url, match.group(1), "end of life"))
                elif version < current:
                    found.append(Finding(q.id, url, match.group(1), "not current"))
    return found
