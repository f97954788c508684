"""The labelled evaluation set behind `bench/feedback.py` stays honest and in step with the
bank: enough pairs over enough questions and topics, and each item's key points are the
bank's current ones (a key point edited in the bank must be relabelled here)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_valid_bank

EVAL = Path(__file__).resolve().parent / "fixtures" / "feedback" / "eval.yaml"
LABELS = {"strong", "partial", "wrong", "keywords", "nonanswer"}


def test_the_evaluation_set_is_large_enough_and_matches_the_bank():
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    items = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    pairs = 0
    for item in items:
        q = bank.get(item["question"])
        assert q is not None and q.kind == "open", item["question"]
        assert item["label"] in LABELS
        assert item["key_points"] == list(q.key_points), f"relabel {q.id}: key points changed"
        assert all(0 <= i < len(q.key_points) for i in item["covered"])
        if item["label"] in ("keywords", "nonanswer"):
            assert item["covered"] == [], item["question"]
        pairs += len(q.key_points)
    assert pairs >= 150
    assert len({i["question"] for i in items}) >= 30
    assert len({bank.get(i["question"]).topic for i in items}) >= 8
    labels = Counter(i["label"] for i in items)
    assert all(labels[label] >= 5 for label in LABELS), labels


def test_the_matcher_meets_its_targets_on_the_labelled_set():
    """F1 at least 0.85 over answer/key-point pairs, and a wrong answer, a keyword list or a
    non-answer credited with half its key points or more in at most 5% of cases."""
    from bot.engine.grading import cover

    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    items = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    tp = fp = fn = unearned = unearned_half = 0
    for item in items:
        q = bank.get(item["question"])
        said = [c.covered for c in cover(item["answer"], q.points)]
        truth = [i in item["covered"] for i in range(len(q.key_points))]
        tp += sum(s and t for s, t in zip(said, truth, strict=True))
        fp += sum(s and not t for s, t in zip(said, truth, strict=True))
        fn += sum(t and not s for s, t in zip(said, truth, strict=True))
        if item["label"] in ("wrong", "keywords", "nonanswer"):
            unearned += 1
            unearned_half += sum(said) * 2 >= len(said)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.85, (precision, recall, f1)
    assert unearned_half <= 0.05 * unearned
