"""The question bank: load YAML packs, validate them, index questions by topic and difficulty."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.engine.grading import KeyPoint, significant

DIFFICULTIES = ("easy", "medium", "hard")
# `open`: answered in words, graded by the member; `output`: predict what a snippet prints,
# graded by the bot.
KINDS = ("open", "output")
MAX_CODE = 1500
MAX_OUTPUT = 1000
TOPICS_FILE = "topics.yaml"
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID = 64  # ids travel inside button ids, which Discord caps at 100 characters
# Slack section text holds 3 000 characters, a Discord embed description 4 096: the smaller wins.
MAX_ANSWER = 3000
MAX_QUESTION = 500
MAX_KEY_POINT = 200
MAX_KEY_POINTS_TOTAL = 1000  # rendered as one Discord embed field (1 024)
MAX_FOLLOW_UP = 300
REQUIRED_TEXT = ("id", "topic", "difficulty", "question", "answer")
LIST_FIELDS = ("key_points", "follow_ups", "tags", "references")
# `reviewed: 2026-12`: the month of the last accuracy pass against the official docs.
REVIEWED_PATTERN = re.compile(r"20\d\d-(0[1-9]|1[0-2])")
KNOWN_FIELDS = frozenset(
    (*REQUIRED_TEXT, *LIST_FIELDS, "reviewed", "kind", "code", "output", "hints")
)
MAX_MATCH = 80  # one alternative wording of a key point
MAX_HINT = 200
MAX_HINTS = 3


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    id: str
    topic: str
    difficulty: str
    question: str
    answer: str
    key_points: tuple[str, ...]
    follow_ups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    reviewed: str = ""  # YYYY-MM of the last accuracy review, if any
    kind: str = "open"
    code: str = ""  # kind output: the snippet
    output: str = ""  # kind output: exactly what it prints
    # Per key point, other words or phrases that express it (`match:` in the YAML).
    matches: tuple[tuple[str, ...], ...] = ()
    hints: tuple[str, ...] = ()  # nudges toward the answer, revealed one at a time
    source: str = ""
    credit: str = ""  # a server pack's question: who suggested it (shown under it)

    @property
    def points(self) -> tuple[KeyPoint, ...]:
        """The key points with their alternative wordings, for the matcher."""
        matches = self.matches or ((),) * len(self.key_points)
        return tuple(KeyPoint(p, m) for p, m in zip(self.key_points, matches, strict=True))

    @property
    def prompt(self) -> str:
        """What a member is asked: the question, and for an output question its snippet."""
        if self.kind == "output":
            return f"{self.question}\n```python\n{self.code}\n```\nType exactly what it prints."
        return self.question

    @property
    def reference(self) -> str:
        """The reference answer; for an output question, what it prints and why."""
        if self.kind == "output":
            return f"It prints:\n```\n{self.output}\n```\n{self.answer}"
        return self.answer


@dataclass(frozen=True)
class Problem:
    """One validation problem, naming where it is."""

    file: str
    question: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.question}: {self.field}: {self.message}"


class ContentError(Exception):
    """The bank did not validate; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Bank:
    """All questions, indexed for selection."""

    topics: dict[str, Topic]
    questions: dict[str, Question]
    by_topic: dict[str, list[Question]] = field(default_factory=dict)
    # Topics a server switched off: still found by id, never drawn.
    disabled: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.by_topic = {slug: [] for slug in self.topics}
        for q in self.questions.values():
            self.by_topic.setdefault(q.topic, []).append(q)

    def __len__(self) -> int:
        return len(self.questions)

    def get(self, question_id: str) -> Question | None:
        return self.questions.get(question_id)

    def select(
        self, topics: Iterable[str] = (), difficulty: str | None = None, kind: str | None = None
    ) -> list[Question]:
        """Questions in any of `topics` (all when empty) at `difficulty` and of `kind` (any
        when None)."""
        wanted = [s for s in list(topics) or list(self.by_topic) if s not in self.disabled]
        return [
            q
            for slug in wanted
            for q in self.by_topic.get(slug, ())
            if (difficulty is None or q.difficulty == difficulty)
            and (kind is None or q.kind == kind)
        ]

    def find_topic(self, name: str) -> Topic | None:
        """A topic by slug, title or alias, ignoring case and punctuation."""
        key = _fold(name)
        for topic in self.topics.values():
            if key in {_fold(topic.slug), _fold(topic.title), *map(_fold, topic.aliases)}:
                return topic
        return None


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def content_files(directory: Path) -> list[Path]:
    """The question files of a pack directory and its subdirectories, in a stable order."""
    files = [*directory.glob("*.yaml"), *directory.glob("*.yml"), *directory.glob("*/*.yaml")]
    return sorted(p for p in files if p.name != TOPICS_FILE)


MAX_YAML_BYTES = 1_000_000  # a pack or schedule file; far above the shipped topics' size


# libyaml's parser when PyYAML has it (about ten times faster), else the pure Python one.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NoAliasLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing aliases: a node is reached twice only through an alias (a
    few lines of aliases can expand to gigabytes, and question files never need them)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        if node in self.constructed_objects or node in self.recursive_objects:
            line = node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"aliases (*name) are not allowed (line {line})", node.start_mark
            )
        return super().construct_object(node, deep)


def read_yaml_text(text: str) -> object:
    """Parse YAML from members or operators: size-capped, and without anchors and aliases.
    Raises yaml.YAMLError."""
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise yaml.YAMLError(f"larger than {MAX_YAML_BYTES // 1_000_000} MB")
    return yaml.load(text, Loader=_NoAliasLoader)  # a safe loader: no arbitrary objects


def _read_yaml(path: Path, problems: list[Problem]) -> object:
    try:
        return read_yaml_text(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(str(path), where, "yaml", f"malformed YAML: {reason}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "-", "file", f"cannot read: {exc}"))
    return None


def _load_topics(path: Path, problems: list[Problem]) -> list[Topic]:
    data = _read_yaml(path, problems)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(Problem(str(path), "-", "topics", "must be a list of {slug, title}"))
        return []
    topics = []
    for i, item in enumerate(data, 1):
        slug = item.get("slug") if isinstance(item, dict) else None
        title = item.get("title") if isinstance(item, dict) else None
        if not isinstance(slug, str) or not ID_PATTERN.fullmatch(slug):
            problems.append(Problem(str(path), f"#{i}", "slug", "missing or not a slug"))
            continue
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem(str(path), slug, "title", "missing or empty"))
            continue
        aliases = item.get("aliases") or []
        topics.append(Topic(slug, title.strip(), tuple(str(a) for a in aliases)))
    return topics


def _check_text(
    raw: dict, key: str, limit: int, where: tuple[str, str], problems: list[Problem]
) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(Problem(*where, key, "missing or empty"))
        return ""
    if not isinstance(value, str):
        problems.append(Problem(*where, key, f"must be text, not {type(value).__name__}"))
        return ""
    if len(value) > limit:
        problems.append(
            Problem(*where, key, f"{len(value)} characters; at most {limit} fit every platform")
        )
    return value.strip()


def _check_list(
    raw: dict, key: str, limit: int, where: tuple[str, str], problems: list[Problem]
) -> tuple[str, ...]:
    value = raw.get(key, [])
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(*where, key, "must be a list of non-empty texts"))
        return ()
    for item in value:
        if len(item) > limit:
            problems.append(Problem(*where, key, f"an item of {len(item)} characters; max {limit}"))
    return tuple(v.strip() for v in value)


def _check_kind(raw: dict, where: tuple[str, str], problems: list[Problem]) -> tuple[str, str, str]:
    """(kind, code, output): an output question carries its snippet and what it prints."""
    kind = raw.get("kind", "open")
    if kind not in KINDS:
        problems.append(Problem(*where, "kind", f"{kind!r}; use one of {', '.join(KINDS)}"))
        return "open", "", ""
    if kind == "open":
        for key in ("code", "output"):
            if key in raw:
                problems.append(Problem(*where, key, "only for questions of kind: output"))
        return kind, "", ""
    code = _check_text(raw, "code", MAX_CODE, where, problems)
    output = _check_text(raw, "output", MAX_OUTPUT, where, problems)
    raw_code, raw_output = raw.get("code"), raw.get("output")
    if isinstance(raw_code, str) and isinstance(raw_output, str):
        code, output = raw_code.rstrip(), raw_output.rstrip("\n")
    return kind, code, output


def _check_points(
    raw: dict, where: tuple[str, str], problems: list[Problem]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Key points: texts, or `{point: text, match: [other wordings]}` mappings."""
    value = raw.get("key_points") or []
    if not isinstance(value, list):
        problems.append(
            Problem(*where, "key_points", "must be a list of non-empty texts or {point, match}")
        )
        return (), ()
    texts, matches = [], []
    for item in value:
        text, match = (
            (item.get("point"), item.get("match", [])) if isinstance(item, dict) else (item, [])
        )
        if isinstance(item, dict) and set(item) - {"point", "match"}:
            problems.append(Problem(*where, "key_points", "a key point has `point` and `match`"))
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_KEY_POINT:
            problems.append(
                Problem(*where, "key_points", f"each is a text of 1 to {MAX_KEY_POINT} characters")
            )
            continue
        if not isinstance(match, list) or not all(
            isinstance(m, str) and m.strip() and len(m) <= MAX_MATCH for m in match
        ):
            problems.append(
                Problem(*where, "key_points", f"`match` is a list of texts of at most {MAX_MATCH}")
            )
            match = []
        texts.append(text.strip())
        matches.append(tuple(m.strip() for m in match))
    return tuple(texts), tuple(matches)


def _check_hints(
    raw: dict,
    key_points: tuple[str, ...],
    where: tuple[str, str],
    problems: list[Problem],
    *,
    required: bool = True,
) -> tuple[str, ...]:
    """1 to 3 short hints that lead without giving a key point away (none, if not required)."""
    if not required and not raw.get("hints"):
        return ()
    hints = _check_list(raw, "hints", MAX_HINT, where, problems)
    if not hints and not any(p.field == "hints" for p in problems[-1:]):
        problems.append(Problem(*where, "hints", f"missing: give 1 to {MAX_HINTS} hints"))
    if len(hints) > MAX_HINTS:
        problems.append(Problem(*where, "hints", f"at most {MAX_HINTS} hints"))
    points = [(point, significant(point)) for point in key_points]
    for hint in hints:
        said = significant(hint)
        for point, wanted in points:
            if hint.lower() == point.lower() or (
                wanted and len(said & wanted) / len(said | wanted) >= 0.75
            ):
                problems.append(Problem(*where, "hints", f"gives a key point away: {hint!r}"))
    return hints


def _check_references(
    raw: dict, where: tuple[str, str], problems: list[Problem]
) -> tuple[str, ...]:
    references = _check_list(raw, "references", 300, where, problems)
    for ref in references:
        if not ref.startswith(("https://", "http://")):
            problems.append(Problem(*where, "references", f"not a web link: {ref!r}"))
    return references


def _check_identity(
    raw: dict, where: tuple[str, str], topics: dict[str, Topic], problems: list[Problem]
) -> None:
    """Known fields only; a slug id, a known topic, a difficulty."""
    for key in sorted(set(raw) - KNOWN_FIELDS):
        problems.append(Problem(*where, str(key), "unknown field"))
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID_PATTERN.fullmatch(qid) or len(qid) > MAX_ID:
        problems.append(
            Problem(*where, "id", f"missing or not a lowercase slug of at most {MAX_ID} chars")
        )
    topic = raw.get("topic")
    if topic not in topics:
        problems.append(Problem(*where, "topic", f"unknown topic {topic!r}; see {TOPICS_FILE}"))
    difficulty = raw.get("difficulty")
    if difficulty not in DIFFICULTIES:
        problems.append(
            Problem(*where, "difficulty", f"{difficulty!r}; use one of {', '.join(DIFFICULTIES)}")
        )


def parse_question(
    raw: object,
    position: int,
    path: Path,
    topics: dict[str, Topic],
    problems: list[Problem],
    *,
    hints_required: bool = True,
) -> Question | None:
    """Validate one question mapping; append problems and return it when usable.
    `hints_required`: a server's own packs may leave hints out (then there is no Hint button)."""
    file = str(path)
    if not isinstance(raw, dict):
        problems.append(Problem(file, f"#{position}", "-", "each question must be a mapping"))
        return None
    qid = raw.get("id")
    label = qid if isinstance(qid, str) and qid else f"#{position}"
    where = (file, label)
    before = len(problems)
    _check_identity(raw, where, topics, problems)
    topic, difficulty = raw.get("topic"), raw.get("difficulty")
    question = _check_text(raw, "question", MAX_QUESTION, where, problems)
    answer = _check_text(raw, "answer", MAX_ANSWER, where, problems)
    key_points, matches = _check_points(raw, where, problems)
    if not key_points and not any(p.field == "key_points" for p in problems[before:]):
        problems.append(Problem(*where, "key_points", "missing or empty"))
    if sum(len(k) for k in key_points) > MAX_KEY_POINTS_TOTAL:
        problems.append(
            Problem(*where, "key_points", f"more than {MAX_KEY_POINTS_TOTAL} characters in all")
        )
    follow_ups = _check_list(raw, "follow_ups", MAX_FOLLOW_UP, where, problems)
    tags = _check_list(raw, "tags", 40, where, problems)
    references = _check_references(raw, where, problems)
    kind, code, output = _check_kind(raw, where, problems)
    hints = _check_hints(raw, key_points, where, problems, required=hints_required)
    reviewed = raw.get("reviewed", "")
    if not isinstance(reviewed, str) or (reviewed and not REVIEWED_PATTERN.fullmatch(reviewed)):
        problems.append(Problem(*where, "reviewed", "a month as YYYY-MM, e.g. 2026-12"))
    if len(problems) > before:
        return None
    return Question(
        id=qid,
        topic=topic,
        difficulty=difficulty,
        question=question,
        answer=answer,
        key_points=key_points,
        follow_ups=follow_ups,
        tags=tags,
        references=references,
        reviewed=reviewed,
        kind=kind,
        code=code,
        output=output,
        matches=matches,
        hints=hints,
        source=file,
    )


def load_bank(directories: Iterable[Path]) -> tuple[Bank, list[Problem]]:
    """Load every pack; return the bank of valid questions and all problems found."""
    problems: list[Problem] = []
    directories = list(directories)
    topics: dict[str, Topic] = {}
    for directory in directories:
        if not directory.is_dir():
            problems.append(Problem(str(directory), "-", "directory", "not a directory"))
            continue
        topics_path = directory / TOPICS_FILE
        if topics_path.exists():
            for topic in _load_topics(topics_path, problems):
                topics.setdefault(topic.slug, topic)
    if not topics:
        problems.append(Problem(TOPICS_FILE, "-", "topics", "no topics defined in any pack"))
    questions: dict[str, Question] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in content_files(directory):
            data = _read_yaml(path, problems)
            if data is None:
                continue
            if not isinstance(data, list):
                problems.append(Problem(str(path), "-", "file", "must be a list of questions"))
                continue
            for position, raw in enumerate(data, 1):
                q = parse_question(raw, position, path, topics, problems)
                if q is None:
                    continue
                if q.id in questions:
                    first = questions[q.id].source
                    problems.append(
                        Problem(str(path), q.id, "id", f"duplicate id (also in {first})")
                    )
                    continue
                questions[q.id] = q
    return Bank(topics=topics, questions=questions), problems


def load_valid_bank(directories: Iterable[Path]) -> Bank:
    """Load the bank or raise ContentError listing every problem."""
    bank, problems = load_bank(directories)
    if problems:
        raise ContentError(problems)
    if not bank.questions:
        raise ContentError([Problem("content", "-", "questions", "no questions found")])
    return bank
