"""`prepbot content import`: the seed list and malformed Markdown."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.cli import main
from bot.config import BUILTIN_CONTENT_DIR
from bot.engine.content import load_bank, load_valid_bank
from bot.importer import PLACEHOLDER_ANSWER, derive_id, parse_markdown

# A copy of the seed list the bank was built from: the import tests always run.
SEED = Path(__file__).resolve().parent / "fixtures" / "seed-list.md"


def shipped_topic(bank):
    def topic_for(section: str) -> str | None:
        found = bank.find_topic(section)
        return found.slug if found else None

    return topic_for


def test_ids_are_derived_from_significant_words_and_stable():
    question = "Explain the Global Interpreter Lock (GIL) in Python and its impact?"
    assert derive_id(question) == "global-interpreter-lock-gil-python"
    assert derive_id("Describe Python's garbage collection mechanism") == (
        "python-garbage-collection-mechanism"
    )
    assert derive_id(question) == derive_id(question)


def test_the_seed_list_imports_as_28_questions_in_8_topics(tmp_path: Path, capsys):
    out = tmp_path / "seed.yaml"
    assert main(["content", "import", str(SEED), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Imported 28 questions in 8 topics." in err
    assert "differences-between-python-2-python: empty answer" in err
    assert "image `resources/images/img.png` dropped" in err
    # What it wrote validates as a pack of its own.
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "topics.yaml").write_text((BUILTIN_CONTENT_DIR / "topics.yaml").read_text())
    (pack / "seed.yaml").write_text(out.read_text())
    bank, problems = load_bank([pack])
    assert problems == [] and len(bank) == 28


def test_every_seed_question_is_in_the_bank_with_a_full_answer():
    bank = load_valid_bank([BUILTIN_CONTENT_DIR])
    imported = parse_markdown(SEED.read_text(), topic_for=shipped_topic(bank))
    assert len(imported.questions) == 28
    for q in imported.questions:
        ours = bank.get(q["id"])
        assert ours is not None, q["id"]
        assert "seed" in ours.tags and ours.topic == q["topic"]
        assert len(ours.answer.split()) >= 80 and ours.follow_ups


def test_structure_is_kept_links_become_references():
    text = "\n".join(
        [
            "> Python Fundamentals",
            "### What is a list?",
            "* A mutable sequence. It grows.",
            "  - nested detail",
            "1. numbered item",
            "* [Details](https://docs.python.org/3/tutorial/datastructures.html)",
            "### What is a tuple?",
        ]
    )
    imported = parse_markdown(text, topic_for=lambda s: "python-fundamentals")
    first, second = imported.questions
    assert first["answer"] == "- A mutable sequence. It grows.\n  - nested detail\n- numbered item"
    assert first["key_points"] == ["A mutable sequence", "numbered item"]
    assert first["references"] == ["https://docs.python.org/3/tutorial/datastructures.html"]
    assert second["answer"] == PLACEHOLDER_ANSWER
    assert "tuple: empty answer" in " ".join(imported.notes)


def test_malformed_input_is_reported(tmp_path: Path, capsys):
    odd = tmp_path / "odd.md"
    odd.write_text(
        "intro text\n### \n### Orphan question?\n* an answer\n> Astrology\n### Why stars?\n"
    )
    assert main(["content", "import", str(odd)]) == 1
    captured = capsys.readouterr()
    assert "text before the first question" in captured.err
    assert "a `###` heading without a question" in captured.err
    assert "no `>` section line" in captured.err
    assert "section `Astrology` matches no topic" in captured.err
    assert "invalid:" in captured.err  # unknown topics do not validate
    assert yaml.safe_load(captured.out)[0]["id"] == "orphan-question"


def test_topic_map_and_empty_files(tmp_path: Path, capsys):
    md = tmp_path / "q.md"
    md.write_text("> Astrology\n### Why do stars twinkle at night?\n* turbulence\n")
    assert main(["content", "import", str(md), "--topic-map", "Astrology=system-design"]) == 0
    assert "topic: system-design" in capsys.readouterr().out
    empty = tmp_path / "empty.md"
    empty.write_text("")
    assert main(["content", "import", str(empty)]) == 1
    assert "nothing to import" in capsys.readouterr().err
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert main(["content", "import", str(binary)]) == 1
    assert "cannot read" in capsys.readouterr().err
