"""`prepbot content import`: a Markdown question list (the seed list's shape) as YAML.

The shape: `> Section` lines name topics, `### Question` headings start questions, and the
lines under a heading (`*`/`-`/`1.` bullets, nested bullets, text) are its answer. Links
become references; images cannot travel to chat and are dropped with a note; a question
with no answer gets a placeholder that says so, and the report lists it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

# Words that carry no meaning in an id: question words, fillers, "describe your experience".
ID_STOPWORDS = frozenset(
    """a an and are as at be by can do does for from how i in into is it its of on or over
    that the their them these this to use used using was what when where which while who why
    with you your explain describe discuss walk through concept concepts especially including
    process like e g have has experience""".split()
)
ID_WORDS = 5
PLACEHOLDER_ANSWER = "No answer in the source yet: write one before publishing this question."
PLACEHOLDER_POINT = "write the key points"
PLACEHOLDER_HINT = "No hint in the source yet: write one to three before publishing."
MAX_POINT = 150

LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
BULLET = re.compile(r"^(\s*)(?:[*-]|\d+[.)])\s+(.*)$")


def derive_id(question: str) -> str:
    """A stable id from a question's significant words (`global-interpreter-lock-gil-python`)."""
    text = re.sub(r"['’]s\b", "", question.lower())
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in ID_STOPWORDS]
    return "-".join(words[:ID_WORDS]) or "question"


@dataclass
class Imported:
    questions: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a reviewer must look at

    @property
    def topics(self) -> set[str]:
        return {q["topic"] for q in self.questions}


@dataclass
class _Draft:
    section: str
    heading: str
    line: int
    body: list[str] = field(default_factory=list)


def _split(text: str, notes: list[str]) -> list[_Draft]:
    drafts: list[_Draft] = []
    section = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if line.startswith(">"):
            section = line.lstrip("> ").strip().rstrip(":").strip()
        elif re.match(r"###(?!#)", line):
            heading = line[3:].strip()
            if not heading:
                notes.append(f"line {number}: a `###` heading without a question; skipped")
                continue
            drafts.append(_Draft(section, heading, number))
        elif line.startswith("#"):
            continue  # other headings are structure, not content
        elif drafts:
            drafts[-1].body.append(line)
        elif line.strip():
            notes.append(f"line {number}: text before the first question; ignored")
    return drafts


def _convert_body(draft: _Draft, qid: str, notes: list[str]) -> tuple[str, list[str], list[str]]:
    """(answer markdown, key points, references) from a question's lines."""
    lines: list[str] = []
    points: list[str] = []
    references: list[str] = []
    in_code = False
    for line in draft.body:
        opens_span = line.lstrip().startswith("`") and line.count("`") == 1
        if not in_code and opens_span:  # a code span over several lines: make it a fenced block
            in_code = True
            lines += ["```python", line.lstrip()[1:]]
            continue
        if in_code:
            if line.rstrip().endswith("`"):
                lines += [line.rstrip()[:-1], "```"]
                in_code = False
            else:
                lines.append(line)
            continue
        for bang, _label, url in LINK.findall(line):
            if bang:
                notes.append(f"{qid}: image `{url}` dropped (chat cards carry no images)")
            elif url.startswith(("http://", "https://")) and url not in references:
                references.append(url)
        kept = LINK.sub(lambda m: "" if m.group(1) else m.group(2), line)
        match = BULLET.match(kept)
        if match:
            indent, item = match.groups()
            item = item.strip()
            if not item or item.lower() in ("details", "read", "read more"):
                continue  # the bullet was only a link or an image
            depth = len(indent.replace("\t", "    ")) // 2
            lines.append("  " * min(depth, 3) + "- " + item)
            if depth == 0 and len(points) < 6:
                first = re.split(r"(?<=[.!?])\s", item, maxsplit=1)[0].rstrip(".")
                points.append(first[: MAX_POINT - 1] + "…" if len(first) > MAX_POINT else first)
        elif kept.strip():
            lines.append(kept.strip())
        elif lines and lines[-1]:
            lines.append("")
    if in_code:
        lines.append("```")
        notes.append(f"{qid}: an unterminated code span was closed at the end of the answer")
    answer = "\n".join(lines).strip()
    return answer, points, references


def parse_markdown(text: str, *, topic_for: Callable[[str], str | None]) -> Imported:
    """Turn a Markdown question list into question mappings, noting what needs review."""
    result = Imported()
    ids: dict[str, int] = {}
    for draft in _split(text, result.notes):
        qid = derive_id(draft.heading)
        ids[qid] = ids.get(qid, 0) + 1
        if ids[qid] > 1:
            qid = f"{qid}-{ids[qid]}"
        topic = topic_for(draft.section) if draft.section else None
        if topic is None:
            where = f"section `{draft.section}`" if draft.section else "no `>` section line"
            result.notes.append(f"{qid}: {where} matches no topic; map it with --topic-map")
            topic = re.sub(r"[^a-z0-9]+", "-", draft.section.lower()).strip("-") or "unknown"
        answer, points, references = _convert_body(draft, qid, result.notes)
        if not answer:
            result.notes.append(f"{qid}: empty answer in the source; a placeholder says so")
            answer = PLACEHOLDER_ANSWER
        question = {
            "id": qid,
            "topic": topic,
            "difficulty": "medium",
            "question": draft.heading,
            "answer": answer,
            "key_points": points or [PLACEHOLDER_POINT],
            "follow_ups": [],
            "hints": [PLACEHOLDER_HINT],
            "tags": ["imported"],
            "references": references,
        }
        result.questions.append(question)
    if not result.questions:
        result.notes.append("no `### Question` headings found: nothing to import")
    return result


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text as `|` blocks, as the shipped packs are written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def to_yaml(questions: list[dict]) -> str:
    return yaml.dump(questions, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
