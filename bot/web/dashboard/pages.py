"""The team overview, a member's page, and the question bank."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.engine.content import DIFFICULTIES, Bank, Question
from bot.engine.registry import Role
from bot.engine.streaks import local_date, month_key
from bot.store.records import QuestionCounts, SessionRecord
from bot.web.dashboard import DASHBOARD, Dashboard
from bot.web.dashboard.access import context, refuse, require
from bot.web.dashboard.charts import bar_chart, calendar

routes = web.RouteTableDef()
WEEKS = 12
CALENDAR_WEEKS = 26
HARDEST = 10
MIN_GRADES_FOR_HARDEST = 3  # fewer grades say little about a question
PAGE_SIZE = 50
GRADE_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


@dataclass(frozen=True)
class TopicRow:
    slug: str
    title: str
    answered: int
    graded: int
    good: int

    @property
    def share(self) -> float | None:
        return self.good / self.graded if self.graded else None


def today_of(dash: Dashboard, session: SessionRecord) -> date:
    """Today on the server's calendar (its default timezone, else the bot's)."""
    zone = session.server_timezone or dash.engine.kit.default_timezone
    return local_date(dash.clock(), zone)


def topic_rows(bank: Bank, counts: dict[str, QuestionCounts]) -> list[TopicRow]:
    """Per topic of the server's bank: answers, grades and Good/Easy grades on this server."""
    sums: dict[str, list[int]] = {slug: [0, 0, 0] for slug in bank.topics}
    for qid, c in counts.items():
        q = bank.get(qid)
        if q is not None:
            row = sums.setdefault(q.topic, [0, 0, 0])
            row[0], row[1], row[2] = row[0] + c.answered, row[1] + c.graded, row[2] + c.good
    titles = {slug: t.title for slug, t in bank.topics.items()}
    return [TopicRow(slug, titles.get(slug, slug), *v) for slug, v in sums.items()]


def hardest(bank: Bank, counts: dict[str, QuestionCounts]) -> list[tuple[Question, Any]]:
    graded = [
        (q, c)
        for qid, c in counts.items()
        if c.graded >= MIN_GRADES_FOR_HARDEST and (q := bank.get(qid)) is not None
    ]
    graded.sort(key=lambda qc: (qc[1].good_share, -qc[1].graded, qc[0].id))
    return graded[:HARDEST]


@routes.get("/dashboard/{server:\\d+}/", name="overview")
async def overview(request: web.Request) -> web.Response:
    session = await require(request)
    dash = request.app[DASHBOARD]
    store = dash.engine.store
    today = today_of(dash, session)
    week_start = today - timedelta(days=today.weekday())
    starts = [week_start - timedelta(weeks=WEEKS - 1 - n) for n in range(WEEKS)]
    weekly = await store.weekly_practising(session.server_id, starts)
    counts = await store.question_counts(session.server_id)
    bank = await dash.engine.kit.bank_for(session.server_id)
    values = {
        "week": weekly[-1],
        "month": await store.answering_in_month(session.server_id, month_key(today)),
        "board": await store.leaderboard(
            session.server_id, today=today, period="all", key="", limit=10
        ),
        "chart": bar_chart(
            [f"{s:%d %b}" for s in starts], weekly, title="Members practising per week"
        ),
        "topics": topic_rows(bank, counts),
        "hardest": hardest(bank, counts),
        "lead": session.role >= Role.LEAD,
    }
    return aiohttp_jinja2.render_template("overview.html", request, context(session, **values))


@routes.get("/dashboard/{server:\\d+}/me")
async def me(request: web.Request) -> web.Response:
    session = await require(request)
    raise web.HTTPSeeOther(f"/dashboard/{session.server_id}/members/{session.member_id}")


@routes.get("/dashboard/{server:\\d+}/members/{member:\\d+}", name="member")
async def member(request: web.Request) -> web.Response:
    """A member's calendar, results and recent grades; answer texts only on one's own."""
    session = await require(request)
    dash = request.app[DASHBOARD]
    store = dash.engine.store
    member_id = int(request.match_info["member"])
    own = member_id == session.member_id
    if not own and session.role < Role.LEAD:
        raise refuse(request, 403, "Not your page", "Members see their own page only.")
    if not own and not await store.is_practising_member(session.server_id, member_id):
        raise refuse(request, 404, "Unknown member", "Nobody with that id practises here.")
    today = today_of(dash, session)
    start = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    days = await store.activity_days(session.server_id, member_id, start)
    latest = await store.latest_grades(session.server_id, member_id)
    counts = {qid: QuestionCounts(0, 1, int(r >= 3)) for qid, r in latest.items()}
    history = await store.answer_history(session.server_id, member_id, limit=20)
    bank = await dash.engine.kit.bank_for(session.server_id)
    values = {
        "own": own,
        "name": await store.member_name(member_id) or "?",
        "stats": await store.stats(session.server_id, member_id),
        "calendar": calendar(days, start=start, today=today),
        "practised": sum(days.values()),
        "topics": [t for t in topic_rows(bank, counts) if t.graded],
        "history": history,
        "bank": bank,
        "grade_names": GRADE_NAMES,
    }
    return aiohttp_jinja2.render_template("member.html", request, context(session, **values))


def _matches(q: Question, text: str, topic: str, difficulty: str) -> bool:
    if topic and q.topic != topic:
        return False
    if difficulty and q.difficulty != difficulty:
        return False
    if not text:
        return True
    haystack = " ".join((q.id, q.question, " ".join(q.tags))).lower()
    return all(word in haystack for word in text.lower().split())


def page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


@routes.get("/dashboard/{server:\\d+}/questions", name="questions")
async def questions(request: web.Request) -> web.Response:
    """Every question the server can draw (the shipped bank and its enabled packs, without
    its switched-off topics), filtered, with how this server did on each."""
    session = await require(request)
    dash = request.app[DASHBOARD]
    bank = await dash.engine.kit.bank_for(session.server_id)
    drawn = {slug: t for slug, t in bank.topics.items() if slug not in bank.disabled}
    text = request.query.get("q", "").strip()[:100]
    topic = request.query.get("topic", "")
    topic = topic if topic in drawn else ""
    difficulty = request.query.get("difficulty", "")
    difficulty = difficulty if difficulty in DIFFICULTIES else ""
    found = [
        q
        for q in bank.questions.values()
        if q.topic in drawn and _matches(q, text, topic, difficulty)
    ]
    found.sort(key=lambda q: (q.topic, DIFFICULTIES.index(q.difficulty), q.id))
    number = page_number(request)
    shown = found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    values = {
        "questions": shown,
        "total": len(found),
        "page": number,
        "pages": max(1, -(-len(found) // PAGE_SIZE)),
        "counts": await dash.engine.store.question_counts(session.server_id),
        "empty": QuestionCounts(),
        "filters": {"q": text, "topic": topic, "difficulty": difficulty},
        "topics": drawn,
        "difficulties": DIFFICULTIES,
    }
    return aiohttp_jinja2.render_template("questions.html", request, context(session, **values))
