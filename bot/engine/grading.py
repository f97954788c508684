"""Which key points an answer covers: a simple, explainable word match.

A key point counts as covered when the answer contains at least half of the key point's
significant words (words of four letters or more that are not filler), compared by a
crude stem so that "threads" matches "thread" and "blocking" matches "blocks".
"""

from __future__ import annotations

import re

FILLER = frozenset(
    """also because been being both does each even from have into just like made make many
    more most much must only other over same some such than that their them then there these
    they this those through very what when where which while will with within without would
    your about after before between""".split()
)
SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def significant_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9_]+", text.lower())
    return {stem(w) for w in words if len(w) >= 4 and w not in FILLER}


def covered_points(answer: str, key_points: tuple[str, ...]) -> list[bool]:
    """For each key point, whether the answer covers it."""
    said = significant_words(answer)
    covered = []
    for point in key_points:
        wanted = significant_words(point) or {stem(w) for w in re.findall(r"\w+", point.lower())}
        hits = len(wanted & said)
        covered.append(bool(wanted) and hits * 2 >= len(wanted))
    return covered
