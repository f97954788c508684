"""The shipped question bank: every file validates, and the bank is worth practising with."""

from __future__ import annotations

import doctest
import itertools
import json
import re
import subprocess
import sys
import warnings
from collections import Counter

import pytest

from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import DIFFICULTIES, load_valid_bank
from bot.engine.grading import stem
from bot.importer import ID_STOPWORDS
from bot.links import findings
from tests.interpreters import SUPPORTED, InterpreterMissing, find_interpreters

BANK = load_valid_bank([BUILTIN_CONTENT_DIR])
# Questions answered in words; the predict-the-output ones have tests of their own
# (tests/test_output_questions.py).
OPEN = [q for q in BANK.questions.values() if q.kind == "open"]
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
# Prompt similarity: Jaccard overlap of the stemmed significant words of two prompts.
# Question templates ("what is the difference between ... and when should you use each")
# are not significant. Pairs at or above the threshold are near-duplicates; the closest
# distinct pair in the bank today scores about 0.35.
TEMPLATE_WORDS = frozenset("difference differences between each should would python".split())
SIMILARITY_THRESHOLD = 0.6


def significant(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9_]+", text.lower())
    return {stem(w) for w in words if len(w) > 2 and w not in ID_STOPWORDS | TEMPLATE_WORDS}


def similarity(a: str, b: str) -> float:
    x, y = significant(a), significant(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def test_bank_size_and_spread():
    assert len(BANK) >= 240
    for slug in BANK.topics:
        questions = BANK.by_topic[slug]
        assert len(questions) >= 15, slug
        counts = Counter(q.difficulty for q in questions)
        for level in DIFFICULTIES:
            assert counts[level] >= 0.2 * len(questions), (slug, level, counts)


@pytest.mark.parametrize("q", OPEN, ids=lambda q: q.id)
def test_each_question_is_complete(q):
    words = len(q.answer.split())
    assert 80 <= words <= 400, f"{q.id}: {words} words"
    assert 3 <= len(q.key_points) <= 6
    assert q.follow_ups and q.tags and q.references
    assert all(ref.startswith("https://") for ref in q.references)
    assert "TODO" not in q.answer


def test_no_near_duplicate_prompts():
    close = [
        (round(similarity(a.question, b.question), 2), a.id, b.id)
        for a, b in itertools.combinations(OPEN, 2)
        if similarity(a.question, b.question) >= SIMILARITY_THRESHOLD
    ]
    assert not close


def test_the_similarity_measure_catches_a_rewording():
    a = "How does Python's garbage collector find reference cycles?"
    b = "How does the garbage collector in Python find cycles of references?"
    assert similarity(a, b) >= SIMILARITY_THRESHOLD


SNIPPETS = [
    (q.id, n, lang, code)
    for q in OPEN
    for n, (lang, code) in enumerate(FENCE.findall(q.answer))
    if lang in ("python", "py", "pycon")
]


@pytest.mark.parametrize(
    ("qid", "n", "lang", "code"), SNIPPETS, ids=[f"{s[0]}-{s[1]}" for s in SNIPPETS]
)
def test_python_snippets_compile_and_doctests_pass(qid, n, lang, code):
    if ">>>" not in code:
        compile(code, f"{qid}#{n}", "exec")
        return
    test = doctest.DocTestParser().get_doctest(code, {}, f"{qid}#{n}", qid, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)


# The same doctests on every other supported Python, all snippets of one interpreter in one
# process: a message that changed between versions shows up here.
DOCTEST_RUNNER = r"""
import doctest, json, sys
failed = []
for qid, code in json.load(sys.stdin):
    test = doctest.DocTestParser().get_doctest(code, {}, qid, qid, 0)
    out = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=out.append)
    if runner.failures:
        failed.append([qid, "".join(out)[-600:]])
print(json.dumps(failed))
"""


def test_doctests_pass_on_every_supported_python():
    snippets = [[f"{qid}#{n}", code] for qid, n, _lang, code in SNIPPETS if ">>>" in code]
    others = {v: exe for v, exe in find_interpreters().items() if v != sys.version_info[:2]}
    for version in SUPPORTED:
        if version not in others and version != sys.version_info[:2]:
            warnings.warn(
                InterpreterMissing(
                    f"Python {version[0]}.{version[1]} not found: doctests unchecked"
                ),
                stacklevel=1,
            )
    for version, exe in sorted(others.items()):
        done = subprocess.run(
            [exe, "-c", DOCTEST_RUNNER],
            input=json.dumps(snippets),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout) == [], f"Python {version}: {done.stdout[:3000]}"


def test_no_reference_links_to_end_of_life_documentation():
    stale = [f"{f.question}: {f.url}" for f in findings(BANK.questions.values())]
    assert [s for s in stale if "/5.0/" in s or "/5.1/" in s] == []
    assert [f for f in findings(BANK.questions.values()) if f.verdict == "end of life"] == []


def test_every_question_carries_its_review_record():
    assert [q.id for q in BANK.questions.values() if not q.reviewed] == []
