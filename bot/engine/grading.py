"""Which key points an answer covers, by meaning as far as words can tell, and why.

A key point counts as covered when one clause of the answer
- contains one of the point's `match` alternatives (words or phrases that express it:
  synonyms, abbreviations, library names), all of its words in that clause; or, for a point
  without alternatives, at least half of the point's significant words;
- and agrees on negation: a "not" that reaches the matched words (up to three words before
  them) turns the claim, so "not thread-safe" does not cover "thread-safe", while an
  alternative that is itself negated ("copies nothing") needs the negation.

Words are compared by their Snowball stems ("threads" ~ "thread", "blocking" ~ "blocks").
A bare list of keywords (hardly any of the small words sentences are made of) covers
nothing: a key point is a claim, and a list of terms makes none. Every decision keeps the
words that made it, so the reply can say what matched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

FILLER = frozenset(
    """also because been being both does each even from have into just like made make many
    more most much must only other over same some such than that their them then there these
    they this those through very what when where which while will with within without would
    your about after before between""".split()
)
# Words that turn a claim around within its clause.
NEGATIONS = frozenset(
    """not no never cannot cant can't don't dont doesn't doesnt isn't isnt aren't arent
    won't wont shouldn't shouldnt mustn't wasn't weren't without nor neither nothing
    nobody""".split()
)
# The small words of sentences; a keyword list has almost none of them.
FUNCTION_WORDS = frozenset(
    """a an the is are was were be it its it's this that these those to of in on for with by
    and or but so if then because when as at from you your we i they he she can will would
    should does do did has have had not no use using uses used which what how why my our
    his her their them him me us there here about into onto over under up down out off than
    too very just also more most some any all each every one two""".split()
)
SHORT_FILLER = frozenset(
    "and are but can for get got had has its may new not now one own put see set the too two "
    "use via way who why how yes you all any few lot per etc".split()
)
MIN_FUNCTION_SHARE = 0.12  # below this share of function words, an answer is a keyword list
NEGATION_REACH = 3  # words before a claim that a "not" may stand at and still turn it
MIN_SENTENCE_WORDS = 6
CLAUSE = re.compile(r"[.;:!?\n]+|,\s+|\s+(?:but|however|whereas|while|although)\s+", re.I)
WORD = re.compile(r"[a-z0-9_]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class KeyPoint:
    """A key point and the words or phrases that also express it."""

    text: str
    match: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coverage:
    """Whether an answer covers one key point, and the words that decided it."""

    covered: bool
    matched: str = ""  # what in the answer matched (an alternative, or the shared words)


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word's Snowball stem ("threads" -> "thread")."""
    return _stemmer().stemWord(word.lower())


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def significant(text: str) -> set[str]:
    """The stems of a text's content words: not filler, and three letters or more, so that
    GIL, CPU, SQL or ORM count."""
    return {
        stem(w)
        for w in words(text)
        if len(w) >= 3 and w not in FILLER and w not in FUNCTION_WORDS and w not in SHORT_FILLER
    }


def _negated(tokens: Sequence[str]) -> bool:
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens)


@dataclass(frozen=True)
class _Clause:
    stems: frozenset[str]
    negated: bool
    tokens: tuple[str, ...] = ()

    def negated_near(self, wanted: frozenset[str]) -> bool:
        """Whether a negation reaches the matched words: from NEGATION_REACH words before
        the first of them to the last ("it is not thread-safe", not "X, which is not Y")."""
        if not self.tokens:
            return self.negated
        at = [i for i, t in enumerate(self.tokens) if stem(t) in wanted]
        start, end = max(0, min(at) - NEGATION_REACH), max(at)
        return _negated(self.tokens[start : end + 1])


def _clauses(answer: str) -> list[_Clause]:
    clauses = []
    for part in CLAUSE.split(answer):
        tokens = words(part)
        if tokens:
            stems = frozenset(stem(t) for t in tokens)
            clauses.append(_Clause(stems, _negated(tokens), tuple(tokens)))
    return clauses


def is_keyword_list(answer: str) -> bool:
    """Terms without sentences: almost none of the small words sentences are made of."""
    tokens = words(answer)
    if len(tokens) < MIN_SENTENCE_WORDS:
        return False  # too short to tell; a short answer covers little anyway
    share = sum(t in FUNCTION_WORDS for t in tokens) / len(tokens)
    return share < MIN_FUNCTION_SHARE


def _alternative_stems(phrase: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(phrase) if w not in FUNCTION_WORDS) or frozenset(
        stem(w) for w in words(phrase)
    )


def cover_point(clauses: list[_Clause], point: KeyPoint, whole: _Clause | None) -> Coverage:
    """One key point against an answer's clauses (and, for its own words, `whole`: what the
    answer affirms across clauses)."""
    for alternative in point.match:
        wanted = _alternative_stems(alternative)
        # An alternative says the point its own way, negated or not ("copies nothing",
        # "not when defined"): the clause must agree with the alternative.
        negated = _negated(words(alternative))
        for clause in clauses:
            if wanted and wanted <= clause.stems and clause.negated_near(wanted) == negated:
                return Coverage(True, alternative)
    if point.match:
        return Coverage(False)
    negated = _negated(words(point.text))
    wanted = significant(point.text) or {stem(w) for w in words(point.text)}
    for clause in [*clauses, *([whole] if whole else [])]:
        hits = wanted & clause.stems
        if wanted and len(hits) * 2 >= len(wanted) and clause.negated_near(hits) == negated:
            return Coverage(True, ", ".join(sorted(hits)))
    return Coverage(False)


def cover(answer: str, points: Sequence[KeyPoint]) -> list[Coverage]:
    """For each key point, whether the answer covers it and what matched."""
    if is_keyword_list(answer):
        return [Coverage(False) for _ in points]
    clauses = _clauses(answer)
    affirmed = [c.stems for c in clauses if not c.negated]
    # A point without alternatives may also be made across clauses, from what is affirmed.
    whole = _Clause(frozenset().union(*affirmed), False) if len(affirmed) > 1 else None
    return [cover_point(clauses, point, whole) for point in points]


def covered_points(answer: str, key_points: Sequence[str]) -> list[bool]:
    """Coverage of plain key points (no alternatives), as booleans."""
    return [c.covered for c in cover(answer, [KeyPoint(p) for p in key_points])]
