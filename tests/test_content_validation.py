"""`prepbot content validate`: every kind of problem named by file, question and field."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine.content import MAX_ANSWER, load_bank
from tests.conftest import FIXTURE_CONTENT

GOOD = """\
- id: good-one
  topic: alpha
  difficulty: easy
  question: What is a good question?
  answer: One that has an answer.
  hints: [Think about what makes a question worth asking.]
  key_points: [it has an answer]
  follow_ups: [What comes next]
"""


def pack(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    directory = tmp_path / "pack"
    directory.mkdir(exist_ok=True)
    shutil.copy(FIXTURE_CONTENT / "topics.yaml", directory / "topics.yaml")
    (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def problems_of(directory: Path) -> list[str]:
    _bank, problems = load_bank([directory])
    return [str(p) for p in problems]


def test_a_clean_pack_validates(tmp_path: Path, capsys):
    directory = pack(tmp_path, GOOD)
    assert problems_of(directory) == []
    assert main(["content", "validate", str(directory)]) == 0
    assert "OK: 1 questions" in capsys.readouterr().out


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path, capsys):
    directory = pack(tmp_path, "- id: broken\n  topic: [alpha\n")
    assert main(["content", "validate", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "extra.yaml: line" in out and "malformed YAML" in out


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (("topic: alpha", "topic: astrology"), "topic", "unknown topic"),
        (("difficulty: easy", "difficulty: brutal"), "difficulty", "use one of easy, medium, hard"),
        (("question: What is a good question?", "question: ''"), "question", "missing or empty"),
        (("  answer: One that has an answer.\n", ""), "answer", "missing or empty"),
        (("key_points: [it has an answer]", "key_points: []"), "key_points", "missing or empty"),
        (
            ("key_points: [it has an answer]", "key_points: it has"),
            "key_points",
            "list of non-empty",
        ),
        (("id: good-one", "id: Not A Slug"), "id", "lowercase slug"),
        (("  hints: [Think about what makes a question worth asking.]\n", ""), "hints", "missing"),
        (
            ("key_points: [it has an answer]", "key_points: [{point: it has, match: 3}]"),
            "key_points",
            "`match` is a list",
        ),
        (
            (
                "key_points: [it has an answer]",
                "key_points: [it has an answer]\n  hints: [It has an answer]",
            ),
            "hints",
            "gives a key point away",
        ),
        (
            (
                "key_points: [it has an answer]",
                "key_points: [it has an answer]\n  hints: [a, b, c, d]",
            ),
            "hints",
            "at most 3 hints",
        ),
        (
            ("follow_ups: [What comes next]", "follow_ups: [What comes next]\n  colour: red"),
            "colour",
            "unknown field",
        ),
    ],
)
def test_each_problem_names_file_question_and_field(tmp_path: Path, change, field, message):
    directory = pack(tmp_path, GOOD.replace(*change))
    problems = problems_of(directory)
    assert len(problems) == 1, problems
    assert "extra.yaml" in problems[0] and f": {field}: " in problems[0] and message in problems[0]


def test_duplicate_ids_across_files(tmp_path: Path):
    directory = pack(tmp_path, GOOD)
    (directory / "other.yaml").write_text(GOOD, encoding="utf-8")
    problems = problems_of(directory)
    assert len(problems) == 1 and "good-one: id: duplicate id" in problems[0]


def test_texts_too_long_for_slack_or_discord(tmp_path: Path):
    long_answer = "x" * (MAX_ANSWER + 1)
    directory = pack(tmp_path, GOOD.replace("One that has an answer.", long_answer))
    problems = problems_of(directory)
    assert len(problems) == 1 and "answer" in problems[0] and "fit every platform" in problems[0]


def test_not_a_list(tmp_path: Path):
    directory = pack(tmp_path, "id: lonely\n")
    assert "must be a list of questions" in problems_of(directory)[0]


def test_the_cli_exits_1_and_counts_problems(tmp_path: Path, capsys):
    directory = pack(tmp_path, GOOD.replace("difficulty: easy", "difficulty: 7"))
    assert main(["content", "validate", str(directory)]) == 1
    captured = capsys.readouterr()
    assert "good-one: difficulty" in captured.out and "1 problem(s)" in captured.err


def test_key_points_may_carry_other_wordings_and_questions_hints(tmp_path: Path):
    from bot.engine.content import load_valid_bank

    text = GOOD.replace(
        "key_points: [it has an answer]",
        "key_points:\n    - point: it runs in separate processes"
        "\n      match: [ProcessPoolExecutor]"
        "\n  hints: [Think about what blocks the interpreter.]",
    )
    bank = load_valid_bank([pack(tmp_path, text)])
    q = bank.get("good-one")
    assert q.key_points == ("it runs in separate processes",)
    assert q.points[0].match == ("ProcessPoolExecutor",)
    assert q.hints == ("Think about what blocks the interpreter.",)


def test_yaml_aliases_and_oversized_files_are_refused(tmp_path: Path):
    laughs = "- &a [x, x, x]\n- &b [*a, *a, *a]\n- &c [*b, *b, *b]\n"
    problems = problems_of(pack(tmp_path, laughs))
    assert any("aliases (*name) are not allowed" in p for p in problems), problems
    big = "- " + "x" * 1_100_000 + "\n"
    problems = problems_of(pack(tmp_path, big, name="big.yaml"))
    assert any("big.yaml" in p and "larger than 1 MB" in p for p in problems), problems
