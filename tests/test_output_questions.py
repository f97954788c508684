"""The "predict the output" questions in content/output/: schema, and every snippet prints
exactly its recorded output on each supported Python, under two hash seeds.

All snippets of one interpreter run in one subprocess (a runner that exec()s each snippet in
a fresh ``__main__`` module with stdout and stderr captured), so the whole file stays fast.
An interpreter that is not installed is reported with a warning, never skipped silently.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.interpreters import SUPPORTED, InterpreterMissing, find_interpreters

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / "content" / "output"
TOPICS = {t["slug"] for t in yaml.safe_load((ROOT / "content" / "topics.yaml").read_text())}

HASH_SEEDS = ("0", "4242")
FIELDS = (
    "id",
    "kind",
    "topic",
    "difficulty",
    "question",
    "code",
    "output",
    "answer",
    "key_points",
    "hints",
    "tags",
    "references",
)
# Optional last field: the month (YYYY-MM) of the question's last accuracy review, as in
# content/README.md. Optional in the schema, but test_every_question_is_reviewed requires it.
OPTIONAL_LAST_FIELD = "reviewed"
REVIEWED_PATTERN = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")
MAX_HINTS = 2
MAX_HINT = 200  # characters per hint
DIFFICULTIES = {"easy", "medium", "hard"}
ID_PATTERN = re.compile(r"^output-[a-z0-9]+(-[a-z0-9]+)*$")
# Things whose printed result changes from run to run or machine to machine.
NONDETERMINISTIC = re.compile(
    r"\bid\(|\bimport random\b|\bfrom random\b|time\.time\(|datetime\.now|\bopen\(|\bsocket\b"
    r"|\burllib\b|as_completed"
)
ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


def load_questions() -> list[dict]:
    questions = []
    for path in sorted(OUTPUT_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, list), f"{path.name}: must be a list of questions"
        for item in data:
            assert isinstance(item, dict), f"{path.name}: every question is a mapping"
            questions.append({**item, "_file": path.name})
    return questions


QUESTIONS = load_questions()


def _id(q: dict) -> str:
    return str(q.get("id", "?"))


# --- schema -------------------------------------------------------------------------------


def test_bank_size_topics_and_unique_ids():
    assert len(QUESTIONS) >= 60
    assert len({q.get("topic") for q in QUESTIONS}) >= 4
    duplicates = [i for i, n in Counter(_id(q) for q in QUESTIONS).items() if n > 1]
    assert not duplicates


def test_one_file_per_topic():
    for q in QUESTIONS:
        assert q["_file"] == f"{q.get('topic')}.yaml", (q["_file"], _id(q))


@pytest.mark.parametrize("q", QUESTIONS, ids=_id)
def test_question_schema(q):
    item = {k: v for k, v in q.items() if k != "_file"}
    assert tuple(item) in (FIELDS, (*FIELDS, OPTIONAL_LAST_FIELD)), (
        f"fields must be exactly, in order: {FIELDS}, then optionally {OPTIONAL_LAST_FIELD!r}"
    )
    if OPTIONAL_LAST_FIELD in item:
        reviewed = item[OPTIONAL_LAST_FIELD]
        assert isinstance(reviewed, str) and REVIEWED_PATTERN.match(reviewed), (
            f"reviewed must be a YYYY-MM month, got {reviewed!r}"
        )
    assert ID_PATTERN.match(item["id"]) and len(item["id"]) <= 64
    assert item["kind"] == "output"
    assert item["topic"] in TOPICS
    assert item["difficulty"] in DIFFICULTIES
    for field in ("question", "code", "output", "answer"):
        assert isinstance(item[field], str) and item[field].strip(), field
    assert len(item["question"]) <= 200 and "\n" not in item["question"].strip()
    lines = item["code"].rstrip("\n").split("\n")
    assert 5 <= len(lines) <= 15, f"{len(lines)} code lines"
    compile(item["code"], item["id"], "exec")
    assert not NONDETERMINISTIC.search(item["code"]), "nondeterministic code"
    assert not ADDRESS.search(item["output"]), "memory address in the output"
    assert 40 <= len(item["answer"].split()) <= 200, f"{len(item['answer'].split())} words"
    points = item["key_points"]
    assert isinstance(points, list) and 1 <= len(points) <= 3
    assert all(isinstance(p, str) and p.strip() and len(p) < 200 for p in points)
    hints = item["hints"]
    assert isinstance(hints, list) and 1 <= len(hints) <= MAX_HINTS, f"1 to {MAX_HINTS} hints"
    assert all(isinstance(h, str) and h.strip() and len(h) <= MAX_HINT for h in hints), (
        f"each hint is a non-empty text of at most {MAX_HINT} characters"
    )
    tags = item["tags"]
    assert isinstance(tags, list) and tags and all(isinstance(t, str) and t for t in tags)
    refs = item["references"]
    assert isinstance(refs, list) and refs
    assert all(isinstance(r, str) and r.startswith("https://docs.python.org/3/") for r in refs)


def test_every_question_is_reviewed():
    missing = [_id(q) for q in QUESTIONS if OPTIONAL_LAST_FIELD not in q]
    assert not missing, f"no {OPTIONAL_LAST_FIELD!r} month on: {missing}"


# --- running the snippets -----------------------------------------------------------------

# Reads [[id, code], ...] as JSON on stdin and prints {"version", "results": {id: ...},
# "leftover"}: each snippet runs as if it were the main script, in a fresh module named
# __main__; "leftover" is what reached stderr when the garbage was collected at the end.
RUNNER = r"""
import contextlib, gc, io, json, sys, types

snippets = json.load(sys.stdin)
real_main = sys.modules["__main__"]
results = {}
for qid, code in snippets:
    module = types.ModuleType("__main__")
    out, err = io.StringIO(), io.StringIO()
    error = None
    sys.modules["__main__"] = module
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                exec(compile(code, "<" + qid + ">", "exec"), module.__dict__)
            finally:
                del module
                if "async" in code:  # "never awaited" warnings come out on collection
                    gc.collect()
    except BaseException as exc:
        error = type(exc).__name__ + ": " + str(exc)
    finally:
        sys.modules["__main__"] = real_main
    results[qid] = {"stdout": out.getvalue(), "stderr": err.getvalue(), "error": error}
leftover = io.StringIO()
with contextlib.redirect_stderr(leftover):
    gc.collect()
json.dump(
    {"version": list(sys.version_info[:2]), "results": results, "leftover": leftover.getvalue()},
    sys.__stdout__,
)
"""


def run_all(exe: str, seed: str, workdir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONHASHSEED"] = seed
    env["PYTHONIOENCODING"] = "utf-8"
    payload = json.dumps([[q["id"], q["code"]] for q in QUESTIONS])
    done = subprocess.run(
        [exe, "-c", RUNNER],
        input=payload,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=workdir,
        timeout=120,
    )
    assert done.returncode == 0, f"{exe} runner failed:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def runs() -> dict[str, dict]:
    """{label: runner result} for every interpreter and hash seed."""
    interpreters = find_interpreters()
    for version in SUPPORTED:
        if version not in interpreters:
            warnings.warn(
                f"Python {version[0]}.{version[1]} is not installed here: "
                "the output questions were NOT checked on it",
                InterpreterMissing,
                stacklevel=1,
            )
    jobs = {
        f"python{v[0]}.{v[1]} ({exe}) PYTHONHASHSEED={seed}": (exe, seed)
        for v, exe in sorted(interpreters.items())
        for seed in HASH_SEEDS
    }
    with tempfile.TemporaryDirectory() as workdir, ThreadPoolExecutor(len(jobs)) as pool:
        futures = {
            label: pool.submit(run_all, exe, seed, workdir) for label, (exe, seed) in jobs.items()
        }
        results = {label: future.result() for label, future in futures.items()}
    print("\noutput questions checked on: " + "; ".join(results))
    return results


def _strip_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


@pytest.mark.parametrize("q", QUESTIONS, ids=_id)
def test_snippet_prints_its_output(q, runs):
    expected = _strip_newline(q["output"])
    for label, run in runs.items():
        result = run["results"][q["id"]]
        assert result["error"] is None, f"{label}: uncaught {result['error']}"
        assert _strip_newline(result["stdout"]) == expected, label
        if tuple(run["version"]) in SUPPORTED:
            assert result["stderr"] == "", f"{label}: wrote to stderr:\n{result['stderr']}"


def test_every_supported_python_was_found_or_reported(runs):
    versions = {tuple(run["version"]) for run in runs.values()}
    assert tuple(sys.version_info[:2]) in versions
    assert len(runs) == len(versions) * len(HASH_SEEDS)


def test_no_warnings_left_behind_after_all_snippets(runs):
    for label, run in runs.items():
        if tuple(run["version"]) in SUPPORTED:
            assert run["leftover"] == "", f"{label}:\n{run['leftover']}"
