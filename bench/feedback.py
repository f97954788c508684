"""How well the key-point matcher judges answers: precision, recall and F1 on a labelled set.

    .venv/bin/python bench/feedback.py

The set (tests/fixtures/feedback/eval.yaml) holds answers as candidates type them (strong
ones in their own words, partial, confidently wrong, bare keyword lists, non-answers), each
labelled with the key points it truly covers. A pair is one answer and one key point.
Printed beside the matcher: the rule it replaced (half of a point's words of four letters
or more anywhere in the answer, crude suffix stemming), run on the same set in the same run.
Also printed: how often a wrong answer, a keyword list or a non-answer is given half of its
key points or more (target: at most 5%).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_valid_bank
from bot.engine.grading import FILLER, cover

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "fixtures" / "feedback" / "eval.yaml"
UNEARNED = ("wrong", "keywords", "nonanswer")
Judge = Callable[[str, object], list[bool]]


def previous_rule(answer: str, question: object) -> list[bool]:
    """The matcher before: half of a key point's long words anywhere in the answer."""

    def stem(word: str) -> str:
        for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                return word[: -len(suffix)]
        return word

    def long_words(text: str) -> set[str]:
        return {stem(w) for w in re.findall(r"[a-z0-9_]+", text.lower()) if len(w) >= 4}

    said = long_words(answer) - FILLER
    result = []
    for point in question.key_points:
        wanted = long_words(point) - FILLER
        result.append(bool(wanted) and len(wanted & said) * 2 >= len(wanted))
    return result


def matcher(answer: str, question: object) -> list[bool]:
    return [c.covered for c in cover(answer, question.points)]


def evaluate(items: Sequence[dict], bank: object, judge: Judge) -> dict[str, float]:
    tp = fp = fn = 0
    unearned = unearned_half = 0
    for item in items:
        q = bank.get(item["question"])
        said = judge(item["answer"], q)
        truth = [i in item["covered"] for i in range(len(q.key_points))]
        tp += sum(s and t for s, t in zip(said, truth, strict=True))
        fp += sum(s and not t for s, t in zip(said, truth, strict=True))
        fn += sum(t and not s for s, t in zip(said, truth, strict=True))
        if item["label"] in UNEARNED:
            unearned += 1
            unearned_half += sum(said) * 2 >= len(said)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "unearned_half": unearned_half / unearned if unearned else 0.0,
    }


def by_label(items: Sequence[dict], bank: object, judge: Judge) -> dict[str, float]:
    """Share of each label's answers credited with half of their key points or more."""
    shares = {}
    for label in ("strong", "partial", *UNEARNED):
        chosen = [i for i in items if i["label"] == label]
        half = 0
        for item in chosen:
            said = judge(item["answer"], bank.get(item["question"]))
            half += sum(said) * 2 >= len(said)
        shares[label] = half / len(chosen) if chosen else 0.0
    return shares


def main() -> int:
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    items = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    pairs = sum(len(bank.get(i["question"]).key_points) for i in items)
    topics = {bank.get(i["question"]).topic for i in items}
    print(
        f"{len(items)} answers, {pairs} answer/key-point pairs, "
        f"{len({i['question'] for i in items})} questions, {len(topics)} topics"
    )
    rows = {"previous rule": previous_rule, "matcher": matcher}
    results = {name: evaluate(items, bank, judge) for name, judge in rows.items()}
    print(f"{'':>14}  precision  recall     F1   unearned half-credit")
    for name, r in results.items():
        print(
            f"{name:>14}  {r['precision']:9.2f}  {r['recall']:6.2f}  {r['f1']:5.2f}  "
            f"{r['unearned_half']:8.0%}"
        )
    print("\nanswers credited with half of their key points or more, by label:")
    for name, judge in rows.items():
        shares = by_label(items, bank, judge)
        print(f"{name:>14}  " + "  ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    before, after = results["previous rule"]["f1"], results["matcher"]["f1"]
    print(f"\nF1 {before:.2f} -> {after:.2f} (target 0.85); unearned half-credit target 5%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
